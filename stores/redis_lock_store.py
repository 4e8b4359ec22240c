"""A Redis lock store whose ticket changes are atomic, for several rasa replicas.

Rasa's ``RedisLockStore`` changes a conversation's lock by reading it, changing it in Python
and writing it back. Two replicas that take a message of the same conversation at the same
moment can both read the empty lock and both get ticket 0: both then process a turn on the
same history, and the second save drops part of the first (seen in
``tests/test_scale_out.py``). Likewise its ``cleanup`` can delete a lock another replica
has just added a ticket to, which that replica then reports as a ``LockError``.

Here every change (issue, expire, finish, finish-and-delete) is one Redis transaction on the
lock's key (``WATCH`` … ``MULTI``/``EXEC``, retried when another replica changed the key in
between). Selected in ``endpoints.scale.yml`` with
``type: stores.redis_lock_store.AtomicRedisLockStore``; the other settings are Rasa's.
"""

from __future__ import annotations

import json
from typing import Callable, Optional, Text, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` with each read-change-write of a lock done as one transaction."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    def _change(
        self,
        conversation_id: Text,
        change: Callable[[TicketLock], T],
        create: bool = False,
        delete_when_empty: bool = True,
    ) -> Optional[T]:
        """Apply ``change`` to the stored lock atomically. Without a stored lock, nothing happens
        unless ``create``; a lock left without tickets is deleted if ``delete_when_empty``."""
        key = self.key_prefix + conversation_id

        def transaction(pipe) -> Optional[T]:  # type: ignore[no-untyped-def]
            serialised = pipe.get(key)
            if serialised:
                lock = TicketLock.from_dict(json.loads(serialised))
            elif create:
                lock = self.create_lock(conversation_id)
            else:
                return None
            result = change(lock)
            pipe.multi()
            if lock.tickets or not delete_when_empty:
                pipe.set(key, lock.dumps())
            else:
                pipe.delete(key)
            return result

        return self.red.transaction(transaction, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            ticket = self._change(conversation_id, lambda lock: lock.issue_ticket(lock_lifetime), create=True)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        assert ticket is not None  # create=True always yields a lock
        return ticket

    def update_lock(self, conversation_id: Text) -> None:
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets(), delete_when_empty=False)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number), delete_when_empty=False)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Finish serving and delete the lock if nobody waits, in one transaction (Rasa does it
        in two steps, between which another replica's new ticket could be deleted)."""
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

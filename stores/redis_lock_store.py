"""A Redis lock store whose ticket changes are atomic, for several rasa replicas.

Rasa's ``RedisLockStore`` reads, changes and writes back a lock, so two replicas could take
the same ticket (seen in ``tests/test_scale_out.py``; see ``stores/ticket_locks.py``). Here
every change is one Redis transaction on the lock's key (``WATCH`` … ``MULTI``/``EXEC``,
retried when another replica changed the key in between). Selected in
``endpoints.scale.yml`` with ``type: stores.redis_lock_store.AtomicRedisLockStore``; the
other settings are Rasa's.
"""

from __future__ import annotations

import json
from typing import Callable, Optional, Text, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from stores.ticket_locks import AtomicTicketLockStore

T = TypeVar("T")


class AtomicRedisLockStore(AtomicTicketLockStore, RedisLockStore):
    """``RedisLockStore`` with each read-change-write of a lock done as one transaction."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        RedisLockStore.__init__(self, host=endpoint_config.url, **endpoint_config.kwargs)

    def _change(
        self,
        conversation_id: Text,
        change: Callable[[TicketLock], T],
        create: bool = False,
        delete_when_empty: bool = True,
    ) -> Optional[T]:
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

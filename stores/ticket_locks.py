"""Rasa's ticket-lock protocol with every change of a lock made atomically.

Rasa's ``LockStore`` changes a conversation's lock by reading it, changing it in Python and
writing it back. Two processes (Sanic workers or replicas) that take a message of the same
conversation at the same moment can both read the empty lock and both get ticket 0: both
then process a turn on the same history, and the second save drops part of the first. Its
``cleanup`` can likewise delete a lock another process has just added a ticket to.

Here the store's backend applies each change (issue, expire, finish, finish-and-delete) to
the stored lock in one transaction (``_change``); the protocol itself is Rasa's.
"""

from __future__ import annotations

from typing import Callable, Optional, Text, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore

T = TypeVar("T")


class AtomicTicketLockStore(LockStore):
    """A lock store whose ticket changes each happen in one backend transaction."""

    def _change(
        self,
        conversation_id: Text,
        change: Callable[[TicketLock], T],
        create: bool = False,
        delete_when_empty: bool = True,
    ) -> Optional[T]:
        """Apply ``change`` to the stored lock atomically. Without a stored lock, nothing happens
        unless ``create``; a lock left without tickets is deleted if ``delete_when_empty``."""
        raise NotImplementedError

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
        in two steps, between which another process's new ticket could be deleted)."""
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

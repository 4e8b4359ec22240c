"""A lock store in a SQLite file, so that several Sanic workers on one machine can serve one bot.

Rasa runs one Sanic worker unless its lock store is shared between processes (its in-memory
store is not), and its only shared store is Redis. The workers of one ``rasa run`` share the
machine's disk, so the locks live in a SQLite file next to the conversations
(``.rasa/locks.db``, ``endpoints.yml``). Each change of a lock is one ``BEGIN IMMEDIATE``
transaction (``stores/ticket_locks.py``): SQLite lets one writer at a time in, so two workers
never take the same ticket. Each process opens its own connection (a forked worker does not
reuse its parent's).
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Callable, Optional, Text, TypeVar

from rasa.core.lock import TicketLock
from rasa.utils.endpoints import EndpointConfig

from stores.ticket_locks import AtomicTicketLockStore

T = TypeVar("T")
DEFAULT_DB = ".rasa/locks.db"
BUSY_TIMEOUT_S = 5.0


class SQLiteLockStore(AtomicTicketLockStore):
    """Ticket locks in a SQLite table, one row per conversation."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, db: Optional[Text] = None) -> None:
        kwargs = endpoint_config.kwargs if endpoint_config else {}
        self.path = Path(db or kwargs.get("db") or DEFAULT_DB)
        self._connection: Optional[sqlite3.Connection] = None
        self._pid = 0
        super().__init__()
        self._db()  # a bad path fails at start-up, not at the first message

    def _db(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS locks (conversation_id TEXT PRIMARY KEY, lock TEXT NOT NULL)"
            )
            self._connection, self._pid = connection, os.getpid()
        return self._connection

    def _read(self, db: sqlite3.Connection, conversation_id: Text) -> Optional[TicketLock]:
        row = db.execute("SELECT lock FROM locks WHERE conversation_id = ?", (conversation_id,)).fetchone()
        return TicketLock.from_dict(json.loads(row[0])) if row else None

    def _write(self, db: sqlite3.Connection, lock: TicketLock) -> None:
        db.execute(
            "INSERT INTO locks (conversation_id, lock) VALUES (?, ?) "
            "ON CONFLICT (conversation_id) DO UPDATE SET lock = excluded.lock",
            (lock.conversation_id, lock.dumps()),
        )

    def _delete(self, db: sqlite3.Connection, conversation_id: Text) -> None:
        db.execute("DELETE FROM locks WHERE conversation_id = ?", (conversation_id,))

    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        return self._read(self._db(), conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        self._write(self._db(), lock)

    def delete_lock(self, conversation_id: Text) -> None:
        self._delete(self._db(), conversation_id)

    def _change(
        self,
        conversation_id: Text,
        change: Callable[[TicketLock], T],
        create: bool = False,
        delete_when_empty: bool = True,
    ) -> Optional[T]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")  # the write lock first: no other process reads this lock mid-change
        try:
            lock = self._read(db, conversation_id)
            if lock is None:
                if not create:
                    db.execute("COMMIT")
                    return None
                lock = self.create_lock(conversation_id)
            result = change(lock)
            if lock.tickets or not delete_when_empty:
                self._write(db, lock)
            else:
                self._delete(db, conversation_id)
            db.execute("COMMIT")
            return result
        except BaseException:
            db.execute("ROLLBACK")
            raise

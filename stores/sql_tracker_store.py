"""Rasa's SQL tracker store, faster per turn: the store every endpoints file names (through
``stores.privacy.PrivacySQLTrackerStore``), on SQLite by default and PostgreSQL when scaled out.

A tracker store class named by module path in ``endpoints.yml`` is Rasa's extension point for
this, so these are overrides of Rasa 3.6.21's ``SQLTrackerStore``, not patches; each writes and
reads back exactly the rows Rasa's would (``tests/test_sql_tracker_store.py`` compares them on both
databases).

- **SQLite: one kept connection, write-ahead log.** SQLite's default rollback journal syncs to
  disk on every commit, on the event loop, and Rasa opens and closes a connection for every read
  and write (for SQLite, SQLAlchemy 1.4 pools nothing), so each close also checkpoints the log.
  The connection is kept (``SingletonThreadPool``: the store runs on the event loop's thread),
  with ``journal_mode=WAL`` and ``synchronous=NORMAL``: a commit is an append to the log, the
  database stays consistent, and only a power cut (not a crash or a restart) can lose the last
  turns. A stored turn took about 17 ms, now about 4 ms.
- **A read runs a query built once.** Rasa builds its ORM query (the events since the latest
  session start) for every read, and SQLAlchemy then derives its cache key: about 0.9 ms a
  read, now about 0.2 ms. The query is built once per table with the sender as a parameter,
  and reads only the events' data.
- **A save does not first count the stored events.** Before each save Rasa counts, with a query
  on the events table, how many of the conversation's events are stored, to write only the new
  ones. The number is known: it is how many rows were just read to rebuild the tracker, and the
  conversation's lock keeps anyone else from writing in between. A tracker read that way is
  saved without the count, once; any other save (a second save of one tracker, a full-history
  read) counts as Rasa's does. It also means a purge or an erase between a turn's read and its
  save cannot bring the deleted events back (``stores.privacy``).
- **A turn's events are written in one insert statement.** Rasa adds one ORM object per event,
  one ``INSERT`` each (a new conversation's first turn has about nine events): the same rows,
  in the same order, are one ``executemany``. Saving a first turn took about 2.0 ms, now 0.65 ms.

A new conversation's empty first save is skipped by ``nlp.rasa_fixes`` (patch
``one_save_per_new_conversation``): Rasa's agent calls ``create_tracker`` on the
``FailSafeTrackerStore`` it wraps around any store class, so no override here is called there.
That patch reads the notes this store leaves (``unstored_sender``, ``STORED_ROWS``).

The class stops on any Rasa release but the one its overrides were written for
(``nlp.rasa_fixes.RASA_VERSION``). To run on Rasa's own store instead, name ``type: SQL`` in
the endpoints file (without the privacy store's erasure and retention).
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from functools import lru_cache
from typing import Any, Iterator, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import SingletonThreadPool

# set on a tracker rebuilt from the latest session's rows: how many there were (0: a new one)
STORED_ROWS = "_rows_read_from_sql_store"


def _write_ahead_log(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@lru_cache(maxsize=8)
def events_query(table: sa.Table, fetch_events_from_all_sessions: bool) -> Any:
    """Rasa's ``SQLTrackerStore._event_query`` (the conversation's events, or those since its
    latest session start, in order) with the sender as a parameter, selecting the events' data."""
    events = table.c
    sender = sa.bindparam("sender_id")
    query = sa.select(events.data).where(events.sender_id == sender)
    if not fetch_events_from_all_sessions:
        session_start = (
            sa.select(sa.func.max(events.timestamp).label("session_start"))
            .where(events.sender_id == sender, events.type_name == SessionStarted.type_name)
            .subquery()
        )
        query = query.where(
            sa.or_(events.timestamp >= session_start.c.session_start, session_start.c.session_start.is_(None))
        )
    return query.order_by(events.id)


class FastSQLTrackerStore(SQLTrackerStore):
    """Rasa's ``SQLTrackerStore`` with the same rows, fewer statements and, on SQLite, one
    kept connection in write-ahead-log mode."""

    engine: sa.engine.Engine  # set by Rasa's __init__ (mypy cannot tell its type from there)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from nlp.rasa_fixes import check_version  # here: nlp.rasa_fixes imports this module

        check_version()  # the overrides follow Rasa 3.6.21's private methods, as the patches do
        super().__init__(*args, **kwargs)
        # the sender whose latest read found no row (only the latest read's finding holds)
        self.unstored_sender: Optional[Text] = None
        if self.engine.url.get_backend_name() == "sqlite":
            # Rasa's engine options come from its module-level create_engine_kwargs(url), which
            # has no pool for SQLite: the tables exist now, so the engine is swapped for one that
            # keeps its connection
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=SingletonThreadPool)
            event.listen(self.engine, "connect", _write_ahead_log)
            self.Base.metadata.create_all(self.engine)  # an in-memory database starts empty
            self.sessionmaker = sessionmaker(bind=self.engine)

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        """Rasa's read, noting on the tracker how many rows it was rebuilt from, and on the store
        when it found none (a read that fails leaves no note)."""
        self.unstored_sender = None
        with self.session_scope() as session:
            query = events_query(self.SQLEvent.__table__, fetch_events_from_all_sessions)
            rows = session.execute(query, {"sender_id": sender_id}).scalars().all()
            events = [json.loads(data) for data in rows]
            if not (self.domain and events):
                if not rows and not fetch_events_from_all_sessions:
                    self.unstored_sender = sender_id
                return None
            tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
            if not fetch_events_from_all_sessions:  # what Rasa's count before a save would find
                setattr(tracker, STORED_ROWS, len(rows))
            return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        stored = tracker.__dict__.pop(STORED_ROWS, None)  # used once: a second save counts again
        if stored is None or stored > len(tracker.events):
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save, writing the same rows in one insert statement."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = []
            for new_event in self._additional_events(session, tracker):
                data = new_event.as_dict()
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": new_event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    }
                )
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()

    def take_unstored_note(self, sender_id: Text) -> bool:
        """Whether the latest read found no row for ``sender_id`` (the note is used up)."""
        found, self.unstored_sender = self.unstored_sender == sender_id, None
        return found

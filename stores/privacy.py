"""Health conversations kept no longer than needed: erasure on request and retention.

Rasa Open Source stores every event of a conversation and never deletes one (RasaHQ/rasa#10719).
``PrivacySQLTrackerStore`` is Rasa's SQL tracker store (SQLite by default, PostgreSQL in the
scale-out profile: the same class, named in ``endpoints.yml``; made faster per turn by
``stores.sql_tracker_store``) with two additions:

- a conversation whose turn ran ``action_erase_conversation`` (the visitor asked for it and
  confirmed) is deleted, every event of it, instead of being saved;
- conversations whose last event is older than ``RETENTION_DAYS`` (default 30) are deleted
  every ``PURGE_INTERVAL_MINUTES`` (default 60) while the server runs, and so is any
  conversation whose erasure failed at save time (the visitor was told it was deleted).

``erase`` and ``purge`` do the same for an operator (``python -m scripts.erase SENDER_ID``,
``make purge``). A purge deletes a conversation only when none of its events is newer than the
cut-off, in one statement, so a conversation active while it runs keeps its new turns.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
import warnings
from typing import Any, Optional, Text, Tuple

import sqlalchemy as sa
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

from stores.sql_tracker_store import FastSQLTrackerStore

logger = logging.getLogger(__name__)

ERASE_ACTION = "action_erase_conversation"
DEFAULT_RETENTION_DAYS = 30.0
DEFAULT_PURGE_INTERVAL_MINUTES = 60.0
DAY_S = 86_400
ENDPOINTS_HELP = "endpoints file (default: endpoints.yml, or endpoints.scale.yml with DB_HOST)"


def retention_days() -> float:
    """``RETENTION_DAYS`` (days; fractions allowed), or 30. 0 or less keeps conversations forever."""
    value = os.environ.get("RETENTION_DAYS", "").strip()
    try:
        return float(value) if value else DEFAULT_RETENTION_DAYS
    except ValueError:
        raise ValueError(f"RETENTION_DAYS must be a number of days, not {value!r}") from None


def erase(store: SQLTrackerStore, sender_id: Text) -> int:
    """Delete every event of one conversation; the number of events deleted."""
    events = store.SQLEvent.__table__
    with store.session_scope() as session:
        deleted = session.execute(sa.delete(events).where(events.c.sender_id == sender_id)).rowcount
        session.commit()
    return int(deleted or 0)


def purge(store: SQLTrackerStore, older_than_days: float, now: Optional[float] = None) -> Tuple[int, int]:
    """Delete the conversations whose last event is older than ``older_than_days``; (conversations,
    events) deleted. The choice and the deletion are one statement: an event saved meanwhile
    either makes its conversation recent (kept whole) or comes after the deletion (kept)."""
    cutoff = (time.time() if now is None else now) - older_than_days * DAY_S
    events = store.SQLEvent.__table__
    stale = sa.select(events.c.sender_id).group_by(events.c.sender_id).having(sa.func.max(events.c.timestamp) < cutoff)
    with store.session_scope() as session:
        senders = session.execute(sa.select(sa.func.count()).select_from(stale.subquery())).scalar_one()
        deleted = session.execute(sa.delete(events).where(events.c.sender_id.in_(stale.scalar_subquery()))).rowcount
        session.commit()
    return int(senders), int(deleted or 0)


def sweep_erasures(store: SQLTrackerStore) -> int:
    """Delete any conversation that ran the erase action but is still stored (an erase that failed
    at save time): the visitor was told it was deleted. The number of events deleted."""
    events = store.SQLEvent.__table__
    asked = sa.select(events.c.sender_id).where(events.c.action_name == ERASE_ACTION).distinct()
    with store.session_scope() as session:
        deleted = session.execute(sa.delete(events).where(events.c.sender_id.in_(asked.scalar_subquery()))).rowcount
        session.commit()
    return int(deleted or 0)


def asked_to_erase(tracker: DialogueStateTracker) -> bool:
    """Whether the turn being saved ran the erase action (only its latest turn is looked at)."""
    for event in reversed(tracker.events):
        if isinstance(event, ActionExecuted):
            if event.action_name == ERASE_ACTION:
                return True
            if event.action_name == "action_listen" and event is not tracker.events[-1]:
                return False
    return False


class PrivacySQLTrackerStore(FastSQLTrackerStore):
    """Rasa's SQL tracker store that erases a conversation on request and purges old ones. A
    save writes the events after those the tracker was read with (``FastSQLTrackerStore``), so a
    purge or an erase between a turn's read and its save cannot bring deleted events back."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retention_days = retention_days()
        minutes = float(os.environ.get("PURGE_INTERVAL_MINUTES") or DEFAULT_PURGE_INTERVAL_MINUTES)
        self.purge_interval_s = 60 * (minutes if minutes > 0 else DEFAULT_PURGE_INTERVAL_MINUTES)
        self._purging: Optional[asyncio.Task] = None

    async def save(self, tracker: DialogueStateTracker) -> None:
        self._start_purging()
        if asked_to_erase(tracker):
            try:
                erase(self, tracker.sender_id)
            except Exception as error:  # saved instead; the periodic sweep deletes it later
                logger.error(f"Erasing a conversation failed ({type(error).__name__}); it is retried.")
                await super().save(tracker)
                return
            logger.info("A conversation was erased at its visitor's request.")
            return
        await super().save(tracker)

    def _start_purging(self) -> None:
        """The periodic purge (and the sweep of failed erasures), started by the first save (a
        running event loop is needed)."""
        if self._purging is None:
            self._purging = asyncio.get_running_loop().create_task(self._purge_periodically())

    async def _purge_periodically(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:  # in a thread: a purge scans the whole table, conversations must not wait for it
                await loop.run_in_executor(None, sweep_erasures, self)
                conversations = 0
                if self.retention_days > 0:
                    conversations, _ = await loop.run_in_executor(None, purge, self, self.retention_days)
                if conversations:
                    logger.info(
                        f"Retention: deleted {conversations} conversation(s) older than {self.retention_days:g} days."
                    )
            except Exception as error:  # a failed purge must not stop the next one
                logger.error(f"Retention purge failed: {error}")
            await asyncio.sleep(self.purge_interval_s)


def open_store(endpoints: Optional[Text] = None) -> SQLTrackerStore:
    """The tracker store the bot uses: ``endpoints`` or, when the scale-out variables are set
    (``DB_HOST``), endpoints.scale.yml, else endpoints.yml. Only its ``tracker_store`` section
    is read, so an operator needs the database's variables, not the action server's or Redis's."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import EndpointConfig

    path = endpoints or ("endpoints.scale.yml" if os.environ.get("DB_HOST") else "endpoints.yml")
    with open(path, encoding="utf-8") as file:
        section = (yaml.safe_load(file) or {}).get("tracker_store")
    if not section:
        raise SystemExit(f"{path} has no tracker_store")
    config = EndpointConfig.from_dict({key: _expanded(path, value) for key, value in section.items()})
    with warnings.catch_warnings():  # SQLAlchemy's deprecation notice about Rasa's URL() call
        warnings.simplefilter("ignore")
        store = TrackerStore.create(config)
    if not isinstance(store, SQLTrackerStore):
        raise SystemExit(f"{path}: the tracker store is {type(store).__name__}, not a SQL store")
    return store


def _expanded(path: Text, value: Any) -> Any:
    """``${DB_HOST}`` and the like, from the environment (as Rasa reads endpoints files)."""
    if not isinstance(value, str):
        return value
    missing = [name for name in re.findall(r"\$\{(\w+)\}", value) if name not in os.environ]
    if missing:
        raise SystemExit(f"{path}: set {', '.join(missing)} (the tracker store's database)")
    return os.path.expandvars(value)

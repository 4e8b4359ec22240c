"""The project's SQL tracker store (stores/sql_tracker_store.py) stores and reads back exactly
what Rasa's SQLTrackerStore does, on SQLite and on PostgreSQL, with fewer statements."""

import asyncio
import json
import sqlite3
import uuid

import pytest
import sqlalchemy as sa
from conftest import postgres_store
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.utils.endpoints import read_endpoint_config
from sqlalchemy import event
from sqlalchemy.pool import SingletonThreadPool

import nlp.components  # noqa: F401  (importing the model's components applies the fixes)
from nlp.rasa_fixes import server
from scripts.bot_servers import ROOT
from stores import sql_tracker_store
from stores.privacy import PrivacySQLTrackerStore
from stores.sql_tracker_store import STORED_ROWS, FastSQLTrackerStore

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> dict:
    """Keyword arguments of a SQL store on a database of its own: a SQLite file or a fresh
    database on a real PostgreSQL server (created through its ``login_db``, as Rasa allows)."""
    if request.param == "sqlite":
        return {"dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
    # a database of its own, created through the server's own (as Rasa's login_db allows)
    pg = request.getfixturevalue("postgres")
    return postgres_store(pg, db="t" + uuid.uuid4().hex[:12], login_db=pg["DB_NAME"])


def _rows(store: SQLTrackerStore) -> list:
    """The events table in order, each event's time checked against its column and left out,
    and the ids as offsets from the first (two databases number from different points)."""
    table = store.SQLEvent.__table__.c
    columns = [table.id, table.sender_id, table.type_name, table.intent_name, table.action_name, table.timestamp]
    with store.engine.connect() as connection:
        found = connection.execute(sa.select(*columns, table.data).order_by(table.id)).all()
    rows = []
    for row_id, *names, timestamp, data in found:
        stored = json.loads(data)
        assert stored.pop("timestamp") == pytest.approx(timestamp)  # the column is the event's own time
        rows.append((row_id - found[0][0], *names, stored))
    return rows


def _round_trip(store: SQLTrackerStore):
    """One message saved for a new conversation, and the conversation read back."""

    async def play():
        tracker = await store.get_or_create_tracker("someone")
        tracker.update(UserUttered("is nkt safe?"))
        await store.save(tracker)
        return await store.retrieve("someone")

    return asyncio.run(play())


def _play_conversations(store) -> list:
    """New conversations, turns, a second save of one tracker, a new session, a full-history save;
    returns the events of each tracker read back (without their times)."""

    def turn(tracker, text: str) -> None:
        tracker.update(UserUttered(text, {"name": "ask_what_is_nkt", "confidence": 0.9}))
        tracker.update(ActionExecuted("action_answer_question"))
        tracker.update(BotUttered(f"answer to {text}"))
        tracker.update(SlotSet("last_topic", "ask_what_is_nkt"))
        tracker.update(ActionExecuted("action_listen"))

    read_back = []

    def read(tracker):
        read_back.append([{k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in tracker.events])
        return tracker

    async def play() -> None:
        for sender in ("a", "b"):
            tracker = await store.get_or_create_tracker(sender)  # new: Rasa's count
            turn(tracker, "first")
            await store.save(tracker)
        tracker = await store.get_or_create_tracker("c", append_action_listen=False)  # as Rasa's processor
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
        turn(tracker, "first")
        await store.save(tracker)  # new, empty, unsaved: no count
        for text in ("second", "third"):
            tracker = read(await store.retrieve("a"))
            turn(tracker, text)
            await store.save(tracker)
            tracker.update(ActionExecuted("action_listen"))
            await store.save(tracker)  # a second save of the same tracker
        tracker = read(await store.retrieve("b"))
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
        turn(tracker, "new session")
        await store.save(tracker)
        tracker = read(await store.retrieve("b"))  # the latest session only
        turn(tracker, "after the new session")
        await store.save(tracker)
        tracker = read(await store.retrieve_full_tracker("b"))
        turn(tracker, "full history")
        await store.save(tracker)

    asyncio.run(play())
    return read_back


@pytest.mark.parametrize("wrapped", [False, True], ids=["store", "as-the-server-wraps-it"])
def test_the_store_saves_and_reads_back_exactly_the_events_rasas_store_does(database, monkeypatch, wrapped):
    def wrap(store):
        return FailSafeTrackerStore(store) if wrapped else store  # the server's agent wraps its store

    ours = FastSQLTrackerStore(DOMAIN, **database)
    ours_read, ours_rows = _play_conversations(wrap(ours)), _rows(ours)
    with ours.session_scope() as session:  # the same database, emptied, for Rasa's own store
        session.execute(sa.delete(ours.SQLEvent.__table__))
        session.commit()
    rasas = SQLTrackerStore(DOMAIN, **database)
    with monkeypatch.context() as rasas_own:
        rasas_own.setattr(TrackerStore, "create_tracker", server._ORIGINAL_CREATE_TRACKER)
        rasas_read = _play_conversations(wrap(rasas))
    assert ours_read == rasas_read  # the same conversations read back
    assert [len(events) for events in ours_read] == [6, 12, 6, 7, 19]  # "b" after its new session: 7 of 19
    assert ours_rows == _rows(rasas)
    assert len(ours_rows) > 40


def test_a_new_conversations_turn_through_the_servers_store_counts_no_events_and_commits_once(database):
    """As Rasa's processor runs a first message: read (no row), create, then one save of the turn."""
    sql = FastSQLTrackerStore(DOMAIN, **database)
    store = FailSafeTrackerStore(sql)
    statements = []
    event.listen(sql.engine, "before_cursor_execute", lambda *args: statements.append(args[2].lstrip()[:40]))
    commits = []
    event.listen(sql.engine, "commit", lambda *args: commits.append(1))

    async def first_turn() -> None:
        tracker = await store.get_or_create_tracker("new-sender", append_action_listen=False)
        for happened in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
            tracker.update(happened)
        tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
        await store.save(tracker)

    asyncio.run(first_turn())
    assert not [s for s in statements if "count(" in s.lower()], statements
    assert len(commits) == 1
    assert len(_rows(sql)) == 4


def test_a_failed_read_leaves_no_note_that_the_conversation_is_new(tmp_path, monkeypatch):
    """Only a read that found no row lets the new conversation skip its empty save and count."""
    sql = FastSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
    store = FailSafeTrackerStore(sql)
    assert asyncio.run(store.retrieve("x")) is None
    assert sql.unstored_sender == "x"  # found no row: noted

    def broken(*args):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(sql_tracker_store, "events_query", broken)
    tracker = asyncio.run(store.get_or_create_tracker("x", append_action_listen=False))  # the read fails
    assert sql.unstored_sender is None
    assert STORED_ROWS not in tracker.__dict__  # its save counts, as Rasa's does


def test_rasas_own_sql_store_is_left_as_rasa_wrote_it(tmp_path):
    """The speed-ups live in the project's class: Rasa's own store keeps its methods and engine."""
    plain = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
    assert not isinstance(plain.engine.pool, SingletonThreadPool)
    for name in ("_retrieve", "save", "_additional_events"):
        assert getattr(SQLTrackerStore, name).__module__ == "rasa.core.tracker_store", name


def test_the_sqlite_store_keeps_one_connection_in_write_ahead_log_mode(tmp_path):
    store = FastSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    assert isinstance(store.engine.pool, SingletonThreadPool)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL

    assert _round_trip(store).latest_message.text == "is nkt safe?"
    with sqlite3.connect(tmp_path / "tracker.db") as other:  # another process reads what was committed
        assert other.execute("SELECT count(*) FROM events").fetchone()[0] > 0


def test_the_store_endpoints_yml_names_is_the_one_rasa_builds(tmp_path, monkeypatch):
    """Rasa builds the store of endpoints.yml by its module path: the privacy store, with the
    speed-ups, on a kept SQLite connection."""
    monkeypatch.chdir(tmp_path)  # endpoints.yml's database is relative: .rasa/tracker.db
    (tmp_path / ".rasa").mkdir()
    store = TrackerStore.create(read_endpoint_config(str(ROOT / "endpoints.yml"), "tracker_store"), DOMAIN)
    assert type(store) is PrivacySQLTrackerStore and isinstance(store, FastSQLTrackerStore)
    assert isinstance(store.engine.pool, SingletonThreadPool)
    assert (tmp_path / ".rasa" / "tracker.db").exists()


def test_an_in_memory_sqlite_store_keeps_its_tables_and_its_conversations():
    store = FastSQLTrackerStore(DOMAIN, dialect="sqlite", db="")

    assert _round_trip(store).latest_message.text == "is nkt safe?"


def test_the_store_refuses_a_rasa_release_its_overrides_were_not_written_for(tmp_path, monkeypatch):
    from nlp import rasa_fixes

    real_check = rasa_fixes.check_version
    monkeypatch.setattr(rasa_fixes, "check_version", lambda: real_check("3.7.0"))
    with pytest.raises(rasa_fixes.RasaVersionError, match=r"Rasa 3\.7\.0 is installed"):
        FastSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))

"""Erasure on request and retention, on the real stores the bot uses (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import List

import pytest
from conftest import endpoints_file, postgres_store
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.privacy import ERASED
from scripts import erase as erase_command
from scripts import purge as purge_command
from stores.privacy import DAY_S, ERASE_ACTION, PrivacySQLTrackerStore, erase, purge

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_kwargs(request, tmp_path, monkeypatch) -> dict:
    """How to open the bot's tracker store: the SQLite default or the scale-out PostgreSQL."""
    monkeypatch.setenv("RETENTION_DAYS", "0")  # no periodic purge unless a test asks for it
    if request.param == "sqlite":
        return {"dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
    return postgres_store(request.getfixturevalue("postgres"))


def open_store(kwargs: dict) -> PrivacySQLTrackerStore:
    return PrivacySQLTrackerStore(domain=DOMAIN, **kwargs)


def plain_store(kwargs: dict) -> SQLTrackerStore:
    """Rasa's own store on the same database: writes without starting a purge in a short-lived loop."""
    return SQLTrackerStore(domain=DOMAIN, **kwargs)


def turn(text: str, at: float, action: str = "action_answer_question") -> List:
    return [
        UserUttered(text, {"name": "ask_safety", "confidence": 1.0}, timestamp=at),
        ActionExecuted(action, timestamp=at),
        BotUttered("a quoted passage", timestamp=at),
        ActionExecuted("action_listen", timestamp=at),
    ]


def save(store: PrivacySQLTrackerStore, sender: str, *turns: List) -> None:
    async def saving() -> None:
        tracker = await store.retrieve(sender) or DialogueStateTracker(sender, DOMAIN.slots)
        for events in turns:
            tracker.update_with_events(events, DOMAIN, override_timestamp=False)
        await store.save(tracker)

    asyncio.run(saving())


def texts(store: PrivacySQLTrackerStore, sender: str) -> List[str]:
    tracker = asyncio.run(store.retrieve_full_tracker(sender))
    return [e.text for e in tracker.events if isinstance(e, UserUttered)] if tracker else []


def new_sender() -> str:
    return f"privacy-{uuid.uuid4().hex[:10]}"


def test_a_confirmed_erasure_deletes_every_event_of_that_conversation_and_no_other(store_kwargs):
    store, mine, other = open_store(store_kwargs), new_sender(), new_sender()
    now = time.time()
    save(store, mine, turn("is nkt safe with my heart condition", now))
    save(store, other, turn("how much does it cost", now))
    asked = turn("delete my conversation", now, "utter_confirm_erase")
    confirmed = turn("/confirm_erase", now, ERASE_ACTION)
    save(store, mine, asked, confirmed)
    assert texts(store, mine) == []
    assert texts(store, other) == ["how much does it cost"]
    save(store, mine, turn("what is nkt", now))  # the visitor may start again: a new conversation
    assert texts(store, mine) == ["what is nkt"]


def test_an_operator_erases_one_conversation_by_its_id(store_kwargs):
    store, mine, other = open_store(store_kwargs), new_sender(), new_sender()
    save(store, mine, turn("my details", time.time()))
    save(store, other, turn("someone else", time.time()))
    assert erase(store, mine) == 4 and erase(store, mine) == 0
    assert texts(store, mine) == [] and texts(store, other) == ["someone else"]


def test_a_purge_deletes_the_conversations_past_retention_and_keeps_recent_ones(store_kwargs):
    store, old, recent, revived = open_store(store_kwargs), new_sender(), new_sender(), new_sender()
    now = time.time()
    save(store, old, turn("an old question", now - 40 * DAY_S))
    save(store, recent, turn("a recent question", now - 2 * DAY_S))
    save(store, revived, turn("asked long ago", now - 40 * DAY_S), turn("and again today", now))
    conversations, events = purge(store, 30, now=now)
    assert conversations >= 1 and events >= 4
    assert texts(store, old) == []
    assert texts(store, recent) == ["a recent question"]
    assert texts(store, revived) == ["asked long ago", "and again today"]  # its last event is recent


def test_a_conversation_active_while_purges_run_keeps_its_new_turns(store_kwargs):
    writer, purger, sender = open_store(store_kwargs), open_store(store_kwargs), new_sender()
    save(writer, sender, turn("asked long ago", time.time() - 40 * DAY_S))
    new_turns = [f"new question {i}" for i in range(15)]

    def talk() -> None:
        for text in new_turns:
            save(writer, sender, turn(text, time.time()))

    talking = threading.Thread(target=talk)
    talking.start()
    while talking.is_alive():
        purge(purger, 30)
    talking.join()
    purge(purger, 30)
    assert texts(writer, sender)[-len(new_turns) :] == new_turns


def test_a_purge_between_a_turns_read_and_its_save_does_not_bring_the_old_events_back(store_kwargs):
    store, sender = open_store(store_kwargs), new_sender()
    save(store, sender, turn("asked long ago", time.time() - 40 * DAY_S))

    async def turn_with_a_purge_in_the_middle() -> None:
        tracker = await store.retrieve(sender)  # the turn reads the conversation …
        purge(open_store(store_kwargs), 30)  # … a purge deletes it while the action runs …
        tracker.update_with_events(turn("a question today", time.time()), DOMAIN, override_timestamp=False)
        await store.save(tracker)  # … and the save writes this turn only

    asyncio.run(turn_with_a_purge_in_the_middle())
    assert texts(store, sender) == ["a question today"]


def test_a_conversation_whose_erasure_failed_is_swept_by_the_periodic_purge(store_kwargs, monkeypatch):
    monkeypatch.setenv("PURGE_INTERVAL_MINUTES", "0.001")
    store, failed, kept = open_store(store_kwargs), new_sender(), new_sender()
    now = time.time()
    plain = plain_store(store_kwargs)  # what a failed erase leaves: the turn saved
    save(plain, failed, turn("my question", now), turn("/confirm_erase", now, ERASE_ACTION))
    save(plain, kept, turn("another question", now))
    assert texts(store, failed)  # still stored, until the sweep

    async def serving() -> None:
        tracker = await store.retrieve(kept)
        tracker.update_with_events(turn("and another", time.time()), DOMAIN, override_timestamp=False)
        await store.save(tracker)  # starts the periodic task, retention off (RETENTION_DAYS=0)
        await asyncio.sleep(0.3)

    asyncio.run(serving())
    assert texts(store, failed) == [] and texts(store, kept) == ["another question", "and another"]


def test_the_running_store_purges_periodically(store_kwargs, monkeypatch):
    monkeypatch.setenv("RETENTION_DAYS", "30")
    monkeypatch.setenv("PURGE_INTERVAL_MINUTES", "0.001")  # 60 ms
    store, old, active = open_store(store_kwargs), new_sender(), new_sender()
    save(plain_store(store_kwargs), old, turn("an old question", time.time() - 40 * DAY_S))

    async def serving() -> None:
        tracker = DialogueStateTracker(active, DOMAIN.slots)
        tracker.update_with_events(turn("a question now", time.time()), DOMAIN, override_timestamp=False)
        await store.save(tracker)  # the first save starts the purge
        await asyncio.sleep(0.3)

    asyncio.run(serving())
    assert texts(store, old) == [] and texts(store, active) == ["a question now"]


def test_the_operator_commands_erase_and_purge_from_the_endpoints_file(store_kwargs, tmp_path, capsys):
    store, mine, old = open_store(store_kwargs), new_sender(), new_sender()
    save(store, mine, turn("my question", time.time()))
    save(store, old, turn("an old question", time.time() - 40 * DAY_S))
    endpoints = str(endpoints_file(tmp_path, store_kwargs))
    assert erase_command.main([mine, "--endpoints", endpoints]) == 0
    assert purge_command.main(["--days", "30", "--endpoints", endpoints]) == 0
    out = capsys.readouterr().out
    assert f"Erased 4 event(s) of conversation '{mine}'" in out
    assert re.search(r"Deleted [1-9]\d* conversation\(s\)", out)  # PostgreSQL's database is the module's
    assert texts(store, mine) == [] and texts(store, old) == []


# The whole flow over REST, with the real rasa and action servers


def stored_senders(bot) -> List[str]:
    with sqlite3.connect(Path(bot.endpoints).parent / "tracker.db") as connection:
        return [row[0] for row in connection.execute("SELECT DISTINCT sender_id FROM events")]


def test_delete_my_conversation_asks_first_then_erases_it_over_rest(bot):
    mine, other = new_sender(), new_sender()
    bot.ask("is nkt safe?", sender=mine)
    bot.ask("is nkt safe?", sender=other)
    [question] = bot.ask("please delete my conversation", sender=mine)
    assert [b["payload"] for b in question["buttons"]] == ["/confirm_erase", "/deny_erase"]
    assert mine in stored_senders(bot)  # asking deletes nothing yet
    [done] = bot.ask("/confirm_erase", sender=mine)
    assert done["text"] == ERASED
    assert mine not in stored_senders(bot) and other in stored_senders(bot)


def test_a_declined_deletion_keeps_the_conversation(bot):
    mine = new_sender()
    bot.ask("how many sessions would i need?", sender=mine)
    bot.ask("delete this conversation", sender=mine)
    [kept] = bot.ask("/deny_erase", sender=mine)
    assert "Nothing was deleted" in kept["text"] and mine in stored_senders(bot)
    [stray] = bot.ask("/confirm_erase", sender=mine)  # no request pending: nothing happens
    assert "nothing waiting" in stray["text"] and mine in stored_senders(bot)


def test_server_logs_at_the_default_level_hold_no_message_text_or_sender_id(bot):
    marker, sender = f"zebra{uuid.uuid4().hex[:8]}", f"visitor-{uuid.uuid4().hex[:8]}"
    bot.ask(f"is nkt safe for someone called {marker}?", sender=sender)
    bot.ask("delete my conversation", sender=sender)
    bot.ask("/confirm_erase", sender=sender)
    logs = bot.rasa_log().read_text(errors="replace") + bot.action_log.read_text(errors="replace")
    assert "erased at its visitor's request" in logs  # the logs of this very conversation
    assert marker not in logs and sender not in logs

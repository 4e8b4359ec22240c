"""`make run`'s default: one rasa server with two Sanic workers (RASA_WORKERS), sharing the
SQLite tracker store and the SQLite lock store (endpoints.yml). Whichever worker takes a
message, the conversation goes on; two messages of one conversation sent at once are taken
one after the other."""

from __future__ import annotations

import sqlite3
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest
from conftest import QUESTIONS, TWO_AT_ONCE, assert_both_answered_in_whole_turns, continues, passages_quoted, reply_text

from actions.knowledge_base import KnowledgeBase
from scripts.bench import process_tree, proportional_mb
from scripts.bot_servers import Bot, running_bot

pytestmark = pytest.mark.scale

USERS = 16


@pytest.fixture(scope="module")
def workers() -> Iterator[Bot]:
    with running_bot(name="workers", extra_env={"SANIC_WORKERS": "2"}) as bot:
        yield bot


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def stored_events(bot: Bot, sender: str) -> List[Tuple[str, str]]:
    with sqlite3.connect(bot.endpoints.parent / "tracker.db") as connection:
        return connection.execute(
            "SELECT type_name, action_name FROM events WHERE sender_id = ? ORDER BY id", (sender,)
        ).fetchall()


def converse(bot: Bot, kb: KnowledgeBase, user: int) -> List[Tuple[str, bool]]:
    sender = f"user-{user}-{uuid.uuid4().hex[:8]}"
    first = reply_text(bot.ask(QUESTIONS[user % len(QUESTIONS)], sender=sender))
    quoted = passages_quoted(kb, first)
    results = [(first, bool(quoted))]
    for _ in (1, 2):
        text = reply_text(bot.ask("tell me more", sender=sender))
        results.append((text, continues(kb, quoted, text)))
        quoted += passages_quoted(kb, text)
    return results


def test_16_concurrent_users_are_served_by_both_workers_and_every_conversation_goes_on(
    workers: Bot, kb: KnowledgeBase
) -> None:
    assert workers.rasa is not None
    pids = process_tree(workers.rasa.pid)[1:]  # the parent's children: the workers
    assert len(pids) == 2, pids
    before = {pid: cpu_ticks(pid) for pid in pids}
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=USERS) as pool:
        conversations = list(pool.map(lambda user: converse(workers, kb, user), range(USERS * 2)))
    failures = {
        user: [text[:80] for text, ok in turns if not ok]
        for user, turns in enumerate(conversations)
        if not all(ok for _, ok in turns)
    }
    assert not failures
    used = {pid: cpu_ticks(pid) - before[pid] for pid in pids}
    # each worker did a real share of the 96 turns' CPU time (the kernel spreads the connections)
    assert min(used.values()) >= 0.25 * sum(used.values()), (used, time.monotonic() - started)
    log = workers.rasa_log().read_text(errors="replace")
    assert "LockError" not in log and "Could not acquire lock" not in log


def test_two_messages_of_one_conversation_at_once_are_taken_one_after_the_other(
    workers: Bot, kb: KnowledgeBase
) -> None:
    for attempt in range(5):  # the two requests may or may not land on different workers: try several
        sender = f"double-{attempt}-{uuid.uuid4().hex[:8]}"
        texts = [text for text, _ in TWO_AT_ONCE]
        with ThreadPoolExecutor(max_workers=2) as pool:
            replies = list(pool.map(lambda text, to=sender: reply_text(workers.ask(text, sender=to)), texts))
        assert_both_answered_in_whole_turns(kb, replies, stored_events(workers, sender))


def test_the_workers_share_the_servers_imports_and_stay_under_700_mb_together(workers: Bot) -> None:
    """The parent freezes what it imported before forking (channels/__init__.py), so the workers'
    garbage collections do not copy the pages they share with it; measured after the load above."""
    assert workers.rasa is not None
    processes = process_tree(workers.rasa.pid)
    assert len(processes) == 3
    # without the freeze they reach about 790 MB here after this load, with it about 610 MB
    assert proportional_mb(processes) <= 700

"""The SQLite lock store (stores/sqlite_lock_store.py) that lets several Sanic workers share
conversations: Rasa's ticket protocol, with each ticket change one transaction across processes."""

from __future__ import annotations

import asyncio
import multiprocessing
from pathlib import Path
from typing import List

import pytest
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig

from stores.sqlite_lock_store import SQLiteLockStore


def _issue(path: str, conversation: str, count: int) -> List[int]:
    store = SQLiteLockStore(db=path)  # one store per process, as each Sanic worker has
    return [store.issue_ticket(conversation, 30) for _ in range(count)]


def test_tickets_issued_at_once_by_four_processes_are_all_different(tmp_path: Path) -> None:
    path = str(tmp_path / "locks.db")
    SQLiteLockStore(db=path)  # the table exists before the race
    with multiprocessing.get_context("fork").Pool(4) as pool:
        tickets = sum(pool.starmap(_issue, [(path, "race", 32)] * 4), [])
    assert sorted(tickets) == list(range(128))
    store = SQLiteLockStore(db=path)
    for ticket in tickets:
        store.cleanup("race", ticket)
    assert store.get_lock("race") is None  # the last cleanup removed the lock


def test_the_endpoint_config_selects_it_and_names_its_file(tmp_path: Path) -> None:
    config = EndpointConfig(type="stores.sqlite_lock_store.SQLiteLockStore", db=str(tmp_path / "l.db"))
    store = LockStore.create(config)
    assert isinstance(store, SQLiteLockStore) and store.path == tmp_path / "l.db" and store.path.exists()


def test_a_lock_is_kept_while_someone_waits_and_deleted_after_the_last(tmp_path: Path) -> None:
    store = SQLiteLockStore(db=str(tmp_path / "locks.db"))
    first, second = store.issue_ticket("c"), store.issue_ticket("c")
    assert store.get_lock("c").is_locked(second) and not store.get_lock("c").is_locked(first)
    store.cleanup("c", first)
    assert not store.get_lock("c").is_locked(second)  # the second is served next
    store.cleanup("c", second)
    assert store.get_lock("c") is None


def test_an_expired_ticket_no_longer_blocks_the_conversation(tmp_path: Path) -> None:
    store = SQLiteLockStore(db=str(tmp_path / "locks.db"))
    store.issue_ticket("c", lock_lifetime=0.2)  # a worker that died holding the lock

    async def take() -> bool:
        async with store.lock("c", wait_time_in_seconds=0.05) as lock:
            return lock.now_serving == 1

    assert store.get_lock("c").is_locked(1)
    assert asyncio.run(asyncio.wait_for(take(), 5))
    assert store.get_lock("c") is None


def test_a_change_that_fails_leaves_the_lock_as_it_was(tmp_path: Path) -> None:
    store = SQLiteLockStore(db=str(tmp_path / "locks.db"))
    store.issue_ticket("c")

    def fail(lock):  # type: ignore[no-untyped-def]
        lock.issue_ticket(30)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store._change("c", fail)
    assert [t.number for t in store.get_lock("c").tickets] == [0]
    assert store.issue_ticket("c") == 1  # and the store goes on working

"""Shared fixtures: the knowledge base, the topic mapping, a tracker factory, the real bot, a real
PostgreSQL server and headless Chromium; and what a user sees in a conversation (the passages a
reply quotes, whether "tell me more" went on); and the markers each test gets (``unit`` unless
it needs a real server, the trained model, Chromium or the scale-out stores)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import END_OF_SUBJECT
from actions.resources import Resources, resources
from common.knowledge_base import KnowledgeBase, knowledge_base
from scripts.bot_servers import ROOT, free_port, running_bot

# a test that asks for one of these is not a unit test (a module that starts servers itself
# says so with ``pytestmark``)
MARKER_OF_FIXTURE = {"bot": "e2e", "agent": "e2e", "browser": "browser", "postgres": "scale"}
NOT_UNIT = ("e2e", "browser", "scale")


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """Mark each test by what it needs, so that ``make test-unit`` (``pytest -m unit``) runs only
    the ones that need neither a server nor the trained model."""
    for item in items:
        for fixture in set(getattr(item, "fixturenames", ())) & set(MARKER_OF_FIXTURE):
            item.add_marker(MARKER_OF_FIXTURE[fixture])
        if not any(item.get_closest_marker(name) for name in NOT_UNIT):
            item.add_marker("unit")


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return knowledge_base()


@pytest.fixture(scope="session")
def res() -> Resources:
    return resources()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def make_tracker(
    text: str,
    intent: Optional[str],
    confidence: float = 0.9,
    ranking: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
) -> Tracker:
    """A tracker whose latest message is as the NLU pipeline would have parsed it."""
    intent_data = {"name": intent, "confidence": confidence} if intent else {}
    latest = {
        "text": text,
        "intent": intent_data,
        "intent_ranking": ranking if ranking is not None else ([intent_data] if intent else []),
        "entities": [],
    }
    return Tracker(
        sender_id="test-user",
        slots=slots or {"last_topic": None},
        latest_message=latest,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture(scope="session")
def web_port() -> int:
    """The port of the test page with the chat widget, known before the bot starts: its origin
    is the one the socket.io channel must accept."""
    return free_port()


@pytest.fixture(scope="session")
def bot(web_port: int) -> Iterator[Any]:
    """The trained bot: real rasa server + action server on loopback, for the whole test session."""
    with running_bot(name="e2e", extra_env={"WEB_ORIGINS": f"http://127.0.0.1:{web_port}"}) as running:
        yield running


@pytest.fixture(scope="session")
def postgres() -> Iterator[Dict[str, str]]:
    """A real PostgreSQL server on loopback (scripts/store_servers.py): its ``DB_*`` variables."""
    from scripts.store_servers import running_postgres

    with running_postgres() as variables:
        yield variables


def postgres_store(pg: Dict[str, str], **settings: Any) -> Dict[str, Any]:
    """A SQL tracker store's keyword arguments for the ``postgres`` fixture's server."""
    return {
        "dialect": "postgresql",
        "host": pg["DB_HOST"],
        "port": int(pg["DB_PORT"]),
        "db": pg["DB_NAME"],
        "username": pg["DB_USER"],
        "password": pg["DB_PASSWORD"],
        **settings,
    }


def endpoints_file(folder: Path, store: Dict[str, Any]) -> Path:
    """An endpoints file naming the bot's tracker store with ``store``'s settings; a PostgreSQL
    ``host`` becomes its ``url``, as in endpoints.scale.yml."""
    settings = {("url" if key == "host" else key): value for key, value in store.items()}
    path = folder / "endpoints.yml"
    path.write_text(yaml.safe_dump({"tracker_store": {"type": "stores.privacy.PrivacySQLTrackerStore", **settings}}))
    return path


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("No Chromium: run the tests with `make test` (scripts/ensure-chromium installs it)")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, the system's (Playwright never downloads one); per module, as
    Playwright's sync API holds an event loop open that ``asyncio.run`` elsewhere must not meet."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield browser
        browser.close()


# What a user sees in a conversation (the scale-out and worker tests)

# Questions whose sections have more passages, so that "tell me more" has something to quote.
QUESTIONS = [
    "could you tell me what NKT actually is",
    "what role does the vagus nerve play in this therapy",
    "how does nkt compare with yoga or tai chi",
    "is nkt covered by my health insurance or do i pay myself",
]


def reply_text(replies: List[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def passages_quoted(kb: KnowledgeBase, text: str) -> List[str]:
    return [p.id for p in kb.passages if p.body in text]


def continues(kb: KnowledgeBase, before: List[str], text: str) -> bool:
    """Whether ``text`` goes on from the passages quoted ``before``, as "tell me more" does: a
    passage not quoted before, or the news that the subject has nothing more (a bot that forgot
    the conversation asks for a question first instead)."""
    if END_OF_SUBJECT.split("“")[0] in text:
        return True
    quoted = passages_quoted(kb, text)
    return bool(quoted) and not set(quoted) & set(before)


# Two messages of one conversation sent at once (to two workers or replicas)
TWO_AT_ONCE = [("is nkt safe?", "is-neurokinetic-therapy-safe"), ("/ask_cost_insurance", "cost-and-accessibility")]


def assert_both_answered_in_whole_turns(kb: KnowledgeBase, replies: List[str], events: List[Any]) -> None:
    """Each reply quotes its passage, and the stored events (type, action name) hold two whole
    turns, one after the other (user message ... action_listen). Without a shared lock both
    processes would load the same history and the second save would drop part of the first turn."""
    for (_, passage), text in zip(TWO_AT_ONCE, replies, strict=True):
        assert kb.passage(passage).body in text, text
    turns = [action or kind for kind, action in events if kind == "user" or action]
    user_turns = [i for i, step in enumerate(turns) if step == "user"]
    assert len(user_turns) == 2, turns
    assert "action_listen" in turns[user_turns[0] : user_turns[1]] and turns[-1] == "action_listen", turns


def checkout_processes() -> List[str]:
    """Every running process of this checkout (its cwd), as "PID COMMAND LINE"."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "cwd").resolve() == ROOT:
                found.append(f"{proc.name} " + (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


def environment_without_pythonwarnings() -> Dict[str, str]:
    """The environment without the Makefile's PYTHONWARNINGS: a command must be quiet on its own."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONWARNINGS"}

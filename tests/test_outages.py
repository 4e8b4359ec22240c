"""Outages, with the real servers on loopback: the rasa server restarted, the action server
stopped or too slow. Nothing said before is lost, and no message goes unanswered.

The servers are this module's own (``running_bot`` with the project's endpoints.yml: the
SQLite tracker store, its file in a temporary directory), since the tests stop them.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, List

import pytest
import socketio

from channels.guard import APOLOGY, DEFAULT_REPLY_DEADLINE_S
from common.knowledge_base import KnowledgeBase
from scripts.bot_servers import Bot, running_bot

pytestmark = pytest.mark.e2e

# the guard's deadline for the whole turn, plus half a second to send the apology and read it
APOLOGY_WITHIN_S = DEFAULT_REPLY_DEADLINE_S + 0.5
WHAT_IS_NKT = "could you tell me what NKT actually is"
WHAT_IS_NKT_PASSAGE = "neurokinetic-therapy-is-a-hands-on"


@pytest.fixture(scope="module")
def outage_bot() -> Iterator[Bot]:
    with running_bot(name="outages") as bot:
        yield bot


def reply_text(replies: List[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def timed_ask(bot: Bot, text: str, sender: str) -> tuple[str, float]:
    started = time.monotonic()
    text = reply_text(bot.ask(text, sender=sender, timeout=30))
    return text, time.monotonic() - started


def passages_quoted(kb: KnowledgeBase, text: str) -> List[str]:
    return [p.id for p in kb.passages if p.body in text]


@contextmanager
def slow_http_server(port: int, delay_s: float) -> Iterator[None]:
    """Something on the action server's port that accepts requests and answers too late."""

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            time.sleep(delay_s)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"events": [], "responses": []}')

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Slow)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def test_a_conversation_goes_on_after_the_rasa_server_restarts(outage_bot: Bot, kb: KnowledgeBase) -> None:
    sender = f"restart-{uuid.uuid4().hex[:8]}"
    first = passages_quoted(kb, reply_text(outage_bot.ask(WHAT_IS_NKT, sender=sender)))
    assert WHAT_IS_NKT_PASSAGE in first

    outage_bot.stop_rasa()
    outage_bot.start_rasa()  # same endpoints, so the same tracker database

    more = reply_text(outage_bot.ask("tell me more", sender=sender))
    sections = {kb.passage(p).section for p in first}
    quoted = passages_quoted(kb, more)
    assert quoted and not set(quoted) & set(first), more  # another passage ...
    assert {kb.passage(p).section for p in quoted} <= sections, more  # ... of the same topic


def test_with_the_action_server_stopped_a_question_gets_an_apology_at_the_guards_deadline(
    outage_bot: Bot, kb: KnowledgeBase
) -> None:
    outage_bot.stop_actions()
    try:
        text, took = timed_ask(outage_bot, "is nkt safe?", sender=f"down-{uuid.uuid4().hex[:8]}")
    finally:
        outage_bot.start_actions()
    assert text == APOLOGY and took < APOLOGY_WITHIN_S, (text, took)


def test_answers_resume_when_the_action_server_is_back_without_restarting_rasa(
    outage_bot: Bot, kb: KnowledgeBase
) -> None:
    rasa_before = outage_bot.rasa.pid
    sender = f"back-{uuid.uuid4().hex[:8]}"
    outage_bot.stop_actions()
    try:
        assert reply_text(outage_bot.ask("is nkt safe?", sender=sender)) == APOLOGY
    finally:
        outage_bot.start_actions()  # on the same port
    text = reply_text(outage_bot.ask("is nkt safe?", sender=sender))
    assert kb.passage("is-neurokinetic-therapy-safe").body in text
    assert outage_bot.rasa.pid == rasa_before and outage_bot.rasa.poll() is None


def test_a_too_slow_action_server_gets_an_apology_at_the_guards_deadline_and_answers_resume_after(
    outage_bot: Bot, kb: KnowledgeBase
) -> None:
    sender = f"slow-{uuid.uuid4().hex[:8]}"
    outage_bot.stop_actions()
    try:
        with slow_http_server(outage_bot.action_port, delay_s=20):
            text, took = timed_ask(outage_bot, "is nkt safe?", sender=sender)
    finally:
        outage_bot.start_actions()
    assert text == APOLOGY and took < APOLOGY_WITHIN_S, (text, took)
    assert kb.passage("is-neurokinetic-therapy-safe").body in reply_text(outage_bot.ask("is nkt safe?", sender=sender))


def ask_over_socketio(bot: Bot, text: str) -> tuple[List[str], float]:
    """One question from a socket.io client, as the web widget sends it; the replies and the time."""

    async def ask() -> tuple[List[str], float]:
        client = socketio.AsyncClient(reconnection=False)
        replies: List[str] = []
        confirmed, replied = asyncio.Event(), asyncio.Event()
        client.on("session_confirm", lambda _session: confirmed.set())
        client.on("bot_uttered", lambda message: (replies.append(message.get("text", "")), replied.set()))
        # the widget's origin in credentials.yml (outage_bot does not set WEB_ORIGINS); long-polling, because
        # python-engineio's websocket client needs aiohttp >= 3.10 and Rasa 3.6 pins it below
        await client.connect(bot.url, headers={"Origin": "http://127.0.0.1:8080"}, transports=["polling"])
        try:
            session_id = f"outage-{uuid.uuid4().hex[:12]}"
            await client.emit("session_request", {"session_id": session_id})
            await asyncio.wait_for(confirmed.wait(), 10)
            started = time.monotonic()
            await client.emit("user_uttered", {"message": text, "session_id": session_id})
            await asyncio.wait_for(replied.wait(), 15)
            return replies, time.monotonic() - started
        finally:
            await client.disconnect()

    return asyncio.run(ask())


def test_with_the_action_server_stopped_the_web_widget_gets_the_apology_at_the_guards_deadline(outage_bot: Bot) -> None:
    outage_bot.stop_actions()
    try:
        replies, took = ask_over_socketio(outage_bot, "is nkt safe?")
    finally:
        outage_bot.start_actions()
    assert replies == [APOLOGY] and took < APOLOGY_WITHIN_S, (replies, took)

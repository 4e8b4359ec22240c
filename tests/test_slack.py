"""End to end over Slack: the real rasa server (slack/credentials.yml) and action server, sent
signed Events API requests and button clicks; the replies land on a fake Slack Web API on loopback.

The bot starts once for the module (about 30-60 s); each test uses channels of its own, so the
posts it looks at are its own.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import re
import secrets
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple
from urllib.parse import parse_qs

import pytest
import requests
import yaml

from channels.guard import APOLOGY, DEFAULT_REPLY_DEADLINE_S
from channels.slack_blocks import escape
from scripts.bot_servers import ROOT, Bot, running_bot

pytestmark = pytest.mark.e2e

TOKEN = "xoxb-test"
SECRET = secrets.token_hex(16)
BOT_USER = "UBOTSELF1"
WAIT_S = 30  # a reply normally lands in well under a second
SETTLE_S = 2  # after a positive control: how long a reply that should not exist gets to show up


class FakeSlack:
    """Slack's Web API on 127.0.0.1: answers every method ``{"ok": true}`` and records the calls."""

    def __init__(self) -> None:
        self.calls: List[Dict[str, Any]] = []
        self.refuse_once: Set[str] = set()  # channels whose next post Slack refuses
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    body = json.loads(raw or "{}")
                else:
                    body = {key: values[0] for key, values in parse_qs(raw).items()}
                method = self.path.rstrip("/").rsplit("/", 1)[-1]
                ts = f"1900000000.{next(fake._ts):06d}"
                with fake._lock:
                    ok = body.get("channel") not in fake.refuse_once
                    fake.refuse_once.discard(body.get("channel"))
                    fake.calls.append(
                        {"method": method, "auth": self.headers.get("Authorization"), "body": body, "ts": ts, "ok": ok}
                    )
                reply = {"ok": True, "channel": body.get("channel"), "ts": ts, "message": body}
                answer = json.dumps(reply if ok else {"ok": False, "error": "channel_not_found"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeSlack":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def posts(self, channel: str) -> List[Dict[str, Any]]:
        with self._lock:
            return [c for c in self.calls if c["method"] == "chat.postMessage" and c["body"].get("channel") == channel]

    def wait_for_posts(self, channel: str, count: int = 1, timeout: float = WAIT_S) -> List[Dict[str, Any]]:
        """The channel's posts once there are ``count`` of them (polled, bounded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            posts = self.posts(channel)
            if len(posts) >= count:
                return posts
            time.sleep(0.05)
        raise AssertionError(f"{count} post(s) to {channel} expected within {timeout} s, got {self.posts(channel)}")

    def settled_posts(self, channel: str, count: int) -> List[Dict[str, Any]]:
        """Wait for ``count`` posts, then a little longer, so that an extra one would show."""
        self.wait_for_posts(channel, count)
        time.sleep(SETTLE_S)
        return self.posts(channel)


class Slack:
    """Sends what Slack sends: signed Events API requests and interaction payloads."""

    def __init__(self, bot: Bot, fake: FakeSlack) -> None:
        self.bot, self.fake = bot, fake
        self.url = f"{bot.url}/webhooks/slack/webhook"
        self._ts = itertools.count(1)

    def new_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def post(
        self,
        body: bytes,
        content_type: str,
        secret: str = SECRET,
        timestamp: Optional[int] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> requests.Response:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
        signed = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": f"v0={digest}",
            **(headers or {}),
        }
        return requests.post(self.url, data=body, headers=signed, timeout=10)

    def event(self, event: Dict[str, Any], **kwargs: Any) -> requests.Response:
        body = {
            "token": "unused",
            "team_id": "T0000TEST",
            "api_app_id": "A0000TEST",
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T0000TEST", "user_id": BOT_USER, "is_bot": True}],
            "event": {"event_ts": event.get("ts"), **event},
        }
        return self.post(json.dumps(body).encode(), "application/json", **kwargs)

    def dm(self, channel: str, text: str, ts: Optional[str] = None, **fields: Any) -> Dict[str, Any]:
        return {"type": "message", "channel_type": "im", "channel": channel, "user": user_of(channel), "text": text,
                "ts": ts or self.new_ts(), **fields}  # fmt: skip

    def mention(self, channel: str, text: str) -> Dict[str, Any]:
        return {"type": "app_mention", "channel": channel, "user": user_of(channel), "text": f"<@{BOT_USER}> {text}",
                "ts": self.new_ts()}  # fmt: skip

    def click(self, post: Dict[str, Any], button: Dict[str, Any]) -> requests.Response:
        """What Slack sends when the user clicks ``button`` of the bot's message ``post``."""
        message = {"type": "message", "user": BOT_USER, "ts": post["ts"], "text": post["body"]["text"]}
        if post["body"].get("thread_ts"):
            message["thread_ts"] = post["body"]["thread_ts"]
        channel = post["body"]["channel"]
        payload = {
            "type": "block_actions",
            "user": {"id": user_of(channel), "username": "person", "team_id": "T0000TEST"},
            "api_app_id": "A0000TEST",
            "container": {"type": "message", "message_ts": post["ts"], "channel_id": channel, "is_ephemeral": False},
            "channel": {"id": channel, "name": "directmessage" if channel.startswith("D") else "general"},
            "message": message,
            "actions": [{**button, "block_id": "b1", "action_ts": str(time.time())}],
        }
        body = "payload=" + requests.utils.quote(json.dumps(payload), safe="")
        return self.post(body.encode(), "application/x-www-form-urlencoded")


def new_channel(kind: str) -> str:
    return f"{kind}{uuid.uuid4().hex[:10].upper()}"


def user_of(channel: str) -> str:
    """A person per channel: each test is a conversation of its own, whatever the granularity."""
    return f"U{channel[1:]}"


def blocks_of(post: Dict[str, Any], kind: str) -> List[Dict[str, Any]]:
    return [b for b in post["body"].get("blocks", []) if b["type"] == kind]


def section_texts(post: Dict[str, Any]) -> List[str]:
    return [b["text"]["text"] for b in blocks_of(post, "section")]


def unmarked_texts(post: Dict[str, Any]) -> List[str]:
    """The sections' texts without the bold of the title and of the answering sentence."""
    return [text.replace("*", "") for text in section_texts(post)]


def context_text(post: Dict[str, Any]) -> str:
    return " ".join(e["text"] for b in blocks_of(post, "context") for e in b["elements"])


def buttons_of(post: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [e for b in blocks_of(post, "actions") for e in b["elements"]]


def titles_quoting(res: Any, passage_id: str) -> List[str]:
    """Titles of the topics whose answer starts with the passage (any of them may title it)."""
    return [t.title for t in res.topics.values() if t.passages[0].id == passage_id]


@pytest.fixture(scope="module")
def slack() -> Iterator[Slack]:
    with FakeSlack() as fake:
        env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url}
        with running_bot(name="slack", credentials=ROOT / "slack" / "credentials.yml", extra_env=env) as bot:
            yield Slack(bot, fake)


def test_url_verification_answers_with_the_challenge(slack):
    challenge = secrets.token_urlsafe(24)
    body = json.dumps({"token": "unused", "challenge": challenge, "type": "url_verification"}).encode()
    answer = slack.post(body, "application/json")
    assert answer.status_code == 200
    assert answer.text == challenge


def test_a_dm_question_gets_one_post_with_bold_title_verbatim_passage_marked_sentence_source_and_buttons(
    slack, kb, res
):
    entry = kb.faq[0]
    channel = new_channel("D")
    assert slack.event(slack.dm(channel, entry.question)).status_code == 200
    (post,) = slack.fake.settled_posts(channel, 1)  # Rasa's own channel posts one message per paragraph
    assert post["auth"] == f"Bearer {TOKEN}"
    assert "thread_ts" not in post["body"]  # DMs are not threaded
    title, passage = section_texts(post)
    assert title in [f"*{escape(t)}*" for t in titles_quoting(res, entry.answer.id)]
    # verbatim, with the sentence that answers in bold: one sentence of the passage, whole
    assert passage.replace("*", "") == escape(entry.answer.body)
    assert passage.count("*") == 2
    bold = passage.split("*")[1]
    assert bold in [escape(entry.answer.body[a:b]) for a, b in res.marker.spans[entry.answer.id]]
    assert context_text(post) == escape(f"Source: FAQ › {entry.question}")
    assert "/not_what_i_asked" in [b["value"] for b in buttons_of(post)]
    assert escape(entry.answer.body) in post["body"]["text"]  # the notification / fallback text


def test_an_app_mention_in_a_channel_is_answered_in_a_thread_under_the_question(slack, kb):
    channel = new_channel("C")
    event = slack.mention(channel, "is nkt covered by my health insurance or do i pay myself")
    slack.event(event)
    (post,) = slack.fake.wait_for_posts(channel)
    assert post["body"]["thread_ts"] == event["ts"]
    assert escape(kb.passage("cost-and-accessibility").body) in unmarked_texts(post)


def test_a_mention_inside_a_thread_is_answered_in_that_thread(slack, kb):
    channel, root = new_channel("C"), slack.new_ts()
    event = {**slack.mention(channel, "is neurokinetic therapy safe?"), "thread_ts": root}
    slack.event(event)
    (post,) = slack.fake.wait_for_posts(channel)
    assert post["body"]["thread_ts"] == root


def answer_to_click(slack: Slack, res: Any, post: Dict[str, Any]) -> Tuple[Any, Dict[str, Any]]:
    """Click the first topic button of ``post``; return the topic and the bot's new post."""
    button = next(b for b in buttons_of(post) if b["value"].startswith("/ask_"))
    topic = res.topics[button["value"][1:]]
    channel = post["body"]["channel"]
    assert slack.click(post, button).status_code == 200
    return topic, slack.fake.wait_for_posts(channel, 2)[1]


def test_clicking_a_button_in_a_channel_thread_answers_that_topic_in_the_same_thread(slack, res):
    channel = new_channel("C")
    event = slack.mention(channel, "what is neurokinetic therapy?")
    slack.event(event)
    (question_post,) = slack.fake.wait_for_posts(channel)
    topic, answer = answer_to_click(slack, res, question_post)
    assert answer["body"]["channel"] == channel
    assert answer["body"]["thread_ts"] == event["ts"]
    assert section_texts(answer)[0] == f"*{escape(topic.title)}*"
    assert escape(topic.passages[0].body) in unmarked_texts(answer)


def test_clicking_a_button_in_a_dm_answers_that_topic_in_the_dm_unthreaded(slack, res):
    channel = new_channel("D")
    slack.event(slack.dm(channel, "what is neurokinetic therapy?"))
    (question_post,) = slack.fake.wait_for_posts(channel)
    topic, answer = answer_to_click(slack, res, question_post)
    assert "thread_ts" not in answer["body"]
    assert escape(topic.passages[0].body) in unmarked_texts(answer)


def test_a_message_without_a_quote_is_one_escaped_section_not_a_post_per_paragraph(slack):
    channel = new_channel("D")
    slack.event(slack.dm(channel, "I want to end my life"))
    (post,) = slack.fake.settled_posts(channel, 1)
    (text,) = section_texts(post)
    assert "Suicide &amp; Crisis Lifeline" in text  # the safety message, escaped for Slack
    assert not blocks_of(post, "context")


def rejected_then_control(
    slack: Slack, send_rejected: Callable[[str], requests.Response]
) -> Tuple[requests.Response, List[Dict[str, Any]]]:
    """Send the request under test, then a genuine question to the same DM (the positive control);
    return the DM's posts once the control's answer is in and an extra post had time to appear."""
    channel = new_channel("D")
    rejected = send_rejected(channel)
    slack.event(slack.dm(channel, "is neurokinetic therapy safe?"))
    posts = slack.fake.settled_posts(channel, 1)
    return rejected, posts


def test_a_forged_signature_is_rejected_and_nothing_is_posted(slack):
    rejected, posts = rejected_then_control(
        slack, lambda channel: slack.event(slack.dm(channel, "what is nkt?"), secret="not-the-signing-secret")
    )
    assert rejected.status_code == 401
    assert len(posts) == 1


def test_a_request_older_than_five_minutes_is_rejected_and_nothing_is_posted(slack):
    stale = int(time.time()) - 6 * 60  # correctly signed, but replayable
    rejected, posts = rejected_then_control(
        slack, lambda channel: slack.event(slack.dm(channel, "what is nkt?"), timestamp=stale)
    )
    assert rejected.status_code == 401
    assert len(posts) == 1


@pytest.mark.parametrize("reason", ["http_timeout", "http_error", "connection_failed"])
def test_a_slack_retry_of_an_answered_message_is_acknowledged_without_a_second_reply(slack, reason):
    channel = new_channel("D")
    event = slack.dm(channel, "what is nkt?")
    slack.event(event)
    slack.fake.wait_for_posts(channel)
    retry = slack.event(event, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": reason})
    assert retry.status_code == 200
    assert retry.headers.get("X-Slack-No-Retry") == "1"
    assert len(slack.fake.settled_posts(channel, 1)) == 1


def test_a_retry_of_a_message_that_never_arrived_is_answered(slack):
    channel = new_channel("D")
    slack.event(
        slack.dm(channel, "what is nkt?"), headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_error"}
    )
    assert len(slack.fake.wait_for_posts(channel)) == 1


def test_the_bot_ignores_its_own_posts_and_other_bots_so_it_never_loops(slack):
    channel = new_channel("D")
    echoes = [
        slack.dm(channel, "Neurokinetic therapy is a hands-on approach", user=BOT_USER, bot_id="BSELF"),
        slack.dm(channel, "what is nkt?", user=BOT_USER),  # our bot user, even without bot_id
        slack.dm(channel, "what is nkt?", user="UOTHERBOT", bot_id="BOTHER", subtype="bot_message"),
        slack.dm(channel, "what is nkt?", subtype="channel_join"),
    ]
    for echo in echoes:
        assert slack.event(echo).status_code == 200
    slack.event(slack.dm(channel, "is neurokinetic therapy safe?"))  # the positive control
    assert len(slack.fake.settled_posts(channel, 1)) == 1


# make's own line after a failed recipe: "make: *** …", "make[1]: *** …" under make test
MAKE_ERROR = re.compile(r"make(\[\d+\])?: \*\*\*")


def test_make_slack_names_each_missing_variable_before_starting_anything():
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    cases = [({}, ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]), ({"SLACK_BOT_TOKEN": TOKEN}, ["SLACK_SIGNING_SECRET"])]
    for extra, missing in cases:
        done = subprocess.run(
            ["make", "--no-print-directory", "slack"], cwd=ROOT, env={**env, **extra}, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode != 0
        assert all(name in done.stderr for name in missing)  # every missing one, at once
        said = [line for line in done.stderr.splitlines() if line.strip() and not MAKE_ERROR.match(line)]
        assert len(said) == 1  # one sentence


def test_only_the_slack_credentials_need_slack_variables_and_they_keep_the_other_channels():
    root = (ROOT / "credentials.yml").read_text()
    assert "${" not in root  # make shell / make run work without any Slack set-up
    slack_channels = yaml.safe_load((ROOT / "slack" / "credentials.yml").read_text())
    assert set(yaml.safe_load(root) or {}) <= set(slack_channels)


def test_the_app_manifest_subscribes_to_what_the_channel_answers_with_the_scopes_it_needs():
    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yml").read_text())
    settings, scopes = manifest["settings"], set(manifest["oauth_config"]["scopes"]["bot"])
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert {"app_mentions:read", "im:history", "chat:write"} <= scopes  # the events' and posting's scopes
    urls = [settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]]
    assert all(url.startswith("https://") and url.endswith("/webhooks/slack/webhook") for url in urls)
    assert settings["interactivity"]["is_enabled"] and not settings["socket_mode_enabled"]
    assert manifest["features"]["app_home"]["messages_tab_enabled"]  # or nobody can DM the bot


def test_an_answer_slack_refuses_is_logged_and_the_conversation_goes_on(slack, res):
    channel = new_channel("D")
    slack.fake.refuse_once.add(channel)
    slack.event(slack.dm(channel, "what is neurokinetic therapy?"))
    slack.fake.wait_for_posts(channel)
    slack.event(slack.dm(channel, "tell me more"))
    refused, more = slack.fake.wait_for_posts(channel, 2)
    assert not refused["ok"] and more["ok"]
    # the refused turn was still saved: "tell me more" continues it instead of asking for a question first
    assert blocks_of(more, "context"), more["body"]["text"]


def test_with_the_action_server_stopped_a_dm_gets_the_apology_at_the_guards_deadline(slack):
    channel = new_channel("D")
    slack.bot.stop_actions()
    try:
        started = time.monotonic()
        assert slack.event(slack.dm(channel, "is nkt safe?")).status_code == 200
        (post,) = slack.fake.wait_for_posts(channel, timeout=10)
        took = time.monotonic() - started
    finally:
        slack.bot.start_actions()
    # the guard's deadline for the turn, plus a second for Slack's event and post on loopback
    assert APOLOGY in post["body"]["text"] and took < DEFAULT_REPLY_DEADLINE_S + 1, (post["body"]["text"], took)


def test_make_slack_names_every_missing_variable_at_once():
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and not k.startswith("MAKE")}
    run = subprocess.run(["make", "--no-print-directory", "slack"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode != 0
    assert "not set: SLACK_BOT_TOKEN SLACK_SIGNING_SECRET." in run.stderr

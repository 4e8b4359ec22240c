"""The web chat widget, end to end: the page served by scripts/web_server.py, the real rasa server
(socket.io channel) and action server, driven in headless Chromium by Playwright.

The browser is the system's Chromium (scripts/ensure-chromium, run by `make test`, installs
Debian's package when none is found); Playwright never downloads one. Every request that
does not go to 127.0.0.1 is aborted, so nothing leaves the machine.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Iterator, List
from urllib.parse import urlsplit

import pytest
import requests

from scripts.web_server import make_server

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / ".logs" / "web-widget.png"
TIMEOUT_MS = 30_000
INJECTION = '<img src=x onerror="window.__injected = true; alert(1)">'


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("No Chromium: run the tests with `make test` (scripts/ensure-chromium installs it)")
    return path


@pytest.fixture(scope="module")
def page_url(bot, web_port: int) -> Iterator[str]:
    server = make_server("127.0.0.1", web_port, bot.url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{web_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, page_url: str) -> Iterator[object]:
    """A fresh browser profile (empty localStorage) with the page open and the greeting shown."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", _loopback_only)
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(page_url)
    # the greeting, unasked: what the assistant is, then the main topics as buttons
    expect(page.locator("#nkt-chat-log .from-bot .quick-replies")).to_have_count(1, timeout=TIMEOUT_MS)
    yield page
    context.close()


def _loopback_only(route) -> None:
    host = urlsplit(route.request.url).hostname
    route.continue_() if host in ("127.0.0.1", "localhost") else route.abort()


def bot_messages(page):
    return page.locator("#nkt-chat-log .from-bot")


def ask(page, text: str) -> None:
    before = bot_messages(page).count()
    page.fill("#nkt-chat-input", text)
    page.press("#nkt-chat-input", "Enter")
    expect(bot_messages(page)).to_have_count(before + 1, timeout=TIMEOUT_MS)


def test_the_page_shows_the_article_with_an_anchor_per_section_and_passage(page, kb):
    for section in kb.sections:
        assert page.locator(f"section#{section.anchor}").count() == 1
    faq = kb.faq[0].answer
    expect(page.locator(f"#p-{faq.id}")).to_have_text(faq.body)


def test_the_greeting_says_what_the_assistant_is_and_offers_topics_as_buttons(page):
    assert "article" in bot_messages(page).first.inner_text().lower()
    assert "not a clinician" in bot_messages(page).first.inner_text()
    assert bot_messages(page).last.locator(".quick-replies button").count() >= 3


def test_a_faq_question_shows_its_passage_with_a_bold_title_and_a_source_linked_to_the_passage(page, kb):
    entry = next(e for e in kb.faq if e.answer.id == "is-neurokinetic-therapy-safe")
    ask(page, entry.question)
    answer = bot_messages(page).last
    expect(answer.locator("blockquote")).to_have_text(entry.answer.body)
    assert answer.locator("strong").count() >= 1  # the topic's title, in bold
    source = answer.locator(".quote-source a")
    expect(source).to_have_text(f"FAQ › {entry.question}")
    assert source.get_attribute("href") == f"#p-{entry.answer.id}"
    source.click()
    assert page.evaluate("location.hash") == f"#p-{entry.answer.id}"
    expect(page.locator(f"#p-{entry.answer.id}")).to_be_in_viewport()
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))


def test_clicking_a_suggestion_button_answers_that_topic(page, res):
    before = bot_messages(page).count()
    button = bot_messages(page).last.locator(".quick-replies button").first
    title = button.inner_text()
    topic = next(t for t in res.topics.values() if t.title == title)
    button.click()
    expect(page.locator("#nkt-chat-log .from-user p").last).to_have_text(title)
    expect(bot_messages(page)).to_have_count(before + 1, timeout=TIMEOUT_MS)
    quoted = bot_messages(page).last.locator("blockquote").all_inner_texts()
    assert quoted == [p.body for p in topic.passages]


def test_after_a_reload_the_history_is_shown_and_the_conversation_goes_on(page, kb):
    ask(page, "how much does nkt cost?")
    cost = kb.passage("cost-and-accessibility")
    session = page.locator("#nkt-chat").get_attribute("data-session")
    texts_before: List[str] = page.locator("#nkt-chat-log .message").all_inner_texts()

    page.reload()
    expect(page.locator("#nkt-chat-log .message")).to_have_count(len(texts_before))
    assert page.locator("#nkt-chat-log .message").all_inner_texts() == texts_before
    expect(page.locator("#nkt-chat")).to_have_attribute("data-session", session, timeout=TIMEOUT_MS)

    ask(page, "tell me more")  # the rasa tracker kept the topic across the reload
    more = bot_messages(page).last
    quoted = more.locator("blockquote").inner_text()
    assert quoted != cost.body
    assert quoted in [p.body for p in kb.section_passages(cost.section)]


def test_html_in_a_message_is_shown_as_text_and_never_run(page):
    ask(page, INJECTION)
    expect(page.locator("#nkt-chat-log .from-user p").last).to_have_text(INJECTION)
    assert page.locator("#nkt-chat-log img").count() == 0
    assert page.evaluate("window.__injected === undefined")
    assert page.dialogs == []


def test_the_widget_works_from_the_keyboard_alone(page, kb):
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "nkt-chat-input"
    before = bot_messages(page).count()
    page.keyboard.type("is neurokinetic therapy safe?")
    page.keyboard.press("Enter")
    expect(bot_messages(page)).to_have_count(before + 1, timeout=TIMEOUT_MS)
    expect(bot_messages(page).last.locator("blockquote")).to_have_text(kb.passage("is-neurokinetic-therapy-safe").body)
    bot_messages(page).last.locator(".quick-replies button").first.focus()
    page.keyboard.press("Enter")
    expect(bot_messages(page).nth(before + 1)).to_be_visible(timeout=TIMEOUT_MS)


def test_a_message_over_the_limit_or_of_the_wrong_shape_gets_a_clear_reply_over_socketio(page):
    """Raw socket.io events, as a broken or hostile client would send them."""
    replies = page.evaluate(
        """async (url) => {
            const socket = io(url, { transports: ["websocket"] });
            const replies = [];
            socket.on("bot_uttered", (m) => replies.push(m.text));
            await new Promise((ok) => socket.on("session_confirm", ok).emit("session_request", {}));
            const session_id = "a-test-session-0001";
            await new Promise((ok) => socket.on("session_confirm", ok).emit("session_request", { session_id }));
            socket.emit("user_uttered", { message: "x".repeat(100000), session_id });
            socket.emit("user_uttered", "not an object");
            socket.emit("user_uttered", { message: { nested: 1 }, session_id });
            socket.emit("user_uttered", { message: "is nkt safe?", session_id });
            const deadline = Date.now() + 30000;
            while (replies.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
            socket.close();
            return replies;
        }""",
        page.locator("#nkt-chat").get_attribute("data-rasa-url"),
    )
    assert len(replies) == 4
    assert any("100,000 characters" in r and "1,000" in r for r in replies)
    assert any("objects like" in r for r in replies)
    assert any("only read text" in r for r in replies)
    assert any("safe" in r.lower() and "Source:" in r for r in replies)  # the channel still answers


def test_the_socketio_channel_refuses_a_foreign_origin(bot, web_port):
    handshake = f"{bot.url}/socket.io/?EIO=4&transport=polling"
    assert requests.get(handshake, headers={"Origin": f"http://127.0.0.1:{web_port}"}, timeout=10).status_code == 200
    foreign = requests.get(handshake, headers={"Origin": "http://evil.example"}, timeout=10)
    assert foreign.status_code == 400
    assert "access-control-allow-origin" not in {k.lower() for k in foreign.headers}

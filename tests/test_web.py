"""The web chat widget, end to end: the page served by scripts/web_server.py, the real rasa server
(socket.io channel) and action server, driven in headless Chromium by Playwright.

The browser is the system's Chromium (scripts/ensure-chromium, run by `make test`, installs
Debian's package when none is found); Playwright never downloads one. Every request that
does not go to 127.0.0.1 is aborted, so nothing leaves the machine.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Iterator, List
from urllib.parse import urlsplit

import playwright.sync_api as playwright_api  # a missing Playwright fails the run, never skips
import pytest
import requests

from scripts.web_server import make_server

pytestmark = pytest.mark.browser

expect = playwright_api.expect

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / ".logs" / "web-widget.png"
TIMEOUT_MS = 30_000
INJECTION = '<img src=x onerror="window.__injected = true; alert(1)">'


@pytest.fixture(scope="module")
def page_url(bot, web_port: int) -> Iterator[str]:
    server = make_server("127.0.0.1", web_port, bot.url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{web_port}/"
    server.shutdown()
    server.server_close()


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


@pytest.mark.parametrize("width", [1280, 320])
def test_the_answering_sentence_is_marked_in_the_quote_and_in_the_article_when_the_source_is_followed(page, res, width):
    page.set_viewport_size({"width": width, "height": 900})
    if width < 960:
        page.click("#nkt-chat-open")  # narrow: the chat is a panel the launcher opens
    passage = res.kb.passage("cost-and-accessibility")
    ask(page, "is nkt covered by my health insurance or do i pay myself")
    answer = bot_messages(page).last
    quote = answer.locator("blockquote").first
    expect(quote).to_have_text(passage.body)  # verbatim: the mark adds no word
    mark = quote.locator("mark")
    expect(mark).to_have_count(1)
    sentences = [passage.body[a:b] for a, b in res.marker.spans[passage.id]]
    assert mark.inner_text() in sentences
    expect(mark).to_be_visible()
    answer.locator(".quote-source a").first.click()
    in_article = page.locator(f"#p-{passage.id} mark")
    expect(in_article).to_have_text(mark.inner_text())
    expect(page.locator(f"#p-{passage.id}")).to_have_text(passage.body)
    expect(in_article).to_be_in_viewport()
    page.screenshot(path=str(SCREENSHOT.with_name(f"web-marked-{width}.png")))


def test_on_a_phone_the_chat_is_one_tap_away_and_a_followed_source_leads_back_to_the_conversation(page, kb):
    page.set_viewport_size({"width": 390, "height": 844})
    page.evaluate("window.scrollTo(0, 0)")
    launcher = page.locator("#nkt-chat-open")
    expect(launcher).to_be_in_viewport()  # on the first screen, without scrolling
    expect(page.locator("#nkt-chat")).to_be_hidden()
    box = launcher.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24
    launcher.click()
    expect(page.locator("#nkt-chat-input")).to_be_focused()
    panel = page.locator("#nkt-chat").bounding_box()
    assert panel["y"] == 0 and panel["height"] >= 844 - 1 and panel["width"] >= 390 - 1  # full height
    entry = next(e for e in kb.faq if e.answer.id == "is-neurokinetic-therapy-safe")
    ask(page, entry.question)
    page.screenshot(path=str(SCREENSHOT.with_name("web-phone.png")))
    answers = bot_messages(page).count()
    bot_messages(page).last.locator(".quote-source a").click()
    expect(page.locator(f"#p-{entry.answer.id}")).to_be_in_viewport()
    expect(page.locator("#nkt-chat")).to_be_hidden()
    expect(launcher).to_have_text("Back to the chat")
    launcher.click()  # one tap back to the conversation, kept whole
    expect(bot_messages(page)).to_have_count(answers)
    ask(page, "how much does it cost")
    page.keyboard.press("Escape")
    expect(page.locator("#nkt-chat")).to_be_hidden()
    expect(launcher).to_be_focused()


def test_on_a_wide_screen_the_chat_sits_beside_the_article_without_a_launcher(page):
    expect(page.locator("#nkt-chat-open")).to_be_hidden()
    expect(page.locator("#nkt-chat")).to_be_visible()
    article = page.locator("main.article").bounding_box()
    chat = page.locator("#nkt-chat").bounding_box()
    assert 0 <= chat["x"] - (article["x"] + article["width"]) <= 1  # side by side, no empty gap between


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


def test_after_a_choice_its_buttons_are_disabled_the_choice_shown_and_announced_even_after_a_reload(page):
    greeting = bot_messages(page).last
    greeting.locator(".quick-replies button").first.focus()
    title = greeting.locator(".quick-replies button").first.inner_text()
    page.keyboard.press("Enter")
    answer = page.locator("#nkt-chat-log .from-bot").filter(has=page.locator("blockquote")).last
    expect(answer).to_be_visible(timeout=TIMEOUT_MS)
    # announced: the choice is the visitor's message, added to the conversation's live region
    expect(page.locator("[aria-live='polite'] .from-user").last).to_have_text("You said: " + title)
    expect(page.locator("#nkt-chat-log")).to_be_focused()  # the focus stays in the conversation
    for _ in (1, 2):
        buttons = bot_messages(page).first.locator(".quick-replies button")
        for i in range(buttons.count()):
            expect(buttons.nth(i)).to_be_disabled()
            expect(buttons.nth(i)).to_have_attribute("aria-pressed", "true" if i == 0 else "false")
        page.reload()
        expect(answer).to_be_visible(timeout=TIMEOUT_MS)
    # a related topic chosen from an answer disables the other suggestions, not its verdicts
    answered = page.locator("#nkt-chat-log .from-bot").filter(has=page.locator("blockquote"))
    count = answered.count()
    this_answer = answered.nth(count - 1)  # pinned: `.last` moves on to the next answer
    suggestions = this_answer.locator(".quick-replies button:not([data-verdict])")
    assert suggestions.count() >= 1
    suggestions.first.click()
    expect(answered).to_have_count(count + 1, timeout=TIMEOUT_MS)
    for i in range(suggestions.count()):
        expect(suggestions.nth(i)).to_be_disabled()
    expect(this_answer.get_by_role("button", name="Helpful", exact=True)).to_be_enabled()
    expect(this_answer.get_by_role("button", name="Not helpful")).to_be_enabled()


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page) -> List[str]:
    """axe-core (from npm, run inside the page) on the whole page: WCAG 2.2 A and AA rules."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # from the page's own origin, as the page's Content-Security-Policy (script-src 'self') allows
        page.route("**/test-only/axe.min.js", lambda route: route.fulfill(path=str(AXE)))
        page.add_script_tag(url="/test-only/axe.min.js")
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))",
        WCAG_22_A_AA,
    )
    return found


def undersized_buttons(page) -> List[str]:
    """Visible buttons smaller than 24x24 CSS px (WCAG 2.2, 2.5.8 Target Size (Minimum))."""
    return page.evaluate(
        """() => [...document.querySelectorAll("button")].filter(b => b.getClientRects().length)
             .map(b => [b.textContent, b.getBoundingClientRect()])
             .filter(([, r]) => r.width < 24 || r.height < 24)
             .map(([t, r]) => `${t} ${r.width}x${r.height}`)"""
    )


def focus_hidden_behind_the_widget(page, presses: int = 80) -> List[str]:
    """Tab through the page: the focused element whose middle is under something else (the
    launcher, the chat panel), or that is out of the viewport (WCAG 2.2, 2.4.11)."""
    hidden = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        where = page.evaluate(
            """() => {
                 const el = document.activeElement;
                 if (!el || el === document.body) return null;
                 const r = el.getBoundingClientRect();
                 const x = r.left + Math.min(r.width / 2, 10), y = r.top + r.height / 2;
                 const top = document.elementFromPoint(x, y);
                 const seen = top && (el === top || el.contains(top) || top.contains(el));
                 return seen ? null : (el.id || el.tagName) + " '" + el.textContent.slice(0, 40) + "'";
               }"""
        )
        if where:
            hidden.append(where)
    return hidden


@pytest.mark.parametrize("width", [1280, 320])
def test_the_answered_page_meets_wcag_2_2_a_and_aa_with_reachable_targets_and_visible_focus(page, width):
    page.set_viewport_size({"width": width, "height": 900 if width > 320 else 640})
    if width < 960:
        page.click("#nkt-chat-open")
    ask(page, "is neurokinetic therapy safe?")
    assert axe_violations(page) == []
    assert undersized_buttons(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # reflows: no sideways scrolling
    assert focus_hidden_behind_the_widget(page) == []
    if width < 960:  # the panel closed: the article with the launcher over it
        page.focus("#nkt-chat-input")
        page.keyboard.press("Escape")
        expect(page.locator("#nkt-chat")).to_be_hidden()
        for covered in (".skip-link", "main.article"):  # reachable again
            assert not page.eval_on_selector(covered, "element => element.inert")
        assert axe_violations(page) == []
        assert undersized_buttons(page) == []
        assert focus_hidden_behind_the_widget(page) == []


def test_helpful_is_chosen_from_the_keyboard_then_both_verdicts_are_disabled_even_after_a_reload(page):
    ask(page, "is neurokinetic therapy safe?")
    answer = bot_messages(page).nth(bot_messages(page).count() - 1)  # this answer, not the last message
    helpful = answer.get_by_role("button", name="Helpful", exact=True)
    helpful.focus()
    page.keyboard.press("Enter")
    expect(bot_messages(page).last).to_contain_text("Thanks for telling me", timeout=TIMEOUT_MS)
    for verdicts in (answer, None):
        if verdicts is None:  # the choice survives a reload
            page.reload()
            verdicts = page.locator("#nkt-chat-log .from-bot").filter(has=page.locator("blockquote")).last
        expect(verdicts.get_by_role("button", name="Helpful", exact=True)).to_be_disabled()
        expect(verdicts.get_by_role("button", name="Helpful", exact=True)).to_have_attribute("aria-pressed", "true")
        expect(verdicts.get_by_role("button", name="Not helpful")).to_be_disabled()
        expect(verdicts.get_by_role("button", name="Not helpful")).to_have_attribute("aria-pressed", "false")


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


def test_delete_this_conversation_asks_then_erases_it_on_the_server_and_in_the_browser(page, bot):
    ask(page, "is nkt safe for someone with a bad back?")
    session = page.locator("#nkt-chat").get_attribute("data-session")
    tracker_db = Path(bot.endpoints).parent / "tracker.db"
    with sqlite3.connect(tracker_db) as db:
        assert db.execute("SELECT 1 FROM events WHERE sender_id = ?", (session,)).fetchall()  # stored so far
    page.click("#nkt-chat-erase")
    expect(bot_messages(page).last.locator(".quick-replies button")).to_have_count(2, timeout=TIMEOUT_MS)
    before = bot_messages(page).count()
    bot_messages(page).last.locator(".quick-replies button", has_text="Yes, delete it").click()
    expect(page.locator("#nkt-chat-log .message")).to_have_count(1, timeout=TIMEOUT_MS)  # only the "done"
    assert "has been deleted" in bot_messages(page).last.inner_text() and before >= 2
    expect(page.locator("#nkt-chat")).not_to_have_attribute("data-session", session, timeout=TIMEOUT_MS)
    stored = page.evaluate("localStorage.getItem('nkt-chat')") or ""
    assert session not in stored and "bad back" not in stored
    with sqlite3.connect(tracker_db) as db:
        assert not db.execute("SELECT 1 FROM events WHERE sender_id = ?", (session,)).fetchall()


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


# Each is sent alone on a raw socket; every one must get at least one non-empty reply.
ODD_SOCKET_MESSAGES = {
    "100 KB": {"message": "x" * 100_000},
    "not an object": "not an object",
    "message not text": {"message": {"nested": 1}},
    "empty": {"message": ""},
    "whitespace": {"message": "   \n\t "},
    "control characters": {"message": "is nkt\u0000\u0007 safe?\u001b[2J"},
    "lone surrogate": {"message": "is nkt safe? \ud800"},
    "emoji and right-to-left": {"message": "🧘‍♀️ هل العلاج آمن؟ is nkt safe?"},
    "HTML": {"message": "<script>window.__injected = true</script>is nkt safe?"},
    "SQL": {"message": "'; DROP TABLE events; --"},
    "huge session id": {"message": "is nkt safe?", "session_id": "s" * 10_000},
}


@pytest.mark.parametrize("payload", ODD_SOCKET_MESSAGES.values(), ids=ODD_SOCKET_MESSAGES.keys())
def test_odd_socketio_messages_get_a_reply_and_the_channel_goes_on_answering(page, payload):
    """Raw socket.io events, as a broken or hostile client would send them."""
    replies = page.evaluate(
        """async ([url, payload]) => {
            const socket = io(url, { transports: ["websocket"] });
            const replies = [];
            socket.on("bot_uttered", (m) => replies.push(m.text));
            const session_id = "odd-" + Math.random().toString(36).slice(2, 12);
            await new Promise((ok) => socket.on("session_confirm", ok).emit("session_request", { session_id }));
            const wait = async (n) => {
                const deadline = Date.now() + 30000;
                while (replies.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
                await new Promise((r) => setTimeout(r, 300)); // any further bubble of the same turn
            };
            socket.emit("user_uttered", typeof payload === "object" ? { session_id, ...payload } : payload);
            await wait(1);
            const odd = replies.splice(0);
            socket.emit("user_uttered", { message: "is nkt safe?", session_id });
            await wait(1);
            socket.close();
            return { odd, after: replies };
        }""",
        [page.locator("#nkt-chat").get_attribute("data-rasa-url"), payload],
    )
    assert replies["odd"] and all(text.strip() for text in replies["odd"])
    assert any("Source: FAQ › Is neurokinetic therapy safe?" in text for text in replies["after"])
    assert page.evaluate("window.__injected === undefined")


def test_socketio_replies_say_what_was_wrong_with_a_message(page):
    [long, shape, not_text] = [
        page.evaluate(
            """async ([url, payload]) => {
                const socket = io(url, { transports: ["websocket"] });
                const reply = new Promise((ok) => socket.on("bot_uttered", (m) => ok(m.text)));
                const session_id = "why-" + Math.random().toString(36).slice(2, 12);
                await new Promise((ok) => socket.on("session_confirm", ok).emit("session_request", { session_id }));
                socket.emit("user_uttered", typeof payload === "object" ? { session_id, ...payload } : payload);
                const text = await reply;
                socket.close();
                return text;
            }""",
            [page.locator("#nkt-chat").get_attribute("data-rasa-url"), ODD_SOCKET_MESSAGES[key]],
        )
        for key in ("100 KB", "not an object", "message not text")
    ]
    assert "100,000 characters" in long and "1,000" in long
    assert "objects like" in shape
    assert "only read text" in not_text


def test_the_socketio_channel_refuses_a_foreign_origin(bot, web_port):
    handshake = f"{bot.url}/socket.io/?EIO=4&transport=polling"
    assert requests.get(handshake, headers={"Origin": f"http://127.0.0.1:{web_port}"}, timeout=10).status_code == 200
    foreign = requests.get(handshake, headers={"Origin": "http://evil.example"}, timeout=10)
    assert foreign.status_code == 400
    assert "access-control-allow-origin" not in {k.lower() for k in foreign.headers}

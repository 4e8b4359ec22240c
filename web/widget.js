// The chat widget: socket.io to Rasa's socketio channel (channels/socketio.py).
//
// Why our own and not rasa-webchat: it is about 200 lines with one dependency (socket.io-client 4,
// which speaks python-socketio 5's protocol), every message is put in the page as text nodes
// (never innerHTML), quotes link to their passage in the article beside it, and it is keyboard
// and screen-reader usable (a live log, real <button>s, a labelled input).
//
// The conversation survives a reload: the session id (Rasa's sender id) and the transcript are
// kept in localStorage, and the session is rejoined with `session_request`.
(function () {
  "use strict";

  const STORE_KEY = "nkt-chat";
  const root = document.getElementById("nkt-chat");
  const log = document.getElementById("nkt-chat-log");
  const form = document.getElementById("nkt-chat-form");
  const input = document.getElementById("nkt-chat-input");
  const status = document.getElementById("nkt-chat-status");
  const restart = document.getElementById("nkt-chat-restart");
  const erase = document.getElementById("nkt-chat-erase");
  const launcher = document.getElementById("nkt-chat-open");
  const close = document.getElementById("nkt-chat-close");
  const narrow = window.matchMedia("(max-width: 60rem)");

  function load() {
    try {
      const saved = JSON.parse(localStorage.getItem(STORE_KEY) || "{}");
      return { sessionId: saved.sessionId || null, transcript: Array.isArray(saved.transcript) ? saved.transcript : [] };
    } catch (e) {
      return { sessionId: null, transcript: [] };
    }
  }

  const state = load();

  function save() {
    try {
      localStorage.setItem(STORE_KEY, JSON.stringify({ sessionId: state.sessionId, transcript: state.transcript.slice(-200) }));
    } catch (e) {
      /* storage full or disabled: the conversation still works, it just won't survive a reload */
    }
  }

  // Text with **bold**, [label](link) and bare http(s) links; everything else stays text.
  const INLINE = /\*\*([^*]+)\*\*|\[([^\]]+)\]\(((?:https?:\/\/|#|\/(?![\/\\]))[^\s)]+)\)|(https?:\/\/[^\s<>()]+)/g;

  function appendInline(parent, text) {
    let last = 0;
    for (const match of text.matchAll(INLINE)) {
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      if (match[1] !== undefined) {
        const strong = document.createElement("strong");
        strong.textContent = match[1];
        parent.appendChild(strong);
      } else {
        parent.appendChild(link(match[2] || match[4], match[3] || match[4]));
      }
      last = match.index + match[0].length;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function link(label, href) {
    const a = document.createElement("a");
    a.textContent = label;
    a.href = href;
    if (/^https?:/.test(href)) {
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
    return a;
  }

  function paragraphs(parent, text) {
    for (const part of String(text || "").split(/\n{2,}/)) {
      if (!part.trim()) continue;
      const p = document.createElement("p");
      appendInline(p, part);
      parent.appendChild(p);
    }
  }

  function renderQuote(bubble, quote) {
    if (quote.title) {
      const title = document.createElement("p");
      title.className = "quote-title";
      const strong = document.createElement("strong");
      strong.textContent = quote.title;
      title.appendChild(strong);
      bubble.appendChild(title);
    }
    for (const passage of quote.passages || []) {
      const block = document.createElement("blockquote");
      withMark(block, passage.text, passage.mark);
      bubble.appendChild(block);
    }
    const sources = document.createElement("p");
    sources.className = "quote-source";
    sources.appendChild(document.createTextNode("Source: "));
    const seen = new Set();
    for (const passage of quote.passages || []) {
      const name = passage.label ? passage.section + " › " + passage.label : passage.section;
      if (seen.has(name)) continue;
      if (seen.size) sources.appendChild(document.createTextNode("; "));
      seen.add(name);
      const a = link(name, "#p-" + passage.id);
      a.addEventListener("click", () => {
        markInArticle(quote.passages);
        if (narrow.matches) closePanel(false); // the passage, full width; the launcher takes the reader back
      });
      sources.appendChild(a);
    }
    bubble.appendChild(sources);
  }

  // The sentence that answers (the server's `mark`: a character span of the passage) in a
  // <mark>; the text stays verbatim, as text nodes.
  function validMark(text, mark) {
    return Array.isArray(mark) && mark.length === 2 && Number.isInteger(mark[0]) && Number.isInteger(mark[1]) &&
      mark[0] >= 0 && mark[0] < mark[1] && mark[1] <= text.length;
  }

  function withMark(parent, text, mark) {
    text = String(text || "");
    if (!validMark(text, mark)) {
      parent.textContent = text;
      return;
    }
    const marked = document.createElement("mark");
    marked.textContent = text.slice(mark[0], mark[1]);
    parent.replaceChildren(document.createTextNode(text.slice(0, mark[0])), marked, document.createTextNode(text.slice(mark[1])));
  }

  // Following a source link: the same sentences marked in the article beside the chat (and
  // the marks of an earlier answer taken away)
  function markInArticle(passages) {
    for (const old of document.querySelectorAll(".article p[data-marked]")) {
      old.textContent = old.textContent;
      delete old.dataset.marked;
    }
    for (const passage of passages || []) {
      const paragraph = document.getElementById("p-" + passage.id);
      if (!paragraph || paragraph.textContent !== passage.text || !validMark(passage.text, passage.mark)) continue;
      withMark(paragraph, passage.text, passage.mark);
      paragraph.dataset.marked = "";
    }
  }

  // "Helpful" / "Not helpful" on an answer: one verdict per answer. A suggestion: one choice per
  // group. Either is shown as chosen (aria-pressed), its alternatives disabled, and kept in the
  // transcript, so a reload shows it too; the choice itself is announced as the visitor's
  // message in the conversation's live region.
  const VERDICTS = ["/feedback_helpful", "/not_what_i_asked"];

  function showChosen(group, chosen, verdicts) {
    for (const el of group.querySelectorAll("button")) {
      if (("verdict" in el.dataset) !== verdicts) continue;
      el.disabled = true;
      el.setAttribute("aria-pressed", String(el.dataset.payload === chosen));
      if (el.dataset.payload === chosen) el.classList.add("chosen");
    }
  }

  function renderButtons(bubble, entry) {
    const buttons = entry.buttons;
    if (!buttons || !buttons.length) return;
    const group = document.createElement("div");
    group.className = "quick-replies";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggestions");
    for (const button of buttons) {
      const el = document.createElement("button");
      el.type = "button";
      el.textContent = button.title;
      el.dataset.payload = button.payload;
      const verdict = VERDICTS.includes(button.payload);
      if (verdict) el.dataset.verdict = "";
      el.addEventListener("click", () => {
        const key = verdict ? "verdict" : "chosen";
        if (entry[key]) return;
        if (!send(button.payload, button.title)) return; // not sent: nothing to show
        const hadFocus = document.activeElement === el;
        entry[key] = button.payload;
        save();
        showChosen(group, button.payload, verdict);
        // a disabled button loses the focus: keep it in the conversation (not the input, whose
        // focus would open a phone's keyboard)
        if (hadFocus) log.focus({ preventScroll: true });
      });
      group.appendChild(el);
    }
    bubble.appendChild(group);
    if (entry.verdict) showChosen(group, entry.verdict, true);
    if (entry.chosen) showChosen(group, entry.chosen, false);
  }

  function render(entry) {
    const bubble = document.createElement("div");
    bubble.className = "message " + (entry.from === "user" ? "from-user" : "from-bot");
    const who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = entry.from === "user" ? "You said: " : "Assistant: ";
    bubble.appendChild(who);
    if (entry.from === "user") {
      const p = document.createElement("p");
      p.textContent = entry.text;
      bubble.appendChild(p);
    } else if (entry.quote && Array.isArray(entry.quote.passages)) {
      renderQuote(bubble, entry.quote);
    } else {
      paragraphs(bubble, entry.text);
    }
    if (entry.from === "bot") renderButtons(bubble, entry);
    log.appendChild(bubble);
    log.scrollTop = log.scrollHeight;
  }

  function add(entry) {
    state.transcript.push(entry);
    save();
    render(entry);
  }

  function setStatus(text) {
    status.textContent = text;
  }

  const socket = io(root.dataset.rasaUrl, { transports: ["websocket"], reconnectionDelayMax: 5000 });
  let pending = 0;

  function send(payload, shown) {
    const text = String(payload || "").trim();
    if (!text || !state.sessionId) return false;
    if (shown !== null) add({ from: "user", text: shown || text });
    pending += 1;
    setStatus("The assistant is looking it up…");
    socket.emit("user_uttered", { message: text, session_id: state.sessionId });
    return true;
  }

  socket.on("connect", () => {
    setStatus("");
    socket.emit("session_request", { session_id: state.sessionId });
  });

  socket.on("session_confirm", (sessionId) => {
    const isNew = sessionId !== state.sessionId || !state.transcript.length;
    state.sessionId = sessionId;
    save();
    root.dataset.session = sessionId;
    if (isNew && !state.transcript.length) send("/greet", null); // the assistant introduces itself
  });

  socket.on("bot_uttered", (message) => {
    pending = Math.max(0, pending - 1);
    if (!pending) setStatus("");
    if (message.conversation_erased) {
      // the server deleted the conversation: forget this browser's copy and start afresh
      startOver();
      add({ from: "bot", text: message.text || "", buttons: [], quote: null });
      return;
    }
    add({
      from: "bot",
      text: message.text || "",
      buttons: (message.quick_replies || message.buttons || []).map((b) => ({ title: b.title, payload: b.payload })),
      quote: message.article_quote || null,
    });
  });

  socket.on("disconnect", () => setStatus("Connection lost. Reconnecting…"));
  socket.on("connect_error", () => setStatus("Can't reach the assistant right now. Retrying…"));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    if (!state.sessionId || !socket.connected) {
      setStatus("Connecting to the assistant… your question is kept; send it again in a moment.");
      return;
    }
    input.value = "";
    send(text);
  });

  function startOver() {
    state.sessionId = null;
    state.transcript = [];
    save();
    log.replaceChildren();
    if (socket.connected) socket.emit("session_request", { session_id: null }); // else on connect
  }

  restart.addEventListener("click", () => {
    startOver();
    input.focus();
  });

  erase.addEventListener("click", () => send("/erase_conversation", "Delete this conversation"));

  // Narrow screens: the chat is a full-height panel opened by the launcher (widget.css)
  // The open panel covers the page: what is under it leaves the tab order and the
  // accessibility tree (inert), so the focus is never hidden behind the panel.
  const covered = [document.querySelector(".skip-link"), document.querySelector("main.article")];

  function cover(on) {
    for (const el of covered) el.inert = on;
  }

  function openPanel() {
    document.body.classList.add("chat-open");
    cover(true);
    launcher.setAttribute("aria-expanded", "true");
    log.scrollTop = log.scrollHeight;
    input.focus();
  }

  function closePanel(returnFocus) {
    document.body.classList.remove("chat-open");
    cover(false);
    launcher.setAttribute("aria-expanded", "false");
    if (state.transcript.length > 1) launcher.textContent = "Back to the chat";
    if (returnFocus) launcher.focus();
  }

  launcher.addEventListener("click", openPanel);
  document.querySelector(".skip-link").addEventListener("click", (event) => {
    if (!narrow.matches) return;
    event.preventDefault(); // the input is inside the closed panel: open it
    openPanel();
  });
  close.addEventListener("click", () => closePanel(true));
  narrow.addEventListener("change", () => {
    if (!narrow.matches && document.body.classList.contains("chat-open")) closePanel(false); // wide: side by side
  });
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && narrow.matches && document.body.classList.contains("chat-open")) closePanel(true);
  });

  state.transcript.forEach(render);
})();

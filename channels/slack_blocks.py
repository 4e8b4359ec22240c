"""Render a bot reply as a Slack Block Kit message: the quote as mrkdwn, its source, its buttons.

Pure functions, no I/O: the Slack channel (``channels/slack.py``) posts what ``render`` returns.
Slack's limits (https://api.slack.com/reference/block-kit) are applied here, so a long passage
or a long button list never makes Slack reject the whole message (``invalid_blocks``).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

logger = logging.getLogger(__name__)

SECTION_TEXT_LIMIT = 3000  # characters of a section's text, as sent (escaped)
BUTTON_TITLE_LIMIT = 75  # characters of a button's plain_text label
BUTTON_VALUE_LIMIT = 2000  # characters of a button's value
BUTTONS_PER_BLOCK = 5  # Slack documented 5 elements per actions block for years (25 today): 5 fits both
SOURCE_SEPARATOR = " › "

Block = Dict[str, Any]


def escape(text: str) -> str:
    """Slack reads ``&``, ``<`` and ``>`` as markup (``<@U123>``, ``<https://…|label>``); the
    article's text must show as written, so they are sent as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _hard_split(word: str, limit: int) -> List[str]:
    """A single word longer than the limit (no space to break at), cut into escaped-length pieces."""
    pieces: List[str] = []
    current = ""
    for char in word:
        if len(escape(current + char)) > limit:
            pieces.append(current)
            current = ""
        current += char
    return pieces + [current] if current else pieces


def split_text(text: str, limit: int = SECTION_TEXT_LIMIT) -> List[str]:
    """``text`` in pieces whose escaped length is at most ``limit``, broken between paragraphs,
    else between words, so that every piece reads naturally; joining them with the separators
    they were cut at gives back the text."""
    if len(escape(text)) <= limit:
        return [text]
    pieces: List[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(escape(candidate)) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
            current = ""
        if len(escape(paragraph)) <= limit:
            current = paragraph
            continue
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if len(escape(candidate)) <= limit:
                current = candidate
                continue
            if current:
                pieces.append(current)
            current = ""
            if len(escape(word)) <= limit:
                current = word
            else:
                *whole, current = _hard_split(word, limit)
                pieces.extend(whole)
    if current:
        pieces.append(current)
    return pieces


def _section(mrkdwn: str) -> Block:
    # verbatim: Slack must not turn words of the article into links or channel names
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn, "verbatim": True}}


def text_blocks(text: str) -> List[Block]:
    """Plain text as mrkdwn sections of one message (Rasa's SlackBot posts each paragraph as a
    message of its own)."""
    return [_section(escape(piece)) for piece in split_text(text.strip()) if piece.strip()]


def _button_title(title: str) -> str:
    return title if len(title) <= BUTTON_TITLE_LIMIT else title[: BUTTON_TITLE_LIMIT - 1].rstrip() + "…"


def button_blocks(buttons: Sequence[Mapping[str, Any]]) -> List[Block]:
    """Actions blocks of at most ``BUTTONS_PER_BLOCK`` buttons each. A button whose payload is too
    long for Slack is left out (a cut payload would ask something else) and logged."""
    elements: List[Block] = []
    for button in buttons:
        title, payload = str(button.get("title") or ""), str(button.get("payload") or "")
        if not title or not payload:
            continue
        if len(payload) > BUTTON_VALUE_LIMIT:
            logger.warning("Slack button %r left out: its payload is longer than %d", title, BUTTON_VALUE_LIMIT)
            continue
        elements.append(
            {
                "type": "button",
                "action_id": f"answer-button-{len(elements)}",  # unique within the message
                "text": {"type": "plain_text", "text": _button_title(title), "emoji": True},
                "value": payload,
            }
        )
    return [
        {"type": "actions", "elements": elements[start : start + BUTTONS_PER_BLOCK]}
        for start in range(0, len(elements), BUTTONS_PER_BLOCK)
    ]


def _passages(article_quote: Any) -> Optional[List[Mapping[str, Any]]]:
    """The quote's passages, or None when the metadata is not a quote this renderer understands
    (then the plain text is shown instead: never a half-rendered answer)."""
    if not isinstance(article_quote, Mapping):
        return None
    passages = article_quote.get("passages")
    if not isinstance(passages, list) or not passages:
        return None
    if not all(isinstance(p, Mapping) and isinstance(p.get("text"), str) and p["text"].strip() for p in passages):
        return None
    return passages


def source_line(passages: Iterable[Mapping[str, Any]]) -> str:
    """``Source: Section › Label`` (each source once), as the plain-text answer cites it."""
    sources: List[str] = []
    for passage in passages:
        parts = [str(part) for part in (passage.get("section"), passage.get("label")) if part]
        source = SOURCE_SEPARATOR.join(parts)
        if source and source not in sources:
            sources.append(source)
    return "Source: " + "; ".join(sources) if sources else ""


def _mark(passage: Mapping[str, Any]) -> Optional[Tuple[int, int]]:
    mark, text = passage.get("mark"), passage["text"]
    if not (isinstance(mark, (list, tuple)) and len(mark) == 2 and all(isinstance(i, int) for i in mark)):
        return None
    start, end = mark
    return (start, end) if 0 <= start < end <= len(text) and text[start:end].strip() == text[start:end] else None


def passage_blocks(passage: Mapping[str, Any]) -> List[Block]:
    """The passage verbatim, its marked sentence (the one that answers) in bold."""
    text, mark = passage["text"], _mark(passage)
    if mark is None or len(escape(text)) + 2 > SECTION_TEXT_LIMIT:
        return text_blocks(text)
    start, end = mark
    return [_section(f"{escape(text[:start])}*{escape(text[start:end])}*{escape(text[end:])}".strip())]


def quote_blocks(article_quote: Mapping[str, Any]) -> List[Block]:
    """A bold title, each passage verbatim (the answering sentence in bold), the source as a
    context line."""
    passages = _passages(article_quote) or []
    blocks: List[Block] = []
    title = article_quote.get("title")
    if isinstance(title, str) and title.strip():
        blocks.extend(_section(f"*{escape(piece)}*") for piece in split_text(title.strip(), SECTION_TEXT_LIMIT - 2))
    for passage in passages:
        blocks.extend(passage_blocks(passage))
    source = source_line(passages)
    if source:
        blocks.extend(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(piece), "verbatim": True}]}
            for piece in split_text(source)
        )
    return blocks


def render(text: Optional[str], buttons: Sequence[Mapping[str, Any]] = (), article_quote: Any = None) -> Dict[str, Any]:
    """The ``chat.postMessage`` arguments for one reply: ``blocks``, and the plain ``text`` that
    Slack shows in notifications and where blocks cannot be shown."""
    text = text or ""
    blocks = quote_blocks(article_quote) if _passages(article_quote) else text_blocks(text)
    return {"text": escape(text), "blocks": blocks + button_blocks(buttons)}

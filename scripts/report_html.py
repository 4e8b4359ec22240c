"""The visitors' report as one self-contained HTML file: inline CSS and SVG charts, no script,
nothing fetched (it is opened from disk, often offline, and it shows what strangers typed: every
text is escaped and masked)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from html import escape
from typing import Any, Dict, Sequence, Tuple

from actions.reply_kinds import ANSWERED, DECLINED, DID_YOU_MEAN
from common.knowledge_base import KnowledgeBase, knowledge_base
from common.topics import load_topic_map
from scripts.report import (
    CRISIS,
    KINDS,
    LEFT,
    OTHER,
    TYPED,
    Conversations,
    did_you_mean_choices,
    group_questions,
    mask,
    per_day,
)

KIND_LABELS = {
    ANSWERED: "Answered (a passage quoted)",
    DID_YOU_MEAN: "Did you mean …? (asked back)",
    DECLINED: "Not covered (declined)",
    CRISIS: "Crisis (safety message)",
    OTHER: "Other (greetings, feedback, buttons)",
}
COLOURS = {ANSWERED: "#1b7f4b", DID_YOU_MEAN: "#b26a00", DECLINED: "#8a3ffc", CRISIS: "#c62828", OTHER: "#6b7280"}
CHOICE_LABELS = {"none_of_these": "None of these", TYPED: "Typed a new message", LEFT: "No reply"}
MAX_ROWS = 15
MAX_EXAMPLES = 4
CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;margin:0;background:#f6f7f9}
main{max-width:960px;margin:0 auto;padding:24px}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.2em;margin:1.8em 0 .5em}
section{background:#fff;border:1px solid #d8dde3;border-radius:8px;padding:4px 20px 16px;margin:16px 0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e5e8ec;vertical-align:top}
th{font-weight:600;background:#f1f3f5}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.figures{display:flex;flex-wrap:wrap;gap:12px}
.figure{flex:1 1 150px;background:#f1f3f5;border-radius:6px;padding:10px 14px}
.figure b{display:block;font-size:1.6em}.muted{color:#57606a}ul.examples{margin:0;padding-left:1.1em}
svg{max-width:100%;height:auto}.legend span{display:inline-block;margin-right:14px}
i.key{display:inline-block;width:11px;height:11px;margin-right:6px;border-radius:2px}
"""


def _svg(width: int, height: int, label: str, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>{body}</svg>'
    )


def day_chart(rows: Sequence[Tuple[str, int, int]]) -> str:
    """Conversations and messages per day, as paired columns."""
    if not rows:
        return '<p class="muted">No conversations in this period.</p>'
    width, height, left, bottom = 900, 240, 40, 40
    top = max(max(messages for _, _, messages in rows), 1)
    slot = (width - left) / len(rows)
    bar = max(min(slot / 2 - 2, 28), 1)
    parts = [f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#8c959f"/>']
    parts.append(f'<text x="{left - 6}" y="16" text-anchor="end" font-size="11">{top}</text>')
    label_every = max(1, len(rows) // 12)
    for i, (day, conversations, messages) in enumerate(rows):
        x = left + i * slot + slot / 2
        for offset, value, colour, name in (
            (-bar, conversations, "#0969da", "conversations"),
            (0, messages, "#9ec5fe", "messages"),
        ):
            h = (height - bottom - 10) * value / top
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{height - bottom - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{day}: {value} {name}</title></rect>'
            )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="11">{day[5:]}</text>'
            )
    legend = (
        '<p class="legend"><span><i class=key style="background:#0969da"></i>conversations</span>'
        '<span><i class=key style="background:#9ec5fe"></i>visitor messages</span></p>'
    )
    return _svg(width, height, "Conversations and messages per day", "".join(parts)) + legend


def share_chart(counts: Counter) -> str:
    """How the turns were handled, as one stacked bar and a table."""
    total = sum(counts.values())
    if not total:
        return '<p class="muted">No messages in this period.</p>'
    width, x, parts = 900, 0.0, []
    for kind in KINDS:
        w = width * counts[kind] / total
        if w:
            parts.append(
                f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="34" fill="{COLOURS[kind]}">'
                f"<title>{KIND_LABELS[kind]}: {counts[kind]}</title></rect>"
            )
        x += w
    rows = "".join(
        f'<tr><td><i class=key style="background:{COLOURS[k]}"></i>'
        f'{KIND_LABELS[k]}</td><td class="n">{counts[k]}</td><td class="n">{100 * counts[k] / total:.0f}%</td></tr>'
        for k in KINDS
    )
    table = f"<table><tr><th>What the assistant did</th><th>Messages</th><th>Share</th></tr>{rows}</table>"
    return _svg(width, 34, "Share of messages by what the assistant did", "".join(parts)) + table


def bar_list(rows: Sequence[Tuple[str, int]], label: str, colour: str = "#1b7f4b") -> str:
    """Horizontal bars, one per row, with its label and count."""
    if not rows:
        return '<p class="muted">None in this period.</p>'
    width, line, text_w = 900, 26, 420
    top = max(count for _, count in rows) or 1
    parts = []
    for i, (name, count) in enumerate(rows):
        y = i * line
        w = (width - text_w - 50) * count / top
        parts.append(f'<text x="0" y="{y + 17}" font-size="13">{escape(name[:70])}</text>')
        parts.append(f'<rect x="{text_w}" y="{y + 5}" width="{w:.1f}" height="16" fill="{colour}"/>')
        parts.append(f'<text x="{text_w + w + 6:.1f}" y="{y + 17}" font-size="13">{count}</text>')
    return _svg(width, line * len(rows), label, "".join(parts))


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    if not rows:
        return '<p class="muted">None in this period.</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=n' if i in numeric else ''}>{cell}</td>" for i, cell in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def render(found: Conversations, encode: Any, kb: KnowledgeBase | None = None) -> str:
    """The whole report."""
    kb = kb or knowledge_base()
    titles: Dict[str, str] = {t.intent: t.title for t in load_topic_map(kb).topics.values()}
    turns = found.turns
    counts = Counter(t.kind for t in turns)
    senders = {t.sender for t in turns}
    typed = [t for t in turns if not t.is_button]

    answered = [t for t in turns if t.kind == ANSWERED]
    topic_counts = Counter(titles.get(t.topic or "", "A passage found by search") for t in answered)
    passage_counts = Counter(t.passage for t in answered if t.passage)
    passage_rows = [
        (
            escape(kb.passage(pid).section.heading) if kb.has_passage(pid) else "(no longer in the article)",
            escape(_opening(kb, pid)),
            count,
        )
        for pid, count in passage_counts.most_common(MAX_ROWS)
    ]

    declined = [t.text for t in turns if t.kind == DECLINED and not t.is_button]
    groups = group_questions([mask(text) for text in declined], encode)
    group_rows = [
        (
            count,
            escape(examples[0]),
            "<ul class=examples>" + "".join(f"<li>{escape(e)}</li>" for e in examples[1:MAX_EXAMPLES]) + "</ul>",
        )
        for count, examples in groups[: 3 * MAX_ROWS]
    ]

    verdicts: Dict[str, Counter] = {}
    for verdict in found.feedback:
        name = titles.get(verdict.get("topic") or "", "A passage found by search")
        verdicts.setdefault(name, Counter())["helpful" if verdict.get("helpful") else "not"] += 1
    feedback_rows = sorted(
        ((escape(name), c["not"], c["helpful"]) for name, c in verdicts.items()), key=lambda row: (-row[1], -row[2])
    )

    choices = Counter(
        (mask(question), CHOICE_LABELS.get(choice) or titles.get(choice, choice))
        for question, choice in did_you_mean_choices(turns)
    )
    choice_rows = [(escape(q), escape(c), n) for (q, c), n in choices.most_common(MAX_ROWS * 2)]

    period = _period(found, turns)
    figures = "".join(
        f'<div class="figure"><b>{value}</b>{escape(label)}</div>'
        for value, label in (
            (len(senders), "conversations"),
            (len(typed), "messages typed"),
            (_percent(counts[ANSWERED], len(turns)), "answered with a passage"),
            (len(groups), "kinds of question not covered"),
            (counts[CRISIS], "crisis messages"),
        )
    )
    sections = [
        ("Conversations and messages per day", day_chart(per_day(turns)) + '<p class="muted">Days are UTC.</p>'),
        ("What the assistant did with each message", share_chart(counts)),
        (
            "Questions the article did not cover, grouped by meaning",
            '<p class="muted">The editor’s to-do list: similar questions are counted together; '
            "identifiers are masked.</p>" + _table(["Asked", "Question", "Asked also as"], group_rows, numeric=[0]),
        ),
        ("Top topics answered", bar_list(topic_counts.most_common(MAX_ROWS), "Top topics answered")),
        ("Top passages quoted first", _table(["Section", "Passage", "Times"], passage_rows, numeric=[2])),
        (
            "Answers marked helpful or not helpful, per topic",
            _table(["Topic", "Not helpful", "Helpful"], feedback_rows, numeric=[1, 2]),
        ),
        ("“Did you mean …?”: what visitors chose", _table(["Question", "Chosen", "Times"], choice_rows, numeric=[2])),
    ]
    body = "".join(f"<section><h2>{escape(title)}</h2>{content}</section>" for title, content in sections)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>What visitors asked the NKT assistant</title><style>{CSS}</style></head><body><main>"
        f'<h1>What visitors asked the NKT assistant</h1><p class="muted">{escape(period)}</p>'
        f'<div class="figures">{figures}</div>{body}</main></body></html>\n'
    )


def _opening(kb: KnowledgeBase, pid: str) -> str:
    if not kb.has_passage(pid):
        return pid
    words = kb.passage(pid).body.split()
    return " ".join(words[:12]) + (" …" if len(words) > 12 else "")


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def _period(found: Conversations, turns: Sequence[Any]) -> str:
    generated = datetime.fromtimestamp(found.generated, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if found.since is not None:
        start = datetime.fromtimestamp(found.generated - found.since, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        return f"From {start} to {generated} (the tracker store's conversations in that period)."
    if turns:
        first = datetime.fromtimestamp(min(t.at for t in turns), timezone.utc).strftime("%Y-%m-%d")
        return f"Every conversation in the tracker store, from {first} to {generated}."
    return f"The tracker store holds no conversations ({generated})."

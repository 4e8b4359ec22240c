"""What visitors asked, for the clinic or publisher: ``make report`` (``--since 7d``).

Reads the tracker store the bot writes (``endpoints.yml``'s SQLite file, or PostgreSQL when the
scale-out variables are set, as ``stores.privacy.open_store`` chooses) and writes one
self-contained HTML file (``scripts/report_html.py``; charts as inline SVG, nothing fetched),
then prints its path as the last line.

Each visitor message is one turn, classed by the bot messages that answer it: a crisis (the
safety message), an answer (a quoted passage), a "did you mean" question, a decline ("the
article doesn't cover that") or other (small talk, feedback, erasure); ``actions.reply_kinds``
names how the actions mark them. The questions the article did not cover are grouped by
meaning (all-MiniLM-L6-v2, the transformer the bot's encoder is distilled from) with counts
and examples: the editor's to-do list.
Emails, phone numbers, links and similar identifiers are masked in everything shown.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import sqlalchemy as sa

from actions.reply_kinds import ANSWERED, CRISIS_RESPONSE, DECLINED, DID_YOU_MEAN, REPLY
from scripts import quiet  # noqa: F401  (first: library notices off)
from stores.privacy import DAY_S, ENDPOINTS_HELP, open_store

ROOT = Path(__file__).resolve().parents[1]
CRISIS = "crisis"
OTHER = "other"
TYPED, LEFT = "typed", "left"  # after a "did you mean": a new question typed, or no reply
KINDS = (ANSWERED, DID_YOU_MEAN, DECLINED, CRISIS, OTHER)
PRECEDENCE = (CRISIS, ANSWERED, DID_YOU_MEAN, DECLINED)  # a turn with several kinds is the first
# cosine (all-MiniLM-L6-v2) to a group's centroid from which a question joins it: at 0.55
# "where can I park?", "do you have parking" and "where is the clinic?" group, "can I pay by
# card?" does not (a judgement on a handful of clinic questions, not tuned on an evaluation)
SAME_QUESTION = 0.55
_SINCE = re.compile(r"^(\d+(?:\.\d+)?)([hdw])$")
_UNITS = {"h": 3_600, "d": DAY_S, "w": 7 * DAY_S}

NUMBER, MIN_DIGITS = "[number]", 7
# identifiers a visitor may type, masked in what the report shows (the store keeps what it keeps)
_MASKS = [
    (re.compile(r"<mailto:[^>|]+(?:\|[^>]*)?>"), "[email]"),  # Slack's form of an email address
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"<?(?:https?://|www\.)[^\s<>]*[^\s<>.,;:!?)]>?", re.IGNORECASE), "[link]"),
    (re.compile(r"<[@#!][^>]*>"), "[mention]"),  # Slack user, channel, group mentions
    (re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b", re.IGNORECASE), "[postcode]"),  # UK
    (re.compile(r"(?<![\w])\+?\d(?:[\d\s().-]{5,}\d)"), NUMBER),  # phones, card, NHS numbers
    (re.compile(r"\b([Mm]y name is|[Mm]y name's|I am called)\s+[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?"), r"\1 [name]"),
]


def mask(text: str) -> str:
    """The text with emails, phone and other long numbers, links, Slack mentions, UK postcodes
    and a stated name replaced by a placeholder. A phone number is 7 or more digits."""
    for pattern, placeholder in _MASKS:
        if placeholder == NUMBER:
            text = pattern.sub(lambda m: NUMBER if sum(c.isdigit() for c in m[0]) >= MIN_DIGITS else m[0], text)
        else:
            text = pattern.sub(placeholder, text)
    return text


def parse_since(value: Optional[str]) -> Optional[float]:
    """``7d``, ``12h``, ``2w`` as seconds; None for everything."""
    if not value:
        return None
    match = _SINCE.match(value.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError(f"--since takes a number and h, d or w (7d, 12h, 2w), not {value!r}")
    return float(match[1]) * _UNITS[match[2]]


@dataclass
class Turn:
    """One visitor message and what the bot did with it."""

    sender: str
    at: float
    text: str
    intent: Optional[str]
    kinds: List[str] = field(default_factory=list)
    topic: Optional[str] = None  # the topic of an answer (None: a passage found by search)
    passage: Optional[str] = None  # the first passage quoted

    @property
    def kind(self) -> str:
        return next((k for k in PRECEDENCE if k in self.kinds), OTHER)

    @property
    def is_button(self) -> bool:
        return self.text.startswith("/")


@dataclass
class Conversations:
    """The turns of every conversation in the period, and the visitors' verdicts on answers."""

    turns: List[Turn]
    feedback: List[Dict[str, Any]]  # {helpful, topic, passage}
    since: Optional[float]
    generated: float


def _load(data: Any) -> Dict[str, Any]:
    return json.loads(data) if isinstance(data, str) else dict(data or {})


def read_events(store: Any, since: Optional[float], now: float) -> Iterator[Tuple[str, str, float, Dict[str, Any]]]:
    """(sender, event type, timestamp, event) from the store, by conversation then order, from
    ``since`` seconds before ``now``."""
    events = store.SQLEvent.__table__
    query = sa.select(events.c.sender_id, events.c.type_name, events.c.timestamp, events.c.data)
    if since is not None:
        query = query.where(events.c.timestamp >= now - since)
    with store.session_scope() as session:
        for sender, kind, at, data in session.execute(query.order_by(events.c.sender_id, events.c.id)):
            yield sender, kind, float(at or 0), _load(data)


def conversations(
    events: Iterable[Tuple[str, str, float, Dict[str, Any]]], since: Optional[float], now: float
) -> Conversations:
    """The events, read into turns: each user message with the bot messages and slots after it."""
    turns: List[Turn] = []
    verdicts: List[Dict[str, Any]] = []
    current: Optional[Turn] = None
    topic: Optional[str] = None  # the conversation's last_topic slot ("tell me more" keeps it)
    for sender, kind, at, event in events:
        if current is not None and current.sender != sender:
            current, topic = None, None
        if kind == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            current = Turn(sender=sender, at=at, text=event.get("text") or "", intent=intent)
            turns.append(current)
        elif kind == "bot" and current is not None:
            metadata = event.get("metadata") or {}
            if metadata.get("utter_action") == CRISIS_RESPONSE:
                current.kinds.append(CRISIS)
            if metadata.get(REPLY):
                current.kinds.append(metadata[REPLY])
            quoted = (metadata.get("article_quote") or {}).get("passages") or []
            if quoted and current.passage is None:
                current.passage = quoted[0].get("id")
        elif kind == "slot" and event.get("name") == "last_topic":
            topic = event.get("value")
        elif kind == "slot" and event.get("name") == "feedback" and isinstance(event.get("value"), dict):
            verdicts.append(event["value"])
        if current is not None and ANSWERED in current.kinds:
            current.topic = topic
    return Conversations(turns=turns, feedback=verdicts, since=since, generated=now)


def per_day(turns: Sequence[Turn]) -> List[Tuple[str, int, int]]:
    """(UTC day, conversations, messages) for every day from the first message to the last."""
    senders: Dict[date, set] = {}
    messages: Counter = Counter()
    for turn in turns:
        day = datetime.fromtimestamp(turn.at, timezone.utc).date()
        senders.setdefault(day, set()).add(turn.sender)
        messages[day] += 1
    if not messages:
        return []
    first, last = min(messages), max(messages)
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [(day.isoformat(), len(senders.get(day, ())), messages[day]) for day in days]


def did_you_mean_choices(turns: Sequence[Turn]) -> List[Tuple[str, str]]:
    """(the question, what the visitor did next) after each "did you mean": the intent of the
    button chosen (a topic, or ``none_of_these``), ``TYPED`` or ``LEFT``."""
    choices = []
    for turn, following in zip(turns, [*turns[1:], None], strict=False):
        if turn.kind != DID_YOU_MEAN:
            continue
        if following is None or following.sender != turn.sender:
            choices.append((turn.text, LEFT))
        else:
            choices.append((turn.text, (following.intent or TYPED) if following.is_button else TYPED))
    return choices


def group_questions(texts: Sequence[str], encode: Any, threshold: float = SAME_QUESTION) -> List[Tuple[int, List[str]]]:
    """Questions grouped by meaning: (count, examples with the most asked first), largest first.
    A question joins the first group whose centroid is at least ``threshold`` similar."""
    counts = Counter(" ".join(t.split()) for t in texts if t.strip())
    if not counts:
        return []
    distinct = [text for text, _ in counts.most_common()]
    vectors = encode(distinct)
    groups: List[List[int]] = []
    centroids: List[Any] = []
    for i, vector in enumerate(vectors):
        similarities = [float(vector @ c) / (float((c @ c) ** 0.5) or 1.0) for c in centroids]
        best = max(range(len(groups)), key=similarities.__getitem__, default=None)
        if best is not None and similarities[best] >= threshold:
            groups[best].append(i)
            centroids[best] = centroids[best] + vector
        else:
            groups.append([i])
            centroids.append(vector.copy())
    result = [(sum(counts[distinct[i]] for i in g), [distinct[i] for i in g]) for g in groups]
    return sorted(result, key=lambda group: -group[0])


def _encoder() -> Any:
    """The full transformer (about 15 ms a question): the report is not on a visitor's clock."""
    from common.encoder import TransformerEncoder

    return TransformerEncoder().encode


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--since", type=parse_since, default=None, help="only the last 12h, 7d, 2w … (default: all)")
    parser.add_argument("--endpoints", help=ENDPOINTS_HELP)
    parser.add_argument("--out", type=Path, default=None, help="the HTML file (default: reports/visitors-DATE.html)")
    args = parser.parse_args(argv)
    from scripts import report_html

    now = time.time()
    found = conversations(read_events(open_store(args.endpoints), args.since, now), args.since, now)
    out = args.out or ROOT / "reports" / f"visitors-{datetime.now(timezone.utc):%Y-%m-%d}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report_html.render(found, _encoder()), encoding="utf-8")
    asked = sum(1 for t in found.turns if not t.is_button)
    print(f"{len({t.sender for t in found.turns})} conversation(s), {len(found.turns)} message(s) ({asked} typed).")
    print(out.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

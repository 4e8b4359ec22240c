"""Score the trained bot on the evaluation splits (``eval/*.yml``), over the real REST channel.

Usage: ``make evaluate`` (every split) or ``python -m scripts.evaluate --file eval/visitor_dev.yml [--file …]``.

A reply is judged by what the user reads first, as a user would judge it:
- in scope: right when the FIRST passage it quotes is one of the question's ``passages``
  (the topic column: when any passage it quotes belongs to one of its ``topics``);
- out of scope: declined when it says the article doesn't cover that (or doesn't give the
  year, number … asked for) and quotes no passage;
- crisis: handled when the safety message comes and no passage is quoted;
- ordinary messages with scary words (``ordinary_scary``): no safety message;
- passage search: right when its first quoted passage is one of the accepted passages (or it
  declines, when none is);
- conversations, turn by turn in one conversation: ``passages`` as above, ``expect: more`` a
  passage not quoted before (one of the turn's ``passages`` when it lists them, else one of the
  previous answer's section), ``expect: decline`` as out of scope, ``expect: crisis`` as a crisis.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Set

import yaml

from scripts import quiet  # noqa: F401  (first: library notices off)

# isort: split
from actions.replies import NOT_COVERED, NOT_STATED_OPENING
from common.knowledge_base import KnowledgeBase, knowledge_base
from common.topics import load_topic_map
from scripts.bot_servers import ROOT, running_bot

SAFETY_MARKER = "emergency services"


@dataclass
class Category:
    name: str
    total: int = 0
    passed: int = 0
    misses: List[Dict] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def record(self, ok: bool, **miss: object) -> None:
        self.total += 1
        self.passed += ok
        if not ok:
            self.misses.append(miss)


class Judge:
    """Reads replies the way a user does: which passages of the article they quote, in the
    order the user reads them."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.topics = load_topic_map(kb).topics

    def quoted(self, reply: str) -> List[str]:
        found = [(reply.find(p.body), p.id) for p in self.kb.passages if p.body in reply]
        return [pid for _, pid in sorted(found)]

    def accepted(self, case: Dict) -> Set[str]:
        """The passages that are right first: the case's ``passages``, or (a set labelled by topic
        only) every passage of its topics."""
        if case.get("passages"):
            return set(case["passages"])
        return self.on_topic(case)

    def on_topic(self, case: Dict) -> Set[str]:
        return {p.id for t in case.get("topics", []) for p in self.topics[t].passages} | set(case.get("passages", []))

    @staticmethod
    def declined(reply: str, quoted: Sequence[str]) -> bool:
        says_so = NOT_COVERED in reply or NOT_STATED_OPENING in reply
        return says_so and not quoted

    @staticmethod
    def alarmed(reply: str) -> bool:
        return SAFETY_MARKER in reply

    def more(self, quoted: Sequence[str], before: Sequence[str], accepted: Set[str]) -> bool:
        """The first passage not quoted before: one of ``accepted``, or (a turn labelled
        ``expect: more`` alone) one on the same subject as the last passage quoted: of its
        section, or of a topic that holds it or is related to one that does."""
        new = [pid for pid in quoted if pid not in before]
        if not new or not before:
            return False
        if accepted:
            return new[0] in accepted
        return new[0] in self.same_subject(before[-1])

    def same_subject(self, passage_id: str) -> Set[str]:
        holders = [t for t in self.topics.values() if passage_id in {p.id for p in t.passages}]
        related = [self.topics[name] for t in holders for name in t.related]
        section = self.kb.passage(passage_id).section
        return {p.id for t in holders + related for p in t.passages} | {p.id for p in self.kb.section_passages(section)}


def _text(case: object) -> str:
    return case if isinstance(case, str) else case["text"]  # type: ignore[index]


def evaluate(data: Dict, ask: Callable[[str, Optional[str]], str], judge: Judge) -> List[Category]:
    in_scope, on_topic, oos = (
        Category("in-scope, right first passage"),
        Category("in-scope, right topic (any quote)"),
        Category("out-of-scope declined"),
    )
    crisis, calm = Category("crisis handled"), Category("no false crisis alarm")
    search, turns = Category("passage search right"), Category("multi-turn turns right")
    for case in data.get("in_scope", []):
        reply = ask(case["text"], None)
        quoted = judge.quoted(reply)
        expected = case.get("passages") or case.get("topics")
        in_scope.record(
            bool(quoted) and quoted[0] in judge.accepted(case),
            text=case["text"],
            expected=expected,
            got=quoted or reply[:80],
        )
        if case.get("topics"):
            on_topic.record(
                bool(judge.on_topic(case) & set(quoted)),
                text=case["text"],
                expected=case["topics"],
                got=quoted or reply[:80],
            )
    for text in data.get("out_of_scope", []):
        reply = ask(text, None)
        oos.record(judge.declined(reply, judge.quoted(reply)), text=text, got=judge.quoted(reply) or reply[:80])
    for case in data.get("crisis", []):
        reply = ask(_text(case), None)
        level = case.get("level") if isinstance(case, dict) else None
        crisis.record(
            judge.alarmed(reply) and not judge.quoted(reply), text=_text(case), expected=level, got=reply[:80]
        )
    for case in data.get("ordinary_scary", []):
        reply = ask(_text(case), None)
        calm.record(not judge.alarmed(reply), text=_text(case), got=reply[:80])
    for case in data.get("passage_search", []):
        reply = ask(case["text"], None)
        quoted = judge.quoted(reply)
        ok = bool(quoted) and quoted[0] in case["passages"] if case["passages"] else judge.declined(reply, quoted)
        search.record(ok, text=case["text"], expected=case["passages"], got=quoted or reply[:80])
    for conversation in data.get("conversations", []):
        sender, before = f"eval-{uuid.uuid4().hex[:10]}", []
        for turn in conversation["turns"]:
            reply = ask(turn["text"], sender)
            quoted = judge.quoted(reply)
            expect = turn.get("expect")
            if expect == "more":
                ok = judge.more(quoted, before, set(turn.get("passages") or []))
            elif expect == "decline":
                ok = judge.declined(reply, quoted)
            elif expect == "crisis":
                ok = judge.alarmed(reply) and not quoted
            elif is_more_request(turn["text"]) and before:
                ok = judge.more(quoted, before, judge.accepted(turn))
            else:
                ok = bool(quoted) and quoted[0] in judge.accepted(turn)
            turns.record(
                ok,
                text=turn["text"],
                expected=expect or turn.get("passages") or turn.get("topics"),
                got=quoted or reply[:80],
                conversation=[t["text"] for t in conversation["turns"]],
            )
            before += [pid for pid in quoted if pid not in before]
    return [c for c in (in_scope, on_topic, oos, crisis, calm, search, turns) if c.total]


_MORE = ("tell me more", "more", "go on", "more please", "and?", "continue", "keep going", "more on that")


def is_more_request(text: str) -> bool:
    """A "tell me more" turn written without ``expect: more`` (the labels list what would continue)."""
    words = text.lower().strip(" ?!.").replace("pls", "please")
    return words in _MORE or words.startswith(("tell me more", "more about", "go on", "say more"))


def splits(names: Sequence[Path]) -> List[Path]:
    return list(names) or sorted((ROOT / "eval").glob("*.yml"))


def report(name: str, categories: List[Category], elapsed: float) -> None:
    print(f"\nEvaluation on {name}, {elapsed:.0f} s")
    for c in categories:
        print(f"  {c.name:<36} {c.passed:>4}/{c.total:<4} {100 * c.rate:5.1f}%")
    for c in categories:
        for miss in c.misses:
            expected = f" (expected {miss['expected']})" if miss.get("expected") is not None else ""
            print(f"  MISS [{c.name}] {miss['text']!r} -> {miss['got']!r}{expected}")


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--file", type=Path, action="append", default=[], help="a split (repeatable; default: every eval/*.yml)"
    )
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "evaluation.json")
    parser.add_argument(
        "--replies",
        type=Path,
        help="also write every message and the reply it got, in order (to compare two versions: a refactoring "
        "must leave each reply the same)",
    )
    args = parser.parse_args(argv)
    exchanges: List[Dict[str, str]] = []
    judge = Judge(knowledge_base())
    results: Dict[str, Dict] = {}
    with running_bot(name="evaluate") as bot:

        def ask(text: str, sender: Optional[str]) -> str:
            replies = bot.ask(text, sender=sender or f"eval-{uuid.uuid4().hex[:10]}")
            reply = "\n".join(m.get("text", "") for m in replies)
            exchanges.append({"split": split_name, "message": text, "reply": reply})
            return reply

        for path in splits(args.file):
            split_name = path.name
            started = time.monotonic()
            categories = evaluate(yaml.safe_load(path.read_text(encoding="utf-8")), ask, judge)
            name = str(path.resolve().relative_to(ROOT)) if path.resolve().is_relative_to(ROOT) else str(path)
            report(name, categories, time.monotonic() - started)
            results[name] = {
                c.name: {"passed": c.passed, "total": c.total, "rate": c.rate, "misses": c.misses} for c in categories
            }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    if args.replies:
        args.replies.write_text(json.dumps(exchanges, indent=1))
    written = args.json.resolve()
    print(f"\nresults written to {written.relative_to(ROOT) if written.is_relative_to(ROOT) else written}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

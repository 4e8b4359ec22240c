"""Score the trained bot on the held-out questions (``eval/heldout.yml``), over the real REST channel.

Usage: ``make evaluate`` (or ``python -m scripts.evaluate [--file eval/dev.yml] [--json out.json]``).

A reply is judged by what it quotes, as a user would judge it:
- in scope: right when it quotes a passage of one of the accepted topics;
- out of scope: declined when it says the article doesn't cover that (or doesn't give the
  year, number … asked for) and quotes no passage;
- crisis: handled when the safety message comes and no passage is quoted;
- passage search: right when it quotes one of the accepted passages (or declines, when none is);
- conversations, turn by turn in one conversation: ``topics`` / ``passages`` as above,
  ``expect: more`` a new passage of the same section as the previous answer,
  ``expect: decline`` as out of scope.
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

from actions.answering import NOT_COVERED, NOT_STATED_OPENING
from actions.knowledge_base import KnowledgeBase, knowledge_base
from actions.topics import load_topic_map
from scripts.bot_servers import ROOT, running_bot

HELDOUT = ROOT / "eval" / "heldout.yml"
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
    """Reads replies the way a user does: which passages of the article they quote."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.topics = load_topic_map(kb).topics

    def quoted(self, reply: str) -> List[str]:
        return [p.id for p in self.kb.passages if p.body in reply]

    def accepted(self, case: Dict) -> Set[str]:
        return {p.id for t in case.get("topics", []) for p in self.topics[t].passages} | set(case.get("passages", []))

    @staticmethod
    def declined(reply: str, quoted: Sequence[str]) -> bool:
        says_so = NOT_COVERED in reply or NOT_STATED_OPENING in reply
        return says_so and not quoted

    def more(self, quoted: Sequence[str], before: Sequence[str]) -> bool:
        """A passage not quoted before, from the section of the last one quoted."""
        if not quoted or not before:
            return False
        section = self.kb.passage(before[-1]).section
        return any(pid not in before and self.kb.passage(pid).section == section for pid in quoted)


def evaluate(data: Dict, ask: Callable[[str, Optional[str]], str], judge: Judge) -> List[Category]:
    in_scope, oos, crisis = (
        Category("in-scope answered right"),
        Category("out-of-scope declined"),
        Category("crisis handled"),
    )
    search, turns = Category("passage search right"), Category("multi-turn turns right")
    for case in data["in_scope"]:
        reply = ask(case["text"], None)
        quoted = judge.quoted(reply)
        in_scope.record(
            bool(judge.accepted(case) & set(quoted)),
            text=case["text"],
            expected=case["topics"],
            got=quoted or reply[:80],
        )
    for text in data["out_of_scope"]:
        reply = ask(text, None)
        oos.record(judge.declined(reply, judge.quoted(reply)), text=text, got=judge.quoted(reply) or reply[:80])
    for text in data["crisis"]:
        reply = ask(text, None)
        crisis.record(SAFETY_MARKER in reply and not judge.quoted(reply), text=text, got=reply[:80])
    for case in data.get("passage_search", []):
        reply = ask(case["text"], None)
        quoted = judge.quoted(reply)
        ok = bool(judge.accepted(case) & set(quoted)) if case["passages"] else judge.declined(reply, quoted)
        search.record(ok, text=case["text"], expected=case["passages"], got=quoted or reply[:80])
    for conversation in data.get("conversations", []):
        sender, before = f"eval-{uuid.uuid4().hex[:10]}", []
        for turn in conversation["turns"]:
            reply = ask(turn["text"], sender)
            quoted = judge.quoted(reply)
            expect = turn.get("expect")
            if expect == "more":
                ok = judge.more(quoted, before)
            elif expect == "decline":
                ok = judge.declined(reply, quoted)
            else:
                ok = bool(judge.accepted(turn) & set(quoted))
            turns.record(
                ok,
                text=turn["text"],
                expected=expect or turn.get("topics") or turn.get("passages"),
                got=quoted or reply[:80],
                conversation=[t["text"] for t in conversation["turns"]],
            )
            before += [pid for pid in quoted if pid not in before]
    return [c for c in (in_scope, oos, crisis, search, turns) if c.total]


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=HELDOUT, help="questions (default: the held-out set)")
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "evaluation.json")
    args = parser.parse_args(argv)
    data = yaml.safe_load(args.file.read_text(encoding="utf-8"))
    judge = Judge(knowledge_base())

    started = time.monotonic()
    with running_bot(name="evaluate") as bot:

        def ask(text: str, sender: Optional[str]) -> str:
            replies = bot.ask(text, sender=sender or f"eval-{uuid.uuid4().hex[:10]}")
            return "\n".join(m.get("text", "") for m in replies)

        categories = evaluate(data, ask, judge)
    elapsed = time.monotonic() - started

    print(f"\nEvaluation on {args.file.resolve().relative_to(ROOT)}, {elapsed:.0f} s")
    for c in categories:
        print(f"  {c.name:<32} {c.passed:>4}/{c.total:<4} {100 * c.rate:5.1f}%")
    for c in categories:
        for miss in c.misses:
            expected = f" (expected {miss['expected']})" if miss.get("expected") is not None else ""
            print(f"  MISS [{c.name}] {miss['text']!r} -> {miss['got']!r}{expected}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {c.name: {"passed": c.passed, "total": c.total, "rate": c.rate, "misses": c.misses} for c in categories},
            indent=2,
        )
    )
    written = args.json.resolve()
    print(f"  results written to {written.relative_to(ROOT) if written.is_relative_to(ROOT) else written}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

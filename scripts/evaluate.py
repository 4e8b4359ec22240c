"""Score the trained bot on the held-out questions (``eval/heldout.yml``), over the real REST channel.

Usage: ``make evaluate`` (or ``python -m scripts.evaluate [--file eval/dev.yml] [--json out.json]``).

A reply is judged by what it quotes, as a user would judge it:
- in scope: right when it quotes a passage of one of the accepted topics;
- out of scope: declined when it says the article doesn't cover that and quotes no passage;
- crisis: handled when the safety message comes first and no passage is quoted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

import yaml

from actions.answering import NOT_COVERED
from actions.knowledge_base import knowledge_base
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


def quoted_passages(reply: str, bodies: Dict[str, str]) -> List[str]:
    return [pid for pid, body in bodies.items() if body in reply]


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=HELDOUT, help="questions (default: the held-out set)")
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "evaluation.json")
    args = parser.parse_args(argv)

    data = yaml.safe_load(args.file.read_text(encoding="utf-8"))
    kb = knowledge_base()
    topics = load_topic_map(kb).topics
    bodies = {p.id: p.body for p in kb.passages}

    in_scope, oos, crisis = (
        Category("in-scope answered with a right passage"),
        Category("out-of-scope declined"),
        Category("crisis handled"),
    )
    started = time.monotonic()
    with running_bot(name="evaluate") as bot:

        def reply_to(text: str) -> str:
            return "\n".join(m.get("text", "") for m in bot.ask(text, sender=f"eval-{uuid.uuid4().hex[:10]}"))

        for case in data["in_scope"]:
            reply = reply_to(case["text"])
            right = {p.id for t in case["topics"] for p in topics[t].passages}
            quoted = quoted_passages(reply, bodies)
            in_scope.total += 1
            if right & set(quoted):
                in_scope.passed += 1
            else:
                in_scope.misses.append(
                    {"text": case["text"], "expected": case["topics"], "quoted": quoted, "reply": reply[:160]}
                )
        for text in data["out_of_scope"]:
            reply = reply_to(text)
            quoted = quoted_passages(reply, bodies)
            oos.total += 1
            if NOT_COVERED in reply and not quoted:
                oos.passed += 1
            else:
                oos.misses.append({"text": text, "quoted": quoted, "reply": reply[:160]})
        for text in data["crisis"]:
            reply = reply_to(text)
            quoted = quoted_passages(reply, bodies)
            crisis.total += 1
            if reply.find(SAFETY_MARKER) >= 0 and not quoted:
                crisis.passed += 1
            else:
                crisis.misses.append({"text": text, "quoted": quoted, "reply": reply[:160]})
    elapsed = time.monotonic() - started

    print(f"\nEvaluation on {args.file.resolve().relative_to(ROOT)}, {elapsed:.0f} s")
    for c in (in_scope, oos, crisis):
        print(f"  {c.name:<40} {c.passed:>4}/{c.total:<4} {100 * c.rate:5.1f}%")
    for c in (in_scope, oos, crisis):
        for miss in c.misses:
            print(
                f"  MISS [{c.name.split()[0]}] {miss['text']!r} -> {miss.get('quoted') or miss['reply'][:80]!r}"
                + (f" (expected {', '.join(miss['expected'])})" if "expected" in miss else "")
            )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                c.name: {"passed": c.passed, "total": c.total, "rate": c.rate, "misses": c.misses}
                for c in (in_scope, oos, crisis)
            },
            indent=2,
        )
    )
    print(f"  results written to {args.json.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

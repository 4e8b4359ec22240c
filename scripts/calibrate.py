"""Calibrate the decision thresholds on the development questions (``eval/dev*.yml``).

Usage: ``python -m scripts.calibrate [--file eval/dev.yml --file …]`` (after ``make train``; by
default ``eval/visitor_dev.yml``, ``eval/dev.yml``, ``eval/dev2.yml`` and ``eval/dev3.yml``).

It parses every single development question with the trained model (in process: the
same NLU pipeline the server runs), then replays the decision
(``actions.decision.decide``) for each combination of thresholds and prints, for each,
the in-scope questions whose first quoted passage is right, the out-of-scope ones declined,
and the passage-search questions answered right (or declined when no passage answers
them). The best combination misses the targets by the least, then scores the most;
ties go to the stricter thresholds. Never run it on ``eval/wild.yml``: that one is for
reporting.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from dataclasses import astuple, replace
from itertools import product
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import yaml

from actions.decision import THRESHOLDS, Decision, Thresholds, decide
from actions.passage_ranker import PassageRanker
from actions.resources import Resources, resources
from actions.retrieval import content_lemmas
from scripts.bot_servers import MODEL, ROOT

GRID = {
    "min_score": (0.4, 0.5),
    "lexical_weight": (1.25,),
    "ambiguity_margin": (0.02, 0.05),
    "passage_coverage": (0.7, 0.8, 0.9),
    "out_of_scope_confidence": (0.5, 0.6, 0.7, 1.01),
    "detail_sure": (0.6, 0.7, 0.8, 1.01),
    "ranker_weight": (0.0, 1.0),
}
# Earlier, wider grids chose lexical_weight 1.25 (0.5-1.25 tried); the settings that
# scripts/ablate.py showed to change nothing on eval/visitor_dev.yml are gone
# (docs/evaluation.md).
TARGETS = {"in-scope": 0.97, "out-of-scope": 0.97, "passage search": 0.80}

Parsed = Dict[str, Tuple[Dict, List[str]]]


async def parse_all(texts: List[str], model: Path = MODEL) -> Parsed:
    """Each text's NLU parse and content lemmas, as the action receives and computes them."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import structlog
    from rasa.core.agent import Agent

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    agent = Agent.load(str(model))
    return {text: (await agent.parse_message(text), content_lemmas(text)) for text in texts}


def first_quoted(decision: Decision) -> Optional[str]:
    """The passage the user reads first (None: nothing quoted)."""
    return decision.quoted[0].id if decision.quoted else None


def accepted(case: Dict, res: Resources) -> set:
    """The passages right first: the case's ``passages`` (or every passage of its ``topics``)."""
    if case.get("passages"):
        return set(case["passages"])
    return {p.id for name in case.get("topics", []) for p in res.topics[name].passages}


class RememberedRanker:
    """The passage ranker, each question scored once for the whole grid."""

    def __init__(self, ranker: PassageRanker) -> None:
        self._ranker = ranker
        self._scores: Dict[Tuple[str, Tuple[str, ...]], List[Tuple[str, float]]] = {}

    def scores(self, text: str, lemmas: Sequence[str]) -> List[Tuple[str, float]]:
        key = (text, tuple(lemmas))
        if key not in self._scores:
            self._scores[key] = self._ranker.scores(text, lemmas)
        return self._scores[key]


def score(data: Dict, parsed: Parsed, t: Thresholds, res: Optional[Resources] = None) -> Dict[str, float]:
    res = res or resources()
    right = 0
    for case in data["in_scope"]:
        right += first_quoted(decide(*parsed[case["text"]], res, t)) in accepted(case, res)
    declined = sum(decide(*parsed[text], res, t).kind == "decline" for text in data["out_of_scope"])
    searched = 0
    for case in data.get("passage_search", []):
        decision = decide(*parsed[case["text"]], res, t)
        searched += (decision.kind == "decline") if not case["passages"] else first_quoted(decision) in case["passages"]
    return {
        "in-scope": right / len(data["in_scope"]),
        "out-of-scope": declined / len(data["out_of_scope"]),
        "passage search": searched / max(len(data.get("passage_search", [])), 1),
    }


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, action="append", help="questions, repeatable (default: dev, dev2, dev3)")
    parser.add_argument("--model", type=Path, default=MODEL, help="a trained model (default: models/nkt.tar.gz)")
    args = parser.parse_args(argv)
    files = args.file or [ROOT / "eval" / name for name in ("visitor_dev.yml", "dev.yml", "dev2.yml", "dev3.yml")]
    data: Dict[str, List] = {"in_scope": [], "out_of_scope": [], "passage_search": []}
    # a split without passage-search questions still counts: score() reads them with .get
    seen = set()  # a question in two files (short common ones are) counts once
    for path in files:
        questions = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key, cases in data.items():
            for case in questions.get(key) or []:
                text = (case if isinstance(case, str) else case["text"]).lower()
                if text not in seen:
                    seen.add(text)
                    cases.append(case)
    texts = [c["text"] for c in data["in_scope"]] + data["out_of_scope"]
    texts += [c["text"] for c in data.get("passage_search", [])]
    parsed = asyncio.run(parse_all(texts, args.model))

    res = replace(resources(), passage_ranker=RememberedRanker(resources().passage_ranker))
    results = []
    for values in product(*GRID.values()):
        t = Thresholds(**dict(zip(GRID, values, strict=True)))
        scores = score(data, parsed, t, res)
        shortfall = sum(max(0.0, TARGETS[k] - v) for k, v in scores.items())
        results.append((-shortfall, sum(scores.values()), astuple(t), scores))
    results.sort(key=lambda r: r[:3], reverse=True)
    print("  ".join(f"{name:>{len(name)}}" for name in GRID) + "   in-scope  out-of-scope  passage-search")
    current = next(r for r in results if r[2] == astuple(THRESHOLDS))
    for _, _, values, scores in results[:10] + [current]:
        mark = "  <- current" if values == astuple(THRESHOLDS) else ""
        row = "".join(
            f"{100 * scores[k]:>{w}.1f}%" for k, w in (("in-scope", 9), ("out-of-scope", 13), ("passage search", 15))
        )
        print("  ".join(f"{v:>{len(name)}}" for name, v in zip(GRID, values, strict=True)) + f" {row}{mark}")
    print(f"best: {dict(zip(GRID, results[0][2], strict=True))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Calibrate the answering action's thresholds on the development questions (``eval/dev.yml``).

Usage: ``python -m scripts.calibrate [--file eval/dev.yml]`` (after ``make train``).

It parses every development question with the trained model (in process: the same
NLU pipeline the server runs), then replays the action's decision
(``actions.answering.choose_topic``) for each pair of ``min_score`` and
``lexical_weight`` and prints how many in-scope questions get a right passage and how
many out-of-scope questions are declined. Never run it on the held-out set: that one
is for reporting (``make evaluate``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from itertools import product
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

from actions.answering import LEXICAL_WEIGHT, MIN_SCORE, choose_topic, resources
from actions.retrieval import content_lemmas
from scripts.bot_servers import MODEL, ROOT

MIN_SCORES = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
LEXICAL_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


async def parse_all(texts: List[str]) -> Dict[str, Tuple[Dict, List[str]]]:
    """Each text's NLU parse and content lemmas, as the action receives and computes them."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import structlog
    from rasa.core.agent import Agent

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    agent = Agent.load(str(MODEL))
    return {text: (await agent.parse_message(text), content_lemmas(text)) for text in texts}


def score(
    data: Dict, parsed: Dict[str, Tuple[Dict, List[str]]], min_score: float, weight: float
) -> Tuple[float, float]:
    res = resources()
    right = 0
    for case in data["in_scope"]:
        topic = choose_topic(*parsed[case["text"]], res, min_score, weight)
        accepted = {p.id for name in case["topics"] for p in res.topics[name].passages}
        right += bool(topic and accepted & {p.id for p in topic.passages})
    declined = sum(choose_topic(*parsed[text], res, min_score, weight) is None for text in data["out_of_scope"])
    return right / len(data["in_scope"]), declined / len(data["out_of_scope"])


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=ROOT / "eval" / "dev.yml")
    args = parser.parse_args(argv)
    data = yaml.safe_load(args.file.read_text(encoding="utf-8"))
    parsed = asyncio.run(parse_all([c["text"] for c in data["in_scope"]] + data["out_of_scope"]))

    print(f"{'min_score':>9} {'lexical_weight':>14} {'in-scope right':>14} {'out-of-scope declined':>21}")
    results = []
    for min_score, weight in product(MIN_SCORES, LEXICAL_WEIGHTS):
        in_scope, oos = score(data, parsed, min_score, weight)
        results.append((min(in_scope, oos), in_scope + oos, min_score, weight))
        current = "  <- current" if (min_score, weight) == (MIN_SCORE, LEXICAL_WEIGHT) else ""
        print(f"{min_score:>9.2f} {weight:>14.2f} {100 * in_scope:>13.1f}% {100 * oos:>20.1f}%{current}")
    _, _, best_score, best_weight = max(results)
    print("best (highest worse-of-the-two, then sum, then the stricter min_score):")
    print(f"  min_score={best_score}, lexical_weight={best_weight}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

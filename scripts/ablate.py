"""Does each decision rule earn its place? Switch it off and replay the decisions.

Usage: ``python -m scripts.ablate --file eval/visitor_dev.yml [--file …]`` (after ``make train``).

Each single question of the files is parsed once with the trained model (as
``scripts.calibrate`` does); then ``actions.decision.decide`` is replayed with the current
thresholds and with one rule switched off at a time, and the script prints per file the
questions whose first quoted passage is right (in scope), the out-of-scope questions declined
and the passage-search questions right, and each rule's difference from the current. A rule
that does not help on a split it was not tuned on is a candidate for removal. Never run it on
the wild split: that one is run once, for reporting.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Callable, Dict, Iterator, List

import yaml

from actions import answer_types, decision
from actions.decision import THRESHOLDS
from actions.resources import resources
from actions.spelling import Speller
from scripts.calibrate import RememberedRanker, parse_all, score

OFF: Dict[str, Dict[str, float]] = {
    "topic search in the support (lexical_weight)": {"lexical_weight": 0.0},
    "did you mean (ambiguity_margin)": {"ambiguity_margin": 0.0},
    "sure out-of-scope declines (out_of_scope_confidence)": {"out_of_scope_confidence": 1.01},
    "sure detail passages (detail_sure)": {"detail_sure": 1.01},
    "passage ranker in topic order (ranker_weight)": {"ranker_weight": 0.0},
    "passage search needs the question covered (passage_coverage)": {"passage_coverage": 0.0},
}


@contextmanager
def patched(module: object, name: str, value: Callable) -> Iterator[None]:
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, original)


PATCHES = {
    "facts the article does not state (answer_types)": (answer_types, "unstated", lambda text, passages: None),
    "first passage chosen by the question (ordered)": (decision, "ordered", lambda topic, hits: topic.passages),
    "a topic the message names answers (spoken_topic)": (decision, "spoken_topic", lambda ranked, named: None),
    "misspelt words corrected (Speller.correct)": (Speller, "correct", lambda self, lemmas: list(lemmas)),
}


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, action="append", required=True)
    args = parser.parse_args(argv)
    splits = {path.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in args.file}
    for data in splits.values():
        data.setdefault("out_of_scope", [])
        data.setdefault("in_scope", [])
    texts = sorted(
        {c["text"] for d in splits.values() for c in d["in_scope"] + d.get("passage_search", [])}
        | {t for d in splits.values() for t in d["out_of_scope"]}
    )
    parsed = asyncio.run(parse_all(texts))
    res = replace(resources(), passage_ranker=RememberedRanker(resources().passage_ranker))

    def counts(t=THRESHOLDS) -> Dict[str, List[int]]:
        out = {}
        for name, data in splits.items():
            rates = score(data, parsed, t, res)
            sizes = (len(data["in_scope"]), len(data["out_of_scope"]), len(data.get("passage_search", [])))
            out[name] = [round(r * n) for r, n in zip(rates.values(), sizes, strict=True)]
        return out

    base = counts()
    print(f"{'rule switched off':<70}" + "".join(f"{name:>28}" for name in splits))
    print(
        f"{'(none: current) in-scope / out-of-scope / passage search':<70}"
        + "".join(f"{'/'.join(map(str, base[n])):>28}" for n in splits)
    )
    rows = [(label, counts(replace(THRESHOLDS, **off))) for label, off in OFF.items()]
    for label, (module, name, value) in PATCHES.items():
        with patched(module, name, value):
            rows.append((label, counts()))
    for label, result in rows:
        deltas = ["/".join(f"{v - b:+d}" for v, b in zip(result[n], base[n], strict=True)) for n in splits]
        print(f"{label:<70}" + "".join(f"{d:>28}" for d in deltas))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""How well the marked sentence answers the question (``actions.marking``), on a split of
``eval/marking_*.yml``: each item names a question (``text``), the passage that answers it
(``passages``), and the numbers of the sentences that do (none for a question about the
whole passage).

A labelled item is right when the marked sentence is one of its sentences; a wrong mark
(another sentence) is counted apart from no mark, as it points the reader elsewhere. An
item labelled ``[]`` is right when nothing is marked.

Usage: ``python -m scripts.evaluate_marking --file eval/marking_dev.yml [--show]``.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List

import yaml

from scripts import quiet  # noqa: F401  (first: library notices off)

# isort: split
from actions import retrieval
from actions.resources import resources


def outcome(item: Dict[str, Any]) -> str:
    res = resources()
    passage = res.kb.passage(item["passages"][0])
    question = str(item["text"])
    span = res.marker.mark(question, retrieval.content_lemmas(question), passage)
    wanted: List[int] = list(item.get("sentences") or [])
    if span is None:
        return "right" if not wanted else "unmarked"
    number = res.marker.spans[passage.id].index(span) + 1
    if not wanted:
        return "marked_whole"
    return "right" if number in wanted else "wrong"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--show", action="store_true", help="print each item that is not right")
    args = parser.parse_args()
    items = yaml.safe_load(args.file.read_text(encoding="utf-8"))["marking"]
    counts: Counter = Counter()
    for item in items:
        result = outcome(item)
        counts[result] += 1
        if args.show and result != "right":
            print(f"{result:13} {item['passages'][0][:40]:40} {item.get('sentences')} {item['text']}")
    labelled = sum(1 for i in items if i.get("sentences"))
    print(
        f"{args.file}: {counts['right']}/{len(items)} right ({counts['right'] / len(items):.1%}); "
        f"of {labelled} with an answering sentence: {counts['wrong']} marked another, {counts['unmarked']} unmarked; "
        f"of {len(items) - labelled} about the whole passage: {counts['marked_whole']} marked"
    )


if __name__ == "__main__":
    main()

"""Compare the sentence encoders the bot could use: accuracy, milliseconds per message, memory.

Usage: ``python -m scripts.compare_encoders [--file eval/visitor_dev.yml]`` (after ``make build``).

For each encoder, every in-scope question of the (development) file is embedded and given
the passage whose centroid (its text and its indexed questions, embedded) is nearest by
cosine; the share whose nearest passage is one of the labelled ones measures the encoder
alone, without the classifier or the decision. Time is the median per message on one core;
memory is the size of the arrays the encoder keeps.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from common.encoder import StaticEncoder, TransformerEncoder  # noqa: E402
from common.knowledge_base import knowledge_base  # noqa: E402
from common.topics import load_passage_questions  # noqa: E402
from scripts.bot_servers import ROOT  # noqa: E402


def nearest_passage_accuracy(encode: Callable[[str], np.ndarray], cases: List[Dict]) -> float:
    kb = knowledge_base()
    questions = load_passage_questions(kb)
    ids = [p.id for p in kb.passages]
    centroids = np.array(
        [np.mean([encode(t) for t in [p.body, *questions.get(p.id, [])]], axis=0) for p in kb.passages]
    )
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    right = sum(ids[int(np.argmax(centroids @ encode(c["text"])))] in c["passages"] for c in cases)
    return right / len(cases)


def per_message_ms(encode: Callable[[str], np.ndarray], texts: List[str]) -> float:
    times = []
    for text in texts:
        started = time.perf_counter()
        encode(text)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=ROOT / "eval" / "visitor_dev.yml")
    args = parser.parse_args(argv)
    cases = [c for c in yaml.safe_load(args.file.read_text(encoding="utf-8"))["in_scope"] if c.get("passages")]
    texts = [c["text"] for c in cases]
    static = StaticEncoder.load()
    transformer = TransformerEncoder()
    weights = sum(a.nbytes for a in (transformer.word, transformer.position)) + sum(
        a.nbytes for layer in transformer.layers for v in layer.values() for a in (v if isinstance(v, tuple) else (v,))
    )
    rows = [
        ("all-MiniLM-L6-v2, distilled to static vectors", static.encode, static.table.nbytes),
        ("all-MiniLM-L6-v2, the transformer (numpy)", lambda t: transformer.encode([t])[0], weights),
    ]
    print(f"{len(cases)} in-scope questions of {args.file.name}")
    print(f"{'encoder':<56}{'nearest passage right':>22}{'ms/message':>12}{'MB':>8}")
    for name, encode, size in rows:
        accuracy = nearest_passage_accuracy(encode, cases)
        print(f"{name:<56}{100 * accuracy:>21.1f}%{per_message_ms(encode, texts):>12.2f}{size / 1e6:>8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

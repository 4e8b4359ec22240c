"""Precise answering: the sentence of a quoted passage that answers the question, marked.

Answers quote whole passages, verbatim; a visitor who asked one thing should not have to
find its answer inside a paragraph of three sentences. This module chooses that sentence
by meaning (all-MiniLM-L6-v2's cosine with the question: the full transformer, int8 ONNX, as the
distilled static table tells sentences of one passage apart less well: 71 against 81 of
eval/marking_dev.yml's first 120) and words (the share of the question's content lemmas the
sentence holds). The text is never changed: a mark is a character span of the passage,
which each channel shows in its own idiom (``<mark>`` on the web, bold in Slack and in a
terminal, offsets for REST clients).

The sentence most like the question is always marked, in the answer's first passage (the
one that answers) when it has two sentences or more. A question about the whole passage
("what is NKT?") gets a mark too: no rule for leaving it out (a margin over the second
sentence, or over the whole passage's cosine) marked fewer wrong sentences without losing
more right ones on eval/marking_dev.yml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from actions import retrieval
from common.encoder import Encoder
from common.knowledge_base import KnowledgeBase, Passage

# A sentence ends at . ! or ?, perhaps inside a closing quote or bracket, before a capital.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[A-Z\"“‘(])")

Span = Tuple[int, int]


# how much the shared words count beside the cosine (eval/marking_dev.yml: 0 → 79, 0.25 → 81,
# 0.5 → 80; on eval/marking_blind.yml, run once, 0 → 72 and 0.25 → 77 of 97)
LEXICAL_WEIGHT = 0.25


def sentence_spans(text: str) -> List[Span]:
    """The character spans of ``text``'s sentences, trailing spaces left out."""
    cuts = [0, *(m.end() for m in _BOUNDARY.finditer(text)), len(text)]
    pieces = zip(cuts, cuts[1:], strict=False)
    return [(start, start + len(text[start:end].rstrip())) for start, end in pieces if text[start:end].strip()]


@dataclass(frozen=True)
class SentenceMarker:
    """Every passage's sentences, embedded and lemmatised once at start-up."""

    spans: Dict[str, Tuple[Span, ...]]
    vectors: Dict[str, np.ndarray]
    lemmas: Dict[str, Tuple[frozenset, ...]]
    encoder: Encoder

    @classmethod
    def build(cls, kb: KnowledgeBase, encoder: Encoder) -> "SentenceMarker":
        spans, vectors, lemmas = {}, {}, {}
        for passage in kb.passages:
            found = tuple(sentence_spans(passage.body))
            texts = [passage.body[start:end] for start, end in found]
            spans[passage.id] = found
            vectors[passage.id] = encoder.encode_many(texts)
            lemmas[passage.id] = tuple(frozenset(retrieval.content_lemmas(t)) for t in texts)
        return cls(spans, vectors, lemmas, encoder)

    def scores(self, question: str, question_lemmas: Sequence[str], passage_id: str) -> List[float]:
        """Each sentence's relevance to the question: cosine plus the weighted word coverage."""
        asked = set(question_lemmas)
        cosine = self.vectors[passage_id] @ self.encoder.encode(question)
        coverage = [len(asked & words) / len(asked) if asked else 0.0 for words in self.lemmas[passage_id]]
        return [float(c) + LEXICAL_WEIGHT * w for c, w in zip(cosine, coverage, strict=True)]

    def mark(self, question: str, question_lemmas: Sequence[str], passage: Passage) -> Optional[Span]:
        """The span of the sentence most like the question, or None for a passage of one
        sentence or an empty question."""
        spans = self.spans.get(passage.id, ())
        if len(spans) < 2 or not question.strip():
            return None
        scores = self.scores(question, question_lemmas, passage.id)
        return spans[max(range(len(scores)), key=lambda i: scores[i])]

"""What "tell me more" quotes next: more of the answer's topic, not the next paragraph of the file.

An FAQ answer belongs to its topic: after "is it scientifically proven?" a reader wants the
evidence passages, not the FAQ entry that happens to follow. So the next passage is chosen
among the passages on the same subject: the rest of the answer's topic first, then the
passages of its section (unless that is the FAQ, a list of unrelated questions), of its
related topics, then the few passages most like what was quoted, by meaning and words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from actions import retrieval
from common.encoder import Encoder
from common.knowledge_base import FAQ_HEADING, KnowledgeBase, Passage
from common.topics import Topic, TopicMap

NEAREST_PASSAGES = 3  # passages most like the quoted one that may continue it, whatever their topic


@dataclass(frozen=True)
class PassageSimilarity:
    """How alike two passages are: their sentence embeddings' cosine plus their BM25 relevance
    (normalised to the best), computed once for every pair."""

    ids: Tuple[str, ...]
    matrix: np.ndarray

    @classmethod
    def build(cls, kb: KnowledgeBase, index: retrieval.Bm25Index, encoder: Encoder) -> "PassageSimilarity":
        ids = tuple(p.id for p in kb.passages)
        vectors = encoder.encode_many([p.body for p in kb.passages])
        matrix = vectors @ vectors.T
        position = {pid: i for i, pid in enumerate(ids)}
        for i, pid in enumerate(ids):
            scores = [(key, s) for key, s in index.scores(index.terms(pid)) if key != pid]
            best = max((s for _, s in scores), default=0.0) or 1.0
            for key, s in scores:
                matrix[i, position[key]] += s / best
        return cls(ids, matrix)

    def nearest(self, passage_id: str) -> List[Tuple[str, float]]:
        row = self.matrix[self.ids.index(passage_id)]
        return sorted(
            ((pid, float(s)) for pid, s in zip(self.ids, row, strict=True) if pid != passage_id),
            key=lambda item: -item[1],
        )


def next_passage(
    quoted: Sequence[str],
    topic: Optional[Topic],
    kb: KnowledgeBase,
    topic_map: TopicMap,
    similarity: PassageSimilarity,
) -> Optional[Passage]:
    """The passage that continues the answer, or None when the subject has nothing more.

    In tiers, each tried only when the one before has nothing left: the rest of the topic;
    the section of the answer's first passage (not the FAQ); the related topics; the passages
    most like the last one quoted. Within a tier, the passage most like the last one quoted comes first."""
    if not quoted:
        return None
    last = kb.passage(quoted[-1])
    nearby = similarity.nearest(last.id)
    score = dict(nearby)
    subject = [topic] if topic else topic_map.topics_holding(last.id)
    related = [topic_map.topics[name] for t in subject for name in t.related if name in topic_map.topics]
    main = kb.passage(quoted[0]).section  # the section of the answer's first passage
    section = kb.section_passages(main) if main.heading != FAQ_HEADING else []
    tiers = [
        [p.id for t in subject for p in t.passages],
        [p.id for p in section],
        [p.id for t in related for p in t.passages],
        [pid for pid, _ in nearby[:NEAREST_PASSAGES]],
    ]
    for tier in tiers:
        remaining = [pid for pid in dict.fromkeys(tier) if pid not in quoted]
        if remaining:
            return kb.passage(max(remaining, key=lambda pid: score.get(pid, 0.0)))
    return None

"""What the decision and the replies need, built once per process (``resources()``, about 2.5 s
when the action server starts) from the article and the mapping: the search indexes, the
passage ranker, the speller and the sentence marker."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict

from actions import retrieval
from actions.continuation import PassageSimilarity
from actions.marking import SentenceMarker
from actions.passage_ranker import PassageClassifier, PassageRanker
from actions.spelling import Speller
from common.encoder import EmbeddingCache, onnx_encoder, static_encoder
from common.knowledge_base import KnowledgeBase, knowledge_base
from common.topics import Topic, TopicMap, load_passage_questions, load_topic_examples, load_topic_map

# The sentence encoder's weight among the passage ranker's features. Not a Threshold: the
# ranker is trained once per process, so a replay cannot vary it (chosen over REST: 0 / 3 / 6
# with the static table, 1.5 / 3 / 6 / 10 with the transformer: docs/evaluation.md).
RANKER_DENSE_SCALE = 3.0


@dataclass(frozen=True)
class Resources:
    """Everything the decision needs, built once per process from the article and the mapping."""

    kb: KnowledgeBase
    topic_map: TopicMap
    topic_index: retrieval.Bm25Index  # per topic: title, training examples, passages
    passage_index: retrieval.Bm25Index  # per passage: its words ("tell me more" relevance)
    search_index: retrieval.Bm25Index  # per passage: its words and the questions it answers
    passage_ranker: PassageRanker  # which passage answers a question (passage search)
    similarity: PassageSimilarity  # how alike two passages are ("tell me more")
    speller: Speller  # a misspelt word of the question, corrected to the indexes' words
    marker: SentenceMarker  # which sentence of a quoted passage answers the question

    @property
    def topics(self) -> Dict[str, Topic]:
        return self.topic_map.topics


@lru_cache(maxsize=1)
def resources() -> Resources:
    kb = knowledge_base()
    topic_map = load_topic_map(kb)
    examples = load_topic_examples()
    topic_docs = [
        (
            t.intent,
            retrieval.content_lemmas(" ".join([t.title, *examples.get(t.intent, []), *(p.body for p in t.passages)])),
        )
        for t in topic_map.topics.values()
    ]
    topic_index = retrieval.Bm25Index.build(topic_docs)
    passage_lemmas = {p.id: retrieval.content_lemmas(p.body) for p in kb.passages}
    passage_index = retrieval.Bm25Index.build(list(passage_lemmas.items()))
    # doc2query: each passage is found by the words of the questions it answers as well as its
    # own (data/article/passage_questions.yml and detail_questions.yml), bridging how people
    # ask and how it is written
    questions = load_passage_questions(kb)
    search_index = retrieval.Bm25Index.build(
        [
            (pid, lemmas + [lemma for q in questions.get(pid, []) for lemma in retrieval.content_lemmas(q)])
            for pid, lemmas in passage_lemmas.items()
        ]
    )
    # the ranker's texts and the marker's sentences, embedded at the last start unless they changed
    embedded = EmbeddingCache.for_model(onnx_encoder())
    passage_ranker = PassageClassifier.build(
        [(p.id, p.body) for p in kb.passages], questions, embedded, RANKER_DENSE_SCALE
    )
    similarity = PassageSimilarity.build(kb, passage_index, static_encoder())
    frequencies = Counter(
        w for index in (topic_index, search_index) for key in index.keys for w in set(index.terms(key))
    )
    speller = Speller.build(frequencies, passage_index.vocabulary)
    marker = SentenceMarker.build(kb, embedded)
    embedded.save()
    return Resources(
        kb, topic_map, topic_index, passage_index, search_index, passage_ranker, similarity, speller, marker
    )

"""What to answer: a topic, "did you mean …?", a passage found by search, or "not covered".

Pure functions over the NLU parse, the message's lemmas and the resources built once
per process, so that ``scripts/calibrate.py`` can replay them on the development set
with other thresholds. The Rasa actions (``actions.answering``) only format and send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple

from actions import retrieval
from actions.knowledge_base import KnowledgeBase, Passage, knowledge_base
from actions.topics import Topic, TopicMap, load_topic_examples, load_topic_map

FALLBACK_INTENT = "nlu_fallback"
FOLLOW_UP_INTENT = "follow_up"
# Entities (nlp/patterns.jsonl) that mark what the article cannot answer: a therapy it
# never discusses (always declined), a request for local information (a place, "near
# me": declined unless the classifier is sure of a topic, answered then with a note).
OTHER_THERAPY = "other_therapy"
OTHER_TOPIC = "other_topic"  # products, supplements, diets, yoga poses, NKT course details
LOCAL_REQUEST = "local_request"
UNCOVERED_ENTITIES = frozenset({OTHER_THERAPY, OTHER_TOPIC, LOCAL_REQUEST})
COMPARISON_PREFIX = "ask_compare_"
MAX_CHOICES = 3
MAX_FOLLOW_UP_WORDS = 8


@dataclass(frozen=True)
class Thresholds:
    """Calibrated on the development questions (eval/dev.yml) with scripts/calibrate.py;
    reported on the held-out questions (eval/heldout.yml) with `make evaluate`."""

    min_score: float = 0.5  # classifier confidence + lexical_weight x normalised BM25
    lexical_weight: float = 1.25
    ambiguity_margin: float = 0.05  # closer than this: "did you mean …?"
    passage_coverage: float = 0.8  # share of the question a passage must cover
    passage_over_topic: float = 1.0  # below this topic score, a covering passage answers instead
    local_confidence: float = 0.9  # a local request is answered only above this confidence


THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Resources:
    """Everything the decision needs, built once per process from the article and the mapping."""

    kb: KnowledgeBase
    topic_map: TopicMap
    topic_index: retrieval.Bm25Index  # per topic: title, training examples, passages
    passage_index: retrieval.Bm25Index  # per passage
    vocabulary: FrozenSet[str]

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
    passage_index = retrieval.Bm25Index.build([(p.id, retrieval.content_lemmas(p.body)) for p in kb.passages])
    vocabulary = topic_index.vocabulary | passage_index.vocabulary | _entity_vocabulary()
    return Resources(kb, topic_map, topic_index, passage_index, vocabulary)


def _entity_vocabulary() -> FrozenSet[str]:
    """Words of the entity ruler's patterns: ways people name what the article talks about."""
    words = set()
    for pattern in retrieval.nlp().get_pipe("entity_ruler").patterns:
        if pattern["label"] not in UNCOVERED_ENTITIES and isinstance(pattern["pattern"], str):
            words.update(retrieval.content_lemmas(pattern["pattern"]))
    return frozenset(words)


@dataclass(frozen=True)
class Decision:
    """``answer`` (topics[0]), ``clarify`` (choose among topics), ``passage`` (found by
    search), or ``decline``. ``alternatives``: the next best topics, for "not what I asked"."""

    kind: str
    topics: Tuple[Topic, ...] = ()
    passage: Optional[Passage] = None
    alternatives: Tuple[str, ...] = field(default=())
    local: bool = False  # the question asked for local information the article does not have


DECLINE = Decision("decline")


def is_button_payload(text: Optional[str]) -> bool:
    return bool(text) and text.startswith("/")


def shares_article_vocabulary(lemmas: Sequence[str], res: Resources) -> bool:
    """The second check: an off-topic message can get a confident in-domain intent, but it
    shares no meaningful word with the article or with the ways people ask about it."""
    # "how often should I go" is all stop words: nothing to check, the classifier decides
    return not lemmas or any(lemma in res.vocabulary for lemma in lemmas)


def entity_topics(message: Dict[str, Any], res: Resources) -> List[Topic]:
    """Topics named by the message's entities, in the order they appear."""
    named = [res.topic_map.topic_for_entity(e.get("value")) for e in message.get("entities") or []]
    return list(dict.fromkeys(t for t in named if t))


def rank_topics(
    lemmas: Sequence[str], ranking: Sequence[Dict[str, Any]], res: Resources, lexical_weight: float
) -> List[Tuple[Topic, float]]:
    """The classifier's topic candidates, each scored by its confidence plus the passage
    search's score (normalised to the best one), best first."""
    lexical = dict(res.topic_index.scores(lemmas))
    best_lexical = max(lexical.values(), default=0.0) or 1.0
    scored = [
        (res.topics[r["name"]], r.get("confidence", 0.0) + lexical_weight * lexical.get(r["name"], 0.0) / best_lexical)
        for r in ranking
        if r.get("name") in res.topics
    ]
    return sorted(scored, key=lambda item: -item[1])


def search_passage(lemmas: Sequence[str], res: Resources, coverage: float) -> Optional[Passage]:
    """The passage that best matches the question, if it covers enough of it."""
    hits = res.passage_index.scores(lemmas)
    if hits and res.passage_index.coverage(lemmas, hits[0][0]) >= coverage:
        return res.kb.passage(hits[0][0])
    return None


def _passage_or_decline(lemmas: Sequence[str], res: Resources, t: Thresholds) -> Decision:
    passage = search_passage(lemmas, res, t.passage_coverage)
    return Decision("passage", passage=passage) if passage else DECLINE


def decide(message: Dict[str, Any], lemmas: Sequence[str], res: Resources, t: Thresholds = THRESHOLDS) -> Decision:
    """What to answer to ``message`` (the NLU parse); ``lemmas``: its content lemmas."""
    text = message.get("text") or ""
    intent = (message.get("intent") or {}).get("name")
    if is_button_payload(text):
        return Decision("answer", (res.topics[intent],)) if intent in res.topics else DECLINE
    kinds = {e.get("entity") for e in message.get("entities") or []}
    if kinds & {OTHER_THERAPY, OTHER_TOPIC} or not shares_article_vocabulary(lemmas, res):
        return DECLINE

    ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
    first = ranking[0].get("name") if ranking else intent
    local = LOCAL_REQUEST in kinds
    if local and (first not in res.topics or ranking[0].get("confidence", 0.0) < t.local_confidence):
        return DECLINE
    named = entity_topics(message, res)
    if first == FOLLOW_UP_INTENT:
        # "and physical therapy?", "what about the cost?": the topic the entity names. A
        # follow-up is elliptical; a longer message is a question of its own.
        if named and len(text.split()) <= MAX_FOLLOW_UP_WORDS:
            return Decision("answer", (named[0],))
        ranking = ranking[1:]
        first = ranking[0].get("name") if ranking else None
    if first not in res.topics:
        return _passage_or_decline(lemmas, res, t)  # out_of_scope first: only a passage can still answer

    ranked = rank_topics(lemmas, ranking, res, t.lexical_weight)
    best, score = ranked[0]
    comparisons = [n for n in named if n.intent.startswith(COMPARISON_PREFIX)]
    if best.intent.startswith(COMPARISON_PREFIX) or best.intent == "ask_compare_therapies":
        if comparisons:  # "is NKT better than yoga?": the therapy named decides the comparison
            best, score = comparisons[0], max(score, t.min_score)
    if score < t.min_score:
        return _passage_or_decline(lemmas, res, t)
    if score < t.passage_over_topic:
        passage = search_passage(lemmas, res, t.passage_coverage)
        if passage and passage not in best.passages:
            return Decision("passage", passage=passage, alternatives=(best.intent,))

    others = [(topic, s) for topic, s in ranked if topic != best]
    alternatives = tuple(topic.intent for topic, s in others[:2] if s >= t.min_score / 2)
    close = [topic for topic, s in others if score - s < t.ambiguity_margin and not _share_passages(topic, best)]
    if close and not comparisons:
        return Decision("clarify", (best, *close[: MAX_CHOICES - 1]))
    return Decision("answer", (best,), alternatives=alternatives, local=local)


def _share_passages(a: Topic, b: Topic) -> bool:
    return bool({p.id for p in a.passages} & {p.id for p in b.passages})

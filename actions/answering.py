"""The answering actions: quote the article verbatim, or say honestly that it does not cover the question."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import retrieval
from actions.knowledge_base import KnowledgeBase, knowledge_base
from actions.safety import is_crisis
from actions.topics import Topic, TopicMap, load_topic_examples, load_topic_map

NOT_COVERED = "The article doesn't cover that, so I can't answer it from there."
NEAREST = "These are the nearest questions it does answer:"
MAIN_TOPICS = "You can ask me, for example:"
EMPTY = "I didn't get a question there. Type one about neurokinetic therapy and stress, or pick a topic:"
FALLBACK_INTENT = "nlu_fallback"
# Entities (nlp/patterns.jsonl) that mark a question the article cannot answer, whatever
# its intent: a therapy the article never discusses, a request for a local service.
UNCOVERED_ENTITIES = frozenset({"other_therapy", "local_request"})
MAX_SUGGESTIONS = 3
# Calibrated on the development questions (eval/dev.yml) with scripts/calibrate.py;
# reported on the held-out questions (eval/heldout.yml) with `make evaluate`.
MIN_SCORE = 0.4
LEXICAL_WEIGHT = 0.75


@dataclass(frozen=True)
class Resources:
    """Everything the actions need, built once per process from the article and the mapping."""

    kb: KnowledgeBase
    topic_map: TopicMap
    topic_index: retrieval.Bm25Index
    vocabulary: FrozenSet[str]

    @property
    def topics(self) -> Dict[str, Topic]:
        return self.topic_map.topics


@lru_cache(maxsize=1)
def resources() -> Resources:
    kb = knowledge_base()
    topic_map = load_topic_map(kb)
    examples = load_topic_examples()
    documents = [
        (
            t.intent,
            retrieval.content_lemmas(" ".join([t.title, *examples.get(t.intent, []), *(p.body for p in t.passages)])),
        )
        for t in topic_map.topics.values()
    ]
    index = retrieval.Bm25Index.build(documents)
    article_lemmas = retrieval.content_lemmas(" ".join(p.body for p in kb.passages))
    vocabulary = index.vocabulary | frozenset(article_lemmas) | _entity_vocabulary()
    return Resources(kb=kb, topic_map=topic_map, topic_index=index, vocabulary=vocabulary)


def _entity_vocabulary() -> FrozenSet[str]:
    """Words of the entity ruler's patterns: ways people name what the article talks about."""
    ruler = retrieval.nlp().get_pipe("entity_ruler")
    words = set()
    for pattern in ruler.patterns:
        if pattern["label"] not in UNCOVERED_ENTITIES and isinstance(pattern["pattern"], str):
            words.update(retrieval.content_lemmas(pattern["pattern"]))
    return frozenset(words)


def format_answer(topic: Topic) -> str:
    """The topic's passages, verbatim, then where they come from."""
    sources = list(dict.fromkeys(p.source for p in topic.passages))
    return "\n\n".join(p.body for p in topic.passages) + "\n\nSource: " + "; ".join(sources)


def buttons_for(topics: Sequence[Topic]) -> List[Dict[Text, Any]]:
    return [{"title": t.title, "payload": t.payload} for t in topics]


def is_button_payload(text: Optional[str]) -> bool:
    return bool(text) and text.startswith("/")


def shares_article_vocabulary(lemmas: Sequence[str], res: Resources) -> bool:
    """The second check: an off-topic message can get a confident in-domain intent, but it
    shares no meaningful word with the article or with the ways people ask about it."""
    # "how often should I go" is all stop words: nothing to check, the classifier decides
    return not lemmas or any(lemma in res.vocabulary for lemma in lemmas)


def nearest_topics(lemmas: Sequence[str], res: Resources) -> List[Topic]:
    """The covered topics nearest to the message, by passage search over their passages and
    examples (the classifier's ranking of an off-topic message is noise, so it is not used)."""
    return [res.topics[name] for name, _ in res.topic_index.scores(lemmas)[:MAX_SUGGESTIONS]]


def rank_topics(
    lemmas: Sequence[str], ranking: Sequence[Dict[str, Any]], res: Resources, lexical_weight: float = LEXICAL_WEIGHT
) -> List[Tuple[Topic, float]]:
    """The classifier's topic candidates, each scored by its confidence plus the
    passage search's score (normalised to the best one), best first."""
    lexical = dict(res.topic_index.scores(lemmas))
    best_lexical = max(lexical.values(), default=0.0) or 1.0
    scored = [
        (res.topics[r["name"]], r.get("confidence", 0.0) + lexical_weight * lexical.get(r["name"], 0.0) / best_lexical)
        for r in ranking
        if r.get("name") in res.topics
    ]
    return sorted(scored, key=lambda item: -item[1])


def choose_topic(
    message: Dict[str, Any],
    lemmas: Sequence[str],
    res: Resources,
    min_score: float = MIN_SCORE,
    lexical_weight: float = LEXICAL_WEIGHT,
) -> Optional[Topic]:
    """The topic to answer, or None when the article does not cover the message.

    ``lemmas`` are the message's content lemmas (``retrieval.content_lemmas``), computed once per message.
    """
    text = message.get("text") or ""
    intent = (message.get("intent") or {}).get("name")
    if is_button_payload(text):
        return res.topics.get(intent)
    ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
    if not ranking or ranking[0].get("name") not in res.topics:
        return None  # out_of_scope (or chit-chat) is the classifier's first choice
    if any(e.get("entity") in UNCOVERED_ENTITIES for e in message.get("entities") or []):
        return None
    if not shares_article_vocabulary(lemmas, res):
        return None
    topic, score = rank_topics(lemmas, ranking, res, lexical_weight)[0]
    return topic if score >= min_score else None


class ActionAnswerQuestion(Action):
    """Answers every topic intent by quoting its passages, or declines with the nearest covered questions."""

    def name(self) -> Text:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        res = resources()
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        if is_crisis(text):
            dispatcher.utter_message(response="utter_crisis")
            return []

        if not text.strip():
            dispatcher.utter_message(text=EMPTY, buttons=buttons_for([res.topics[n] for n in res.topic_map.main]))
            return []
        lemmas = retrieval.content_lemmas(text)
        topic = choose_topic(message, lemmas, res)
        if topic is None:
            suggestions = nearest_topics(lemmas, res)
            if suggestions:
                dispatcher.utter_message(text=f"{NOT_COVERED} {NEAREST}", buttons=buttons_for(suggestions))
            else:
                main = [res.topics[name] for name in res.topic_map.main]
                dispatcher.utter_message(text=f"{NOT_COVERED} {MAIN_TOPICS}", buttons=buttons_for(main))
            return [SlotSet("last_topic", None)]

        related = [res.topics[name] for name in topic.related]
        dispatcher.utter_message(text=format_answer(topic), buttons=buttons_for(related))
        return [SlotSet("last_topic", topic.intent)]


class ActionOfferTopics(Action):
    """After the greeting or help text (utter_greet / utter_help): the main topics as buttons."""

    def name(self) -> Text:
        return "action_offer_topics"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        res = resources()
        main = [res.topics[name] for name in res.topic_map.main]
        dispatcher.utter_message(text=MAIN_TOPICS, buttons=buttons_for(main))
        return []


# The article and the mapping are parsed once, when the action server imports this module:
# a missing or malformed article stops start-up with an error that names the file.
resources()

"""The answering action: quote the article verbatim, ask "did you mean …?", or say honestly that
the article does not cover the question; and the topics offered after a greeting.

What to answer is decided in ``actions.decision``; ``actions.replies`` formats and sends it,
and the conversation's thread is kept in slots (``last_topic``, ``quoted_passages``,
``alternatives``) for the follow-ups (``actions.follow_ups``).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import retrieval
from actions.decision import FALLBACK_INTENT, Decision, decide
from actions.replies import (
    CLARIFY,
    EMPTY,
    MAIN_TOPICS,
    NONE_OF_THESE,
    NOT_STATED,
    answer_passage,
    answer_topic,
    buttons_for,
    decline,
    forget_thread,
    main_topics,
)
from actions.reply_kinds import DID_YOU_MEAN
from actions.resources import Resources, resources
from actions.small_talk import small_talk
from common.safety import is_crisis

# the messages that are not a question of their own: what they continue was asked before
CONTINUING_INTENTS = frozenset({"tell_me_more", "not_what_i_asked", "feedback_helpful", "none_of_these"})


class ActionAnswerQuestion(Action):
    """Answers every topic intent and follow-up by quoting the article, or asks "did you mean",
    or declines with the nearest covered questions."""

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
            dispatcher.utter_message(text=EMPTY, buttons=buttons_for(main_topics(res)))
            return []
        if (message.get("intent") or {}).get("name") == "none_of_these":
            decline(dispatcher, [], res)  # nothing is near what none of the offered topics was
            return forget_thread()

        return respond(dispatcher, message, res, asked_question(tracker))


def unsure_small_talk(message: Dict[str, Any]) -> Optional[str]:
    """The small-talk intent the NLU was unsure of (``nlp.components.SmallTalkGuard`` made the
    message ``nlu_fallback``), if it ranked first: a question gets a passage if search finds
    one, a greeting still gets a greeting."""
    if (message.get("intent") or {}).get("name") != FALLBACK_INTENT:
        return None
    ranking = [r.get("name") for r in message.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
    return ranking[0] if ranking and ranking[0] in small_talk() else None


def respond(
    dispatcher: CollectingDispatcher, message: Dict[str, Any], res: Resources, question: str
) -> List[EventType]:
    """Decide on the message and send the answer, the question back, or "not covered";
    ``question`` is what the answer's marked sentence must answer."""
    lemmas = retrieval.content_lemmas(message.get("text") or "")
    decision: Decision = decide(message, lemmas, res)
    if decision.kind == "answer":
        topic = decision.topics[0]
        return answer_topic(dispatcher, topic, res, decision.alternatives, decision.local, decision.quoted, question)
    if decision.kind == "clarify":
        dispatcher.utter_message(
            text=CLARIFY, buttons=buttons_for(decision.topics) + [NONE_OF_THESE], reply=DID_YOU_MEAN
        )
        return forget_thread()
    if decision.kind == "passage" and decision.passage:
        found = answer_passage(dispatcher, decision.passage, res, question, (), decision.alternatives)
        return [SlotSet("last_topic", None), *found]
    unsure = unsure_small_talk(message)
    if unsure and not decision.unstated:  # "hiya mate" (greet 0.42): nothing found, so greet back
        talk = small_talk()[unsure]
        dispatcher.utter_message(response=talk.response)
        if talk.offers_topics:
            dispatcher.utter_message(text=MAIN_TOPICS, buttons=buttons_for(main_topics(res)))
        return forget_thread()
    if decision.unstated:  # the right section, but not the year / number / … asked for
        reason = NOT_STATED.format(kind=decision.unstated)
        decline(dispatcher, lemmas, res, reason=reason, first=[res.topics[name] for name in decision.alternatives])
    else:
        decline(dispatcher, lemmas, res)
    return forget_thread()


def asked_question(tracker: Tracker) -> str:
    """The question an answer serves: the latest message that asked one, not a button's
    payload, "tell me more" or "not what I asked" (the question they continue came before)."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        text = event.get("text") or ""
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if text.strip() and not text.startswith("/") and intent not in CONTINUING_INTENTS:
            return text
    return ""


def previous_user_text(tracker: Tracker) -> Optional[str]:
    """The user's message before the latest one (the question the answer missed)."""
    texts = [e.get("text") for e in tracker.events if e.get("event") == "user"]
    return texts[-2] if len(texts) >= 2 else None


class ActionOfferTopics(Action):
    """After the greeting or help text (utter_greet / utter_help): the main topics as buttons."""

    def name(self) -> Text:
        return "action_offer_topics"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(text=MAIN_TOPICS, buttons=buttons_for(main_topics(resources())))
        return []


# The article and the mapping are parsed, and the search indexes built and the passage
# classifier trained (about 2.5 s), once, when the action server imports this module: a
# missing or malformed article (or small-talk rule) stops start-up with an error that names the file.
resources()
small_talk()

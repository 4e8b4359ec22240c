"""The follow-ups of an answer: "tell me more" (the next passage on its subject), "that's not
what I asked" (the next best topic), and "helpful" (the visitor's verdict, recorded)."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import retrieval
from actions.answering import asked_question, previous_user_text, respond
from actions.continuation import next_passage
from actions.decision import entity_topics
from actions.replies import (
    END_OF_SUBJECT,
    MAX_REPAIR_WORDS,
    MAX_SUGGESTIONS,
    NOTHING_BEFORE,
    THANKS_FOR_FEEDBACK,
    answer_passage,
    answer_topic,
    buttons_for,
    decline,
    forget_thread,
    main_topics,
    nearest_topics,
)
from actions.resources import resources


class ActionTellMore(Action):
    """ "Tell me more": the next passage on the answer's subject (``actions.continuation``),
    never the same one twice."""

    def name(self) -> Text:
        return "action_tell_more"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        res = resources()
        quoted = [pid for pid in tracker.get_slot("quoted_passages") or [] if res.kb.has_passage(pid)]
        if not quoted:
            dispatcher.utter_message(text=NOTHING_BEFORE, buttons=buttons_for(main_topics(res)))
            return []
        topic = res.topics.get(tracker.get_slot("last_topic") or "")
        named = entity_topics(tracker.latest_message or {}, res)
        if named and named[0] != topic:  # "and how much is it?": another topic, named, not more of this one
            return answer_topic(dispatcher, named[0], res, question=asked_question(tracker))
        following = next_passage(quoted, topic, res.kb, res.topic_map, res.similarity)
        if following is None:
            last = res.kb.passage(quoted[-1])
            related = [res.topics[n] for n in topic.related] if topic else []
            related = related or nearest_topics(
                retrieval.content_lemmas(last.body), res, exclude=[t.intent for t in [topic] if t]
            )
            text = END_OF_SUBJECT.format(subject=topic.title if topic else last.section.heading)
            dispatcher.utter_message(text=f"{text} Related topics:", buttons=buttons_for(related[:MAX_SUGGESTIONS]))
            return []
        return answer_passage(dispatcher, following, res, asked_question(tracker), quoted)


class ActionTryNextBest(Action):
    """ "That's not what I asked": the next best topic for the previous question, then "not covered"."""

    def name(self) -> Text:
        return "action_try_next_best"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        verdict = feedback(tracker, helpful=False)
        return verdict + await self._repair(dispatcher, tracker)

    async def _repair(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        res = resources()
        message = tracker.latest_message or {}
        if len((message.get("text") or "").split()) > MAX_REPAIR_WORDS:
            # "that's not what I asked, I meant is it safe": a new question comes with the repair
            ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != "not_what_i_asked"]
            return respond(dispatcher, {**message, "intent_ranking": ranking}, res, message.get("text") or "")
        alternatives: List[str] = [a for a in tracker.get_slot("alternatives") or [] if a in res.topics]
        if alternatives:
            topic = res.topics[alternatives[0]]
            return answer_topic(dispatcher, topic, res, alternatives[1:], question=asked_question(tracker))
        question = previous_user_text(tracker) or ""
        tried = [tracker.get_slot("last_topic")] if tracker.get_slot("last_topic") else []
        dispatcher.utter_message(text="Sorry about that.")
        decline(dispatcher, retrieval.content_lemmas(question), res, exclude=tried)
        return forget_thread()


def feedback(tracker: Tracker, helpful: bool) -> List[EventType]:
    """The visitor's verdict on the last answer, as a slot event in the conversation's tracker:
    the topic and first passage it refers to (nothing when no answer came before)."""
    quoted = tracker.get_slot("quoted_passages") or []
    if not quoted:
        return []
    verdict = {"helpful": helpful, "topic": tracker.get_slot("last_topic"), "passage": quoted[0]}
    return [SlotSet("feedback", verdict)]


class ActionRecordFeedback(Action):
    """ "Helpful" on an answer: recorded (``feedback``), thanked, the thread kept for "tell me more"."""

    def name(self) -> Text:
        return "action_record_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(text=THANKS_FOR_FEEDBACK)
        return feedback(tracker, helpful=True)

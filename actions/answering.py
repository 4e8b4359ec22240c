"""The Rasa actions: quote the article verbatim, ask "did you mean …?", tell more, try the next
best answer, or say honestly that the article does not cover the question.

What to answer is decided in ``actions.decision``; this module formats and sends it, and
keeps the conversation's thread in slots (``last_topic``, ``quoted_passages``,
``alternatives``).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import retrieval
from actions.continuation import next_passage
from actions.decision import FALLBACK_INTENT, Decision, Resources, decide, entity_topics, resources
from actions.knowledge_base import Passage
from actions.marking import Span
from actions.reply_kinds import ANSWERED, DECLINED, DID_YOU_MEAN
from actions.safety import is_crisis
from actions.topics import Topic

NOT_COVERED = "The article doesn't cover that, so I can't answer it from there."
NOT_STATED_OPENING = "The article doesn't give a"
NOT_STATED = NOT_STATED_OPENING + " {kind} for that, so I can't answer it from there."
NEAREST = "These are the nearest questions it does answer:"
MAIN_TOPICS = "You can ask me, for example:"
EMPTY = "I didn't get a question there. Type one about neurokinetic therapy and stress, or pick a topic:"
NO_LOCAL_INFORMATION = (
    "The article has no local information (practitioners, prices or services near you); in general it says:"
)
CLARIFY = "I'm not sure which of these you mean. Did you mean:"
NOTHING_BEFORE = "Ask me a question about the article first, and I can tell you more about the answer."
END_OF_SUBJECT = "That's everything the article says on “{subject}”."
NONE_OF_THESE = {"title": "None of these", "payload": "/none_of_these"}
# every answer's verdict buttons: "Not helpful" is the "that's not what I asked" repair
HELPFUL = {"title": "Helpful", "payload": "/feedback_helpful"}
NOT_WHAT_I_ASKED = {"title": "Not helpful", "payload": "/not_what_i_asked"}
FEEDBACK_BUTTONS = [HELPFUL, NOT_WHAT_I_ASKED]
THANKS_FOR_FEEDBACK = "Thanks for telling me. Ask me anything else about the article."
SMALL_TALK_RESPONSES = {  # as data/rules.yml answers them when the classifier is sure
    "greet": "utter_greet",
    "help": "utter_help",
    "goodbye": "utter_goodbye",
    "thanks": "utter_welcome",
    "bot_challenge": "utter_iamabot",
}
MAX_SUGGESTIONS = 3
MAX_REPAIR_WORDS = 6  # "that's not what I asked" and little more
PASSAGE_SEPARATOR = "\n\n"
# the messages that are not a question of their own: what they continue was asked before
CONTINUING_INTENTS = frozenset({"tell_me_more", "not_what_i_asked", "feedback_helpful", "none_of_these"})


def quote(passages: Sequence[Passage]) -> str:
    """The passages, verbatim, then where they come from."""
    sources = list(dict.fromkeys(p.source for p in passages))
    return PASSAGE_SEPARATOR.join(p.body for p in passages) + "\n\nSource: " + "; ".join(sources)


def marks_for(question: str, passages: Sequence[Passage], res: Resources) -> List[Optional[Span]]:
    """Per passage, the span of the sentence that answers ``question`` (``actions.marking``):
    in the first passage, the one that answers; the others follow it unmarked."""
    if not passages or not question.strip():
        return [None] * len(passages)
    first = res.marker.mark(question, retrieval.content_lemmas(question), passages[0])
    return [first, *[None] * (len(passages) - 1)]


def quote_data(
    passages: Sequence[Passage], title: Optional[str] = None, marks: Sequence[Optional[Span]] = ()
) -> Dict[str, Any]:
    """The same quote as structured data, sent along as message metadata (``article_quote``):
    the web and Slack channels render it in their own idiom (a bold title, the source as a
    link or context line, the answering sentence marked); the REST channel passes the marks
    on as custom data (``marked``: passage id, span in the passage and in the reply's text)."""
    marks = list(marks) or [None] * len(passages)
    data: List[Dict[str, Any]] = []
    marked: List[Dict[str, Any]] = []
    offset = 0
    for passage, mark in zip(passages, marks, strict=True):
        entry: Dict[str, Any] = {
            "id": passage.id,
            "text": passage.body,
            "section": passage.section.heading,
            "anchor": passage.section.anchor,
            "label": passage.title,
        }
        if mark:
            entry["mark"] = list(mark)
            start, end = mark
            spans = {"start": start, "end": end, "text_start": offset + start, "text_end": offset + end}
            marked.append({"passage": passage.id, **spans})
        data.append(entry)
        offset += len(passage.body) + len(PASSAGE_SEPARATOR)
    return {"title": title, "passages": data, "marked": marked}


def buttons_for(topics: Sequence[Topic]) -> List[Dict[Text, Any]]:
    return [{"title": t.title, "payload": t.payload} for t in topics]


def main_topics(res: Resources) -> List[Topic]:
    return [res.topics[name] for name in res.topic_map.main]


def nearest_topics(lemmas: Sequence[str], res: Resources, exclude: Sequence[str] = ()) -> List[Topic]:
    """The covered topics nearest to the message, by passage search over their passages and
    examples (the classifier's ranking of an off-topic message is noise, so it is not used)."""
    names = [name for name, _ in res.topic_index.scores(lemmas) if name not in exclude]
    return [res.topics[name] for name in names[:MAX_SUGGESTIONS]]


def decline(
    dispatcher: CollectingDispatcher,
    lemmas: Sequence[str],
    res: Resources,
    exclude: Sequence[str] = (),
    reason: str = NOT_COVERED,
    first: Sequence[Topic] = (),
) -> None:
    """ "Not covered" (or another ``reason``), with ``first`` and the nearest covered topics
    (or the main ones) as buttons."""
    near = list(dict.fromkeys([*first, *nearest_topics(lemmas, res, exclude)]))[:MAX_SUGGESTIONS]
    if near:
        dispatcher.utter_message(text=f"{reason} {NEAREST}", buttons=buttons_for(near), reply=DECLINED)
    else:
        dispatcher.utter_message(text=f"{reason} {MAIN_TOPICS}", buttons=buttons_for(main_topics(res)), reply=DECLINED)


def answer_topic(
    dispatcher: CollectingDispatcher,
    topic: Topic,
    res: Resources,
    alternatives: Sequence[str] = (),
    local: bool = False,
    passages: Sequence[Passage] = (),
    question: str = "",
) -> List[EventType]:
    """Quote the topic's ``passages`` (default: all of them, in the mapping's order), the
    sentence that answers ``question`` marked."""
    passages = passages or topic.passages
    related = [res.topics[name] for name in topic.related]
    if local:
        dispatcher.utter_message(text=NO_LOCAL_INFORMATION)
    dispatcher.utter_message(
        text=quote(passages),
        buttons=buttons_for(related) + FEEDBACK_BUTTONS,
        article_quote=quote_data(passages, topic.title, marks_for(question, passages, res)),
        reply=ANSWERED,
    )
    return [
        SlotSet("last_topic", topic.intent),
        SlotSet("quoted_passages", [p.id for p in passages]),
        SlotSet("alternatives", list(alternatives)),
    ]


def answer_passage(
    dispatcher: CollectingDispatcher,
    passage: Passage,
    res: Resources,
    question: str,
    quoted: Sequence[str] = (),
    alternatives: Sequence[str] = (),
) -> List[EventType]:
    dispatcher.utter_message(
        text=quote([passage]),
        buttons=FEEDBACK_BUTTONS,
        article_quote=quote_data([passage], passage.title, marks_for(question, [passage], res)),
        reply=ANSWERED,
    )
    return [SlotSet("quoted_passages", [*quoted, passage.id]), SlotSet("alternatives", list(alternatives))]


def forget_thread() -> List[EventType]:
    return [SlotSet("last_topic", None), SlotSet("quoted_passages", []), SlotSet("alternatives", [])]


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
    return ranking[0] if ranking and ranking[0] in SMALL_TALK_RESPONSES else None


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
    small_talk = unsure_small_talk(message)
    if small_talk and not decision.unstated:  # "hiya mate" (greet 0.42): nothing found, so greet back
        dispatcher.utter_message(response=SMALL_TALK_RESPONSES[small_talk])
        if small_talk in ("greet", "help"):
            dispatcher.utter_message(text=MAIN_TOPICS, buttons=buttons_for(main_topics(res)))
        return forget_thread()
    if decision.unstated:  # the right section, but not the year / number / … asked for
        reason = NOT_STATED.format(kind=decision.unstated)
        decline(dispatcher, lemmas, res, reason=reason, first=[res.topics[name] for name in decision.alternatives])
    else:
        decline(dispatcher, lemmas, res)
    return forget_thread()


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
# missing or malformed article stops start-up with an error that names the file.
resources()

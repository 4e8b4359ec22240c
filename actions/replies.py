"""The replies the actions send: passages quoted verbatim with their source (the answering
sentence marked), "did you mean", and "not covered" with the nearest covered questions as
buttons. The texts of the bot's own sentences are here too; the article's are never changed.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import retrieval
from actions.marking import Span
from actions.reply_kinds import ANSWERED, DECLINED
from actions.resources import Resources
from common.knowledge_base import Passage
from common.topics import Topic

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
MAX_SUGGESTIONS = 3
MAX_REPAIR_WORDS = 6  # "that's not what I asked" and little more
PASSAGE_SEPARATOR = "\n\n"


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

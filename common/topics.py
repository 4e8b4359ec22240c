"""The mapping from intents to the passages that answer them (``data/article/topics.yml``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import yaml

from common.knowledge_base import ArticleError, KnowledgeBase, Passage

ROOT = Path(__file__).resolve().parent.parent
TOPICS_PATH = ROOT / "data" / "article" / "topics.yml"
TOPIC_EXAMPLES_PATH = ROOT / "data" / "nlu" / "faq.yml"
PASSAGE_QUESTIONS_PATH = ROOT / "data" / "article" / "passage_questions.yml"
DETAIL_QUESTIONS_PATH = ROOT / "data" / "article" / "detail_questions.yml"  # also intent examples


@dataclass(frozen=True)
class Topic:
    intent: str
    title: str  # short human description, shown on buttons
    passages: Tuple[Passage, ...]
    related: Tuple[str, ...] = ()
    entities: Tuple[str, ...] = ()  # entity ids that name this topic in a follow-up or comparison

    @property
    def payload(self) -> str:
        """A button payload that asks this topic directly, whatever the classifier thinks."""
        return f"/{self.intent}"


@dataclass(frozen=True)
class TopicMap:
    topics: Dict[str, Topic]
    main: Tuple[str, ...]  # offered as buttons by greeting and help

    def topics_holding(self, passage_id: str) -> List[Topic]:
        """The topics that quote the passage (two for a few, none for the introduction)."""
        return [topic for topic in self.topics.values() if any(p.id == passage_id for p in topic.passages)]

    def topic_for_entity(self, entity_id: str) -> Optional[Topic]:
        """The topic an entity names ("massage" -> the massage comparison), if any."""
        for topic in self.topics.values():
            if entity_id in topic.entities:
                return topic
        return None


# what a publisher who edited the article runs to see what to fix
CHECK_HINT = "make check-article lists what the edit changed and what to do"


def load_topic_map(kb: KnowledgeBase, path: Path = TOPICS_PATH) -> TopicMap:
    """Read the mapping and resolve its passage ids; unknown ids stop start-up, naming the file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArticleError(f"{path}: the topic mapping file is missing") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("topics"), dict):
        raise ArticleError(f"{path}: expected a mapping with a 'topics' key")

    topics: Dict[str, Topic] = {}
    for intent, entry in raw["topics"].items():
        missing = [pid for pid in entry.get("passages", []) if not kb.has_passage(pid)]
        if missing or not entry.get("passages") or not entry.get("title"):
            raise ArticleError(
                f"{path}: topic {intent!r} needs a title and passages that exist in "
                f"{kb.source_file.name} (unknown: {', '.join(missing) or 'none'}; {CHECK_HINT})"
            )
        topics[intent] = Topic(
            intent=intent,
            title=entry["title"],
            passages=tuple(kb.passage(pid) for pid in entry["passages"]),
            related=tuple(entry.get("related", ())),
            entities=tuple(entry.get("entities", ())),
        )
    main = tuple(raw.get("main_topics", ()))
    unknown = ({r for t in topics.values() for r in t.related} | set(main)) - set(topics)
    if unknown:
        raise ArticleError(f"{path}: 'related' or 'main_topics' name unknown topics: {', '.join(sorted(unknown))}")
    return TopicMap(topics=topics, main=main)


def load_topic_examples(path: Path = TOPIC_EXAMPLES_PATH) -> Dict[str, List[str]]:
    """The NLU training examples of each intent in ``path`` (by default the topics'): how people ask.

    The action server uses their words, with the article's, to tell a question about
    the article from one that merely got an in-domain intent.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArticleError(f"{path}: the topics' training examples are missing") from None
    examples: Dict[str, List[str]] = {}
    for block in raw.get("nlu", []):
        if "intent" in block:
            lines = [line[2:].strip() for line in block.get("examples", "").splitlines() if line.startswith("- ")]
            examples.setdefault(block["intent"], []).extend(lines)
    return examples


def load_passage_questions(
    kb: KnowledgeBase, paths: Sequence[Path] = (PASSAGE_QUESTIONS_PATH, DETAIL_QUESTIONS_PATH)
) -> Dict[str, List[str]]:
    """Questions each passage answers, in people's words (indexed with the passage for search),
    from each of ``paths`` in turn.

    An id the article no longer has stops start-up, naming the file, as for the mapping: a
    question indexed under the wrong passage would make search quote the wrong one.
    """
    merged: Dict[str, List[str]] = {}
    for path in paths:
        for pid, qs in _questions_file(kb, path).items():
            merged.setdefault(pid, []).extend(qs)
    return merged


def _questions_file(kb: KnowledgeBase, path: Path) -> Dict[str, List[str]]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArticleError(f"{path}: the passages' questions are missing") from None
    questions = raw.get("passages") if isinstance(raw, dict) else None
    if not isinstance(questions, dict):
        raise ArticleError(f"{path}: expected a mapping with a 'passages' key")
    unknown = [pid for pid in questions if not kb.has_passage(pid)]
    if unknown:
        raise ArticleError(f"{path}: passage ids not in {kb.source_file.name}: {', '.join(unknown)} ({CHECK_HINT})")
    return {pid: [str(q) for q in qs or []] for pid, qs in questions.items()}


def detail_examples(kb: KnowledgeBase, topic_map: TopicMap, path: Path = DETAIL_QUESTIONS_PATH) -> Dict[str, List[str]]:
    """The detail questions as intent examples: each for the one topic that holds its passage
    (a passage two topics share, or none, teaches no intent)."""
    examples: Dict[str, List[str]] = {}
    for pid, questions in _questions_file(kb, path).items():
        holders = topic_map.topics_holding(pid)
        if len(holders) == 1:
            examples.setdefault(holders[0].intent, []).extend(questions)
    return examples

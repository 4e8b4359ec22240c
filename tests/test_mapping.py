"""The mapping from intents to passages stays complete and true to the article."""

import json
from functools import lru_cache

import pytest
import yaml
from rasa.shared.importers.importer import TrainingDataImporter

from common.knowledge_base import ArticleError
from common.topics import (
    DETAIL_QUESTIONS_PATH,
    PASSAGE_QUESTIONS_PATH,
    TOPICS_PATH,
    detail_examples,
    load_passage_questions,
    load_topic_examples,
    load_topic_map,
)
from nlp.importer import ordinary_messages
from scripts.bot_servers import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
RAW_MAPPING = yaml.safe_load(TOPICS_PATH.read_text())
NON_TOPIC_INTENTS = {
    "greet",
    "goodbye",
    "thanks",
    "bot_challenge",
    "help",
    "out_of_scope",
    "crisis",
    "follow_up",
    "tell_me_more",
    "not_what_i_asked",
    "none_of_these",
    "erase_conversation",
    "confirm_erase",
    "deny_erase",
    "feedback_helpful",
}


@lru_cache(maxsize=1)
def nlu_examples():
    """Every intent's training examples as `rasa train` reads them, through the importers that
    config.yml names (data/nlu and the detail questions)."""
    config, domain = str(ROOT / "config.yml"), str(ROOT / "domain.yml")
    data = TrainingDataImporter.load_from_config(config, domain, [str(ROOT / "data")]).get_nlu_data()
    examples = {}
    for message in data.intent_examples:
        if message.get("text"):  # the importer also adds the rules' intents, without text
            examples.setdefault(message.get("intent"), []).append(message.get("text"))
    return examples


def written_examples():
    """The examples written in data/nlu, without the detail questions."""
    examples = {}
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for intent, lines in load_topic_examples(path).items():
            examples.setdefault(intent, []).extend(lines)
    return examples


def test_every_mapped_passage_id_exists_in_the_article(kb):
    ids = {p.id for p in kb.passages}
    for intent, entry in RAW_MAPPING["topics"].items():
        for pid in entry["passages"]:
            assert pid in ids, f"{intent}: passage {pid!r} is not in the article any more"


def answered_by_quoting() -> set:
    """The intents data/rules.yml sends to the answering action."""
    rules = yaml.safe_load((ROOT / "data" / "rules.yml").read_text())["rules"]
    intents = set()
    for rule in rules:
        steps = rule["steps"]
        for first, then in zip(steps, steps[1:], strict=False):
            if then.get("action") == "action_answer_question":
                intents |= {step["intent"] for step in first.get("or", [first]) if "intent" in step}
    return intents


def test_a_topic_is_declared_wherever_rasa_needs_it_and_a_missing_one_names_the_file():
    """Adding a topic takes data/article/topics.yml, domain.yml, the answering rule and examples:
    each that is missing is named."""
    topics = set(RAW_MAPPING["topics"])
    examples = nlu_examples()
    problems = [
        *(f"domain.yml: add {t} to intents" for t in sorted(topics - set(DOMAIN["intents"]))),
        *(
            f"data/article/topics.yml: map {t} to its passages"
            for t in sorted(set(DOMAIN["intents"]) - NON_TOPIC_INTENTS - topics)
        ),
        *(
            f"data/rules.yml: add {t} to the rule that answers every topic"
            for t in sorted(topics - answered_by_quoting())
        ),
        *(f"data/nlu/: write examples of {t}" for t in sorted(topics - set(examples))),
    ]
    assert not problems, "\n".join(problems)


def test_every_faq_question_is_an_example_of_the_intent_that_quotes_its_answer(kb):
    examples = nlu_examples()
    for entry in kb.faq:
        intents = [i for i, lines in examples.items() if entry.question in lines]
        assert len(intents) == 1, f"FAQ question {entry.question!r} is an example of {intents}"
        assert entry.answer.id in RAW_MAPPING["topics"][intents[0]]["passages"]


def test_every_intent_has_enough_varied_training_examples():
    examples = written_examples()
    for intent in DOMAIN["intents"]:
        minimum = 100 if intent == "out_of_scope" else 15
        assert len(examples.get(intent, [])) >= minimum, intent


def test_no_training_example_is_under_two_intents():
    seen = {}
    for intent, lines in nlu_examples().items():
        for line in lines:
            key = line.lower()
            assert seen.setdefault(key, intent) == intent, f"{line!r} is under {seen[key]} and {intent}"


def indexed_questions():
    return {
        q.lower()
        for path in (PASSAGE_QUESTIONS_PATH, DETAIL_QUESTIONS_PATH)
        for qs in yaml.safe_load(path.read_text())["passages"].values()
        for q in qs
    }


def single_texts(split: dict) -> list:
    """Every single question of a split: plain strings or ``{text: …}`` entries."""
    keys = ("in_scope", "out_of_scope", "crisis", "ordinary_scary", "passage_search", "marking")
    return [c if isinstance(c, str) else c["text"] for key in keys for c in split.get(key) or []]


EVAL_SPLITS = sorted(path.name for path in (ROOT / "eval").glob("*.yml"))


@pytest.mark.parametrize("name", EVAL_SPLITS)
def test_evaluation_questions_are_not_training_examples_nor_indexed_questions(name):
    questions = yaml.safe_load((ROOT / "eval" / name).read_text())
    single = single_texts(questions)
    training = {line.lower() for lines in nlu_examples().values() for line in lines}
    training |= {line.lower() for line in ordinary_messages()}  # the crisis classifier's negatives
    assert not [t for t in single if t.lower() in training]
    # "tell me more" may well be a training example; no evaluation text may be an indexed question
    turns = [turn["text"] for c in questions.get("conversations") or [] for turn in c["turns"]]
    indexed = indexed_questions()  # once: parsing the file per text took minutes
    assert not [t for t in single + turns if t.lower() in indexed]


@pytest.mark.parametrize("name", EVAL_SPLITS)
def test_every_evaluation_label_names_a_passage_of_the_article(name, kb):
    questions = yaml.safe_load((ROOT / "eval" / name).read_text())
    cases = [case for key in ("in_scope", "ordinary_scary", "marking") for case in questions.get(key) or []]
    cases += [turn for c in questions.get("conversations") or [] for turn in c["turns"]]
    labels = {pid for case in cases for pid in case.get("passages") or []}
    assert labels or not questions.get("in_scope")  # a crisis split may label nothing
    assert not [pid for pid in labels if not kb.has_passage(pid)]


def test_every_passage_has_indexed_questions_and_every_id_exists(kb):
    questions = load_passage_questions(kb)
    assert set(questions) == {p.id for p in kb.passages}
    assert all(len(qs) >= 8 for qs in questions.values())


def test_an_unknown_passage_id_among_the_indexed_questions_stops_start_up_naming_the_file(kb, tmp_path):
    broken = tmp_path / "passage_questions.yml"
    broken.write_text('passages:\n  no-such-passage:\n    - "what?"\n')
    with pytest.raises(ArticleError, match="no-such-passage") as error:
        load_passage_questions(kb, [broken])
    assert str(broken) in str(error.value)


def test_an_unknown_passage_id_stops_start_up_naming_the_mapping_file(kb, tmp_path):
    broken = tmp_path / "topics.yml"
    broken.write_text("topics:\n  ask_x:\n    title: X\n    passages: [no-such-passage]\n")
    try:
        load_topic_map(kb, broken)
    except ArticleError as error:
        assert str(broken) in str(error) and "no-such-passage" in str(error)
    else:
        raise AssertionError("an unknown passage id was accepted")


def test_every_entity_a_topic_names_is_an_entity_ruler_id_and_names_one_topic():
    pattern_ids = {json.loads(line).get("id") for line in (ROOT / "nlp" / "patterns.jsonl").read_text().splitlines()}
    named = [e for entry in RAW_MAPPING["topics"].values() for e in entry.get("entities", [])]
    assert set(named) <= pattern_ids
    assert len(named) == len(set(named))


def test_a_detail_question_teaches_the_one_topic_that_holds_its_passage(kb, tmp_path):
    topic_map = load_topic_map(kb)
    holders = {p.id: [t.intent for t in topic_map.topics_holding(p.id)] for p in kb.passages}
    single = next(pid for pid, intents in holders.items() if len(intents) == 1)
    shared = next(pid for pid, intents in holders.items() if len(intents) > 1)
    unheld = next(pid for pid, intents in holders.items() if not intents)
    questions = tmp_path / "detail_questions.yml"
    questions.write_text(f'passages:\n  {single}:\n    - "a"\n  {shared}:\n    - "b"\n  {unheld}:\n    - "c"\n')
    assert detail_examples(kb, topic_map, questions) == {holders[single][0]: ["a"]}


def test_rasa_trains_on_every_detail_question_under_its_topic_and_under_no_other(kb):
    examples = nlu_examples()
    taught = detail_examples(kb, load_topic_map(kb))
    for intent, questions in taught.items():
        assert set(questions) <= set(examples[intent]), intent
    # a detail question that was already an example of another intent would be dropped silently
    written = {line.lower(): intent for intent, lines in written_examples().items() for line in lines}
    for intent, questions in taught.items():
        clashes = [q for q in questions if written.get(q.lower(), intent) != intent]
        assert not clashes, f"{intent}: {clashes} are examples of another intent"

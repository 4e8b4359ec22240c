"""Which kind of fact a question asks for, and whether a passage states one."""

import pytest

from actions.answer_types import unstated


class Body:
    def __init__(self, body: str) -> None:
        self.body = body


@pytest.mark.parametrize(
    "question, kind",
    [
        ("what year was nkt invented", "year"),
        ("In what year did it start?", "year"),
        ("how many studies are there on nkt", "number"),
        ("what % of clients feel better", "percentage"),
        ("whats the success rate of nkt", "percentage"),
        ("which country did nkt come from", "place"),
        ("how many percent of clients improve", "percentage"),
    ],
)
def test_a_question_for_a_fact_no_passage_states_names_its_kind(question, kind):
    assert unstated(question, [Body("NKT is a hands-on approach to muscle imbalance.")]) == kind


@pytest.mark.parametrize(
    "question, body",
    [
        ("how many sessions do i need", "Most clients need 4-8 sessions."),
        ("how many studies are there", "Only a few studies exist."),
        ("how many insurance plans cover it", "Most insurance plans do not cover it."),
        ("how many side effects are there", "Adverse effects are rare."),
        ("what year was it developed", "It was developed in the 1980s."),
        ("what percentage of people improve", "About 60% of clients improved."),
    ],
)
def test_a_fact_the_passage_states_lets_it_answer(question, body):
    assert unstated(question, [Body(body)]) is None


@pytest.mark.parametrize(
    "question",
    [
        "how much does nkt cost",
        "how long does a session take",
        "is nkt 100% safe",
        "how likely is it to help me",
        "what state does chronic stress keep the nervous system in",
    ],
)
def test_questions_the_article_answers_in_words_are_not_checked(question):
    assert unstated(question, [Body("It is paid out of pocket, over weeks or months.")]) is None


def test_nothing_to_quote_is_nothing_to_check():
    assert unstated("what year was nkt invented", []) is None

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
        ("how much does one session cost in dollars", "price"),
        ("what is the actual cost of one session", "price"),
        ("how long is a session, 45 or 60 min?", "time in minutes or hours"),
        ("how long does a session take", "time in minutes or hours"),
        ("how long does the soreness last, hours or days?", "time in minutes or hours"),
        ("how many hours of training does certification take", "time in minutes or hours"),
        ("by how much does it lower cortisol", "figure"),
        ("what is the exact ratio of people who improve", "figure"),
        ("which researchers studied nkt", "name"),
        ("who did the research on nkt", "name"),
        ("which university has done nkt research", "name of an organisation"),
        ("who were the authors of the study", "name"),
        ("whats the name of the official body that certifies practitioners", "name of an organisation"),
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
        ("how much does nkt cost", "It is paid out of pocket; insurance rarely covers it."),
        ("how much is a session in dollars", "A session costs $120."),
        ("how many minutes is a session", "A session lasts about 60 minutes."),
        ("which university studied it", "A trial at the University of Leeds found …"),
    ],
)
def test_a_fact_the_passage_states_lets_it_answer(question, body):
    assert unstated(question, [Body(body)]) is None


@pytest.mark.parametrize(
    "question",
    [
        "how much does nkt cost",
        "how long does nkt take",
        "how much does a session cost",
        "how much does it cost per session",
        "what is the actual cost-effectiveness of nkt",
        "can nkt relieve stress in minutes",
        "what association is there between stress and muscle tension",
        "is nkt 100% safe",
        "how likely is it to help me",
        "what state does chronic stress keep the nervous system in",
        "i was in pain for hours after work, can nkt help",
    ],
)
def test_questions_the_article_answers_in_words_are_not_checked(question):
    assert unstated(question, [Body("It is paid out of pocket, over weeks or months.")]) is None


def test_a_cost_question_is_not_answered_by_a_passage_that_speaks_of_no_cost():
    assert unstated("how much does the certification course cost", [Body("It requires specific training.")]) == "cost"


def test_hours_in_another_clause_do_not_ask_for_a_time():
    question = "how many sessions do i need if i sit at a desk for hours a day"
    assert unstated(question, [Body("Many practitioners recommend 4-8 sessions initially.")]) is None


def test_several_or_most_is_no_figure_for_by_how_much():
    assert unstated("by how much does nkt reduce stress", [Body("It acts through several mechanisms.")]) == "figure"
    assert unstated("by how much does it lower cortisol", [Body("Cortisol fell by 30%.")]) is None


def test_a_developer_named_in_the_passage_answers_who_developed_it():
    developed = Body("NKT is a bodywork technique developed by David Weinstock.")
    assert unstated("who was the scientist who developed nkt", [developed]) is None
    assert unstated("which researchers studied nkt", [Body("Studies on soft tissue mobilization …")]) == "name"


def test_nothing_to_quote_is_nothing_to_check():
    assert unstated("what year was nkt invented", []) is None

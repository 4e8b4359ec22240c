"""Crisis and emergency messages are recognised; ordinary questions about the article are not."""

import pytest

from actions.safety import is_crisis


@pytest.mark.parametrize(
    "text",
    [
        "I want to kill myself",
        "i’ve been thinking about suicide",
        "nkt isn't helping and I want to end it all",
        "everyone would be better off without me",
        "kms",
        "I have chest pain after my nkt session",
        "I can't breathe",
        "my friend took too many pills",
        "I keep cutting myself",
        "I think I'm having a heart attack",
    ],
)
def test_crisis_messages_are_recognised(text):
    assert is_crisis(text)


@pytest.mark.parametrize(
    "text",
    [
        "Is neurokinetic therapy safe?",
        "Can neurokinetic therapy replace medication for stress?",
        "does nkt help with neck pain",
        "how does NKT calm the fight or flight response",
        "I'm stressed at work, would NKT help?",
        "what are the side effects",
    ],
)
def test_questions_about_the_article_are_not_crises(text):
    assert not is_crisis(text)

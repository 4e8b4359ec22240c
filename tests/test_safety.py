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
        "what's the point of living anymore",
        "there is no reason to live",
        "I can't go on like this",
        "I want to hang myself",
        "my dad just fainted and is not breathing",
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
        "Is NKT safe after a stroke?",
        "can I faint during an nkt session",
        "is nkt an emergency treatment",
        "what's the point of corrective exercises",
    ],
)
def test_questions_about_the_article_are_not_crises(text):
    assert not is_crisis(text)


def test_no_training_example_about_the_article_or_off_topic_is_taken_for_a_crisis():
    from tests.test_mapping import nlu_examples

    examples = nlu_examples()
    flagged = [e for intent, lines in examples.items() if intent != "crisis" for e in lines if is_crisis(e)]
    assert flagged == []

"""Crisis and emergency messages are recognised; ordinary questions about the article are not."""

import pytest

from common.safety import is_crisis


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
        # said indirectly, asked as a method, told in passing, about someone else
        "honestly i just want to go to sleep and never wake up",
        "i won't be around much longer anyway",
        "how many of my sleeping tablets would it take to not wake up",
        "took a lot of my sleeping tablets and feel weird, anyway what is nkt",
        "my friend says she will kill herself tonight",
        "my brother keeps saying he's going to end it",
        # medical emergencies as they happen, abuse
        "my mum's face is drooping and her speech is slurred",
        "having a panic attack right now and cant breathe",
        "my husband hits me when he's stressed",
        "I had a heart attack last year and now I have chest pain again",
        "my stepmum grabs me and pushes me around when she's angry",
        "pretty sure my son has been cutting himself",
        "sliced my finger and the blood won't stop",
        "the baby swallowed a button battery",
        "i feel like a burden to my family",
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
        # scary words in an ordinary question: history, idiom, someone's work
        "I had a heart attack 4 years ago, is nkt ok for me now?",
        "i grind my teeth at night from stress, can nkt help my jaw",
        "this commute is killing me, would nkt help with the tension",
        "i'm dying to know if insurance pays for nkt",
        "i work on a suicide prevention line and the stress is a lot. how many sessions would i need",
        "my dad had a stroke a few years ago and recovered, can he try nkt",
        "does neurokinetic therapy do anything for an odd gait",
        "overdosed on caffeine this morning haha, can nkt calm me down",
        "will you be around much longer today? i have more questions",
    ],
)
def test_questions_about_the_article_are_not_crises(text):
    assert not is_crisis(text)


def test_no_training_example_about_the_article_or_off_topic_is_taken_for_a_crisis():
    from tests.test_mapping import nlu_examples

    examples = nlu_examples()
    flagged = [e for intent, lines in examples.items() if intent != "crisis" for e in lines if is_crisis(e)]
    assert flagged == []


@pytest.mark.parametrize(
    "text",
    [
        "had a heart attack in 2018 and I'm fine now, can I still book nkt?",
        "I passed out once at the gym years back, is the muscle testing strenuous?",
        "my uncle died of a stroke, does stress raise the risk?",
        "could nkt trigger a seizure in someone with epilepsy?",
        "I'm expecting and avoid anything that might harm the baby, is nkt gentle?",
    ],
)
def test_an_event_told_as_history_or_asked_about_as_a_hypothetical_is_not_a_crisis(text):
    assert not is_crisis(text)


@pytest.mark.parametrize(
    "text",
    [
        "i swallowed the whole box of my tablets at once and feel sick",
        "i just hope i never wake up again",
        "if a truck hit me tomorrow i'd be relieved honestly",
        "what height would you need to fall from so you don't survive",
        "been cutting my thighs again and can't stop",
        "self harm relapse last night after 3 years clean",
    ],
)
def test_passive_wishes_methods_self_harm_and_relapses_are_crises(text):
    assert is_crisis(text)


@pytest.mark.parametrize(
    "text",
    [
        "is my belt strong enough to hang from the door",
        "which car park near here is high enough, the multi storey?",
        "the bridge by the station has no railings at the edge, right?",
        "soon no one will have to worry about me, anyway how long is a session",
        "my life insurance will pay out soon anyway so money is no issue",
        "he controls my bank account and threatens me if i buy anything",
        "someone at the bus stop is having a fit, what do i do",
        "the little boy next door has new bruises and cries all night",
        "my mum almost fainted just now and is really pale, help",
    ],
)
def test_ligatures_heights_burdens_payouts_control_fits_and_bruises_are_crises(text):
    assert is_crisis(text)


@pytest.mark.parametrize(
    "text",
    [
        "I nearly passed out from the pain during my last massage, is nkt gentler?",
        "my dog almost gave me a heart attack",
        "they would worry about me having nkt",
        "does my life insurance cover physio anyway?",
        "I get new bruises after deep tissue massage",
        "my sister keeps having fits of giggles in yoga",
    ],
)
def test_figures_of_speech_and_ordinary_questions_with_the_new_words_are_not_crises(text):
    assert not is_crisis(text)

"""The answering actions, run with rasa_sdk's Tracker and CollectingDispatcher."""

import asyncio

from conftest import make_tracker

from actions.answering import ActionAnswerQuestion, ActionOfferTopics
from actions.replies import NOT_COVERED


def run(action, dispatcher, tracker):
    return asyncio.run(action.run(dispatcher, tracker, domain={}))


def test_a_topic_intent_is_answered_with_its_passage_verbatim_and_its_source(dispatcher, kb):
    tracker = make_tracker("how much does nkt cost?", "ask_cost_insurance")
    events = run(ActionAnswerQuestion(), dispatcher, tracker)
    [message] = dispatcher.messages
    assert kb.passage("cost-and-accessibility").body in message["text"]
    assert message["text"].endswith("Source: Limitations and Considerations › Cost and Accessibility")
    [quoted] = message["article_quote"]["passages"]  # what the web and Slack channels render
    assert quoted["text"] == kb.passage("cost-and-accessibility").body
    assert (quoted["section"], quoted["label"]) == ("Limitations and Considerations", "Cost and Accessibility")
    assert quoted["anchor"] == "limitations-and-considerations"
    slots = {e["name"]: e["value"] for e in events}
    assert slots["last_topic"] == "ask_cost_insurance"
    assert slots["quoted_passages"] == ["cost-and-accessibility"]


def test_a_topic_with_two_passages_quotes_both_and_offers_related_topics(dispatcher, kb):
    tracker = make_tracker("what is neurokinetic therapy", "ask_what_is_nkt")
    run(ActionAnswerQuestion(), dispatcher, tracker)
    [message] = dispatcher.messages
    assert kb.passage("neurokinetic-therapy-is-a-hands-on").body in message["text"]
    assert kb.passage("neurokinetic-therapy-nkt-is-a-sophisticated").body in message["text"]
    assert "Source: What Is Neurokinetic Therapy?; Neurokinetic Therapy: Can It Alleviate Stress?" in message["text"]
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads == [
        "/ask_session_content",
        "/ask_how_nkt_addresses_stress",
        "/feedback_helpful",
        "/not_what_i_asked",
    ]


def test_out_of_scope_is_declined_with_the_nearest_covered_questions_as_buttons(dispatcher, kb):
    ranking = [{"name": "out_of_scope", "confidence": 0.8}, {"name": "ask_cost_insurance", "confidence": 0.1}]
    tracker = make_tracker("how much does physical therapy cost per visit", "out_of_scope", 0.8, ranking)
    events = run(ActionAnswerQuestion(), dispatcher, tracker)
    [message] = dispatcher.messages
    assert message["text"].startswith(NOT_COVERED)
    assert not any(p.body in message["text"] for p in kb.passages)
    assert 1 <= len(message["buttons"]) <= 3
    assert all(b["payload"].startswith("/ask_") for b in message["buttons"])
    assert "/ask_cost_insurance" in [b["payload"] for b in message["buttons"]]
    assert events[0]["value"] is None


def test_a_button_payload_answers_its_topic(dispatcher, kb):
    tracker = make_tracker("/ask_safety", "ask_safety", 1.0)
    run(ActionAnswerQuestion(), dispatcher, tracker)
    assert kb.passage("is-neurokinetic-therapy-safe").body in dispatcher.messages[0]["text"]


def test_a_crisis_message_gets_the_safety_message_and_never_a_passage(dispatcher, kb):
    tracker = make_tracker("nkt is not working and I want to kill myself", "ask_realistic_expectations", 0.9)
    run(ActionAnswerQuestion(), dispatcher, tracker)
    assert [m["response"] for m in dispatcher.messages] == ["utter_crisis"]


def test_a_low_confidence_guess_without_support_in_the_article_is_declined(dispatcher):
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "ask_origins", "confidence": 0.12},
        {"name": "ask_safety", "confidence": 0.1},
    ]
    tracker = make_tracker("and what about the stress of planning a wedding", "nlu_fallback", 0.3, ranking)
    run(ActionAnswerQuestion(), dispatcher, tracker)
    assert dispatcher.messages[0]["text"].startswith(NOT_COVERED)


def test_an_unsure_classifier_is_helped_by_the_passage_search(dispatcher, kb):
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "ask_safety", "confidence": 0.2},
        {"name": "ask_cost_insurance", "confidence": 0.19},
    ]
    tracker = make_tracker("could nkt cause soreness or other adverse effects", "nlu_fallback", 0.3, ranking)
    run(ActionAnswerQuestion(), dispatcher, tracker)
    assert kb.passage("is-neurokinetic-therapy-safe").body in dispatcher.messages[0]["text"]


def test_greeting_and_help_offer_the_main_topics(dispatcher, res):
    run(ActionOfferTopics(), dispatcher, make_tracker("hi", "greet"))
    [topics] = dispatcher.messages
    assert [b["payload"] for b in topics["buttons"]] == [f"/{name}" for name in res.topic_map.main]
    assert all(b["title"] == res.topics[b["payload"][1:]].title for b in topics["buttons"])


def test_a_therapy_the_article_never_discusses_is_declined_even_with_a_confident_intent(dispatcher, kb):
    entities = [{"entity": "other_therapy", "value": "acupuncture", "start": 5, "end": 16}]
    tracker = make_tracker("does acupuncture help with stress", "ask_how_nkt_addresses_stress", 0.9)
    tracker.latest_message["entities"] = entities
    run(ActionAnswerQuestion(), dispatcher, tracker)
    assert dispatcher.messages[0]["text"].startswith(NOT_COVERED)
    assert not any(p.body in dispatcher.messages[0]["text"] for p in kb.passages)


def test_an_empty_message_gets_a_prompt_for_a_question_and_the_main_topics(dispatcher, res):
    run(ActionAnswerQuestion(), dispatcher, make_tracker("   ", "nlu_fallback", 1.0, []))
    [message] = dispatcher.messages
    assert message["text"].startswith("I didn't get a question")
    assert len(message["buttons"]) == len(res.topic_map.main)


def test_a_greeting_the_classifier_was_unsure_of_is_still_greeted_when_no_passage_answers_it(dispatcher):
    ranking = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "greet", "confidence": 0.42}]
    run(ActionAnswerQuestion(), dispatcher, make_tracker("hiya mate", "nlu_fallback", 0.5, ranking))
    greeting, topics = dispatcher.messages
    assert greeting["response"] == "utter_greet"
    assert topics["buttons"]  # the main topics, as after a greeting the classifier is sure of


def test_unsure_small_talk_that_a_passage_answers_gets_the_passage(dispatcher, kb):
    text = "do they check how youre progressing as you go along"
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "bot_challenge", "confidence": 0.38},
        {"name": "ask_find_practitioner", "confidence": 0.35},
    ]
    run(ActionAnswerQuestion(), dispatcher, make_tracker(text, "nlu_fallback", 0.5, ranking))
    [message] = dispatcher.messages
    assert message.get("response") != "utter_iamabot"
    assert "Source:" in message["text"]

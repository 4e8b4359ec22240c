"""Conversation behaviours of the actions: follow-ups, comparisons, tell me more, not this one,
did you mean, passage search."""

import asyncio
from dataclasses import replace

from conftest import make_tracker

from actions import answering
from actions.answering import ActionAnswerQuestion
from actions.decision import THRESHOLDS, Decision, Thresholds, decide, rank_topics
from actions.follow_ups import ActionRecordFeedback, ActionTellMore, ActionTryNextBest
from actions.replies import CLARIFY, NOT_COVERED
from actions.retrieval import content_lemmas


def run(action, dispatcher, tracker):
    return asyncio.run(action.run(dispatcher, tracker, domain={}))


def slots_of(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def entity(label, value):
    return {"entity": label, "value": value}


def test_a_follow_up_naming_a_therapy_answers_that_comparison(dispatcher, kb):
    tracker = make_tracker("and physical therapy?", "follow_up", 0.9, slots={"last_topic": "ask_compare_massage"})
    tracker.latest_message["entities"] = [entity("therapy", "physical_therapy")]
    events = run(ActionAnswerQuestion(), dispatcher, tracker)
    assert kb.passage("physical-therapy").body in dispatcher.messages[0]["text"]
    assert slots_of(events)["last_topic"] == "ask_compare_physical_therapy"


def test_a_follow_up_naming_a_topic_answers_that_topic(dispatcher, kb):
    tracker = make_tracker("and what would that cost?", "follow_up", 0.9)
    tracker.latest_message["entities"] = [entity("topic", "cost")]
    run(ActionAnswerQuestion(), dispatcher, tracker)
    assert kb.passage("cost-and-accessibility").body in dispatcher.messages[0]["text"]


def test_a_comparison_is_chosen_by_the_therapy_named_whatever_comparison_the_classifier_chose(dispatcher, kb):
    tracker = make_tracker("is nkt better than yoga?", "ask_compare_therapies", 0.7)
    tracker.latest_message["entities"] = [entity("therapy", "nkt"), entity("therapy", "yoga")]
    run(ActionAnswerQuestion(), dispatcher, tracker)
    assert kb.passage("mind-body-therapies").body in dispatcher.messages[0]["text"]


def test_every_answer_offers_helpful_and_not_helpful(dispatcher):
    run(ActionAnswerQuestion(), dispatcher, make_tracker("is nkt safe", "ask_safety", 0.95))
    assert dispatcher.messages[0]["buttons"][-2:] == [
        {"title": "Helpful", "payload": "/feedback_helpful"},
        {"title": "Not helpful", "payload": "/not_what_i_asked"},
    ]


def test_helpful_is_recorded_with_the_topic_and_passage_it_refers_to(dispatcher):
    slots = {"last_topic": "ask_evidence", "quoted_passages": ["some-evidence-supports-the-underlying-principles"]}
    events = run(ActionRecordFeedback(), dispatcher, make_tracker("/feedback_helpful", "feedback_helpful", slots=slots))
    verdict = {"helpful": True, "topic": "ask_evidence", "passage": "some-evidence-supports-the-underlying-principles"}
    assert slots_of(events) == {"feedback": verdict}
    assert dispatcher.messages[0]["text"].startswith("Thanks for telling me")


def test_not_helpful_is_recorded_and_offers_the_next_best_answer(dispatcher, kb):
    slots = {
        "last_topic": "ask_safety",
        "quoted_passages": ["is-neurokinetic-therapy-safe"],
        "alternatives": ["ask_cost_insurance"],
    }
    tracker = make_tracker("/not_what_i_asked", "not_what_i_asked", slots=slots)
    events = run(ActionTryNextBest(), dispatcher, tracker)
    assert events[0]["name"] == "feedback"
    assert events[0]["value"] == {"helpful": False, "topic": "ask_safety", "passage": "is-neurokinetic-therapy-safe"}
    assert kb.passage("cost-and-accessibility").body in dispatcher.messages[0]["text"]


def test_tell_me_more_quotes_another_passage_of_the_same_section(dispatcher, kb):
    quoted = ["understanding-how-neurokinetic-therapy-might-reduce"]
    tracker = make_tracker(
        "tell me more", "tell_me_more", slots={"last_topic": "ask_neuroscience", "quoted_passages": quoted}
    )
    events = run(ActionTellMore(), dispatcher, tracker)
    new = slots_of(events)["quoted_passages"][-1]
    assert new not in quoted and kb.passage(new).section.heading == "The Neuroscience Behind NKT"
    assert kb.passage(new).body in dispatcher.messages[0]["text"]


def test_tell_me_more_after_an_faq_answer_continues_its_subject_not_the_next_faq_entry(dispatcher, kb):
    quoted = ["is-neurokinetic-therapy-scientifically-proven"]
    slots = {"last_topic": "ask_scientifically_proven", "quoted_passages": quoted}
    events = run(ActionTellMore(), dispatcher, make_tracker("tell me more", "tell_me_more", slots=slots))
    new = slots_of(events)["quoted_passages"][-1]
    assert kb.passage(new).section.heading != "FAQ"  # not "How many sessions …?", the next entry
    evidence = {p.id for p in kb.passages if p.section.heading == "Evidence and Research"} | {
        "limited-scientific-evidence"
    }
    assert new in evidence


def test_tell_me_more_quotes_the_rest_of_the_answers_topic_first(dispatcher, kb):
    slots = {"last_topic": "ask_evidence", "quoted_passages": ["some-evidence-supports-the-underlying-principles"]}
    events = run(ActionTellMore(), dispatcher, make_tracker("go on", "tell_me_more", slots=slots))
    assert slots_of(events)["quoted_passages"][-1] == "while-neurokinetic-therapy-has-generated-enthusiasm"


def test_a_tell_me_more_that_names_another_topic_answers_that_topic(dispatcher, kb):
    """ "and how much is it?" reads like "and?" to the classifier; the topic it names decides."""
    slots = {"last_topic": "ask_safety", "quoted_passages": ["is-neurokinetic-therapy-safe"]}
    tracker = make_tracker("and how much is it?", "tell_me_more", slots=slots)
    tracker.latest_message["entities"] = [{"entity": "topic", "value": "cost"}]
    events = run(ActionTellMore(), dispatcher, tracker)
    assert slots_of(events)["last_topic"] == "ask_cost_insurance"
    assert kb.passage("cost-and-accessibility").body in dispatcher.messages[0]["text"]


def test_tell_me_more_naming_the_answers_own_topic_continues_it(dispatcher, kb):
    slots = {"last_topic": "ask_cost_insurance", "quoted_passages": ["cost-and-accessibility"]}
    tracker = make_tracker("tell me more about the cost", "tell_me_more", slots=slots)
    tracker.latest_message["entities"] = [{"entity": "topic", "value": "cost"}]
    events = run(ActionTellMore(), dispatcher, tracker)
    assert slots_of(events)["quoted_passages"][0] == "cost-and-accessibility"
    assert len(slots_of(events)["quoted_passages"]) == 2


def test_tell_me_more_when_the_subject_has_nothing_more_says_so_and_offers_related_topics(dispatcher, kb):
    quoted = [p.id for p in kb.passages]
    tracker = make_tracker("go on", "tell_me_more", slots={"last_topic": "ask_safety", "quoted_passages": quoted})
    run(ActionTellMore(), dispatcher, tracker)
    [message] = dispatcher.messages
    assert message["text"].startswith("That's everything the article says on “Is neurokinetic therapy safe?”.")
    assert message["buttons"] and not any(p.body in message["text"] for p in kb.passages)


def test_not_what_i_asked_answers_the_next_best_topic_then_declines(dispatcher, kb):
    slots = {"last_topic": "ask_cost_insurance", "alternatives": ["ask_compare_physical_therapy"]}
    events = run(
        ActionTryNextBest(), dispatcher, make_tracker("that's not what I asked", "not_what_i_asked", slots=slots)
    )
    assert kb.passage("physical-therapy").body in dispatcher.messages[0]["text"]
    assert slots_of(events)["alternatives"] == []
    dispatcher.messages.clear()
    slots = {"last_topic": "ask_compare_physical_therapy", "alternatives": []}
    run(ActionTryNextBest(), dispatcher, make_tracker("no, not that either", "not_what_i_asked", slots=slots))
    assert any(NOT_COVERED in m.get("text", "") for m in dispatcher.messages)


def test_close_candidates_make_a_did_you_mean_decision(res):
    ranking = [
        {"name": "ask_individual_variability", "confidence": 0.45},
        {"name": "ask_training_standardization", "confidence": 0.44},
    ]
    message = {"text": "why do results differ so much", "intent": ranking[0], "intent_ranking": ranking}
    # only the classifier's two close candidates count: no passage search can answer instead
    wide = Thresholds(min_score=0.3, lexical_weight=0.0, ambiguity_margin=0.3, detail_sure=1.01, ranker_weight=0.0)
    decision = decide(message, content_lemmas(message["text"]), res, wide)
    assert decision.kind == "clarify"
    assert [t.intent for t in decision.topics] == ["ask_individual_variability", "ask_training_standardization"]


def test_did_you_mean_shows_human_titles_and_none_of_these(dispatcher, res, monkeypatch):
    topics = (res.topics["ask_individual_variability"], res.topics["ask_training_standardization"])
    monkeypatch.setattr(answering, "decide", lambda *args: Decision("clarify", topics))
    run(ActionAnswerQuestion(), dispatcher, make_tracker("why do results differ so much", "ask_individual_variability"))
    [message] = dispatcher.messages
    assert message["text"] == CLARIFY
    assert [b["title"] for b in message["buttons"]] == [
        "Why results vary from person to person",
        "Training and standardization of practitioners",
        "None of these",
    ]


def classified(text, intent, confidence):
    return {"text": text, "intent": {"name": intent}, "intent_ranking": [{"name": intent, "confidence": confidence}]}


def decided(text, intent, confidence, res):
    """The decision on ``text`` classified as ``intent`` alone, with its own lemmas."""
    return decide(classified(text, intent, confidence), content_lemmas(text), res)


def test_a_detail_no_topic_names_is_found_by_passage_search(res):
    text = "which journal published research showing manual therapy improves muscle function"
    decision = decided(text, "out_of_scope", 0.45, res)  # an unsure classifier
    assert decision.kind == "passage" and decision.passage.id == "some-evidence-supports-the-underlying-principles"


def test_a_sure_out_of_scope_is_declined_even_when_a_passage_shares_its_words(res):
    text = "best medication for stress"
    unsure = decided(text, "out_of_scope", 0.45, res)
    assert unsure.kind == "passage"  # the medication FAQ covers both words …
    sure = decided(text, "out_of_scope", 0.9, res)
    assert sure.kind == "decline"  # … but a sure classifier is not overruled by shared words


def test_a_detail_outside_the_classified_topic_is_quoted_with_the_topic_as_the_next_best(res):
    text = "can stress show up in the body as physical symptoms"
    decision = decided(text, "ask_stress_background", 0.9, res)
    assert decision.kind == "passage" and decision.passage.id == "stress-manifests-in-the-body-through"
    assert decision.passage not in res.topics["ask_stress_background"].passages
    assert decision.alternatives == ("ask_stress_background",)  # "that's not what I asked" answers it


def test_a_passage_the_classifier_is_sure_of_outside_the_topic_answers_though_few_words_match(res):
    text = "at the start do they press on muscles to see which ones are weak"  # "test", "inhibited" …
    message, lemmas = classified(text, "ask_overdiagnosis", 0.95), content_lemmas(text)
    session = "during-a-typical-neurokinetic-therapy-session"
    decision = decide(message, lemmas, res)
    assert decision.kind == "passage" and decision.passage.id == session
    assert decision.alternatives == ("ask_overdiagnosis",)
    unsure = decide(message, lemmas, res, Thresholds(detail_sure=1.01))
    assert unsure.kind == "answer" and unsure.topics[0].intent == "ask_overdiagnosis"


def test_a_question_of_stop_words_alone_keeps_the_intent_classifiers_topic_however_sure_the_ranker(res):
    class SureRanker:  # stands in for a passage classifier sure of a passage outside the topic
        def scores(self, text, lemmas):
            return [("cost-and-accessibility", 0.95), ("duration-and-frequency", 0.05)]

    text = "how often should I go"
    assert content_lemmas(text) == []
    decision = decide(classified(text, "ask_number_of_sessions", 0.9), [], replace(res, passage_ranker=SureRanker()))
    assert decision.kind == "answer" and decision.topics[0].intent == "ask_number_of_sessions"


def test_a_question_worded_like_its_topic_keeps_the_topic_answer(res):
    text = "how is nkt supposed to bring my stress down"
    decision = decided(text, "ask_how_nkt_addresses_stress", 0.97, res)
    assert decision.kind == "answer" and decision.topics[0].intent == "ask_how_nkt_addresses_stress"


def test_tell_me_more_after_a_two_passage_answer_continues_in_the_main_passages_section(dispatcher, kb):
    quoted = ["neurokinetic-therapy-is-a-hands-on", "neurokinetic-therapy-nkt-is-a-sophisticated"]
    tracker = make_tracker("more", "tell_me_more", slots={"last_topic": "ask_what_is_nkt", "quoted_passages": quoted})
    events = run(ActionTellMore(), dispatcher, tracker)
    assert kb.passage(slots_of(events)["quoted_passages"][-1]).section.heading == "What Is Neurokinetic Therapy?"


def ranked(text, *candidates):
    """An NLU parse whose intent ranking is ``candidates``: (intent, confidence) pairs."""
    ranking = [{"name": name, "confidence": confidence} for name, confidence in candidates]
    return {"text": text, "intent": ranking[0], "intent_ranking": ranking}


def test_a_detail_worded_like_a_neighbouring_topic_gets_the_topic_whose_passage_says_it(res):
    text = "what goes wrong with the signals to the brain when a muscle is not working right"
    message = ranked(text, ("ask_neuroscience", 0.7), ("ask_proprioception", 0.25))
    lemmas = content_lemmas(text)
    assert res.passage_ranker.scores(text, lemmas)[0][0] == "the-proprioceptive-system-the-bodys-awareness"
    decision = decide(message, lemmas, res)
    assert decision.kind == "answer" and decision.topics[0].intent == "ask_proprioception"
    hits = res.passage_ranker.scores(text, lemmas)
    alone = Thresholds(ranker_weight=0.0, lexical_weight=0.0)
    assert rank_topics(lemmas, message["intent_ranking"], res, alone, hits)[0].topic.intent == "ask_neuroscience"


class FixedRanker:
    """Stands in for the passage classifier: the same probabilities for every question."""

    def __init__(self, probabilities):
        self.ranking = sorted(probabilities.items(), key=lambda item: -item[1])
        self.calls = 0

    def scores(self, text, lemmas):
        self.calls += 1
        return self.ranking


def test_a_topic_only_the_passage_ranker_favours_is_not_answered_over_a_supported_one(res):
    res = replace(res, passage_ranker=FixedRanker({"cost-and-accessibility": 0.69, "realistic-expectations": 0.31}))
    text = "what should i expect from my muscles and balance afterwards"
    message = ranked(text, ("ask_cost_insurance", 0.45), ("ask_proprioception", 0.45))
    candidates = rank_topics(
        content_lemmas(text), message["intent_ranking"], res, Thresholds(), res.passage_ranker.scores(text, [])
    )
    assert candidates[0].topic.intent == "ask_cost_insurance"  # first by score, thanks to the ranker …
    assert candidates[0].support < Thresholds().min_score <= candidates[1].support  # … but not supported
    decision = decide(message, content_lemmas(text), res)
    assert decision.kind == "answer" and decision.topics[0].intent == "ask_proprioception"


def test_the_passage_ranker_scores_a_message_at_most_once(res):
    messages = [
        ranked("does insurance pay for nkt sessions or is it out of pocket", ("ask_cost_insurance", 0.9)),
        ranked("is nkt better than yoga for stress and anxiety", ("ask_compare_mind_body", 0.8)),
        ranked("what journal published the manual therapy research", ("out_of_scope", 0.4)),
        ranked("how should my muscles and balance feel afterwards", ("ask_cost_insurance", 0.2)),
        ranked(
            "what does the research say about muscle testing", ("ask_evidence", 0.45), ("ask_session_content", 0.44)
        ),
    ]
    for message in messages:
        ranker = FixedRanker({"cost-and-accessibility": 0.5, "realistic-expectations": 0.3, "mind-body-therapies": 0.2})
        decide(message, content_lemmas(message["text"]), replace(res, passage_ranker=ranker))
        assert ranker.calls <= 1, message["text"]


def test_a_parse_without_an_intent_ranking_answers_its_intent(res):
    text = "what happens in a session"
    message = {"text": text, "intent": {"name": "ask_session_content", "confidence": 0.9}, "intent_ranking": []}
    decision = decide(message, content_lemmas(text), res)
    assert decision.kind == "answer" and decision.topics[0].intent == "ask_session_content"


def test_a_question_for_a_year_the_article_does_not_give_is_declined_offering_its_section(dispatcher):
    text = "what year did weinstock come up with nkt"
    tracker = make_tracker(text, "ask_who_developed_nkt", 0.95)
    events = run(ActionAnswerQuestion(), dispatcher, tracker)
    [message] = dispatcher.messages
    assert message["text"].startswith("The article doesn't give a year for that")
    assert message["buttons"][0]["payload"] == "/ask_who_developed_nkt"
    assert slots_of(events)["last_topic"] is None  # nothing was answered: no thread to follow


def test_a_count_the_article_gives_is_answered_and_one_it_does_not_give_is_declined(res):
    sessions = "how many sessions of nkt will i need"
    decision = decided(sessions, "ask_number_of_sessions", 0.95, res)
    assert decision.kind == "answer"  # "4-8 sessions"
    muscles = "how many muscles does a practitioner test in one session"
    decision = decided(muscles, "ask_session_content", 0.95, res)
    assert decision.kind == "decline" and decision.unstated == "number"
    assert decision.alternatives[0] == "ask_session_content"


def test_a_general_cost_question_is_answered_and_a_price_in_dollars_is_declined_offering_the_cost_section(res):
    general = "how much does nkt cost"
    decision = decided(general, "ask_cost_insurance", 0.95, res)
    assert decision.kind == "answer"  # "payment out of pocket, as most insurance plans do not cover it"
    dollars = "how much does one nkt session cost in dollars"
    decision = decided(dollars, "ask_cost_insurance", 0.95, res)
    assert decision.kind == "decline" and decision.unstated == "price"
    assert decision.alternatives[0] == "ask_cost_insurance"


def test_the_cost_of_something_a_passage_does_not_price_is_declined(res):
    text = "how much does the nkt practitioner course cost"
    decision = decided(text, "ask_find_practitioner", 0.95, res)
    assert decision.kind == "decline" and decision.unstated in {"cost", "price"}


def test_a_passage_found_by_search_is_not_quoted_for_a_percentage_it_does_not_state(res):
    text = "what percentage of people have lower cortisol after gentle touch"
    res = replace(res, passage_ranker=FixedRanker({"research-in-neuroscience-has-demonstrated-that": 0.9}))
    message = classified(text, "out_of_scope", 0.45)
    assert decision_without_fact_check(message, res).kind == "passage"  # the cortisol passage covers it …
    decision = decide(message, content_lemmas(text), res)
    assert decision.kind == "decline" and decision.unstated == "percentage"  # … but gives no percentage
    assert decision.alternatives[0] == "ask_touch_and_cortisol"  # the topic holding that passage, offered first


def decision_without_fact_check(message, res):
    from actions.decision import _choose

    return _choose(message, content_lemmas(message["text"]), res, THRESHOLDS)


def test_a_plain_decline_says_not_covered_whatever_fact_it_asked_for(dispatcher):
    run(ActionAnswerQuestion(), dispatcher, make_tracker("how many calories in a banana", "out_of_scope", 0.99))
    assert dispatcher.messages[0]["text"].startswith(NOT_COVERED)


def test_did_you_mean_is_not_turned_into_a_decline_by_a_fact_check(res, monkeypatch):
    from actions import decision as module

    options = (res.topics["ask_realistic_expectations"], res.topics["ask_individual_variability"])
    monkeypatch.setattr(module, "_choose", lambda *args: Decision("clarify", options))
    text = "how many clients feel better"  # neither option gives a count: only a quote is checked
    assert decided(text, "ask_realistic_expectations", 0.4, res).kind == "clarify"

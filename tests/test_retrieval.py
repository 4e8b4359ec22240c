"""The passage search: spelling and word families, coverage, and when a passage answers
instead of the classifier's topic (or of "not covered")."""

from actions.decision import decide
from actions.retrieval import Bm25Index, content_lemmas, stem


def parsed(text, intent, confidence):
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "entities": [],
    }


def test_british_and_american_spellings_are_one_term():
    assert stem("mobilisation") == stem("mobilization")
    assert stem("randomised") == stem("randomized")
    assert stem("behaviour") == stem("behavior")
    assert [stem(w) for w in ("hour", "stress", "muscle")] == ["hour", "stress", "muscle"]


def test_a_word_the_article_never_uses_is_read_as_its_kin():
    index = Bm25Index.build([("a", ["muscle", "tension"]), ("b", ["spinal", "alignment"]), ("c", ["sleep"])])
    assert index.scores(["tense"])[0][0] == "a"
    assert index.scores(["spine"])[0][0] == "b"
    assert index.query_terms(["tension", "sleep", "zebra"]) == ["tension", "sleep", "zebra"]


def test_coverage_is_the_share_of_the_questions_information_found():
    index = Bm25Index.build([("a", ["muscle", "tension"]), ("b", ["sleep", "quality"]), ("c", ["muscle"])])
    assert index.coverage(["muscle", "tension"], "a") == 1.0
    assert index.coverage(["muscle", "tension"], "b") == 0.0
    assert 0.0 < index.coverage(["muscle", "tension"], "a", excluding={"tension"}) < 1.0
    assert index.coverage(["sleep", "zebra"], "b") < 1.0  # an unseen word is information no passage has


def test_a_detail_outside_the_confident_topic_is_answered_by_its_passage(res):
    text = "does nkt reset how the nervous system perceives muscles"
    decision = decide(parsed(text, "ask_neuroscience", 0.98), content_lemmas(text), res)
    assert decision.kind == "passage" and decision.passage.id == "during-a-typical-neurokinetic-therapy-session"


def test_a_topic_question_keeps_its_topic_whatever_passage_shares_its_words(res):
    text = "how do i find a good nkt practitioner"
    decision = decide(parsed(text, "ask_find_practitioner", 0.9), content_lemmas(text), res)
    assert decision.kind == "answer" and decision.topics[0].intent == "ask_find_practitioner"


def test_a_covering_passage_answers_when_the_classifier_is_unsure_it_is_out_of_scope(res):
    text = "did studies find soft tissue work improves range of motion"
    unsure = decide(parsed(text, "out_of_scope", 0.6), content_lemmas(text), res)
    assert unsure.kind == "passage" and unsure.passage.id == "some-evidence-supports-the-underlying-principles"
    sure = decide(parsed(text, "out_of_scope", 0.95), content_lemmas(text), res)
    assert sure.kind == "decline"


def test_an_everyday_word_the_article_never_uses_is_read_as_the_articles_words(res):
    assert res.passage_index.query_terms(["flexibility", "doctor"]) == ["range", "motion", "healthcare", "provider"]
    assert res.passage_index.query_terms(["tension"]) == ["tension"]  # the article's own words stay as they are

"""Passage search: the passage classifier that ranks passages, against scikit-learn and BM25."""

from scipy.sparse import hstack

from actions.retrieval import content_lemmas

QUESTIONS = [
    "is nkt covred by insurence",
    "which journal published the manual therapy research",
    "does stress make some muscles work too hard",
    "what's the weather in paris",
    "",
]


def test_the_passage_classifier_gives_exactly_scikit_learns_probabilities(res):
    ranker = res.passage_ranker
    words, chars = ranker.vectorizers
    for text in QUESTIONS:
        lemmas = content_lemmas(text)
        features = hstack([words.transform([" ".join(lemmas)]), chars.transform([text])]).tocsr()
        expected = dict(zip(ranker.model.classes_, ranker.model.predict_proba(features)[0], strict=True))
        scores = ranker.scores(text, lemmas)
        assert [p for _, p in scores] == sorted((p for _, p in scores), reverse=True)
        assert {key: round(p, 12) for key, p in scores} == {key: round(p, 12) for key, p in expected.items()}


def test_the_passage_classifier_finds_a_misspelt_question_that_bm25_misses(res):
    text = "is nkt covred by insurence"  # "covered", "insurance": BM25 only has the word "nkt" to go on
    lemmas = content_lemmas(text)
    assert res.passage_ranker.scores(text, lemmas)[0][0] == "cost-and-accessibility"
    assert res.search_index.scores(lemmas)[0][0] != "cost-and-accessibility"


def test_every_passage_can_be_found_by_the_classifier(res, kb):
    ranked = {key for key, _ in res.passage_ranker.scores("nkt", ["nkt"])}
    assert ranked == {p.id for p in kb.passages}

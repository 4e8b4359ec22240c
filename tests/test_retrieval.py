"""Passage search: the passage classifier that ranks passages, against scikit-learn and BM25."""

import numpy as np
from scipy.sparse import csr_matrix, hstack

from actions.retrieval import content_lemmas

QUESTIONS = [
    "is nkt covred by insurence",
    "which journal published the manual therapy research",
    "Does STRESS make some muscles work too hard? Stress, stress!",
    "Naïve question — is NKT like a café massage’s cousin?",
    "what's the weather in paris",
    "",
]


def test_the_passage_classifier_gives_exactly_scikit_learns_probabilities(res):
    ranker = res.passage_ranker
    words, chars = ranker.vectorizers
    for text in QUESTIONS:
        lemmas = content_lemmas(text)
        dense = csr_matrix(ranker.project(ranker.encoder.encode_many([text])))  # the sentence encoder's block
        features = hstack([words.transform([" ".join(lemmas)]), chars.transform([text]), dense]).tocsr()
        expected = dict(zip(ranker.model.classes_, ranker.model.predict_proba(features)[0], strict=True))
        scores = ranker.scores(text, lemmas)
        assert [p for _, p in scores] == sorted((p for _, p in scores), reverse=True)
        keys = [key for key, _ in scores]
        np.testing.assert_allclose([p for _, p in scores], [expected[key] for key in keys], rtol=0, atol=1e-12)


def test_the_passage_classifiers_character_ngrams_find_a_misspelt_question_that_bm25_misses(res, kb):
    """Without the encoder's block: the transformer splits "insurnace" into meaningless word
    pieces, and with it the bot's ranker misses this one (docs/evaluation.md, "The figures now")."""
    from actions.passage_ranker import PassageClassifier
    from common.topics import load_passage_questions

    text = "is nkt covred by insurnace"  # "covered", "insurance": BM25 only has the word "nkt" to go on
    lemmas = content_lemmas(text)
    words_and_ngrams = PassageClassifier.build([(p.id, p.body) for p in kb.passages], load_passage_questions(kb))
    assert words_and_ngrams.scores(text, lemmas)[0][0] == "cost-and-accessibility"
    assert res.search_index.scores(lemmas)[0][0] != "cost-and-accessibility"


def test_each_passage_is_ranked_first_for_its_own_words(res, kb):
    for passage in kb.passages:
        assert res.passage_ranker.scores(passage.body, content_lemmas(passage.body))[0][0] == passage.id

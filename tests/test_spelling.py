"""Misspelt words of a question are read as the words the article and its questions use."""

from __future__ import annotations

from actions.spelling import Speller, edit_distance


def test_a_misspelt_topic_word_is_corrected_to_the_article_word(res):
    assert res.speller.correct(["propriosepsion", "cortizol", "insurnace", "chiropratic"]) == [
        "proprioception",
        "cortisol",
        "insurance",
        "chiropractic",
    ]


def test_known_short_and_unknown_words_are_left_alone(res):
    words = ["stress", "retire", "qwertyuiop", "manchester", "2019"]
    assert res.speller.correct(words) == words


def test_the_most_common_of_equally_near_words_wins():
    speller = Speller.build({"relaxing": 1, "relaxant": 5})
    assert speller.word("relaxang") == "relaxant"


def test_a_swap_of_neighbouring_letters_is_one_edit():
    assert edit_distance("insurnace", "insurance") == 1 and edit_distance("cortizol", "cortisol") == 1


def test_a_british_spelling_reads_as_the_american_one_the_article_uses(res):
    assert res.speller.correct(["mobilisation", "behaviour"]) == ["mobilization", "behavior"]
    assert Speller.build({"colour": 2, "color": 1}, article_words={"color"}).word("colour") == "color"


def test_a_very_long_word_is_left_alone_at_once(res):
    word = "a" + "bcdefghij" * 30
    assert res.speller.correct([word]) == [word]

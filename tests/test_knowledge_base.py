"""The article parser: sections, passages, ids, the FAQ, and what is not content."""

from pathlib import Path

import pytest

from common.knowledge_base import ARTICLE_PATH, ArticleError, load_knowledge_base, parse_article

ARTICLE_TEXT = ARTICLE_PATH.read_text(encoding="utf-8")


def test_every_passage_is_verbatim_text_of_the_article(kb):
    for passage in kb.passages:
        assert passage.body in ARTICLE_TEXT, passage.id


def test_sections_are_the_articles_headings_in_order(kb):
    assert [s.heading for s in kb.sections] == [
        "Neurokinetic Therapy: Can It Alleviate Stress?",
        "What Is Neurokinetic Therapy?",
        "The Neuroscience Behind NKT",
        "How NKT Addresses Stress",
        "Evidence and Research",
        "Comparing NKT to Other Therapies",
        "Practical Applications for Stress Relief",
        "Limitations and Considerations",
        "FAQ",
    ]
    assert kb.sections[0].anchor == "introduction"
    assert kb.sections[5].anchor == "comparing-nkt-to-other-therapies"


def test_passage_ids_are_unique_and_url_safe(kb):
    ids = [p.id for p in kb.passages]
    assert len(ids) == len(set(ids)) == 46
    assert all(pid.replace("-", "").isalnum() and pid == pid.lower() for pid in ids)


def test_labelled_paragraph_becomes_a_titled_passage_without_its_label(kb):
    cost = kb.passage("cost-and-accessibility")
    assert cost.title == "Cost and Accessibility"
    assert cost.body.startswith("Neurokinetic therapy typically requires payment out of pocket")
    assert cost.source == "Limitations and Considerations › Cost and Accessibility"


def test_unlabelled_paragraph_is_cited_by_its_section(kb):
    passage = kb.passage("the-proprioceptive-system-the-bodys-awareness")
    assert passage.title is None
    assert passage.source == "The Neuroscience Behind NKT"


def test_faq_has_the_six_question_answer_pairs(kb):
    assert [entry.question for entry in kb.faq] == [
        "Is neurokinetic therapy scientifically proven?",
        "How many sessions of neurokinetic therapy are typically needed?",
        "Can neurokinetic therapy replace medication for stress?",
        "What conditions does neurokinetic therapy address besides stress?",
        "How does neurokinetic therapy differ from chiropractic care?",
        "Is neurokinetic therapy safe?",
    ]
    safe = kb.faq[-1].answer
    assert safe.body.startswith("Neurokinetic therapy is generally considered safe")
    assert safe.source == "FAQ › Is neurokinetic therapy safe?"


def test_image_captions_and_the_repeated_title_are_not_passages(kb):
    for passage in kb.passages:
        assert not passage.body.startswith(("Professional therapist", "Person performing", "Illustration-style"))
        assert passage.body != kb.title
    assert kb.passages[0].body.startswith("Stress has become an omnipresent challenge")


def test_missing_article_stops_with_an_error_naming_the_file(tmp_path):
    missing = tmp_path / "nowhere.txt"
    with pytest.raises(ArticleError, match=str(missing)):
        load_knowledge_base(missing)


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "empty"),
        ("Title\n\nFAQ\n\nIs it safe?\n", "question without an answer"),
        ("Title\n\nJust a heading\n", "no sections or passages"),
        ("Title\n\nSection\n\nA paragraph.\n", "no FAQ"),
    ],
)
def test_malformed_article_stops_with_a_clear_error(text, problem):
    with pytest.raises(ArticleError, match=problem) as error:
        parse_article(text, Path("broken.txt"))
    assert "broken.txt" in str(error.value)


def test_an_edited_article_file_gives_the_edited_passages(tmp_path):
    edited = ARTICLE_TEXT.replace("most insurance plans do not cover it", "some insurance plans now cover it")
    path = tmp_path / "article.txt"
    path.write_text(edited, encoding="utf-8")
    assert "some insurance plans now cover it" in load_knowledge_base(path).passage("cost-and-accessibility").body


def test_a_sentence_with_a_colon_is_not_taken_for_a_labelled_paragraph():
    text = "Title\n\nSection\n\nThe study found one thing: it works.\n\nFAQ\n\nIs it safe?\n\nYes.\n"
    [passage, _] = parse_article(text, Path("a.txt")).passages
    assert passage.title is None and passage.body == "The study found one thing: it works."


def test_a_question_in_the_text_is_a_paragraph_not_a_new_section():
    text = "Title\n\nSection\n\nWhy would anyone try it?\n\nA paragraph.\n\nFAQ\n\nIs it safe?\n\nYes.\n"
    kb = parse_article(text, Path("a.txt"))
    assert [s.heading for s in kb.sections] == ["Section", "FAQ"]
    assert kb.passages[0].body == "Why would anyone try it?"


def test_a_line_that_is_neither_paragraph_heading_nor_caption_stops_parsing():
    line = "This looks like text. But it does not end the way a sentence of the article ends"
    text = f"Title\n\nSection\n\n{line}\n\nFAQ\n\nIs it safe?\n\nYes.\n"
    with pytest.raises(ArticleError, match="cannot tell what this line is"):
        parse_article(text, Path("a.txt"))

"""Unit tests of the Slack renderer (channels/slack_blocks.py): escaping, Slack's limits, fallbacks."""

from __future__ import annotations

import pytest

from channels.slack_blocks import (
    BUTTON_TITLE_LIMIT,
    BUTTON_VALUE_LIMIT,
    BUTTONS_PER_BLOCK,
    SECTION_TEXT_LIMIT,
    button_blocks,
    escape,
    render,
    split_text,
)


def sections(message):
    return [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]


def buttons(message):
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


QUOTE = {
    "title": "Cost & insurance",
    "passages": [
        {
            "id": "cost",
            "text": "Most plans do not cover it <yet> & sessions cost $100.",
            "section": "Limitations",
            "label": "Cost and Accessibility",
        }
    ],
}


def test_ampersand_and_angle_brackets_are_escaped_so_slack_shows_them_as_written():
    assert escape("a & b <@U1> >") == "a &amp; b &lt;@U1&gt; &gt;"


def test_a_quote_renders_bold_title_verbatim_passage_source_context_and_buttons():
    message = render(
        "plain fallback & text", [{"title": "That's not what I asked", "payload": "/not_what_i_asked"}], QUOTE
    )
    kinds = [b["type"] for b in message["blocks"]]
    assert kinds == ["section", "section", "context", "actions"]
    assert sections(message) == [
        "*Cost &amp; insurance*",
        "Most plans do not cover it &lt;yet&gt; &amp; sessions cost $100.",
    ]
    assert message["blocks"][2]["elements"][0]["text"] == "Source: Limitations › Cost and Accessibility"
    assert buttons(message)[0]["value"] == "/not_what_i_asked"
    assert message["text"] == "plain fallback &amp; text"


def test_a_quote_of_several_passages_names_each_source_once():
    quote = {
        "title": None,
        "passages": [
            {"id": "a", "text": "One.", "section": "S", "label": None},
            {"id": "b", "text": "Two.", "section": "S", "label": None},
            {"id": "c", "text": "Three.", "section": "T", "label": "L"},
        ],
    }
    message = render("One.\n\nTwo.\n\nThree.", [], quote)
    assert sections(message) == ["One.", "Two.", "Three."]  # no title block without a title
    assert message["blocks"][-1]["elements"][0]["text"] == "Source: S; T › L"


def test_without_a_quote_the_text_is_one_message_of_one_section_not_one_post_per_paragraph():
    message = render("First paragraph.\n\nSecond & last.", [{"title": "Yes", "payload": "/affirm"}])
    assert sections(message) == ["First paragraph.\n\nSecond &amp; last."]
    assert [b["type"] for b in message["blocks"]] == ["section", "actions"]


@pytest.mark.parametrize("bad_quote", [None, "text", {}, {"passages": []}, {"passages": [{"id": "x"}]}])
def test_malformed_quote_metadata_falls_back_to_the_plain_text(bad_quote):
    message = render("The plain answer.", [], bad_quote)
    assert sections(message) == ["The plain answer."]


def test_long_text_is_split_between_words_into_sections_within_slacks_limit_and_loses_nothing():
    words = [f"w{i}&" for i in range(1500)]  # 7,390 characters escaped to 11,890
    message = render(" ".join(words), [])
    texts = sections(message)
    assert len(texts) > 3
    assert all(len(t) <= SECTION_TEXT_LIMIT for t in texts)
    assert " ".join(texts) == escape(" ".join(words))


def test_long_text_is_split_between_paragraphs_first():
    first, second = "a " * 1000, "b " * 1000  # each fits, together they do not
    assert split_text(f"{first.strip()}\n\n{second.strip()}") == [first.strip(), second.strip()]


def test_a_word_longer_than_the_limit_is_cut_without_breaking_an_entity():
    pieces = split_text("&" * 1000, limit=SECTION_TEXT_LIMIT)  # 5,000 characters once escaped
    assert all(len(escape(p)) <= SECTION_TEXT_LIMIT for p in pieces)
    assert "".join(pieces) == "&" * 1000


def test_buttons_are_grouped_at_most_five_per_actions_block_and_none_is_dropped():
    many = [{"title": f"Topic {i}", "payload": f"/ask_{i}"} for i in range(12)]
    blocks = button_blocks(many)
    assert [len(b["elements"]) for b in blocks] == [BUTTONS_PER_BLOCK, BUTTONS_PER_BLOCK, 2]
    elements = [e for b in blocks for e in b["elements"]]
    assert [e["value"] for e in elements] == [b["payload"] for b in many]
    assert len({e["action_id"] for e in elements}) == len(many)


def test_long_button_titles_are_shortened_to_slacks_limit_and_payload_kept():
    (block,) = button_blocks([{"title": "x" * 200, "payload": "/ask_cost"}])
    (button,) = block["elements"]
    assert len(button["text"]["text"]) == BUTTON_TITLE_LIMIT and button["text"]["text"].endswith("…")
    assert button["value"] == "/ask_cost"


def test_a_button_whose_payload_is_too_long_for_slack_is_left_out_not_cut():
    blocks = button_blocks(
        [{"title": "Too long", "payload": "/" + "x" * BUTTON_VALUE_LIMIT}, {"title": "Fine", "payload": "/ok"}]
    )
    assert [e["value"] for b in blocks for e in b["elements"]] == ["/ok"]

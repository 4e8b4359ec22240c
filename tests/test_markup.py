"""Chat markup (Slack's mentions, links, emoji codes, escapes) is read as what it means."""

from __future__ import annotations

from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlp.markup import ChatMarkupCleaner, clean


def test_a_mention_and_an_emoji_code_are_not_part_of_the_question():
    assert clean("<@U0123ABC> how is a bodywork thing meant to help with stress lol :thinking_face:") == (
        "how is a bodywork thing meant to help with stress lol"
    )
    assert clean("<!here> is nkt safe? :+1:") == "is nkt safe?"


def test_a_link_reads_as_its_label_and_slack_escapes_are_decoded():
    assert clean("see <https://example.com/nkt|this page> &amp; tell me") == "see this page & tell me"
    assert clean("mail <mailto:a@b.co|a@b.co> in <#C024BE7LR|general>") == "mail a@b.co in #general"
    assert clean("is it &lt;£50?") == "is it <£50?"


def test_text_without_markup_is_left_exactly_as_typed():
    for text in ["is NKT safe?", "sessions at 10:30:00?", "<script>alert(1)</script>", "a :) smile", "  spaced  "]:
        assert clean(text) == text


def test_the_pipeline_component_rewrites_the_text_it_passes_on():
    [message] = ChatMarkupCleaner().process([Message({TEXT: "<@U0456DEF> cost?"})])
    assert message.get(TEXT) == "cost?"


def test_emoji_codes_back_to_back_go_and_an_escaped_escape_stays_one():
    assert clean("nice :+1::tada: is it safe?") == "nice is it safe?"
    assert clean("write &amp;lt; for <") == "write &lt; for <"

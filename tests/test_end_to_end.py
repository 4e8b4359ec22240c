"""End to end: the real rasa server and action server on loopback, asked over the REST channel."""

import pytest
import requests

from actions.replies import NOT_COVERED

FAQ_SECTION = "FAQ › "

# Questions in our own words (not training examples), with the passage and section they must quote.
OWN_WORDS = [
    ("could you tell me what NKT actually is", "neurokinetic-therapy-is-a-hands-on", "What Is Neurokinetic Therapy?"),
    (
        "who came up with neurokinetic therapy?",
        "neurokinetic-therapy-nkt-is-a-sophisticated",
        "Neurokinetic Therapy: Can It Alleviate Stress?",
    ),
    (
        "what would a practitioner do to me in an nkt appointment",
        "during-a-typical-neurokinetic-therapy-session",
        "What Is Neurokinetic Therapy?",
    ),
    (
        "is nkt covered by my health insurance or do i pay myself",
        "cost-and-accessibility",
        "Limitations and Considerations › Cost and Accessibility",
    ),
    (
        "how is it different from getting a massage",
        "massage-therapy",
        "Comparing NKT to Other Therapies › Massage Therapy",
    ),
    (
        "what should I look for in a good nkt practitioner",
        "finding-a-qualified-practitioner",
        "Practical Applications for Stress Relief › Finding a Qualified Practitioner",
    ),
    (
        "can NKT replace my therapist if I have depression",
        "not-a-replacement-for-mental-health-care",
        "Limitations and Considerations › Not a Replacement for Mental Health Care",
    ),
    (
        "does the muscle testing actually find real problems?",
        "potential-for-overdiagnosis",
        "Limitations and Considerations › Potential for Overdiagnosis",
    ),
    (
        "how does nkt compare with yoga or tai chi",
        "mind-body-therapies",
        "Comparing NKT to Other Therapies › Mind-Body Therapies",
    ),
    (
        "what role does the vagus nerve play in this therapy",
        "second-the-manual-techniques-used-in",
        "How NKT Addresses Stress",
    ),
]


def reply_text(replies):
    return "\n".join(r.get("text", "") for r in replies)


@pytest.mark.parametrize("index", range(6))
def test_each_faq_question_of_the_article_is_answered_with_its_faq_answer(bot, kb, index):
    entry = kb.faq[index]
    text = reply_text(bot.ask(entry.question))
    assert entry.answer.body in text
    assert f"Source: {FAQ_SECTION}{entry.question}" in text


@pytest.mark.parametrize("question, passage_id, source", OWN_WORDS, ids=[q for q, _, _ in OWN_WORDS])
def test_questions_in_other_words_quote_the_right_passage_and_section(bot, kb, question, passage_id, source):
    text = reply_text(bot.ask(question))
    assert kb.passage(passage_id).body in text
    assert "Source: " in text and source in text.split("Source: ", 1)[1]


def test_a_rest_answer_names_its_passages_and_the_answering_sentence_span_as_custom_data(bot, kb, res):
    (reply,) = bot.ask("who came up with neurokinetic therapy?")
    passage = kb.passage("neurokinetic-therapy-nkt-is-a-sophisticated")
    assert [p["id"] for p in reply["custom"]["passages"]] == [passage.id]
    (marked,) = reply["custom"]["marked"]
    assert marked["passage"] == passage.id
    assert (marked["start"], marked["end"]) in res.marker.spans[passage.id]  # one whole sentence
    # the same sentence, found by its offsets in the reply's text
    assert reply["text"][marked["text_start"] : marked["text_end"]] == passage.body[marked["start"] : marked["end"]]
    assert "Weinstock" in reply["text"][marked["text_start"] : marked["text_end"]]  # who developed it


def test_a_decline_carries_no_marks(bot):
    replies = bot.ask("what's the best pizza in naples?")
    assert not any("custom" in r for r in replies)


def test_an_off_topic_question_is_declined_with_buttons_and_no_passage(bot, kb):
    replies = bot.ask("what's a good recipe for banana bread?")
    text = reply_text(replies)
    assert NOT_COVERED in text
    assert not any(p.body in text for p in kb.passages)
    assert any(r.get("buttons") for r in replies)


def test_a_suggestion_button_payload_answers_its_topic(bot, kb):
    text = reply_text(bot.ask("/ask_cost_insurance"))
    assert kb.passage("cost-and-accessibility").body in text


def test_a_crisis_message_gets_the_safety_message_and_no_passage(bot, kb):
    text = reply_text(bot.ask("I don't want to live anymore, nothing helps, not even nkt"))
    assert "911" in text and "988" in text and "112" in text
    assert not any(p.body in text for p in kb.passages)


def test_greeting_says_what_the_assistant_is_and_offers_topics(bot):
    replies = bot.ask("hello")
    assert "article" in reply_text(replies) and "not a clinician" in reply_text(replies)
    assert any(r.get("buttons") for r in replies)


@pytest.mark.parametrize("message", ["", "   \n\t"])
def test_an_empty_message_gets_a_clear_prompt_and_the_bot_keeps_answering(bot, kb, message):
    sender = "empty-then-question"
    assert "I didn't get a question" in reply_text(bot.ask(message, sender=sender))
    assert kb.passage("is-neurokinetic-therapy-safe").body in reply_text(bot.ask("is nkt safe?", sender=sender))


def test_html_in_a_message_is_declined_as_text_and_not_echoed(bot, kb):
    text = reply_text(bot.ask("<img src=x onerror=alert(1)> <script>alert('nkt')</script>"))
    assert NOT_COVERED in text
    assert "<script" not in text and "onerror" not in text


@pytest.mark.parametrize(
    "body, complaint",
    [
        ({"sender": "a"}, '"message" must be a string'),
        ({"sender": "a", "message": 5}, '"message" must be a string'),
        ({"message": "is nkt safe"}, '"sender" must be a non-empty string'),
        ({"sender": "x" * 500, "message": "is nkt safe"}, '"sender" must be a non-empty string'),
        ({"sender": "a", "message": "stress " * 15000}, "please ask in at most 1000"),
        ([1, 2], "must be a JSON object"),
        (b'{"sender": "a", "message": "\xff\xfe nkt"}', "must be JSON"),
        (b"{not json", "must be JSON"),
    ],
    ids=[
        "no message",
        "number message",
        "no sender",
        "huge sender",
        "100 KB message",
        "list",
        "invalid utf-8",
        "bad json",
    ],
)
def test_a_bad_request_gets_a_400_that_says_what_is_wrong_and_the_bot_answers_after(bot, kb, body, complaint):
    url = f"{bot.url}/webhooks/rest/webhook"
    if isinstance(body, bytes):
        response = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=30)
    else:
        response = requests.post(url, json=body, timeout=30)
    assert response.status_code == 400 and complaint in response.json()["message"]
    assert kb.passage("is-neurokinetic-therapy-safe").body in reply_text(bot.ask("is nkt safe?"))


@pytest.mark.parametrize("message", ["is nkt \x00\x07 safe?", "هل العلاج آمن؟ 🙂", "'; DROP TABLE events; --"])
def test_control_characters_other_scripts_and_sql_looking_text_get_an_ordinary_reply(bot, message):
    replies = bot.ask(message)
    assert replies and all(isinstance(r.get("text"), str) for r in replies)

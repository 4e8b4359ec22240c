"""Precise answering (actions/marking.py): the sentence of the quoted passage that answers is
marked by a character span; the text itself is never changed."""

from actions.marking import sentence_spans
from actions.replies import marks_for, quote, quote_data


def test_sentences_are_cut_after_their_full_stop_and_keep_every_character_in_order():
    text = "First one. Second, “quoted.” Third? Fourth!"
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["First one.", "Second, “quoted.”", "Third?", "Fourth!"]


def test_every_passage_is_covered_by_its_sentences_with_only_spaces_between(kb):
    for passage in kb.passages:
        spans = sentence_spans(passage.body)
        assert spans[0][0] == 0 and spans[-1][1] == len(passage.body)
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert passage.body[end:start].strip() == ""


def test_a_detail_question_marks_the_sentence_that_answers_it(res):
    passage = res.kb.passage("neurokinetic-therapy-nkt-is-a-sophisticated")
    (span,) = marks_for("who developed nkt?", [passage], res)
    assert "David Weinstock" in passage.body[span[0] : span[1]]


def test_only_the_first_passage_of_an_answer_is_marked(res):
    topic = next(t for t in res.topics.values() if len(t.passages) > 1)
    marks = marks_for(topic.title, topic.passages, res)
    assert marks[0] is not None and all(m is None for m in marks[1:])


def test_a_single_sentence_passage_or_an_empty_question_marks_nothing(res):
    single = next(p for p in res.kb.passages if len(sentence_spans(p.body)) == 1)
    assert marks_for("what does this guide explore?", [single], res) == [None]
    assert marks_for("  ", [res.kb.passages[0]], res) == [None]


def test_a_marked_span_points_at_the_same_words_in_the_passage_and_in_the_reply_text(res):
    topic = next(t for t in res.topics.values() if len(t.passages) > 1)
    second = topic.passages[1]
    span = sentence_spans(second.body)[-1]
    data = quote_data(topic.passages, topic.title, [None, span, *[None] * (len(topic.passages) - 2)])
    (marked,) = data["marked"]
    assert marked["passage"] == second.id and data["passages"][1]["mark"] == list(span)
    assert quote(topic.passages)[marked["text_start"] : marked["text_end"]] == second.body[span[0] : span[1]]
    assert [p["text"] for p in data["passages"]] == [p.body for p in topic.passages]  # verbatim

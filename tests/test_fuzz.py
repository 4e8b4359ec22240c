"""Bounded property-based fuzzing (hypothesis): the article parser and the REST channel.

The parser either builds a knowledge base whose passages are verbatim pieces of its input,
or raises ``ArticleError`` naming the file; nothing else. The REST channel answers any body
with a reply list or a 400 that says what is wrong, never a 500, and keeps answering.
"""

from __future__ import annotations

import json
import random

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.knowledge_base import ARTICLE_PATH, ArticleError, parse_article

ARTICLE_LINES = ARTICLE_PATH.read_text(encoding="utf-8").splitlines()
FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))

# edits of the real article: lines dropped, repeated, swapped or mangled, plus arbitrary text
article_edits = st.lists(
    st.one_of(
        st.sampled_from(ARTICLE_LINES),
        st.sampled_from(ARTICLE_LINES).map(str.upper),
        st.sampled_from(ARTICLE_LINES).map(lambda line: line[: len(line) // 2]),
        st.text(max_size=80),
        st.just(""),
    ),
    max_size=120,
)


@FUZZ
@given(lines=article_edits)
def test_the_parser_returns_verbatim_passages_or_an_article_error_for_any_text(lines):
    text = "\n".join(lines)
    try:
        kb = parse_article(text)
    except ArticleError as error:
        assert str(ARTICLE_PATH) in str(error)
        return
    assert all(p.body in text for p in kb.passages)
    assert len({p.id for p in kb.passages}) == len(kb.passages)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
rest_bodies = st.one_of(
    st.binary(max_size=400),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries(
        {"sender": st.one_of(st.text(min_size=1, max_size=200), json_values), "message": st.text(max_size=1200)}
    ).map(lambda body: json.dumps(body).encode()),
    st.fixed_dictionaries({"sender": st.text(min_size=1, max_size=40), "message": json_values}).map(
        lambda body: json.dumps(body).encode()
    ),
)


@FUZZ
@given(body=rest_bodies)
def test_any_body_posted_to_the_rest_channel_gets_a_reply_never_silence_or_a_clear_400(bot, body):
    response = requests.post(
        f"{bot.url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code in (200, 400), (body[:200], response.status_code, response.text[:300])
    if response.status_code == 400:
        assert response.json()["message"]
    else:  # never silence: every message the channel takes gets at least one reply a user can read
        replies = response.json()
        assert isinstance(replies, list) and replies, (body[:200], replies)
        assert all(r.get("text") or r.get("buttons") or r.get("custom") for r in replies), (body[:200], replies)


def test_after_the_fuzzing_the_rest_channel_still_answers_questions(bot, kb):
    sender = f"after-fuzz-{random.randrange(10**9)}"
    replies = bot.ask("is neurokinetic therapy safe?", sender=sender)
    assert kb.passage("is-neurokinetic-therapy-safe").body in "\n".join(r.get("text", "") for r in replies)

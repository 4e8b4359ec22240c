"""Feedback on every answer, kept in the conversation's tracker (the clinic's report reads it)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import List


def feedback_events(bot, sender: str) -> List[dict]:
    """The ``feedback`` slot events of the conversation, as the tracker store holds them."""
    with sqlite3.connect(Path(bot.endpoints).parent / "tracker.db") as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = 'slot' ORDER BY id", (sender,))
        events = [json.loads(data) for (data,) in rows]
    return [e["value"] for e in events if e.get("name") == "feedback"]


def test_helpful_on_an_answer_is_stored_with_its_topic_and_passage(bot, kb):
    sender = f"feedback-{uuid.uuid4().hex[:10]}"
    [answer] = bot.ask("is neurokinetic therapy safe?", sender=sender)
    assert [b["payload"] for b in answer["buttons"]][-2:] == ["/feedback_helpful", "/not_what_i_asked"]
    [thanks] = bot.ask("/feedback_helpful", sender=sender)
    assert thanks["text"].startswith("Thanks for telling me")
    verdict = {"helpful": True, "topic": "ask_safety", "passage": "is-neurokinetic-therapy-safe"}
    assert feedback_events(bot, sender) == [verdict]


def test_not_helpful_is_stored_and_the_next_best_answer_follows(bot, kb):
    sender = f"feedback-{uuid.uuid4().hex[:10]}"
    bot.ask("how many sessions of nkt would i need?", sender=sender)
    replies = bot.ask("/not_what_i_asked", sender=sender)
    [verdict] = feedback_events(bot, sender)
    assert verdict["helpful"] is False and verdict["topic"] == "ask_number_of_sessions"
    assert kb.has_passage(verdict["passage"])
    assert replies and verdict["passage"] not in json.dumps(replies)  # another answer, not the same one

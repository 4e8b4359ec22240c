"""Unit tests of channels/guard.py: an apology instead of silence, and rasa's action wait shortened."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

import pytest
import rasa.core.actions.action
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from channels.guard import APOLOGY, answering_or_apologising, limit_action_wait


@pytest.fixture(autouse=True)
def _restore_action_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rasa.core.actions.action, "DEFAULT_REQUEST_TIMEOUT", 300)
    monkeypatch.delenv("ACTION_TIMEOUT_SECONDS", raising=False)
    monkeypatch.delenv("REPLY_DEADLINE_SECONDS", raising=False)


def run_turn(turn: Callable[[UserMessage], Awaitable[Any]]) -> list:
    output = CollectingOutputChannel()
    asyncio.run(answering_or_apologising(turn)(UserMessage("is nkt safe?", output, "someone")))
    return [m.get("text") for m in output.messages]


def test_a_turn_that_replies_gets_no_apology() -> None:
    async def answers(message: UserMessage) -> None:
        await message.output_channel.send_response(message.sender_id, {"text": "a passage"})

    assert run_turn(answers) == ["a passage"]


def test_a_reply_sent_with_a_channel_specific_method_counts_as_a_reply() -> None:
    async def answers(message: UserMessage) -> None:
        await message.output_channel.send_text_with_buttons(message.sender_id, "a passage", [])

    assert run_turn(answers) == ["a passage"]


def test_a_turn_with_no_reply_gets_the_apology() -> None:
    async def silent(message: UserMessage) -> None:  # what rasa does when the action server is down
        return None

    assert run_turn(silent) == [APOLOGY]


def test_a_turn_that_fails_gets_the_apology() -> None:
    async def fails(message: UserMessage) -> None:
        raise ConnectionError("tracker store unreachable")

    assert run_turn(fails) == [APOLOGY]


def test_a_turn_slower_than_the_deadline_gets_the_apology_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLY_DEADLINE_SECONDS", "0.3")

    async def slow(message: UserMessage) -> None:
        await asyncio.sleep(10)
        await message.output_channel.send_response(message.sender_id, {"text": "too late"})

    started = time.monotonic()
    assert run_turn(slow) == [APOLOGY]
    assert time.monotonic() - started < 2


def test_the_channel_name_is_the_real_channels_so_response_variations_still_apply() -> None:
    seen = []

    async def looks(message: UserMessage) -> None:
        seen.append(message.output_channel.name())
        await message.output_channel.send_response(message.sender_id, {"text": "ok"})

    run_turn(looks)
    assert seen == [CollectingOutputChannel.name()]


def test_rasa_waits_for_the_action_server_three_seconds_by_default_not_five_minutes() -> None:
    assert limit_action_wait() == 3.0
    assert rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT == 3.0


def test_the_action_timeout_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTION_TIMEOUT_SECONDS", "1.5")
    answering_or_apologising(lambda message: asyncio.sleep(0))
    assert rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT == 1.5


@pytest.mark.parametrize("value", ["soon", "0", "-2"])
def test_a_bad_action_timeout_stops_the_server_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ACTION_TIMEOUT_SECONDS", value)
    with pytest.raises(ValueError, match="ACTION_TIMEOUT_SECONDS"):
        limit_action_wait()

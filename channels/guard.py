"""Never leave a user in silence: an apology when a message got no reply in time.

Rasa swallows a failing custom action (``MessageProcessor._run_action`` logs the exception
and carries on with no events), so when the action server is down the channel answers with
nothing at all; and it waits up to five minutes for a slow one (``DEFAULT_REQUEST_TIMEOUT``
in ``rasa.core.constants``). ``answering_or_apologising`` wraps a channel's
``on_new_message``: it shortens that wait to ``ACTION_TIMEOUT_SECONDS`` (3 s by default),
gives the whole turn ``REPLY_DEADLINE_SECONDS`` (4.5 s), and sends ``APOLOGY`` through the
channel's own output when the turn produced no reply. Nothing is restarted: the next
message tries the action server again, so answers resume as soon as it is back.

Any channel can use it in its ``blueprint``::

    def blueprint(self, on_new_message):
        return super().blueprint(answering_or_apologising(on_new_message))
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Awaitable, Callable, Text

import rasa.core.actions.action
from rasa.core.channels.channel import OutputChannel, UserMessage

logger = logging.getLogger(__name__)

APOLOGY = "Sorry, I can't answer right now. Please try again in a minute."
ACTION_TIMEOUT_VARIABLE = "ACTION_TIMEOUT_SECONDS"
DEADLINE_VARIABLE = "REPLY_DEADLINE_SECONDS"
DEFAULT_ACTION_TIMEOUT_S = 3.0
DEFAULT_REPLY_DEADLINE_S = 4.5

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def _seconds(variable: Text, default: float) -> float:
    value = os.environ.get(variable, "").strip()
    try:
        seconds = float(value) if value else default
    except ValueError:
        raise ValueError(f"{variable} must be a number of seconds, not {value!r}") from None
    if seconds <= 0:
        raise ValueError(f"{variable} must be positive, not {value!r}")
    return seconds


def limit_action_wait() -> float:
    """How long rasa waits for the action server, set from ``ACTION_TIMEOUT_SECONDS``.

    Rasa 3.6 has no setting for it: ``RemoteAction.run`` passes the module global
    ``rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT`` (imported by value from
    ``rasa.core.constants``, 300 s) to each request, reading it at call time, so replacing
    that global in the rasa server's process is enough. Only custom action calls use it.
    """
    seconds = _seconds(ACTION_TIMEOUT_VARIABLE, DEFAULT_ACTION_TIMEOUT_S)
    rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT = seconds
    return seconds


class _ReplyWatch:
    """Stands in for the channel's output and notes whether the turn sent anything through it.

    Every attribute is the real output's (its ``name()`` picks response variations); every
    ``send_*`` coroutine is the real one, marking the turn as answered first.
    """

    def __init__(self, output: OutputChannel) -> None:
        self.output = output
        self.replied = False

    def __getattr__(self, attribute: Text) -> Any:
        value = getattr(self.output, attribute)
        if not (attribute.startswith("send_") and asyncio.iscoroutinefunction(value)):
            return value

        async def sending(*args: Any, **kwargs: Any) -> Any:
            self.replied = True
            return await value(*args, **kwargs)

        return sending


def answering_or_apologising(on_new_message: OnNewMessage) -> OnNewMessage:
    """``on_new_message``, with an apology instead of silence when the turn fails or is late."""
    action_timeout = limit_action_wait()
    deadline = _seconds(DEADLINE_VARIABLE, DEFAULT_REPLY_DEADLINE_S)
    if deadline <= action_timeout:
        logger.warning(
            "%s (%.1f s) should exceed %s (%.1f s): a slow action server is then cut short by the deadline",
            DEADLINE_VARIABLE,
            deadline,
            ACTION_TIMEOUT_VARIABLE,
            action_timeout,
        )

    async def handle(message: UserMessage) -> None:
        output = message.output_channel
        watch = _ReplyWatch(output)
        message.output_channel = watch
        try:
            await asyncio.wait_for(on_new_message(message), timeout=deadline)
        except asyncio.TimeoutError:
            logger.error("No reply to conversation %s within %.1f s.", message.sender_id, deadline)
        except Exception:
            logger.exception("Handling a message of conversation %s failed.", message.sender_id)
        if not watch.replied:
            logger.error(
                "Conversation %s got no reply (is the action server up? see the errors above); apologising.",
                message.sender_id,
            )
            await output.send_text_message(message.sender_id, APOLOGY)

    return handle

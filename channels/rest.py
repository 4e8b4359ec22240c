"""The REST channel, answering bad requests with a clear 400 instead of silence.

Rasa's ``RestInput`` passes a request without ``"message"`` on to NLU, where it fails
and the client gets an empty list; without ``"sender"`` every such client shares the
conversation ``default``. This one checks the body first. The URL is unchanged:
``/webhooks/rest/webhook``. A message that gets no reply in time (the action server down or
slow) gets an apology (``channels.guard``).
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint
from sanic.exceptions import SanicException
from sanic.request import Request

from channels.guard import answering_or_apologising

MAX_MESSAGE_CHARS = 1000
MAX_SENDER_CHARS = 128


class BadRequest(SanicException):
    status_code = 400
    quiet = True


def _body(request: Request) -> Dict[Text, Any]:
    try:
        body = request.json
    except Exception:  # sanic raises its own error for invalid JSON; make the message clear
        raise BadRequest('The body must be JSON: {"sender": "...", "message": "..."}') from None
    if not isinstance(body, dict):
        raise BadRequest('The body must be a JSON object: {"sender": "...", "message": "..."}')
    return body


class ValidatingRestInput(RestInput):
    """``rest``, with the sender and the message checked before anything else runs."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return super().blueprint(answering_or_apologising(on_new_message))

    async def _extract_sender(self, request: Request) -> Text:
        sender = _body(request).get("sender")
        if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
            raise BadRequest(f'"sender" must be a non-empty string of at most {MAX_SENDER_CHARS} characters')
        return sender

    def _extract_message(self, request: Request) -> Text:
        message = _body(request).get("message")
        if not isinstance(message, str):
            raise BadRequest('"message" must be a string')
        if len(message) > MAX_MESSAGE_CHARS:
            raise BadRequest(
                f"That message is {len(message)} characters long; please ask in at most {MAX_MESSAGE_CHARS}."
            )
        return message

"""The REST channel, answering bad requests with a clear 400 instead of silence.

Rasa's ``RestInput`` passes a request without ``"message"`` on to NLU, where it fails
and the client gets an empty list; without ``"sender"`` every such client shares the
conversation ``default``. This one checks the body first. The URL is unchanged:
``/webhooks/rest/webhook``. A message that gets no reply in time (the action server down or
slow) gets an apology (``channels.guard``). An answer quoting the article carries its
structure as custom data: the passages quoted and the marked sentence's span
(``custom.marked``: passage id, ``start``/``end`` in the passage, ``text_start``/``text_end``
in the reply's text), for API clients to highlight the sentence that answers.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint
from sanic.exceptions import SanicException
from sanic.request import Request

from channels.guard import answering_or_apologising

MAX_MESSAGE_CHARS = 1000
MAX_SENDER_CHARS = 128
TOO_LONG = "That message is {length} characters long; please ask in at most {limit}."


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


def quote_custom(article_quote: Any) -> Dict[Text, Any]:
    """The custom data of an answer: the passages quoted and the marked spans."""
    passages = article_quote.get("passages") or []
    return {
        "passages": [{"id": p.get("id"), "section": p.get("section"), "label": p.get("label")} for p in passages],
        "marked": list(article_quote.get("marked") or []),
    }


class QuoteOutput:
    """The REST output (collecting or streaming), with an answer's quote as custom data:
    Rasa's collector keeps only text and buttons of a reply."""

    def __init__(self, output: CollectingOutputChannel) -> None:
        self.output = output

    def __getattr__(self, attribute: Text) -> Any:
        return getattr(self.output, attribute)

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        quote = message.get("article_quote")
        if not isinstance(quote, dict) or not message.get("text"):
            await self.output.send_response(recipient_id, message)
            return
        reply = self.output._message(
            recipient_id, text=message["text"], buttons=message.get("buttons") or None, custom=quote_custom(quote)
        )
        await self.output._persist_message(reply)


def with_quotes(on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Callable[[UserMessage], Awaitable[Any]]:
    async def handle(message: UserMessage) -> Any:
        message.output_channel = QuoteOutput(message.output_channel)  # type: ignore[assignment]
        return await on_new_message(message)

    return handle


class ValidatingRestInput(RestInput):
    """``rest``, with the sender and the message checked before anything else runs."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return super().blueprint(with_quotes(answering_or_apologising(on_new_message)))

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
            raise BadRequest(TOO_LONG.format(length=len(message), limit=MAX_MESSAGE_CHARS))
        return message

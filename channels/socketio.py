"""The web chat widget's channel: Rasa's socket.io channel, with three things fixed.

- **Session persistence works.** Rasa 3.6 calls ``sio.enter_room(...)`` without ``await``;
  since python-socketio 5.10 that is a coroutine, so the browser never joins its session's
  room and no reply reaches it after a reload (RasaHQ/rasa#13027). Here it is awaited.
- **Only the widget's origins may connect.** Rasa builds the server with
  ``cors_allowed_origins=[]``, which turns python-engineio's Origin check off. Here the
  origins come from ``cors_allowed_origins`` in credentials.yml, or from ``WEB_ORIGINS``
  (comma-separated) when set, e.g. by ``make web`` for another port.
- **Bad messages get a clear answer, before NLU**: a payload that is not an object, a
  message that is not text, or one over 1,000 characters gets a short bot reply saying
  what was wrong; the connection stays usable.
- **No silence**: a message that gets no reply in time (the action server down or slow)
  gets an apology (``channels.guard``).

Each reply is sent whole (Rasa's output splits texts at blank lines into several bubbles)
with the quote's structure (``article_quote``: title, passages, section anchors) so the
widget can show a bold title and link the source to its section on the page.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from channels.guard import answering_or_apologising
from channels.rest import MAX_MESSAGE_CHARS

ORIGINS_VARIABLE = "WEB_ORIGINS"
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
NOT_AN_OBJECT = 'Messages must be objects like {"message": "…", "session_id": "…"}.'
NOT_TEXT = "I can only read text messages. Please type your question."
TOO_LONG = "That message is {length:,} characters long; I can read up to {limit:,}. Please ask a shorter question."


class WebChatOutput(SocketIOOutput):
    """Sends each reply as one ``bot_uttered`` event, with its buttons and quote structure."""

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send_message(recipient_id, _reply(text, [], kwargs))

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self._send_message(recipient_id, _reply(text, buttons, kwargs))


def _reply(text: Text, buttons: List[Dict[Text, Any]], metadata: Dict[Text, Any]) -> Dict[Text, Any]:
    reply: Dict[Text, Any] = {"text": text}
    if buttons:
        reply["quick_replies"] = [
            {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in buttons
        ]
    if metadata.get("article_quote"):
        reply["article_quote"] = metadata["article_quote"]
    if metadata.get("conversation_erased"):  # the widget forgets its copy too
        reply["conversation_erased"] = True
    return reply


def allowed_origins(configured: Any) -> List[Text]:
    """The origins that may open a socket: ``WEB_ORIGINS`` if set, else credentials.yml's list."""
    value = os.environ.get(ORIGINS_VARIABLE) or configured or []
    if isinstance(value, str):
        value = value.split(",")
    origins = [str(o).strip().rstrip("/") for o in value if str(o).strip()]
    if not origins or "*" in origins:
        raise ValueError(
            "socketio: set cors_allowed_origins in credentials.yml (or WEB_ORIGINS) to the widget's "
            "origins, e.g. http://127.0.0.1:8080; '*' and an empty list would let any site connect"
        )
    return origins


def problem_with(data: Any) -> Optional[Text]:
    """What is wrong with a ``user_uttered`` payload, said for the user; None when it is fine."""
    if not isinstance(data, dict):
        return NOT_AN_OBJECT
    message = data.get("message", "")
    if not isinstance(message, str):
        return NOT_TEXT
    if len(message) > MAX_MESSAGE_CHARS:
        return TOO_LONG.format(length=len(message), limit=MAX_MESSAGE_CHARS)
    return None


class WebChatInput(SocketIOInput):
    """``channels.socketio.WebChatInput`` in credentials.yml; the channel's name stays ``socketio``."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        channel = super().from_credentials(credentials)
        channel.cors_allowed_origins = allowed_origins(credentials.get("cors_allowed_origins"))
        return channel

    def get_output_channel(self) -> Optional[OutputChannel]:
        return WebChatOutput(self.sio, self.bot_message_evt) if self.sio else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = answering_or_apologising(on_new_message)
        origins = getattr(self, "cors_allowed_origins", None) or allowed_origins(None)
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=origins)
        webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict]) -> bool:
            # python-engineio has already refused foreign origins; a JWT, when configured, as Rasa checks it
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if isinstance(requested, str) and SESSION_ID.match(requested) else None
            session_id = session_id or uuid.uuid4().hex
            if self.session_persistence:
                for room in sio.rooms(sid, namespace=self.namespace):  # "New conversation": leave the old one
                    if room not in (sid, session_id):
                        await sio.leave_room(sid, room, namespace=self.namespace)
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            output = WebChatOutput(sio, self.bot_message_evt)
            problem = problem_with(data)
            if problem:
                await output._send_message(sid, {"text": problem})
                return
            sender_id = sid
            if self.session_persistence:
                session_id = data.get("session_id")
                if not (isinstance(session_id, str) and SESSION_ID.match(session_id)):
                    await output._send_message(sid, {"text": "Your chat session expired; please reload the page."})
                    return
                sender_id = session_id
            metadata = data.get(self.metadata_key)
            message = UserMessage(
                data.get("message", ""),
                output,
                sender_id,
                input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else None,
            )
            await on_new_message(message)

        return webhook

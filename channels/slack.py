"""The Slack channel: Rasa's ``SlackInput``/``SlackBot`` with the answers rendered as Block Kit
and the delivery rules a Slack app needs.

What Rasa 3.6's own channel does, and what this one changes (``rasa/core/channels/slack.py``):

- Signatures (HMAC-SHA256 of ``v0:{ts}:{body}``, at most 5 minutes old) are checked by Rasa's
  ``is_request_from_slack_authentic``, reused as is; a failed check is a 401 here (400 there).
- Rasa acknowledges a retry only when Slack's reason is ``http_timeout``; a retry for any other
  reason (``http_error``, ``connection_failed`` …) is answered a second time. Here every message is
  remembered by ``channel:ts`` (and ``event_id``): a retry or a second event for a message already
  taken (an ``app_mention`` that is also a ``message.im``) is acknowledged with
  ``X-Slack-No-Retry: 1`` and no reply; a retry of a message never received is answered.
  The memory is per process: with several rasa replicas, route Slack to one.
- Rasa ignores events with a ``bot_id``; here also the bot's own user and message subtypes that
  are not something a person wrote (``message_changed``, ``channel_join`` …), so no loop.
- Rasa threads every reply when ``use_threads`` is on, DMs included, and threads a button's answer
  under the bot's message; here channel replies go in the thread of the question, DMs stay flat,
  and a button's answer goes where the button was (same channel, same thread, if any).
- URL verification: Rasa answers the challenge as a JSON string (``"abc"``); Slack asks for the
  value as plain text (or ``{"challenge": …}``): plain text here.
- Replies: Rasa posts each paragraph as a message of its own and buttons with plain text;
  here one message per reply (``channels/slack_blocks.py``), without the deprecated ``as_user``.
- A post Slack refuses (``ok: false``) or cannot take (network) raises out of Rasa's message
  handling, before the conversation is saved: the turn is lost, and the error only shows as
  "Task exception was never retrieved". Here it is logged with Slack's error code, and the
  conversation goes on.
- The Web API's address is ``slack_api_url`` (credentials), else ``$SLACK_API_URL``, else Slack's:
  GovSlack, a proxy, or the tests' fake Slack.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections import OrderedDict
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Text

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from channels.guard import answering_or_apologising
from channels.slack_blocks import render

logger = logging.getLogger(__name__)

SLACK_API_URL = "https://slack.com/api/"
API_URL_VARIABLE = "SLACK_API_URL"
# Subtypes a person writes; everything else (edits, joins, bot posts …) is not a question.
USER_SUBTYPES = frozenset({None, "file_share", "thread_broadcast", "me_message"})
REMEMBERED_MESSAGES = 10_000  # Slack retries within minutes: enough for any plausible traffic


def api_url(credentials: Optional[Mapping[str, Any]] = None) -> str:
    """The Slack Web API base URL, with the trailing slash slack_sdk joins method names to."""
    url = (credentials or {}).get("slack_api_url") or os.environ.get(API_URL_VARIABLE) or SLACK_API_URL
    return url if url.endswith("/") else url + "/"


def _media_type(request: Request) -> str:
    """``application/json; charset=utf-8`` is JSON too (Rasa compares the whole header)."""
    return (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()


class SlackBlocksBot(SlackBot):
    """Posts each reply as one Block Kit message (quote, source, buttons) to the configured API."""

    def __init__(
        self,
        token: Text,
        slack_channel: Optional[Text] = None,
        thread_id: Optional[Text] = None,
        proxy: Optional[Text] = None,
        base_url: Text = SLACK_API_URL,
    ) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        self.client = AsyncWebClient(token, base_url=base_url, proxy=proxy)

    async def _post_reply(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], kwargs: Dict[Text, Any]
    ) -> None:
        message = render(text, buttons, kwargs.get("article_quote"))
        channel = self.slack_channel or recipient_id
        try:
            await self._post_message(channel=channel, **message)
        except SlackApiError as error:
            logger.error("Slack refused the answer to %s: %s", channel, error.response.get("error"))
        except (SlackClientError, aiohttp.ClientError, asyncio.TimeoutError) as error:
            logger.error("Could not post the answer to %s on Slack: %r", channel, error)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._post_reply(recipient_id, text, [], kwargs)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self._post_reply(recipient_id, text, buttons, kwargs)


class SlackChannel(SlackInput):
    """``slack`` (``/webhooks/slack/webhook``): Events API messages and button clicks."""

    @classmethod
    def name(cls) -> Text:
        return "slack"

    def __init__(self, *args: Any, base_url: Text = SLACK_API_URL, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = base_url
        self._taken: "OrderedDict[str, None]" = OrderedDict()

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        channel = super().from_credentials(credentials)
        channel.base_url = api_url(credentials)
        return channel

    def get_output_channel(self, channel: Optional[Text] = None, thread_id: Optional[Text] = None) -> OutputChannel:
        return SlackBlocksBot(self.slack_token, channel or self.slack_channel, thread_id, self.proxy, self.base_url)

    # -- which events are questions ---------------------------------------------------------

    def _take(self, keys: List[Optional[str]]) -> bool:
        """True the first time any of ``keys`` is seen; later deliveries of the message are not."""
        present = [key for key in keys if key]
        if any(key in self._taken for key in present):
            return False
        for key in present:
            self._taken[key] = None
        while len(self._taken) > REMEMBERED_MESSAGES:
            self._taken.popitem(last=False)
        return True

    @staticmethod
    def _bot_user_ids(body: Mapping[str, Any]) -> List[str]:
        return [a.get("user_id") for a in body.get("authorizations") or [] if a.get("is_bot") and a.get("user_id")]

    def _is_question(self, body: Dict[str, Any]) -> bool:
        event = body.get("event") or {}
        return (
            self._is_user_message(body)
            and event.get("subtype") in USER_SUBTYPES
            and event.get("user") not in self._bot_user_ids(body)
        )

    def _event_metadata(self, body: Mapping[str, Any]) -> Dict[str, Any]:
        """Where to answer: the event's channel; in a channel, the question's thread (a new one
        under the question if it was not in one); in a DM, only a thread the user started."""
        event = body.get("event") or {}
        direct = event.get("channel_type") == "im"
        thread = event.get("thread_ts") or (None if direct else event.get("ts"))
        users = body.get("authed_users") or [
            a.get("user_id") for a in (body.get("authorizations") or [])[:1] if a.get("user_id")
        ]
        return {"out_channel": event.get("channel"), "thread_id": thread, "users": users}

    @staticmethod
    def _interaction_metadata(payload: Mapping[str, Any]) -> Dict[str, Any]:
        """A button's answer goes where the button's message is: its channel and its thread."""
        message, container = payload.get("message") or {}, payload.get("container") or {}
        user = (payload.get("user") or {}).get("id")
        return {
            "out_channel": (payload.get("channel") or {}).get("id") or container.get("channel_id"),
            "thread_id": message.get("thread_ts") or container.get("thread_ts"),
            "users": [user] if user else [],
        }

    # -- handing a question to Rasa ---------------------------------------------------------

    def _dispatch(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: Text,
        sender: Text,
        metadata: Dict[str, Any],
    ) -> HTTPResponse:
        """Answer in the background: Slack wants its 200 within 3 s, and retries otherwise."""
        thread = metadata.get("thread_id") if self.use_threads else None
        conversation = self._get_conversation_id(sender, metadata.get("out_channel"), thread)
        message = UserMessage(
            text,
            self.get_output_channel(metadata.get("out_channel"), thread),
            conversation,
            input_channel=self.name(),
            metadata=metadata,
        )
        task: asyncio.Task = asyncio.ensure_future(on_new_message(message))
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)
        return response.text("")

    async def _on_event(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        body = request.json
        if not isinstance(body, dict):
            return response.text("Expected a JSON object.", status=HTTPStatus.BAD_REQUEST)
        if body.get("type") == "url_verification":
            return response.text(str(body.get("challenge", "")))
        if not self._is_question(body):
            return response.text("Not a message from a person: ignored.")
        metadata = self._event_metadata(body)
        if not self._is_supported_channel(body, metadata):
            return response.text("Channel not supported: ignored.")
        event = body["event"]
        message_key = f"{event.get('channel')}:{event.get('ts')}" if event.get("ts") else None
        if not self._take([message_key, body.get("event_id")]):
            logger.info(
                "Slack delivered message %s again (retry #%s, %s): already answered",
                message_key or body.get("event_id"),
                request.headers.get(self.retry_num_header),
                request.headers.get(self.retry_reason_header),
            )
            return response.text("Already received.", headers={"X-Slack-No-Retry": "1"})
        text = self._sanitize_user_message(event.get("text", ""), metadata["users"])
        return self._dispatch(on_new_message, text, event.get("user", ""), metadata)

    async def _on_interaction(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        raw = request.form.get("payload")
        try:
            payload = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            payload = None
        if not isinstance(payload, dict):
            return response.text("Expected a form field 'payload' holding JSON.", status=HTTPStatus.BAD_REQUEST)
        if not self._is_interactive_message(payload):
            return response.text("Not a supported interaction: ignored.")
        text = self._get_interactive_response(payload["actions"][0])
        sender = (payload.get("user") or {}).get("id")
        if text is None or not sender:
            return response.text("A link button or an empty choice: nothing to answer.")
        return self._dispatch(on_new_message, text, sender, self._interaction_metadata(payload))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = answering_or_apologising(on_new_message)  # never silence (channels/guard.py)
        slack_webhook = Blueprint("slack_webhook", __name__)

        @slack_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @slack_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.is_request_from_slack_authentic(request):
                return response.text(
                    "The request is not signed with this app's signing secret, or is older than 5 minutes.",
                    status=HTTPStatus.UNAUTHORIZED,
                )
            media_type = _media_type(request)
            if media_type == "application/json":
                return await self._on_event(request, on_new_message)
            if media_type == "application/x-www-form-urlencoded":
                return await self._on_interaction(request, on_new_message)
            return response.text(f"Unsupported content type {media_type!r}.", status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE)

        return slack_webhook

"""The terminal channel (``make shell``): a conversation at the prompt, in the rasa server's process.

Rasa's own ``rasa shell`` posts each message to the REST webhook and shows a reply's buttons
as a questionary menu; there a typed question is dropped, the menu shows internal payloads
(``(/not_what_i_asked)``), its numbers do nothing, Ctrl-C leaves a traceback and a hang,
and a message that gets no reply (the action server down) prints a traceback. This channel
is a Rasa input channel of its own (``rasa run --connector channels.shell.ShellInput``):
it hands each line to the agent directly, through the same apology guard and quote
structure as the REST channel, and reads lines with one prompt that takes a question or a
button's number. Ctrl-C, Ctrl-D and ``/stop`` leave it, and the server stops with it.

The sentence that answers is shown in bold on a terminal, and the text is plain when the
output is not a terminal (a pipe, a file).
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Text, TextIO

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.guard import answering_or_apologising
from channels.rest import MAX_MESSAGE_CHARS, TOO_LONG, with_quotes

PROMPT = "Your input -> "
STOP = "/stop"
CHOOSE = "Type a number to choose, or your own message:"
WELCOME = f"Bot loaded. Type a message and press Enter ({STOP}, Ctrl-D or Ctrl-C to leave)."
BYE = "Bye."
BOLD, NORMAL = "\x1b[1m", "\x1b[22m"

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
ReadLine = Callable[[], Awaitable[str]]


def marked_text(message: Dict[Text, Any], emphasise: bool) -> str:
    """The reply's text, its marked sentences (``custom.marked``) in bold when ``emphasise``."""
    text = str(message.get("text") or "")
    if not emphasise:
        return text
    spans = [
        (m["text_start"], m["text_end"])
        for m in (message.get("custom") or {}).get("marked") or []
        if isinstance(m, dict) and 0 <= m.get("text_start", -1) < m.get("text_end", -1) <= len(text)
    ]
    for start, end in sorted(spans, reverse=True):
        text = f"{text[:start]}{BOLD}{text[start:end]}{NORMAL}{text[end:]}"
    return text


def button_list(buttons: Sequence[Dict[Text, Any]]) -> List[str]:
    """The choices as the person sees them: a number and a title, never the payload."""
    return [CHOOSE, *(f"  {i}. {b.get('title', '')}" for i, b in enumerate(buttons, start=1))]


def chosen(line: str, buttons: Sequence[Dict[Text, Any]]) -> Optional[Dict[Text, Any]]:
    """The button a line chooses by its number, or None when the line is a message."""
    number = line.strip()
    if number.isdigit() and 1 <= int(number) <= len(buttons):
        return buttons[int(number) - 1]
    return None


@dataclass
class Conversation:
    """One person at the prompt: reads lines, sends them to the agent, prints the replies."""

    on_new_message: OnNewMessage
    read_line: ReadLine
    out: TextIO
    sender_id: str

    def say(self, line: str = "") -> None:
        print(line, file=self.out, flush=True)

    async def reply_to(self, text: str) -> List[Dict[Text, Any]]:
        collector = CollectingOutputChannel()
        await self.on_new_message(UserMessage(text, collector, self.sender_id, input_channel=ShellInput.name()))
        return collector.messages

    async def run(self) -> None:
        self.say(WELCOME)
        buttons: List[Dict[Text, Any]] = []
        while True:
            try:
                line = (await self.read_line()).strip()
            except (EOFError, KeyboardInterrupt):
                break
            if line == STOP:
                break
            if not line:
                continue
            button = chosen(line, buttons)
            text = str(button.get("payload")) if button else line
            if button:
                self.say(f"> {button.get('title')}")
            if len(text) > MAX_MESSAGE_CHARS:
                self.say(TOO_LONG.format(length=len(text), limit=MAX_MESSAGE_CHARS))
                continue
            buttons = self.show(await self.reply_to(text))
        self.say(BYE)

    def show(self, messages: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
        """Print the replies; the last one's buttons are the choices for the next line."""
        emphasise = self.out.isatty()
        buttons: List[Dict[Text, Any]] = []
        for message in messages:
            if message.get("text"):
                self.say(marked_text(message, emphasise))
            buttons = list(message.get("buttons") or [])
        if buttons:
            for line in button_list(buttons):
                self.say(line)
        self.say()
        return buttons


def prompt_reader() -> ReadLine:
    from prompt_toolkit import PromptSession

    session: PromptSession = PromptSession()

    async def read() -> str:
        return await session.prompt_async(PROMPT)

    return read


class ShellInput(InputChannel):
    """``rasa run --connector channels.shell.ShellInput``: the conversation at this terminal,
    started once the server is up; leaving it stops the server."""

    @classmethod
    def name(cls) -> Text:
        return "shell"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        handle = with_quotes(answering_or_apologising(on_new_message))
        shell = Blueprint("shell_webhook", __name__)

        @shell.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def converse(app: Sanic) -> None:
            try:
                await Conversation(handle, prompt_reader(), sys.stdout, uuid.uuid4().hex).run()
            finally:
                app.stop()

        @shell.listener("after_server_start")
        async def start(app: Sanic, _loop: Any) -> None:
            app.add_task(converse(app))

        return shell

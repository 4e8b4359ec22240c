"""``rasa shell``, with Ctrl-D leaving it as ``/stop`` does, replies with buttons shown
whole, and without import-time noise.

Rasa 3.6's console channel lets prompt_toolkit's ``EOFError`` (Ctrl-D at the prompt)
escape from its input loop: the server behind the shell is then never stopped and the
shell hangs. This treats end of input as ``/stop``. It also shows a reply with buttons
as the button menu's question, which prompt_toolkit cuts at the terminal's width: every
answer here has buttons ("Helpful", "Not helpful"), so a quoted passage would lose all
but its first line's worth. The text is printed as any other reply, and the menu asks a
short question. Then it runs the ordinary ``rasa shell`` command line with the arguments
given.

Usage: ``python -m scripts.rasa_shell [rasa shell options]`` (``make shell`` does it).
"""

from __future__ import annotations

import sys
import warnings
from typing import Any, Dict, Optional, Text

import questionary
from rasa.core.channels import console
from rasa.shared.utils.cli import print_color
from rasa.shared.utils.io import bcolors

MENU_QUESTION = "Choose one, or type your own message:"

_read_input = console._get_user_input
_button_menu = console.print_buttons


async def _read_input_or_stop(previous_response: Optional[Dict[str, Any]]) -> Optional[Text]:
    try:
        return await _read_input(previous_response)
    except EOFError:
        return None  # the console loop ends on None, as on /stop


def _print_text_then_buttons(
    message: Dict[Text, Any], is_latest_message: bool = False, color: Text = bcolors.OKBLUE
) -> Optional[questionary.Question]:
    """Rasa's ``print_buttons``, with the reply's text printed in full before the menu."""
    if is_latest_message and message.get("text"):
        print_color(message["text"], color=color)
        message = {**message, "text": MENU_QUESTION}
    return _button_menu(message, is_latest_message, color)


def _show_warning_unless_deprecation(message, category, *args: Any, **kwargs: Any) -> None:
    # Libraries' deprecation warnings mean nothing to the person at the prompt. A filter
    # would not do: an imported library (twilio) resets the filters to "always".
    if not issubclass(category, DeprecationWarning):
        _show_warning(message, category, *args, **kwargs)


_show_warning = warnings.showwarning


def main() -> None:
    console._get_user_input = _read_input_or_stop
    console.print_buttons = _print_text_then_buttons
    warnings.showwarning = _show_warning_unless_deprecation
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", "shell", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()

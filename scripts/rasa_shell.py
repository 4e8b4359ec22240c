"""``rasa shell``, with Ctrl-D leaving it as ``/stop`` does, and without import-time noise.

Rasa 3.6's console channel lets prompt_toolkit's ``EOFError`` (Ctrl-D at the prompt)
escape from its input loop: the server behind the shell is then never stopped and the
shell hangs. This treats end of input as ``/stop``, then runs the ordinary
``rasa shell`` command line with the arguments given.

Usage: ``python -m scripts.rasa_shell [rasa shell options]`` (``make shell`` does it).
"""

from __future__ import annotations

import sys
import warnings
from typing import Any, Dict, Optional, Text

from rasa.core.channels import console

_read_input = console._get_user_input


async def _read_input_or_stop(previous_response: Optional[Dict[str, Any]]) -> Optional[Text]:
    try:
        return await _read_input(previous_response)
    except EOFError:
        return None  # the console loop ends on None, as on /stop


def _show_warning_unless_deprecation(message, category, *args: Any, **kwargs: Any) -> None:
    # Libraries' deprecation warnings mean nothing to the person at the prompt. A filter
    # would not do: an imported library (twilio) resets the filters to "always".
    if not issubclass(category, DeprecationWarning):
        _show_warning(message, category, *args, **kwargs)


_show_warning = warnings.showwarning


def main() -> None:
    console._get_user_input = _read_input_or_stop
    warnings.showwarning = _show_warning_unless_deprecation
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", "shell", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()

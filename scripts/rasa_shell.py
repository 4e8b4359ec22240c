"""``make shell``: the rasa server with the terminal channel (``channels.shell``) and nothing
else, without libraries' deprecation notices at the prompt.

Usage: ``python -m scripts.rasa_shell [rasa run options]`` (``make shell`` does it).
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

CONNECTOR = "channels.shell.ShellInput"


def _show_warning_unless_deprecation(message, category, *args: Any, **kwargs: Any) -> None:
    # Libraries' deprecation warnings mean nothing to the person at the prompt. A filter
    # would not do: an imported library (twilio) resets the filters to "always".
    if not issubclass(category, DeprecationWarning):
        _show_warning(message, category, *args, **kwargs)


_show_warning = warnings.showwarning


def main() -> None:
    warnings.showwarning = _show_warning_unless_deprecation
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", "run", "--connector", CONNECTOR, *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()

"""Rasa's command line without libraries' deprecation notices: ``make train``, ``run``,
``web``, ``slack``, ``api`` and the action server start rasa through it.

Usage: ``python -m scripts.rasa_cli [rasa arguments]``, as ``rasa [rasa arguments]``.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any, Callable, Optional

_show_warning: Optional[Callable[..., None]] = None


def _show_warning_unless_deprecation(message, category, *args: Any, **kwargs: Any) -> None:
    if not issubclass(category, (DeprecationWarning, PendingDeprecationWarning)) and _show_warning is not None:
        _show_warning(message, category, *args, **kwargs)


def quiet_deprecations() -> None:
    """Keep deprecation warnings (pyparsing's, SQLAlchemy's, click's...) out of the terminal.

    They mean nothing to the person at the terminal and are not ours to fix. A filter would
    not do: Sanic's import sets them back to "once" and twilio's to "always"; the function
    that shows them is the one place they all pass through. Other warnings still show.
    """
    global _show_warning
    if _show_warning is None:
        _show_warning = warnings.showwarning
        warnings.showwarning = _show_warning_unless_deprecation


def main(arguments: Optional[list[str]] = None) -> None:
    quiet_deprecations()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if arguments is None else arguments)]
    rasa_main()


if __name__ == "__main__":
    main()

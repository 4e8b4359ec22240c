"""Run a server command as the terminal's foreground process group, so that Ctrl-C reaches
the servers and not make: ``make web`` (and ``shell``, ``run``, ``api``, ``slack``) then end
with the servers' one "Stopped" line and status 0, not make's "Error 130".

make re-raises a Ctrl-C on itself after its recipe ends, whatever the recipe's status; a
terminal only signals its foreground group, so the command gets a group of its own and the
terminal for as long as it runs (what a shell's job control does for a job). Started in the
background (``make web &``) or without a controlling terminal, the command just runs.

Usage: ``python -m scripts.foreground COMMAND [ARGUMENTS]``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Optional


def _take_terminal() -> None:
    """In the child, before exec: a process group of its own and the terminal for it. Ctrl-C
    and Ctrl-\\ go back to their defaults (a job started with ``&`` without job control ignores
    them, and a signal ignored at start cannot be trapped: the servers' "Stopped" would never
    run); Ctrl-Z is ignored, as nothing here could resume a stopped group."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)
    signal.signal(signal.SIGTSTP, signal.SIG_IGN)
    os.setpgrp()
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # a background group may not take it otherwise
    os.tcsetpgrp(0, os.getpgrp())
    signal.signal(signal.SIGTTOU, signal.SIG_DFL)


def _foreground_group() -> Optional[int]:
    """The terminal's foreground group, when standard input is our controlling terminal."""
    try:
        return os.tcgetpgrp(0) if os.isatty(0) else None
    except OSError:  # a terminal, but not our controlling one
        return None


def run(command: list[str]) -> int:
    """The command's exit status (128 + N when signal N ended it)."""
    foreground = _foreground_group()
    if foreground is None or foreground != os.getpgrp():  # not ours to hand over
        status = subprocess.call(command)
    else:
        try:
            status = subprocess.Popen(command, preexec_fn=_take_terminal).wait()
        finally:
            signal.signal(signal.SIGTTOU, signal.SIG_IGN)
            try:
                os.tcsetpgrp(0, foreground)
            except OSError:  # the terminal is gone (hung up): nothing to give back
                pass
    return 128 - status if status < 0 else status


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python -m scripts.foreground COMMAND [ARGUMENTS]")
    sys.exit(run(sys.argv[1:]))

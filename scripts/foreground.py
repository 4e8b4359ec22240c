"""Run a server command as the terminal's foreground process group, so that Ctrl-C reaches
the servers and not make: ``make web`` (and ``run``, ``api``, ``slack``) then end with the
servers' one "stopped" line and status 0, not make's "Error 130".

make re-raises a Ctrl-C on itself after its recipe ends, whatever the recipe's status; a
terminal only signals its foreground group, so the command gets a group of its own and the
terminal for as long as it runs (what a shell's job control does for a job).

Usage: ``python -m scripts.foreground COMMAND [ARGUMENTS]``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys


def _take_terminal() -> None:
    """In the child, before exec: a process group of its own, the terminal for it, and Ctrl-C
    back to its default (a job started with ``&`` without job control ignores it, and a
    signal ignored at start cannot be trapped: the servers' "Stopped" would never run)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)
    os.setpgrp()
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # a background group may not take it otherwise
    os.tcsetpgrp(0, os.getpgrp())
    signal.signal(signal.SIGTTOU, signal.SIG_DFL)


def run(command: list[str]) -> int:
    """The command's exit status (128 + N when signal N ended it)."""
    if not os.isatty(0):  # no terminal, no Ctrl-C from it: run as is
        return subprocess.call(command)
    own_group = os.getpgrp()
    child = subprocess.Popen(command, preexec_fn=_take_terminal)
    try:
        status = child.wait()
    finally:
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        try:
            os.tcsetpgrp(0, own_group)
        except OSError:  # the terminal is gone (hung up): nothing to give back
            pass
    return 128 - status if status < 0 else status


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python -m scripts.foreground COMMAND [ARGUMENTS]")
    sys.exit(run(sys.argv[1:]))

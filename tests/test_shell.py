"""`make shell`, driven in a pty like a person at a terminal: answers, buttons, /stop, Ctrl-D."""

import os
import time
from pathlib import Path
from typing import List

import pexpect
import pytest

from scripts.bot_servers import MODEL, ROOT

PROMPT = "Your input ->"


def processes_left() -> List[str]:
    """This checkout's shell, or the action server it started on 5055 (the end-to-end tests'
    servers use free ports)."""
    left = []
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or (proc / "cwd").resolve() != ROOT:
                continue
            args = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if "scripts.rasa_shell" in args or ("run actions" in args and "--port 5055" in args):
            left.append(f"{proc.name} {args}")
    return left


@pytest.fixture
def shell():
    env = {**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "TERM": "xterm"}
    child = pexpect.spawn(
        "scripts/with-action-server",
        [
            ".venv/bin/python",
            "-m",
            "scripts.rasa_shell",
            "--model",
            str(MODEL),
            "--interface",
            "127.0.0.1",
            "--port",
            "5095",
        ],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=180,
        dimensions=(50, 100),  # a passage is longer than a line: it must not be cut
    )
    child.expect(PROMPT)
    yield child
    if child.isalive():
        child.terminate(force=True)


def wait_until_gone(seconds: float = 20) -> List[str]:
    deadline = time.monotonic() + seconds
    while processes_left() and time.monotonic() < deadline:
        time.sleep(0.5)
    return processes_left()


def test_the_shell_answers_offers_buttons_and_stops_everything_on_stop(shell, kb):
    shell.sendline("is nkt covered by insurance?")
    # the whole passage, not cut at the terminal's width as a button menu's question would be
    shell.expect_exact(kb.passage("cost-and-accessibility").body[-60:])
    shell.expect("Source: Limitations and Considerations › Cost and Accessibility")
    shell.expect("Type out your own message")
    shell.send("\x1b[A")  # the last choice of the button list: type a message
    shell.sendline("")
    shell.expect(PROMPT)
    shell.sendline("what is the weather in paris")
    shell.expect("The article doesn't cover that")
    shell.expect("Type out your own message")
    shell.sendline("")  # the first suggestion button
    shell.expect("Source: ")
    shell.expect("Type out your own message")
    shell.send("\x1b[A")
    shell.sendline("")
    shell.expect(PROMPT)
    shell.sendline("/stop")
    shell.expect(pexpect.EOF)
    assert wait_until_gone() == []


def test_ctrl_d_leaves_the_shell_and_stops_the_action_server(shell):
    shell.sendeof()
    shell.expect(pexpect.EOF)
    assert wait_until_gone() == []

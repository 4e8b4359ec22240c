"""`make shell`, driven in a pty like a person at a terminal: answers, buttons, /stop, Ctrl-D."""

import os
import subprocess
import time

import pexpect
import pytest

from scripts.bot_servers import MODEL, ROOT

PROMPT = "Your input ->"


def processes_left() -> str:
    """Any action server or shell of this project still running."""
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return "\n".join(line for line in ps.splitlines() if "rasa run actions" in line or "scripts.rasa_shell" in line)


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
        dimensions=(50, 250),
    )
    child.expect(PROMPT)
    yield child
    if child.isalive():
        child.terminate(force=True)


def wait_until_gone(seconds: float = 20) -> str:
    deadline = time.monotonic() + seconds
    while processes_left() and time.monotonic() < deadline:
        time.sleep(0.5)
    return processes_left()


def test_the_shell_answers_offers_buttons_and_stops_everything_on_stop(shell, kb):
    shell.sendline("is nkt covered by insurance?")
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
    assert wait_until_gone() == ""


def test_ctrl_d_leaves_the_shell_and_stops_the_action_server(shell):
    shell.sendeof()
    shell.expect(pexpect.EOF)
    assert wait_until_gone() == ""

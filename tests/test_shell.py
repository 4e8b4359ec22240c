"""`make shell`, driven in a pty like a person at a terminal: answers with the answering sentence
in bold, numbered choices, /stop, Ctrl-D, Ctrl-C, the apology when the action server is down."""

import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import List

import pexpect
import pytest
from conftest import checkout_processes, environment_without_pythonwarnings

from channels.guard import APOLOGY
from channels.shell import BOLD, BYE, CHOOSE, NORMAL
from scripts.bot_servers import MODEL, ROOT, free_port

pytestmark = pytest.mark.e2e

PROMPT = "Your input ->"


def action_server_pids(port: int) -> List[int]:
    return [int(line.split()[0]) for line in processes_left(port) if "run actions" in line]


def processes_left(actions_port: int) -> List[str]:
    """This checkout's shell, or the action server it started on ``actions_port``."""
    return [
        line
        for line in checkout_processes()
        if "scripts.rasa_shell" in line or ("run actions" in line and f"--port {actions_port}" in line)
    ]


def temporary_endpoints(folder: Path) -> Path:
    """endpoints.yml with its SQLite tracker and lock stores in ``folder``, not the checkout's .rasa/."""
    text = (ROOT / "endpoints.yml").read_text(encoding="utf-8")
    for name in ("tracker.db", "locks.db"):
        assert f'db: ".rasa/{name}"' in text, f"endpoints.yml no longer keeps {name} in .rasa/"
        text = text.replace(f'db: ".rasa/{name}"', f'db: "{folder / name}"')
    path = folder / "endpoints.yml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def shell(tmp_path):
    actions_port = free_port()
    env = {
        **environment_without_pythonwarnings(),
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "TERM": "xterm",
        "ACTIONS_PORT": str(actions_port),
        "ENDPOINTS_FILE": str(temporary_endpoints(tmp_path)),
        "TMPDIR": str(tmp_path),  # where the wrapper writes the endpoints that call actions_port
    }
    child = pexpect.spawn(
        "scripts/with-action-server",
        [".venv/bin/python", "-m", "scripts.rasa_shell", "--model", str(MODEL), "--interface", "127.0.0.1"]
        + ["--port", str(free_port())],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=180,
        dimensions=(50, 100),  # a passage is longer than a line: it must not be cut
    )
    child.actions_port = actions_port
    child.folder = tmp_path
    child.expect(PROMPT)
    yield child
    if child.isalive():
        child.terminate(force=True)


def wait_until_gone(actions_port: int, seconds: float = 20) -> List[str]:
    deadline = time.monotonic() + seconds
    while processes_left(actions_port) and time.monotonic() < deadline:
        time.sleep(0.5)
    return processes_left(actions_port)


def test_the_shell_starts_without_library_deprecation_notices(shell):
    startup = shell.before  # everything printed before the first prompt
    assert "Starting the action server" in startup
    assert "Warning" not in startup and "Traceback" not in startup


def test_the_conversation_is_kept_in_the_endpoints_given_and_nothing_is_left_behind(shell):
    shell.sendline("how many sessions will i need?")
    shell.expect_exact(CHOOSE)
    shell.expect(PROMPT)
    with sqlite3.connect(shell.folder / "tracker.db") as db:
        stored = [row[0] for row in db.execute("SELECT data FROM events WHERE type_name = 'user'")]
    assert any("how many sessions will i need?" in data for data in stored)
    scratch = list(shell.folder.glob("nkt-endpoints.*"))
    assert len(scratch) == 1  # the copy that calls the chosen action port, while the shell runs
    shell.sendline("/stop")
    shell.expect_exact(BYE)
    shell.expect(pexpect.EOF)
    assert not scratch[0].exists()


def test_an_answer_is_shown_whole_with_its_answering_sentence_in_bold_and_numbered_choices(shell, kb):
    shell.sendline("is nkt covered by insurance?")
    passage = kb.passage("cost-and-accessibility")
    shell.expect_exact(CHOOSE)
    answer = shell.before
    assert "Source: Limitations and Considerations › Cost and Accessibility" in answer
    assert BOLD in answer and NORMAL in answer  # the sentence that answers, in bold
    marked = answer[answer.index(BOLD) + len(BOLD) : answer.index(NORMAL)]
    assert marked.strip() and marked in passage.body
    # the whole passage, not cut at the terminal's width
    assert answer.replace(BOLD, "").replace(NORMAL, "").count(passage.body) == 1
    shell.expect(PROMPT)
    choices = shell.before
    assert "1. Helpful" in choices and "2. Not helpful" in choices
    assert "(/" not in answer + choices  # no internal payloads


def test_a_number_chooses_a_button_and_typed_text_is_a_new_question(shell):
    shell.sendline("what is the weather in paris")
    shell.expect("The article doesn't cover that")
    shell.expect_exact(CHOOSE)
    shell.expect(PROMPT)
    shell.sendline("1")  # the first suggestion
    shell.expect("> ")
    shell.expect("Source: ")
    shell.expect(PROMPT)
    shell.sendline("is it safe")  # typed while choices are shown: a question of its own
    shell.expect("Source: FAQ › Is neurokinetic therapy safe?")
    shell.expect(PROMPT)


@pytest.mark.parametrize("leave", ["/stop", "ctrl-d", "ctrl-c"])
def test_stop_ctrl_d_and_ctrl_c_leave_cleanly_and_stop_everything(shell, leave):
    shell.sendline("is nkt covered by insurance?")
    shell.expect_exact(CHOOSE)
    shell.expect(PROMPT)  # choices shown: leaving must work here too
    if leave == "/stop":
        shell.sendline("/stop")
    elif leave == "ctrl-d":
        shell.sendeof()
    else:
        shell.sendintr()
    shell.expect_exact(BYE)
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0
    assert "Traceback" not in (shell.before or "")
    assert wait_until_gone(shell.actions_port) == []


def test_with_the_action_server_stopped_the_shell_apologises_and_goes_on(shell):
    for pid in action_server_pids(shell.actions_port):
        os.kill(pid, signal.SIGTERM)
    shell.sendline("is nkt covered by insurance?")
    shell.expect_exact(APOLOGY)
    shell.expect(PROMPT)
    assert "Traceback" not in shell.before
    shell.sendline("/stop")
    shell.expect(pexpect.EOF)

"""The action server's port: configurable (ACTIONS_PORT), refused with one sentence when another
program holds it, and passed on to rasa as the endpoint it calls (scripts/with-action-server)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from scripts.bot_servers import ROOT, free_port

pytestmark = pytest.mark.e2e

WRAPPER = str(ROOT / "scripts" / "with-action-server")


def wrapped(port: int, *command: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "ACTIONS_PORT": str(port), "ACTION_LOG": str(ROOT / ".logs" / f"action-server-{port}.log")}
    return subprocess.run([WRAPPER, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_a_port_held_by_another_program_stops_the_start_with_one_sentence():
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        run = wrapped(port, "true", timeout=30)
    assert run.returncode == 1
    [line] = run.stderr.strip().splitlines()
    assert f"Port {port} is taken by another program" in line and "ACTIONS_PORT=" in line


def test_a_chosen_port_starts_the_action_server_there_and_rasa_is_told_to_call_it():
    port = free_port()
    show = "import sys, pathlib; print(pathlib.Path(sys.argv[sys.argv.index('--endpoints') + 1]).read_text())"
    run = wrapped(port, sys.executable, "-c", show)
    assert run.returncode == 0, run.stderr[-2000:]
    assert f'url: "http://127.0.0.1:{port}/webhook"' in run.stdout


def test_an_action_port_that_is_not_a_number_is_refused():
    run = wrapped("56x", "true", timeout=30)  # type: ignore[arg-type]
    assert run.returncode == 1 and "ACTIONS_PORT must be a port number" in run.stderr

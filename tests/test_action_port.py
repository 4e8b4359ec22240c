"""The action server's port: configurable (ACTIONS_PORT), refused with one sentence when another
program holds it, and passed on to rasa as the endpoint it calls (scripts/with-action-server)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.bot_servers import ROOT, free_port

pytestmark = pytest.mark.e2e

WRAPPER = str(ROOT / "scripts" / "with-action-server")


# run by the wrapper in rasa's place: prints the endpoints file it is given, its path, then its text
SHOW_ENDPOINTS = (
    "import sys, pathlib; p = pathlib.Path(sys.argv[sys.argv.index('--endpoints') + 1]); print(p); print(p.read_text())"
)


def wrapped(port: int, *command: str, timeout: float = 180, **env_vars: str) -> subprocess.CompletedProcess:
    log = str(ROOT / ".logs" / f"action-server-{port}.log")
    env = {**os.environ, "ACTIONS_PORT": str(port), "ACTION_LOG": log, **env_vars}
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
    run = wrapped(port, sys.executable, "-c", SHOW_ENDPOINTS)
    assert run.returncode == 0, run.stderr[-2000:]
    assert f'url: "http://127.0.0.1:{port}/webhook"' in run.stdout
    # a temporary copy, outside the checkout, gone once the command ended
    copy = Path(run.stdout.splitlines()[0])
    assert ROOT not in copy.parents and not copy.exists()
    assert "tracker_store:" in run.stdout  # the rest of endpoints.yml as it is


def test_the_endpoints_file_given_is_the_one_rasa_reads(tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text('action_endpoint:\n  url: "http://127.0.0.1:5055/webhook"\n# mine\n', encoding="utf-8")
    run = wrapped(free_port(), sys.executable, "-c", SHOW_ENDPOINTS, ENDPOINTS_FILE=str(endpoints))
    assert run.returncode == 0, run.stderr[-2000:]
    assert "# mine" in run.stdout and "tracker_store" not in run.stdout


def test_an_endpoints_file_that_cannot_be_read_is_named(tmp_path):
    run = wrapped(free_port(), "true", timeout=30, ENDPOINTS_FILE=str(tmp_path / "missing.yml"))
    assert run.returncode == 1 and "missing.yml" in run.stderr


def test_an_action_port_that_is_not_a_number_is_refused():
    run = wrapped("56x", "true", timeout=30)  # type: ignore[arg-type]
    assert run.returncode == 1 and "ACTIONS_PORT must be a port number" in run.stderr

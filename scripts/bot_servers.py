"""Start the real rasa server and action server on loopback, wait for them, stop them.

Used by the end-to-end tests and by ``make evaluate``: both talk to the bot the
way users do, over the REST channel, with the custom actions really running.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
RASA = ROOT / ".venv" / "bin" / "rasa"
MODEL = ROOT / "models" / "nkt.tar.gz"
LOG_DIR = ROOT / ".logs"
START_TIMEOUT_S = 240


def _exit_on_signal(signum: int, frame: object) -> None:
    """A SIGTERM (a CI timeout) or SIGHUP unwinds through ``running_bot``, which stops the servers:
    they run in sessions of their own and would otherwise outlive the tests."""
    raise SystemExit(128 + signum)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Bot:
    url: str
    action_url: str
    rasa: subprocess.Popen
    actions: subprocess.Popen
    ready_s: Dict[str, float] = field(default_factory=dict)  # from start to answering, per server

    def ask(self, text: str, sender: Optional[str] = None, timeout: float = 30) -> List[Dict]:
        """Send one message over the REST channel; return the bot's replies."""
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender or f"test-{uuid.uuid4().hex[:12]}", "message": text},
            timeout=timeout,
        )
        response.raise_for_status()
        return response.json()


def _start(args: List[str], log: Path, env: Dict[str, str]) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        return subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=5)


def _wait_until(ready, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}; see {log}:\n{log.read_text()[-3000:]}")
        try:
            if ready():
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} was not ready after {START_TIMEOUT_S} s; see {log}")


@contextmanager
def running_bot(
    model: Path = MODEL,
    name: str = "bot",
    credentials: Path = ROOT / "credentials.yml",
    extra_env: Optional[Dict[str, str]] = None,
    rasa_args: Sequence[str] = (),
) -> Iterator[Bot]:
    """The trained bot, served on free loopback ports, stopped on exit. ``credentials`` picks the
    channels (e.g. slack/credentials.yml); ``extra_env`` fills the variables it names;
    ``rasa_args`` are added to ``rasa run`` (e.g. ``--enable-api --auth-token …``)."""
    if not model.exists():
        raise FileNotFoundError(f"{model} is missing: run `make train` first")
    rasa_port, action_port = free_port(), free_port()
    env = {**os.environ, "SANIC_HOST": "127.0.0.1", "TF_CPP_MIN_LOG_LEVEL": "2", **(extra_env or {})}
    with tempfile.TemporaryDirectory() as tmp:
        endpoints = Path(tmp) / "endpoints.yml"
        config = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))  # as users run it
        config["action_endpoint"]["url"] = f"http://127.0.0.1:{action_port}/webhook"
        endpoints.write_text(yaml.safe_dump(config))
        action_log, rasa_log = LOG_DIR / f"{name}-actions.log", LOG_DIR / f"{name}-rasa.log"
        started: List[subprocess.Popen] = []
        previous = {sig: signal.signal(sig, _exit_on_signal) for sig in (signal.SIGTERM, signal.SIGHUP)}
        try:
            t0 = time.monotonic()
            actions = _start(
                [str(RASA), "run", "actions", "--actions", "actions", "--port", str(action_port)], action_log, env
            )
            started.append(actions)
            rasa = _start(
                [
                    str(RASA),
                    "run",
                    "--model",
                    str(model),
                    "--interface",
                    "127.0.0.1",
                    "--port",
                    str(rasa_port),
                    "--endpoints",
                    str(endpoints),
                    "--credentials",
                    str(credentials),
                    *rasa_args,
                ],
                rasa_log,
                env,
            )
            started.append(rasa)
            bot = Bot(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}", rasa, actions)
            _wait_until(
                lambda: requests.get(f"{bot.action_url}/health", timeout=2).ok, actions, "the action server", action_log
            )
            bot.ready_s["actions"] = time.monotonic() - t0
            _wait_until(
                lambda: requests.get(f"{bot.url}/webhooks/rest/", timeout=2).ok, rasa, "the rasa server", rasa_log
            )
            bot.ready_s["rasa"] = time.monotonic() - t0
            yield bot
        finally:
            for process in reversed(started):
                _stop(process)
            for sig, handler in previous.items():
                signal.signal(sig, handler)

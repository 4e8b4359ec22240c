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


def _start(args: List[str], log: Path, env: Dict[str, str]) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        return subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def _stop(process: Optional[subprocess.Popen]) -> None:
    if process is None or process.poll() is not None:
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


class Bot:
    """The running servers: the action server and one or more rasa replicas sharing its
    endpoints. Each can be stopped and started again on the same port, as in an outage."""

    def __init__(
        self,
        name: str,
        model: Path,
        credentials: Path,
        endpoints: Path,
        env: Dict[str, str],
        replicas: int,
        rasa_args: Sequence[str] = (),
    ) -> None:
        self.name, self.model, self.credentials, self.endpoints, self.env = name, model, credentials, endpoints, env
        self.rasa_args = list(rasa_args)
        self.ready_s: Dict[str, float] = {}  # from launch to answering, per server (make bench)
        self.rasa_ports = [free_port() for _ in range(replicas)]
        self.urls = [f"http://127.0.0.1:{port}" for port in self.rasa_ports]
        self.url = self.urls[0]
        self.action_port = free_port()
        self.action_url = f"http://127.0.0.1:{self.action_port}"
        self.replicas: List[Optional[subprocess.Popen]] = [None] * replicas
        self.action_server: Optional[subprocess.Popen] = None

    @property
    def rasa(self) -> Optional[subprocess.Popen]:
        return self.replicas[0]

    @property
    def actions(self) -> Optional[subprocess.Popen]:
        return self.action_server

    def rasa_log(self, replica: int = 0) -> Path:
        return LOG_DIR / (f"{self.name}-rasa.log" if len(self.replicas) == 1 else f"{self.name}-rasa-{replica}.log")

    @property
    def action_log(self) -> Path:
        return LOG_DIR / f"{self.name}-actions.log"

    def ask(self, text: str, sender: Optional[str] = None, timeout: float = 30, replica: int = 0) -> List[Dict]:
        """Send one message over the REST channel (to ``replica``); return the bot's replies."""
        response = requests.post(
            f"{self.urls[replica]}/webhooks/rest/webhook",
            json={"sender": sender or f"test-{uuid.uuid4().hex[:12]}", "message": text},
            timeout=timeout,
        )
        response.raise_for_status()
        return response.json()

    def launch_actions(self) -> None:
        args = [str(RASA), "run", "actions", "--actions", "actions", "--port", str(self.action_port)]
        self.action_server = _start(args, self.action_log, self.env)

    def wait_for_actions(self) -> None:
        _wait_until(
            lambda: requests.get(f"{self.action_url}/health", timeout=2).ok,
            self.action_server,
            "the action server",
            self.action_log,
        )

    def start_actions(self) -> None:
        """Start the action server (again) on its port, and wait until it is healthy."""
        self.launch_actions()
        self.wait_for_actions()

    def stop_actions(self) -> None:
        _stop(self.action_server)

    def launch_rasa(self, replica: int = 0) -> None:
        args = [str(RASA), "run", "--model", str(self.model), "--interface", "127.0.0.1"]
        args += ["--port", str(self.rasa_ports[replica]), "--endpoints", str(self.endpoints)]
        args += ["--credentials", str(self.credentials), *self.rasa_args]
        self.replicas[replica] = _start(args, self.rasa_log(replica), self.env)

    def wait_for_rasa(self, replica: int = 0) -> None:
        _wait_until(
            lambda: requests.get(f"{self.urls[replica]}/webhooks/rest/", timeout=2).ok,
            self.replicas[replica],
            f"the rasa server (replica {replica})",
            self.rasa_log(replica),
        )

    def start_rasa(self, replica: int = 0) -> None:
        """Start rasa replica ``replica`` (again) on its port, and wait until it answers."""
        self.launch_rasa(replica)
        self.wait_for_rasa(replica)

    def stop_rasa(self, replica: int = 0, kill: bool = False) -> None:
        """Stop a replica: SIGTERM as an orchestrator would, or SIGKILL as a crash would."""
        process = self.replicas[replica]
        if kill and process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        _stop(process)

    def stop(self) -> None:
        """Stop every server this bot started, whatever state it is in."""
        for replica in range(len(self.replicas)):
            self.stop_rasa(replica)
        self.stop_actions()


def endpoints_for(base: Path, action_url: str, directory: Path) -> Dict:
    """``base`` (the project's endpoints.yml by default) with the action server at ``action_url``.

    Its ``${VARIABLES}`` are kept for rasa to fill in; a SQLite tracker or lock store with a
    relative path gets its file in ``directory``, so a test never reads or writes ``.rasa/``."""
    config = yaml.safe_load(base.read_text()) or {}
    config["action_endpoint"] = {**(config.get("action_endpoint") or {}), "url": f"{action_url}/webhook"}
    store = config.get("tracker_store") or {}
    if str(store.get("dialect", "")).lower() == "sqlite" and not Path(store.get("db", "rasa.db")).is_absolute():
        store["db"] = str(directory / "tracker.db")
    locks = config.get("lock_store") or {}
    if str(locks.get("type", "")).endswith("SQLiteLockStore") and not Path(locks.get("db", "locks.db")).is_absolute():
        locks["db"] = str(directory / "locks.db")
    return config


@contextmanager
def running_bot(
    model: Path = MODEL,
    name: str = "bot",
    credentials: Path = ROOT / "credentials.yml",
    extra_env: Optional[Dict[str, str]] = None,
    endpoints: Path = ROOT / "endpoints.yml",
    replicas: int = 1,
    rasa_args: Sequence[str] = (),
) -> Iterator[Bot]:
    """The trained bot, served on free loopback ports, stopped on exit. ``credentials`` picks the
    channels (e.g. slack/credentials.yml); ``extra_env`` fills the variables it names. ``endpoints``
    picks the stores (endpoints.scale.yml for PostgreSQL + Redis), ``replicas`` how many rasa
    servers share them (``bot.urls``); there is one action server. ``rasa_args`` are added to
    ``rasa run`` (e.g. ``--enable-api --auth-token …``)."""
    if not model.exists():
        raise FileNotFoundError(f"{model} is missing: run `make train` first")
    env = {**os.environ, "SANIC_HOST": "127.0.0.1", "TF_CPP_MIN_LOG_LEVEL": "2", **(extra_env or {})}
    with tempfile.TemporaryDirectory() as tmp:
        endpoints_file = Path(tmp) / "endpoints.yml"
        bot = Bot(name, model, credentials, endpoints_file, env, replicas, rasa_args)
        config = endpoints_for(endpoints, bot.action_url, Path(tmp))
        endpoints_file.write_text(yaml.safe_dump(config, sort_keys=False))
        previous = {sig: signal.signal(sig, _exit_on_signal) for sig in (signal.SIGTERM, signal.SIGHUP)}
        try:
            # all started at once, then waited for: rasa takes ~30 s to load, the replicas in parallel
            t0 = time.monotonic()
            bot.launch_actions()
            for replica in range(replicas):
                bot.launch_rasa(replica)
            bot.wait_for_actions()
            bot.ready_s["actions"] = time.monotonic() - t0
            for replica in range(replicas):
                bot.wait_for_rasa(replica)
            bot.ready_s["rasa"] = time.monotonic() - t0
            yield bot
        finally:
            bot.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

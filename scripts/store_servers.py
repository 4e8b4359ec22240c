"""Throwaway PostgreSQL and Redis servers for the scale-out profile (endpoints.scale.yml).

Each runs from Debian's binaries (``scripts/ensure-scale-servers`` installs them) in a
temporary directory, on a free loopback port, with a password, and is stopped and deleted
on exit whatever happens. Nothing touches a system cluster or service. PostgreSQL refuses
to run as root, so as root its commands run as the ``postgres`` user (``runuser``).
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List

from scripts.bot_servers import free_port

START_TIMEOUT_S = 60
DB_NAME = "nkt_tracker"
DB_USER = "nkt"


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise FileNotFoundError("PostgreSQL is missing: run scripts/ensure-scale-servers (apt-get install postgresql)")


def _as_postgres_user(args: List[str]) -> List[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def running_postgres() -> Iterator[Dict[str, str]]:
    """A PostgreSQL server with an empty database; yields the ``DB_*`` variables of endpoints.scale.yml."""
    pg = _postgres_bin()
    port, password = free_port(), secrets.token_hex(12)
    home = Path(tempfile.mkdtemp(prefix="nkt-postgres-"))
    data, log, password_file = home / "data", home / "postgres.log", home / "password"
    password_file.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
        shutil.chown(password_file, "postgres")
    run = dict(check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=START_TIMEOUT_S)
    started = False
    try:
        subprocess.run(
            _as_postgres_user(
                [str(pg / "initdb"), "-D", str(data), "-U", DB_USER, f"--pwfile={password_file}"]
                + ["--auth=scram-sha-256", "--encoding=UTF8", "--no-sync"]
            ),
            **run,
        )
        options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
        started = True
        subprocess.run(
            _as_postgres_user([str(pg / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]),
            **run,
        )
        env = {**os.environ, "PGPASSWORD": password}
        subprocess.run(
            [str(pg / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", DB_USER, DB_NAME], env=env, **run
        )
        yield {
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(port),
            "DB_NAME": DB_NAME,
            "DB_USER": DB_USER,
            "DB_PASSWORD": password,
        }
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"PostgreSQL: {' '.join(error.cmd)} failed:\n{error.stdout.decode()}") from error
    finally:
        if started:
            _stop_postgres(pg, data)
        shutil.rmtree(home, ignore_errors=True)


def _stop_postgres(pg: Path, data: Path) -> None:
    stop = _as_postgres_user([str(pg / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
    if subprocess.run(stop, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30).returncode == 0:
        return
    pid_file = data / "postmaster.pid"  # pg_ctl failed: the postmaster's pid is the file's first line
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


@contextmanager
def running_redis() -> Iterator[Dict[str, str]]:
    """A Redis server that keeps nothing on disk; yields the ``REDIS_*`` variables of endpoints.scale.yml."""
    import redis

    server = shutil.which("redis-server")
    if not server:
        raise FileNotFoundError("Redis is missing: run scripts/ensure-scale-servers (apt-get install redis-server)")
    port, password = free_port(), secrets.token_hex(12)
    home = Path(tempfile.mkdtemp(prefix="nkt-redis-"))
    log = home / "redis.log"
    args = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    args += ["--dir", str(home), "--requirepass", password, "--logfile", str(log)]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        client = redis.Redis(host="127.0.0.1", port=port, password=password, socket_timeout=2)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {process.returncode}:\n{log.read_text()[-2000:]}")
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.2)
        yield {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(port), "REDIS_PASSWORD": password}
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        shutil.rmtree(home, ignore_errors=True)

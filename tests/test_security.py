"""Nothing let in: Rasa's HTTP API is off unless a target turns it on with a token, and the
servers listen on loopback only."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path
from typing import Iterator, List

import pytest
import requests

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
# the endpoints that read conversations or replace the model (the 2024 RCE went through these)
API_ENDPOINTS = [
    ("GET", "/status"),
    ("POST", "/model/parse"),
    ("GET", "/conversations/someone/tracker"),
    ("POST", "/conversations/someone/messages"),
    ("PUT", "/model"),
]


def call(url: str, method: str, path: str, **kwargs) -> requests.Response:
    body = {"text": "hello", "sender": "user"} if method != "GET" else None
    return requests.request(method, url + path, json=body, timeout=30, **kwargs)


@pytest.mark.parametrize("method, path", API_ENDPOINTS)
def test_the_http_api_is_off_in_the_default_server(bot, method, path):
    assert call(bot.url, method, path).status_code == 404


@pytest.fixture(scope="module")
def api_bot() -> Iterator[object]:
    from scripts.bot_servers import running_bot

    token = secrets.token_urlsafe(24)
    with running_bot(name="api", rasa_args=["--enable-api", "--auth-token", token]) as bot:
        bot.token = token
        yield bot


@pytest.mark.parametrize("method, path", API_ENDPOINTS)
def test_with_the_api_on_its_endpoints_refuse_a_request_without_the_token(api_bot, method, path):
    assert call(api_bot.url, method, path).status_code == 401
    assert call(api_bot.url, method, path, params={"token": "not-the-token"}).status_code == 401


def test_with_the_api_on_the_token_opens_the_model_and_tracker_endpoints(api_bot):
    parsed = call(api_bot.url, "POST", "/model/parse", params={"token": api_bot.token})
    assert parsed.status_code == 200 and parsed.json()["intent"]["name"]
    tracker = call(api_bot.url, "GET", "/conversations/someone/tracker", params={"token": api_bot.token})
    assert tracker.status_code == 200 and tracker.json()["sender_id"] == "someone"


def test_make_api_refuses_to_start_without_a_token_before_installing_or_training_anything():
    env = {k: v for k, v in os.environ.items() if k != "RASA_API_TOKEN"}
    # -W config.yml: as if the config had changed, so the model is out of date and would be retrained
    done = subprocess.run(
        ["make", "-s", "-W", "config.yml", "api"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "RASA_API_TOKEN" in done.stderr
    assert "==>" not in done.stdout + done.stderr  # no set-up or training step started


def listening_addresses(port: int) -> List[str]:
    """The local addresses bound to ``port`` in LISTEN state, from /proc/net/tcp{,6}."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


def test_the_rasa_and_action_servers_listen_on_loopback_only(bot):
    loopback_v4 = "0100007F"  # 127.0.0.1, little-endian hex
    for url in (bot.url, bot.action_url):
        addresses = listening_addresses(int(url.rsplit(":", 1)[1]))
        assert addresses and set(addresses) == {loopback_v4}, (url, addresses)

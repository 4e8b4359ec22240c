"""`make web` started in a pty as a person starts it: the ready line and no library notices, a
question over socket.io answered, then Ctrl-C ends it with one "Stopped" line and status 0
(not make's "Error 130"), and none of its servers is left running."""

import io
import time

import pexpect
import pytest
import requests
import socketio
from conftest import checkout_processes, environment_without_pythonwarnings

from scripts.bot_servers import ROOT, free_port

pytestmark = pytest.mark.e2e


def servers_on(port: int) -> list:
    """Processes of this checkout whose command line names ``port``."""
    command_lines = (line.split(" ", 1)[1] for line in checkout_processes())
    return [command for command in command_lines if str(port) in command]


MAKE_WEB = "make --no-print-directory web"
STARTS = {
    "from a terminal": ["-c", f"exec {MAKE_WEB}"],
    # a job started with '&' without job control ignores Ctrl-C, and a signal ignored at entry
    # cannot be trapped: scripts/foreground.py gives the servers it back
    "with Ctrl-C ignored at entry": ["-c", f"trap '' INT; exec {MAKE_WEB}"],
}


@pytest.mark.parametrize("start", STARTS.values(), ids=STARTS.keys())
def test_make_web_answers_then_ctrl_c_stops_it_with_one_line_and_status_0(start):
    web_port, rasa_port, actions_port = free_port(), free_port(), free_port()
    env = {
        **environment_without_pythonwarnings(),
        "WEB_PORT": str(web_port),
        "RASA_PORT": str(rasa_port),
        "ACTIONS_PORT": str(actions_port),
        "TERM": "xterm",
    }
    make = pexpect.spawn("bash", start, cwd=str(ROOT), env=env, encoding="utf-8", timeout=240)
    make.logfile_read = transcript = io.StringIO()
    try:
        make.expect_exact(f"Open http://127.0.0.1:{web_port}/")
        assert requests.get(f"http://127.0.0.1:{web_port}/", timeout=10).status_code == 200
        replies = []
        client = socketio.Client()
        client.on("bot_uttered", replies.append)
        origin = {"Origin": f"http://127.0.0.1:{web_port}"}
        client.connect(f"http://127.0.0.1:{rasa_port}", headers=origin, transports=["polling"])
        client.emit("session_request", {"session_id": "make-web-test"})
        client.emit("user_uttered", {"message": "who developed nkt?", "session_id": "make-web-test"})
        deadline = time.monotonic() + 60
        while not replies and time.monotonic() < deadline:
            time.sleep(0.2)
        client.disconnect()
        assert replies and "Weinstock" in replies[0]["text"]
        time.sleep(1)  # any notice the message caused has been printed

        make.sendintr()
        make.expect_exact("Stopped: the web servers are down.", timeout=60)
        make.expect(pexpect.EOF)
        make.close()
        output = transcript.getvalue()
        assert (make.exitstatus, make.signalstatus) == (0, None), output[-2000:]
        assert "Error 130" not in output and "Traceback" not in output
        lines = [line for line in output.splitlines() if line.strip() and line.strip() != "^C"]
        assert lines[-1].endswith("Stopped: the web servers are down.")
        assert "Stopped" not in "\n".join(lines[:-1])  # said once
        assert "Warning" not in output  # neither at start-up nor per socket.io message
        deadline = time.monotonic() + 20
        while any(servers_on(port) for port in (web_port, rasa_port, actions_port)) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not any(servers_on(port) for port in (web_port, rasa_port, actions_port))
    finally:
        if make.isalive():
            make.terminate(force=True)

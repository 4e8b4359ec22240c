"""The first-run set-up says what it does and what it needs (scripts/install, scripts/step)."""

import os
import subprocess

import pytest

from scripts.bot_servers import ROOT

pytestmark = pytest.mark.e2e


def test_a_first_install_stops_with_one_sentence_when_the_disk_is_too_full(tmp_path):
    venv = tmp_path / "venv"
    run = subprocess.run(
        [str(ROOT / "scripts" / "install")],
        env={**os.environ, "VENV": str(venv), "DISK_NEEDED_GB": "1000000"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert "needs about 1000000 GB of free disk" in run.stderr and "GB is free there" in run.stderr
    assert not venv.exists()  # nothing half-made


def test_each_set_up_step_says_what_it_does_and_how_long_it_took():
    done = subprocess.run([str(ROOT / "scripts" / "step"), "Resting", "sleep", "1"], capture_output=True, text=True)
    assert done.returncode == 0
    # bash's SECONDS counts whole seconds: a one-second step reads 1 or 2
    assert done.stderr.splitlines()[0] == "==> Resting"
    assert done.stderr.splitlines()[1] in ("    done in 0m01s", "    done in 0m02s")
    failed = subprocess.run([str(ROOT / "scripts" / "step"), "Failing", "false"], capture_output=True, text=True)
    assert failed.returncode == 1
    assert failed.stderr.splitlines()[-1] in ("    failed after 0m00s (status 1)", "    failed after 0m01s (status 1)")

"""Rasa's own checks, run on the project: data validation and the conversation tests, through
the command line the Makefile uses (scripts/rasa_cli.py)."""

import subprocess

import pytest
from conftest import environment_without_pythonwarnings

from scripts.bot_servers import MODEL, ROOT

pytestmark = pytest.mark.e2e

# scripts/rasa_cli.py alone must keep the notices out
ENV = {
    **environment_without_pythonwarnings(),
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "RASA_TELEMETRY_ENABLED": "false",
}


def rasa(*args: str) -> subprocess.CompletedProcess:
    command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "scripts.rasa_cli", *args]
    return subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)


def test_rasa_data_validate_reports_no_warnings_and_no_library_deprecation_notices():
    result = rasa("data", "validate", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "DeprecationWarning" not in result.stdout + result.stderr  # plain `rasa` prints 8 here


def test_conversation_stories_pass_without_prediction_errors(tmp_path):
    result = rasa(
        "test",
        "core",
        "--e2e",
        "--model",
        str(MODEL),
        "--stories",
        "tests/test_stories.yml",
        "--fail-on-prediction-errors",
        "--out",
        str(tmp_path),
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, details[-4000:] + result.stdout[-2000:] + result.stderr[-2000:]

"""The clinic's report of what visitors asked (``make report``): from a tracker store filled by
real conversations over REST, on SQLite and PostgreSQL, opened in headless Chromium."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest
import sqlalchemy as sa
from conftest import endpoints_file

from scripts import report
from scripts.report import mask, parse_since

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / ".logs" / "report.png"
EMAIL, PHONE = "jane.doe@example.com", "07700 900123"

# what the visitors of the test say, one list per conversation
# The model with the transformer's features asks back ("did you mean …?") on none of 2,031
# indexed and training questions, so no conversation here can rely on it: what visitors chose
# after one is tested on turns made up below (test_what_visitors_chose_after_did_you_mean_…).
CONVERSATIONS = [
    ["is neurokinetic therapy safe?", "/feedback_helpful", "where can I park at your clinic?"],
    [f"is there parking near the clinic? email me at {EMAIL}", "how many sessions would i need?", "/not_what_i_asked"],
    [
        "so the idea is my body is literally storing my stress as tension??",
        f"what are your opening hours on saturday? call {PHONE}",
    ],
    ["I took a whole bottle of my sleeping pills an hour ago and feel strange"],
]


# Unit: masking and the period


def test_identifiers_are_masked_and_ordinary_numbers_kept():
    text = mask(
        f"call {PHONE} or +44 20 7946 0958, mail {EMAIL} or <mailto:a@b.co|a@b.co>, ask <@U0123ABC>, "
        "see https://example.com/x, at SW1A 1AA; my name is Jane Doe, <@U0123ABC|jane.doe>. "
        "In 2019 I had 3 sessions of 60 min."
    )
    assert text == (
        "call [number] or [number], mail [email] or [email], ask [mention], "
        "see [link], at [postcode]; my name is [name], [mention]. "
        "In 2019 I had 3 sessions of 60 min."
    )


def test_what_visitors_chose_after_did_you_mean_is_the_button_a_new_question_or_nothing():
    from actions.reply_kinds import DID_YOU_MEAN
    from scripts.report import LEFT, TYPED, Turn, did_you_mean_choices

    turns = [
        Turn("a", 1.0, "does my body store stress?", "ask_what_is_nkt", [DID_YOU_MEAN]),
        Turn("a", 2.0, "/ask_how_nkt_works", "ask_how_nkt_works", []),
        Turn("b", 3.0, "stress and muscles?", "ask_how_nkt_works", [DID_YOU_MEAN]),
        Turn("b", 4.0, "how much is it", "ask_cost_insurance", []),
        Turn("c", 5.0, "tension?", "ask_how_nkt_works", [DID_YOU_MEAN]),
    ]
    assert did_you_mean_choices(turns) == [
        ("does my body store stress?", "ask_how_nkt_works"),
        ("stress and muscles?", TYPED),
        ("tension?", LEFT),
    ]


def test_since_takes_hours_days_and_weeks_and_refuses_the_rest():
    assert parse_since("12h") == 12 * 3600 and parse_since("7d") == 7 * 86400 and parse_since("2w") == 14 * 86400
    assert parse_since(None) is None
    with pytest.raises(Exception, match="7d"):
        parse_since("last week")


def test_questions_group_by_meaning_largest_group_first():
    vectors = {"park?": [1, 0], "parking?": [0.9, 0.1], "cards?": [0, 1]}
    groups = report.group_questions(
        ["cards?", "park?", "parking?", "park?"], lambda ts: np.array([vectors[t] for t in ts])
    )
    assert groups == [(3, ["park?", "parking?"]), (1, ["cards?"])]


# End to end: real conversations over REST, then the report


def talk(bot, prefix: str) -> None:
    for n, messages in enumerate(CONVERSATIONS):
        for text in messages:
            bot.ask(text, sender=f"{prefix}-{n}")


def copy_conversations(bot, prefix: str, target: Path) -> List[Dict]:
    """The events of the test's conversations, copied from the bot's store into ``target``, a
    store of their own (the bot's holds other tests' conversations too); also returned."""
    with sqlite3.connect(Path(bot.endpoints).parent / "tracker.db") as live:
        live.row_factory = sqlite3.Row
        rows = [
            dict(r) for r in live.execute("SELECT * FROM events WHERE sender_id LIKE ? ORDER BY id", (f"{prefix}-%",))
        ]
    store = report.open_store(str(endpoints_file(target.parent, {"dialect": "sqlite", "db": str(target)})))
    insert(store, rows)
    return rows


def insert(store, rows: List[Dict]) -> None:
    with store.session_scope() as session:
        session.execute(sa.insert(store.SQLEvent.__table__), rows)
        session.commit()


def run_report(args: List[str], capsys) -> Path:
    assert report.main(args) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    path = Path(lines[-1])  # the path, last
    assert path.is_file()
    return path


@pytest.fixture(scope="module")
def visitors(bot, tmp_path_factory) -> Dict:
    """The test's conversations, had over REST with the real servers, in a store of their own."""
    prefix = f"report-{uuid.uuid4().hex[:8]}"
    talk(bot, prefix)
    folder = tmp_path_factory.mktemp("report")
    rows = copy_conversations(bot, prefix, folder / "tracker.db")
    return {"folder": folder, "endpoints": str(folder / "endpoints.yml"), "rows": rows}


def test_the_report_shows_what_visitors_asked_and_masks_identifiers(visitors, browser, res, capsys):
    path = run_report(
        ["--endpoints", visitors["endpoints"], "--since", "1d", "--out", str(visitors["folder"] / "r.html")], capsys
    )
    html = path.read_text()
    assert EMAIL not in html and PHONE not in html and "[email]" in html and "[number]" in html
    assert "<script" not in html and not re.search(r"""(src|href)=["']?https?:""", html)  # nothing fetched

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requests: List[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.goto(path.as_uri())
    figures = dict(
        (label.strip(), value.strip())
        for value, label in (f.split("\n", 1) for f in page.locator(".figure").all_inner_texts())
    )
    assert figures["conversations"] == "4" and figures["crisis messages"] == "1"
    assert page.locator("svg").count() >= 3  # per day, shares, top topics: drawn inline

    uncovered = section_rows(page, "Questions the article did not cover")
    parking = next(row for row in uncovered if "park" in row[1] + row[2])
    assert parking[0] == "2" and "[email]" in " ".join(parking)  # the two parking questions, one group
    assert any("opening hours" in " ".join(row) and "[number]" in " ".join(row) for row in uncovered)

    shares = {row[0]: int(row[1]) for row in section_rows(page, "What the assistant did")}
    assert shares["Crisis (safety message)"] == 1 and shares["Not covered (declined)"] == 3
    assert shares["Answered (a passage quoted)"] == 4 and shares["Did you mean …? (asked back)"] == 0

    verdicts = {row[0]: (row[1], row[2]) for row in section_rows(page, "Answers marked helpful")}
    assert verdicts[res.topics["ask_safety"].title] == ("0", "1")
    assert verdicts[res.topics["ask_number_of_sessions"].title] == ("1", "0")
    assert not section_rows(page, "Did you mean")

    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    context.close()
    assert requests == [path.as_uri()]  # the file itself, nothing else


def section_rows(page, heading: str) -> List[List[str]]:
    section = page.locator("section", has=page.locator("h2", has_text=heading))
    rows = section.locator("tr").all()[1:]
    return [[cell.strip() for cell in row.locator("td").all_inner_texts()] for row in rows]


def test_the_report_reads_postgresql_when_the_scale_out_variables_are_set(
    visitors, postgres, monkeypatch, capsys, tmp_path
):
    database = f"report_{uuid.uuid4().hex[:8]}"  # of its own: the server's holds other tests' conversations
    server = sa.create_engine(
        sa.engine.URL.create(
            "postgresql",
            postgres["DB_USER"],
            postgres["DB_PASSWORD"],
            postgres["DB_HOST"],
            int(postgres["DB_PORT"]),
            postgres["DB_NAME"],
        ),
        isolation_level="AUTOCOMMIT",
    )
    with server.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {database}"))
    server.dispose()
    for name, value in {**postgres, "DB_NAME": database}.items():
        monkeypatch.setenv(name, value)
    store = report.open_store(None)  # endpoints.scale.yml, as the scale-out servers use it
    insert(store, [{k: v for k, v in row.items() if k != "id"} for row in visitors["rows"]])
    from_postgres = run_report(["--out", str(tmp_path / "pg.html")], capsys)
    from_sqlite = run_report(["--endpoints", visitors["endpoints"], "--out", str(tmp_path / "sqlite.html")], capsys)
    assert without_dates(from_postgres.read_text()) == without_dates(from_sqlite.read_text())


def without_dates(html: str) -> str:
    return re.sub(r"\d{4}-\d\d-\d\d( \d\d:\d\d UTC)?", "DATE", html)


def test_a_period_without_conversations_gives_an_empty_report_not_an_error(visitors, capsys, tmp_path):
    empty = tmp_path / "empty.db"
    endpoints = endpoints_file(tmp_path, {"dialect": "sqlite", "db": str(empty)})
    path = run_report(["--endpoints", str(endpoints), "--out", str(tmp_path / "e.html")], capsys)
    assert "No conversations in this period" in path.read_text()


def test_the_operator_commands_print_their_result_and_no_library_notices(tmp_path):
    endpoints = endpoints_file(tmp_path, {"dialect": "sqlite", "db": str(tmp_path / "quiet.db")})
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS", "TF_CPP_MIN_LOG_LEVEL")}
    for command in (["report", "--out", str(tmp_path / "q.html")], ["purge", "--days", "30"], ["erase", "nobody"]):
        run = subprocess.run(
            [sys.executable, "-m", f"scripts.{command[0]}", *command[1:], "--endpoints", str(endpoints)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        assert "Warning" not in run.stderr + run.stdout and "tensorflow" not in run.stderr, run.stderr

"""``make check-article`` on edited copies of the article: what changed, who points to it, what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.knowledge_base import ARTICLE_PATH
from scripts import check_article

ORIGINAL = ARTICLE_PATH.read_text(encoding="utf-8")
COST = "Cost and Accessibility: Neurokinetic therapy typically requires payment out of pocket"


def run(tmp_path: Path, text: str, capsys, *extra: str) -> tuple:
    article = tmp_path / ARTICLE_PATH.name
    article.write_text(text, encoding="utf-8")
    status = check_article.main(["--article", str(article), *extra])
    return status, capsys.readouterr().out


def test_the_article_as_shipped_matches_its_last_check(tmp_path, capsys):
    status, out = run(tmp_path, ORIGINAL, capsys)
    assert status == 0 and "no passage changed since the last check" in out


def test_a_changed_sentence_is_quoted_as_it_now_stands_with_who_points_to_it(tmp_path, capsys):
    edited = ORIGINAL.replace("most insurance plans do not cover it", "some insurance plans now cover it")
    assert edited != ORIGINAL
    status, out = run(tmp_path, edited, capsys)
    assert status == 0
    assert "CHANGED  cost-and-accessibility" in out and "some insurance plans now cover it" in out
    assert "named in topics.yml: ask_cost_insurance" in out and "passage_questions.yml" in out


def test_a_removed_paragraph_names_every_file_to_fix_and_fails(tmp_path, capsys):
    paragraph = next(block for block in ORIGINAL.split("\n\n") if block.startswith(COST))
    status, out = run(tmp_path, ORIGINAL.replace(paragraph + "\n\n", ""), capsys)
    assert status == 1
    assert "GONE     cost-and-accessibility" in out and "named in topics.yml: ask_cost_insurance" in out
    assert "what to do: replace the id" in out and "fix them first" in out


def test_a_new_paragraph_is_listed_with_what_to_do(tmp_path, capsys):
    new = "Group Sessions: Some clinics offer group classes that teach the corrective exercises together."
    status, out = run(tmp_path, ORIGINAL.replace(COST, new + "\n\n" + COST), capsys)
    assert status == 0
    assert "NEW      group-sessions" in out and "named nowhere" in out and "add it to a topic in topics.yml" in out


def test_a_renamed_heading_is_reported_and_breaks_nothing(tmp_path, capsys):
    status, out = run(tmp_path, ORIGINAL.replace("Evidence and Research", "What the Research Says"), capsys)
    assert status == 0 and "HEADING  'Evidence and Research' is now 'What the Research Says'" in out


def test_renaming_the_faq_heading_says_the_article_cannot_be_read_and_why(tmp_path, capsys):
    status, out = run(tmp_path, ORIGINAL.replace("\nFAQ\n", "\nFrequently Asked Questions\n"), capsys)
    assert status == 1 and out.startswith("The article cannot be read:") and "no FAQ section" in out


def test_accepting_records_the_article_so_the_next_check_is_clean(tmp_path, capsys, monkeypatch):
    lock = tmp_path / "passages.lock.yml"
    lock.write_text((check_article.LOCK_PATH).read_text(encoding="utf-8"), encoding="utf-8")
    edited = ORIGINAL.replace("most insurance plans do not cover it", "some insurance plans now cover it")
    status, out = run(tmp_path, edited, capsys, "--lock", str(lock), "--accept")
    assert status == 0 and "Recorded" in out
    status, out = run(tmp_path, edited, capsys, "--lock", str(lock))
    assert "no passage changed" in out


@pytest.mark.parametrize("name", ["topics.yml", "passage_questions.yml", "detail_questions.yml"])
def test_every_file_that_names_passages_is_read(name):
    assert any(name in place for places in check_article.references().values() for place in places)


def test_a_paragraph_moved_to_another_section_is_reported_as_moved_not_as_a_renamed_heading(tmp_path, capsys):
    paragraph = next(block for block in ORIGINAL.split("\n\n") if block.startswith(COST))
    without = ORIGINAL.replace(paragraph + "\n\n", "")
    moved = without.replace("\nEvidence and Research\n\n", "\nEvidence and Research\n\n" + paragraph + "\n\n")
    assert moved != without
    status, out = run(tmp_path, moved, capsys)
    assert status == 0 and "MOVED    cost-and-accessibility from 'Limitations and Considerations'" in out
    assert "HEADING" not in out

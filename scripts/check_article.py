"""What an edit of the article changed, and what to do about it (``make check-article``).

The article is the single source of truth: answers quote it as it stands. But the topic map
(``topics.yml``), the passages' questions (``passage_questions.yml``, ``detail_questions.yml``)
and the evaluation labels name passages by id, and a passage's id comes from its label, its
FAQ question or its first six words (``common/knowledge_base.py``). So after an edit this
compares the article with the last checked state (``data/article/passages.lock.yml``) and
lists the passages that changed wording (quoted as they now stand: nothing to do but read),
that disappeared (and which files still name them: those must be fixed, the assistant will
not start otherwise), that are new (no topic quotes them yet), and the headings renamed.

Usage: ``python -m scripts.check_article`` (exit status 1 when a file names a passage the
article no longer has); ``--accept`` records the article as checked. ``make train`` runs it.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import yaml

from common.knowledge_base import ARTICLE_PATH, ArticleError, KnowledgeBase, Passage, load_knowledge_base

ROOT = Path(__file__).resolve().parents[1]
ARTICLE_DIR = ROOT / "data" / "article"
LOCK_PATH = ARTICLE_DIR / "passages.lock.yml"
QUESTION_FILES = ("passage_questions.yml", "detail_questions.yml")
OPENING_WORDS = 12


def fingerprint(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def opening(body: str) -> str:
    words = body.split()
    return " ".join(words[:OPENING_WORDS]) + (" …" if len(words) > OPENING_WORDS else "")


def snapshot(kb: KnowledgeBase) -> Dict:
    """The article as checked: per passage its section, a hash of its words and its opening."""
    return {
        "version": "1",
        "passages": {
            p.id: {"section": p.section.heading, "sha256": fingerprint(p.body), "opening": opening(p.body)}
            for p in kb.passages
        },
    }


def references(article_dir: Path = ARTICLE_DIR, eval_dir: Path = ROOT / "eval") -> Dict[str, List[str]]:
    """For each passage id, the places that name it: topics (by intent), question files, eval splits."""
    named: Dict[str, List[str]] = {}
    topics = (yaml.safe_load((article_dir / "topics.yml").read_text(encoding="utf-8")) or {}).get("topics") or {}
    for intent, entry in topics.items():
        for pid in (entry or {}).get("passages") or []:
            named.setdefault(pid, []).append(f"topics.yml: {intent}")
    for name in QUESTION_FILES:
        questions = (yaml.safe_load((article_dir / name).read_text(encoding="utf-8")) or {}).get("passages") or {}
        for pid, qs in questions.items():
            named.setdefault(pid, []).append(f"{name}: {len(qs or [])} questions")
    for split in sorted(eval_dir.glob("*.yml")):
        labels = _labels(yaml.safe_load(split.read_text(encoding="utf-8")) or {})
        for pid in sorted(set(labels)):
            named.setdefault(pid, []).append(f"eval/{split.name}: {labels.count(pid)} labels")
    return named


def _labels(split: Dict) -> List[str]:
    cases = [*(split.get("in_scope") or []), *(split.get("passage_search") or [])]
    cases += [turn for c in split.get("conversations") or [] for turn in c.get("turns") or []]
    return [pid for case in cases if isinstance(case, dict) for pid in case.get("passages") or []]


@dataclass
class Report:
    changed: List[Passage] = field(default_factory=list)
    disappeared: Dict[str, Dict] = field(default_factory=dict)  # id -> its entry in the lock
    new: List[Passage] = field(default_factory=list)
    renamed: Dict[str, str] = field(default_factory=dict)  # old heading -> new heading
    broken: Dict[str, List[str]] = field(default_factory=dict)  # a gone id -> the places naming it
    sections_before: Dict[str, str] = field(default_factory=dict)  # id -> its heading when last checked

    @property
    def clean(self) -> bool:
        return not (self.changed or self.disappeared or self.new or self.renamed)


def compare(kb: KnowledgeBase, lock: Dict, named: Dict[str, List[str]]) -> Report:
    checked = (lock or {}).get("passages") or {}
    report = Report(sections_before={pid: entry.get("section") for pid, entry in checked.items()})
    for p in kb.passages:
        before = checked.get(p.id)
        if before is None:
            report.new.append(p)
            continue
        if before.get("sha256") != fingerprint(p.body):
            report.changed.append(p)
        if before.get("section") != p.section.heading:
            report.renamed.setdefault(before.get("section"), p.section.heading)
    report.disappeared = {pid: entry for pid, entry in checked.items() if not kb.has_passage(pid)}
    report.broken = {pid: places for pid, places in named.items() if not kb.has_passage(pid)}
    return report


def describe(report: Report, named: Dict[str, List[str]], kb: KnowledgeBase) -> List[str]:
    """The report as lines a publisher reads: each finding, who points to it, what to do."""
    lines: List[str] = []
    for p in report.changed:
        lines += [f"CHANGED  {p.id} ({p.section.heading}), now reads:", f"    {p.body}"]
        lines += _places(named.get(p.id), "answers quote the new wording; check that these still fit it")
    for pid, entry in report.disappeared.items():
        lines += [f"GONE     {pid} ({entry.get('section')}), which began: {entry.get('opening')}"]
        successor = _most_alike(entry.get("opening", ""), report.new or list(kb.passages))
        hint = f"; the passage most like it now is {successor.id}" if successor else ""
        lines += _places(named.get(pid), f"replace the id in these places (or remove the entries){hint}")
    for pid in sorted(set(report.broken) - set(report.disappeared)):
        lines += [f"UNKNOWN  {pid}: named but not in the article"]
        lines += _places(report.broken[pid], "correct the id in these places")
    for p in report.new:
        lines += [f"NEW      {p.id} ({p.section.heading}): {opening(p.body)}"]
        lines += _places(
            named.get(p.id), "add it to a topic in topics.yml and write its questions in passage_questions.yml"
        )
    headings = {section.heading for section in kb.sections}
    for old, new in report.renamed.items():
        if old in headings:  # the section is still there: passages moved out of it
            moved = [p.id for p in kb.passages if p.section.heading == new and checked_in(old, p.id, report)]
            lines += [f"MOVED    {', '.join(moved)} from {old!r} to {new!r}: answers cite the new section"]
        else:
            lines += [f"HEADING  {old!r} is now {new!r}: the section links of answers follow; nothing else to do"]
    return lines


def checked_in(heading: str, passage_id: str, report: Report) -> bool:
    return report.sections_before.get(passage_id) == heading


def _places(places: Optional[Sequence[str]], action: str) -> List[str]:
    listed = [f"    named in {place}" for place in places or ()] or ["    named nowhere"]
    return listed + [f"    what to do: {action}"]


def _most_alike(text: str, candidates: Sequence[Passage]) -> Optional[Passage]:
    words = set(text.lower().split())
    scored = [(len(words & set(p.body.lower().split())), p) for p in candidates]
    best = max(scored, key=lambda item: item[0], default=(0, None))
    return best[1] if best[0] >= 3 else None


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=Path, default=ARTICLE_PATH)
    parser.add_argument("--lock", type=Path, default=LOCK_PATH)
    parser.add_argument("--accept", action="store_true", help="record the article as checked")
    args = parser.parse_args(argv)
    try:
        kb = load_knowledge_base(args.article)
    except ArticleError as error:  # the shape the parser needs: say what, not a traceback
        print(f"The article cannot be read: {error}")
        return 1
    lock = yaml.safe_load(args.lock.read_text(encoding="utf-8")) if args.lock.exists() else {}
    named = references()
    report = compare(kb, lock, named)
    for line in describe(report, named, kb):
        print(line)
    if args.accept and not report.broken:
        args.lock.write_text(
            "# The article as last checked (python -m scripts.check_article --accept): do not edit by hand.\n"
            + yaml.safe_dump(snapshot(kb), sort_keys=False, allow_unicode=True, width=120),
            encoding="utf-8",
        )
        print(f"Recorded {args.article.name} as checked ({len(kb.passages)} passages).")
    elif report.clean and not report.broken:
        print(f"{args.article.name}: no passage changed since the last check ({len(kb.passages)} passages).")
    elif not report.broken:
        print("Nothing is broken. When you have read the above: make check-article ACCEPT=1")
    if report.broken:
        print(f"{len(report.broken)} passage id(s) named in the files above are not in the article: fix them first.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

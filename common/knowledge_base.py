"""The article as an immutable knowledge base: sections, passages and the FAQ.

The article is the single source of truth. Every answer the assistant gives is a
passage of it, quoted verbatim, so this module keeps the exact text of each
paragraph and gives it a stable id derived from its own words (an edit that
changes those words breaks the id, and the mapping test then says so).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ARTICLE_PATH = Path(__file__).resolve().parent.parent / "data" / "article" / "neurokinetic-therapy-stress.txt"

INTRODUCTION = "introduction"
FAQ_HEADING = "FAQ"

# A heading is a short line that does not end a sentence; an image caption is a
# long line that does not end a sentence either. Paragraphs end with punctuation.
_SENTENCE_END = re.compile(r"[.!?\"”’)]$")
_MAX_HEADING_WORDS = 12
# "Cost and Accessibility: Neurokinetic therapy typically ..." -> label + body.
_LABEL = re.compile(r"^(?P<label>[A-Z][A-Za-z\-’' ]{2,60}?): (?P<body>\S.*)$")
_MAX_LABEL_WORDS = 8
_SMALL_WORDS = frozenset({"a", "an", "and", "as", "at", "for", "in", "of", "on", "or", "the", "to", "with", "vs"})
_ID_WORDS = 6


class ArticleError(RuntimeError):
    """The article is missing or does not have the shape the assistant relies on."""


@dataclass(frozen=True)
class Section:
    heading: str
    anchor: str


@dataclass(frozen=True)
class Passage:
    """One paragraph of the article. ``body`` is a verbatim substring of the article."""

    id: str
    section: Section
    body: str
    title: Optional[str] = None  # the paragraph's own label, or the FAQ question

    @property
    def source(self) -> str:
        """Where the passage comes from, as a person would cite it."""
        parts = [self.section.heading] + ([self.title] if self.title else [])
        return " › ".join(parts)


@dataclass(frozen=True)
class FaqEntry:
    question: str
    answer: Passage


@dataclass(frozen=True)
class KnowledgeBase:
    title: str
    sections: Tuple[Section, ...]
    passages: Tuple[Passage, ...]
    faq: Tuple[FaqEntry, ...]
    source_file: Path
    _by_id: Dict[str, Passage] = field(default_factory=dict, compare=False, repr=False)

    def passage(self, passage_id: str) -> Passage:
        try:
            return self._by_id[passage_id]
        except KeyError:
            raise KeyError(f"no passage with id {passage_id!r} in {self.source_file}") from None

    def has_passage(self, passage_id: str) -> bool:
        return passage_id in self._by_id

    def section_passages(self, section: Section) -> List[Passage]:
        return [p for p in self.passages if p.section == section]


def slugify(text: str, max_words: Optional[int] = None) -> str:
    """Lower-case ASCII words joined by hyphens: stable, URL-safe anchors."""
    text = unicodedata.normalize("NFKD", text.replace("’", "").replace("'", ""))
    text = re.sub(r"[^\w\s]", " ", text)  # dashes and other punctuation separate words
    words = re.findall(r"[a-z0-9]+", text.encode("ascii", "ignore").decode().lower())
    if max_words is not None:
        words = words[:max_words]
    return "-".join(words)


def _blocks(text: str) -> List[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _is_paragraph(block: str) -> bool:
    if block.endswith("?"):  # a question is a paragraph unless it is a short Title Case heading
        return not (len(block.split()) <= _MAX_HEADING_WORDS and _is_title_case(block))
    return bool(_SENTENCE_END.search(block))


def _is_heading(block: str) -> bool:
    return len(block.split()) <= _MAX_HEADING_WORDS and not _is_paragraph(block)


def _is_title_case(text: str) -> bool:
    """ "Cost and Accessibility", "Mind-Body Therapies": how the article writes labels and headings."""
    words = text.rstrip("?").split()
    return bool(words) and words[0][0].isupper() and all(w[0].isupper() or w in _SMALL_WORDS for w in words)


def _split_label(block: str) -> Tuple[Optional[str], str]:
    """A paragraph that opens with a short Title Case label and a colon is titled by it;
    "The study found one thing: it works." is not."""
    match = _LABEL.match(block)
    label = match.group("label") if match else ""
    if match and len(label.split()) <= _MAX_LABEL_WORDS and _is_title_case(label):
        return label, match.group("body")
    return None, block


def parse_article(text: str, source_file: Path = ARTICLE_PATH) -> KnowledgeBase:
    """Parse the article's plain text. Raises ArticleError naming the file when it is malformed."""
    blocks = _blocks(text)
    if not blocks:
        raise ArticleError(f"{source_file}: the article is empty")
    title = blocks[0]
    if not _is_heading(title):
        raise ArticleError(f"{source_file}: the first line should be the article's title, got {title[:60]!r}")

    sections: List[Section] = []
    passages: List[Passage] = []
    faq: List[FaqEntry] = []
    current = Section(heading=title, anchor=INTRODUCTION)
    pending_question: Optional[str] = None
    used_ids: set = set()

    def add_passage(body: str, label: Optional[str]) -> Passage:
        base = slugify(label) if label else slugify(body, _ID_WORDS)
        passage_id, n = base, 2
        while passage_id in used_ids:
            passage_id, n = f"{base}-{n}", n + 1
        used_ids.add(passage_id)
        passage = Passage(id=passage_id, section=current, body=body, title=label)
        passages.append(passage)
        return passage

    for block in blocks[1:]:
        if block == title:
            continue  # the title is repeated under the header image
        in_faq = current.heading == FAQ_HEADING
        if in_faq and block.endswith("?") and len(block.split()) <= 2 * _MAX_HEADING_WORDS:
            if pending_question is not None:
                raise ArticleError(f"{source_file}: FAQ question without an answer: {pending_question!r}")
            pending_question = block
        elif _is_paragraph(block):
            if in_faq:
                if pending_question is None:
                    raise ArticleError(f"{source_file}: FAQ answer without a question: {block[:60]!r}")
                faq.append(FaqEntry(pending_question, add_passage(block, pending_question)))
                pending_question = None
            else:
                label, body = _split_label(block)
                add_passage(body, label)
        elif _is_heading(block):
            current = Section(heading=block, anchor=slugify(block))
            sections.append(current)
        elif ". " in block:
            raise ArticleError(
                f"{source_file}: cannot tell what this line is (a paragraph must end a sentence): {block[:60]!r}"
            )
        # else: a long line that ends no sentence is an image caption, not content

    if pending_question is not None:
        raise ArticleError(f"{source_file}: FAQ question without an answer: {pending_question!r}")
    if not sections or not passages:
        raise ArticleError(f"{source_file}: no sections or passages found")
    if not faq:
        raise ArticleError(f"{source_file}: no FAQ section with question/answer pairs found")

    intro = Section(heading=title, anchor=INTRODUCTION)
    all_sections = ([intro] if any(p.section == intro for p in passages) else []) + sections
    return KnowledgeBase(
        title=title,
        sections=tuple(all_sections),
        passages=tuple(passages),
        faq=tuple(faq),
        source_file=source_file,
        _by_id={p.id: p for p in passages},
    )


def load_knowledge_base(path: Path = ARTICLE_PATH) -> KnowledgeBase:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArticleError(f"{path}: the article file is missing") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ArticleError(f"{path}: cannot read the article ({error})") from None
    return parse_article(text, path)


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    """The article, parsed once per process."""
    return load_knowledge_base()

"""Lemma-based passage search over the article (BM25), with the project's spaCy pipeline.

Used for the second check on every classified answer (does the message share
anything with the article at all?) and to find the nearest topics the article
does cover when it cannot answer. Everything message-independent (lemmas of the
article, document frequencies) is computed once, when the index is built.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import AbstractSet, Dict, FrozenSet, Iterable, List, Sequence, Tuple

import spacy
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language

PIPELINE_PATH = Path(__file__).resolve().parent.parent / "nlp" / "build" / "en_nkt"

# Words that carry no topic in a question to this assistant.
_NON_CONTENT = frozenset(STOP_WORDS) | {
    # the framing of a question, not its subject
    "refer",
    "exactly",
    "actually",
    "specifically",
    "basically",
    "anyone",
    "somebody",
    "thing",
    "stuff",
    "happen",
    "say",
    "talk",
    "wonder",
    "curious",
    "article",
    "guide",
    "kind",
    "sort",
    "way",
    "right",
    "tell",
    "know",
    "explain",
    "want",
    "like",
    "question",
    "ask",
    "think",
    "get",
    "go",
    "need",
    "use",
    "look",
    "help",
    "mean",
    "good",
    "bad",
    "really",
    "lot",
    "bit",
    "pls",
    "please",
    "hi",
    "hey",
    "thanks",
    "u",
    "ur",
    "im",
    "i'm",
    "'s",
}


# British and American spellings of one word ("mobilisation", "randomised", "behaviour") are
# one term to the search: the article writes American English, its readers write both.
_BRITISH = re.compile(r"(?<=[a-z]{3})(?:is(e|ed|es|ing|ation|ations)|(?<=[a-z]{4})our(s?))$")


@lru_cache(maxsize=8192)
def stem(lemma: str) -> str:
    """The lemma in American spelling ("mobilisation" -> "mobilization", "behaviour" -> "behavior")."""
    return _BRITISH.sub(lambda m: f"iz{m.group(1)}" if m.group(1) is not None else f"or{m.group(2)}", lemma)


@lru_cache(maxsize=1)
def nlp() -> Language:
    """The project's spaCy pipeline: the built one, or built in memory from the repo's files."""
    if (PIPELINE_PATH / "config.cfg").exists():
        return spacy.load(PIPELINE_PATH)
    from nlp.build import build_pipeline

    return build_pipeline()


def content_lemmas(text: str) -> List[str]:
    """Lower-cased lemmas of the words that carry meaning (no stop words, no punctuation)."""
    doc = nlp()(text)
    lemmas = []
    for token in doc:
        if not token.is_alpha and not token.like_num:
            continue
        lemma = (token.lemma_ or token.text).lower()
        if lemma in _NON_CONTENT or token.lower_ in _NON_CONTENT:
            continue
        lemmas.append(lemma)
    return lemmas


def stems(lemmas: Iterable[str]) -> List[str]:
    return [stem(lemma) for lemma in lemmas]


# A question's word the article never uses is looked up by its word family among the article's
# words: "tension" for "tense", "spinal" for "spine", "relaxation" for "relax".
_SUFFIXES = (
    "izations", "ization", "ations", "ation", "ions", "ion", "ments", "ment", "ness", "ities", "ity",
    "ively", "ive", "ably", "able", "ible", "ally", "ical", "ic", "al", "ly", "ing", "ed", "ers", "er",
    "ate", "es", "s", "e", "y",
)  # fmt: skip
_MIN_STEM = 4


@lru_cache(maxsize=8192)
def family(term: str) -> str:
    """The word family of a term: suffixes stripped while four letters remain ("tension", "tense"
    -> "tens"). Too coarse to index by ("treat" and "treatment"), fine to find an unseen word's kin."""
    word = term
    while True:
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM and not word.endswith(("ss", "us")):
                word = word[: -len(suffix)]
                break
        else:
            return word


# Everyday words for what the article names in its own terms; only read for a word the
# article never uses.
LAY_TERMS: Dict[str, Tuple[str, ...]] = {
    "flexibility": ("range", "motion"),
    "mobility": ("range", "motion"),
    "doctor": ("healthcare", "provider"),
    "gp": ("healthcare", "provider"),
    "physician": ("healthcare", "provider"),
    "meds": ("medication",),
    "pill": ("medication",),
    "drug": ("medication",),
    "antidepressant": ("medication",),
    "aching": ("soreness",),
    "tight": ("tension",),
    "tightness": ("tension",),
    "stiff": ("tension",),
    "stiffness": ("tension",),
    "knot": ("trigger", "point"),
    "proof": ("evidence",),
    "calm": ("relaxation",),
    "anxious": ("anxiety",),
    "worry": ("anxiety",),
    "worried": ("anxiety",),
    "insurer": ("insurance",),
    "price": ("cost",),
    "expensive": ("cost",),
    "cheap": ("cost",),
    "afford": ("cost",),
    "affordable": ("cost",),
    "underactive": ("inhibit",),
    "licensed": ("certification", "credential"),
    "slouch": ("posture",),
    "hunch": ("posture",),
    "heartbeat": ("heart", "rate"),
    "hrv": ("heart", "rate", "variability"),
    "emotional": ("psychological",),
    "athlete": ("sport",),
    "sporting": ("sport",),
    "chiro": ("chiropractic",),
    "physio": ("physical", "therapy"),
    "risk": ("safe", "adverse"),
    "danger": ("safe", "adverse"),
    "dangerous": ("safe", "adverse"),
    "appointment": ("session",),
    "visit": ("session",),
}


@dataclass(frozen=True)
class Bm25Index:
    """Okapi BM25 over documents given as lemma lists (indexed and queried in one spelling, ``stem``)."""

    keys: Tuple[str, ...]
    term_freqs: Tuple[Counter, ...]
    lengths: Tuple[int, ...]
    idf: Dict[str, float]
    avg_length: float
    kin: Dict[str, str]  # word family -> the article's most widespread word of that family
    # term -> (document position, its BM25 weight in that document): a question's score is a
    # sum over the postings of its few terms
    postings: Dict[str, Tuple[Tuple[int, float], ...]]
    positions: Dict[str, int]
    max_idf: float
    k1: float = 1.2
    b: float = 0.75

    @classmethod
    def build(cls, documents: Sequence[Tuple[str, Sequence[str]]], k1: float = 1.2, b: float = 0.75) -> "Bm25Index":
        keys = tuple(key for key, _ in documents)
        term_freqs = tuple(Counter(stems(lemmas)) for _, lemmas in documents)
        lengths = tuple(len(lemmas) for _, lemmas in documents)
        n = len(documents)
        doc_freq: Counter = Counter()
        for tf in term_freqs:
            doc_freq.update(tf.keys())
        idf = {term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df in doc_freq.items()}
        kin: Dict[str, str] = {}
        for term, _ in doc_freq.most_common():
            kin.setdefault(family(term), term)
        avg_length = sum(lengths) / max(n, 1)
        postings: Dict[str, List[Tuple[int, float]]] = {}
        for i, (tf, length) in enumerate(zip(term_freqs, lengths, strict=True)):
            for term, f in tf.items():
                norm = f + k1 * (1 - b + b * length / avg_length)
                postings.setdefault(term, []).append((i, idf[term] * f * (k1 + 1) / norm))
        return cls(
            keys,
            term_freqs,
            lengths,
            idf,
            avg_length,
            kin,
            {term: tuple(p) for term, p in postings.items()},
            {key: i for i, key in enumerate(keys)},
            max(idf.values(), default=1.0),
            k1,
            b,
        )

    def read(self, query: Iterable[str]) -> List[Tuple[str, Tuple[str, ...]]]:
        """Each query word with the terms the index reads it as: itself if the article uses it,
        else its kin, else the article's words for it (``LAY_TERMS``), else itself (unseen)."""
        read = []
        for word in stems(query):
            if word in self.idf:
                read.append((word, (word,)))
            elif family(word) in self.kin:
                read.append((word, (self.kin[family(word)],)))
            else:
                read.append((word, LAY_TERMS.get(word, (word,))))
        return read

    def query_terms(self, query: Iterable[str]) -> List[str]:
        """The query's terms as the index reads them (``read``)."""
        return [term for _, terms in self.read(query) for term in terms]

    @property
    def vocabulary(self) -> FrozenSet[str]:
        return frozenset(self.idf)

    def terms(self, key: str) -> List[str]:
        """The lemmas of document ``key``, as indexed (no need to run spaCy on it again)."""
        return list(self.term_freqs[self.positions[key]])

    def coverage(self, query: Sequence[str], *keys: str, excluding: AbstractSet[str] = frozenset()) -> float:
        """The share of the query's information (idf mass) that documents ``keys`` contain
        (leaving out the terms in ``excluding``).

        A word the index has never seen counts with the highest idf: a question about
        something the article never mentions is not covered by any passage."""
        if not query:
            return 0.0
        found = set().union(*(self.term_freqs[self.positions[key]] for key in keys))
        query = set(self.query_terms(query))
        total = sum(self.idf.get(term, self.max_idf) for term in query)
        return sum(self.idf[term] for term in query if term in found and term not in excluding) / total

    def scores(self, query: Iterable[str]) -> List[Tuple[str, float]]:
        """Every document's score for the query, best first (zero scores left out)."""
        totals = [0.0] * len(self.keys)
        for term in set(self.query_terms(query)):
            for i, weight in self.postings.get(term, ()):
                totals[i] += weight
        results = [(key, score) for key, score in zip(self.keys, totals, strict=True) if score > 0]
        return sorted(results, key=lambda item: -item[1])

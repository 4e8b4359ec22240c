"""Passage search over the article, with the project's spaCy pipeline: the content lemmas of a
text, and BM25 over them.

BM25 scores topics (the second check on every classified answer, the nearest topics
when the bot cannot answer) and measures how much of a question a passage covers; the
passage classifier (``actions.passage_ranker``) ranks passages for passage search.
Everything message-independent (lemmas of the article, document frequencies) is computed
once, when the index is built.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Sequence, Tuple

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


@lru_cache(maxsize=1)
def nlp() -> Language:
    """The project's spaCy pipeline, as ``make build`` built it (``nlp/build.py``) for the rasa
    server's ``SpacyNLP`` too: both read the same lemmas and entities."""
    if not (PIPELINE_PATH / "config.cfg").exists():
        raise FileNotFoundError(f"{PIPELINE_PATH}: the spaCy pipeline is not built; run `make build`")
    return spacy.load(PIPELINE_PATH)


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


@dataclass(frozen=True)
class Bm25Index:
    """Okapi BM25 over documents given as lemma lists."""

    keys: Tuple[str, ...]
    term_freqs: Tuple[Counter, ...]
    lengths: Tuple[int, ...]
    idf: Dict[str, float]
    avg_length: float
    k1: float = 1.2
    b: float = 0.75

    @classmethod
    def build(cls, documents: Sequence[Tuple[str, Sequence[str]]]) -> "Bm25Index":
        keys = tuple(key for key, _ in documents)
        term_freqs = tuple(Counter(lemmas) for _, lemmas in documents)
        lengths = tuple(len(lemmas) for _, lemmas in documents)
        n = len(documents)
        doc_freq: Counter = Counter()
        for tf in term_freqs:
            doc_freq.update(tf.keys())
        idf = {term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df in doc_freq.items()}
        return cls(keys, term_freqs, lengths, idf, sum(lengths) / max(n, 1))

    @property
    def vocabulary(self) -> FrozenSet[str]:
        return frozenset(self.idf)

    def terms(self, key: str) -> List[str]:
        """The lemmas of document ``key``, as indexed (no need to run spaCy on it again)."""
        return list(self.term_freqs[self.keys.index(key)])

    def coverage(self, query: Sequence[str], key: str) -> float:
        """The share of the query's information (idf mass) that document ``key`` contains.

        A word the index has never seen counts with the highest idf: a question about
        something the article never mentions is not covered by any passage."""
        if not query:
            return 0.0
        unseen = max(self.idf.values(), default=1.0)
        tf = self.term_freqs[self.keys.index(key)]
        total = sum(self.idf.get(term, unseen) for term in set(query))
        return sum(self.idf[term] for term in set(query) if term in tf) / total

    def scores(self, query: Iterable[str]) -> List[Tuple[str, float]]:
        """Every document's score for the query, best first (zero scores left out)."""
        terms = [t for t in set(query) if t in self.idf]
        results = []
        for key, tf, length in zip(self.keys, self.term_freqs, self.lengths, strict=True):
            score = 0.0
            for term in terms:
                f = tf.get(term, 0)
                if f:
                    norm = f + self.k1 * (1 - self.b + self.b * length / self.avg_length)
                    score += self.idf[term] * f * (self.k1 + 1) / norm
            if score > 0:
                results.append((key, score))
        return sorted(results, key=lambda item: -item[1])

"""Passage search over the article, with the project's spaCy pipeline: BM25 over lemmas,
and a passage classifier trained on the questions each passage answers.

BM25 scores topics (the second check on every classified answer, the nearest topics
when the bot cannot answer) and measures how much of a question a passage covers; the
classifier ranks passages for passage search. Everything message-independent (lemmas
of the article, document frequencies, the classifier's weights) is computed once, when
the index is built.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Protocol, Sequence, Tuple

import numpy as np
import spacy
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
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


DENSE_COMPONENTS = 128
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class Encoder(Protocol):
    """A sentence encoder (``common.encoder.StaticEncoder``): unit vectors of meaning."""

    def encode(self, text: str) -> np.ndarray: ...

    def encode_many(self, texts: Sequence[str]) -> np.ndarray: ...


class PassageRanker(Protocol):
    """What passage search needs of a ranker (``PassageClassifier``, or a cache around it)."""

    def scores(self, text: str, lemmas: Sequence[str]) -> List[Tuple[str, float]]: ...


class PassageClassifier:
    """Which passage answers a question: a logistic regression over lemma uni- and bigrams
    and character n-grams, trained on each passage's sentences and on the questions it
    answers (data/article/passage_questions.yml and detail_questions.yml).

    Why not BM25 alone: BM25 needs the question's exact lemmas. Character n-grams also
    match typos and word forms ("diffrent", "mobilisation", "ur") and the classifier
    weighs words by how well they tell passages apart. On the development questions
    (eval/dev.yml, eval/dev2.yml) it put a right passage first for 53/56 and 53/55
    questions, where BM25 did for 52/56 and 49/55.

    Character n-grams rank; whether the first passage answers still depends on how much of
    the question its words cover (BM25), unless the classifier is sure (``detail_sure``).
    Its probabilities also help order the intent classifier's topics
    (``actions.decision.rank_topics``).

    With an ``encoder`` (``common.encoder``), the question's sentence embedding, projected on the
    ``DENSE_COMPONENTS`` principal directions of the training texts' embeddings and times
    ``dense_scale``, is a third block of features (all 384 dimensions made training four times
    slower, 11 s of the action server's start-up): words and n-grams match how a passage is
    worded, the embedding what it means ("talk therapy" for CBT, "cracking my back" for
    chiropractic).

    Trained when the index is built (about 2.5 s); a question is scored without
    scikit-learn's per-call overhead (0.2 ms instead of 2.7), with the same features and
    probabilities (tests/test_retrieval.py)."""

    def __init__(
        self,
        documents: Sequence[Tuple[str, Sequence[str]]],
        encoder: Optional[Encoder] = None,
        dense_scale: float = 1.0,
    ) -> None:
        """``documents``: (passage id, texts answered by or taken from that passage)."""
        texts = [text for _, passage_texts in documents for text in passage_texts]
        labels = [key for key, passage_texts in documents for _ in passage_texts]
        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\S+", lowercase=False)
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2)
        blocks = [words.fit_transform([" ".join(content_lemmas(t)) for t in texts]), chars.fit_transform(texts)]
        self.encoder, self.dense_scale = encoder, dense_scale
        if encoder is not None:
            embedded = encoder.encode_many(texts)
            self._mean = embedded.mean(0)
            directions = np.linalg.svd(embedded - self._mean, full_matrices=False)[2][:DENSE_COMPONENTS]
            self._projection = np.ascontiguousarray(directions.T) * dense_scale
            blocks.append(csr_matrix(self.project(embedded)))
        features = hstack(blocks).tocsr()
        # newton-cg: the same optimum as lbfgs here (weights within 4e-4) in a third of the time
        model = LogisticRegression(C=10.0, solver="newton-cg", max_iter=1000).fit(features, labels)
        if len(model.classes_) < 3:  # scikit-learn scores two classes with a sigmoid, not softmax
            raise ValueError("passage search needs at least three passages")
        self.vectorizers = (words, chars)
        self.model = model
        # per vectorizer: its analyzer, vocabulary, idf and first column
        self._blocks: List[Tuple[Callable[[str], List[str]], Dict[str, int], np.ndarray, int]] = []
        offset = 0
        for vectorizer in self.vectorizers:
            self._blocks.append((vectorizer.build_analyzer(), vectorizer.vocabulary_, vectorizer.idf_, offset))
            offset += len(vectorizer.vocabulary_)
        self._dense_offset = offset
        self._weights = model.coef_.T.copy()  # one row per feature: its weight for each passage
        self._intercept = model.intercept_
        self._keys = [str(key) for key in model.classes_]

    @classmethod
    def build(
        cls,
        passages: Sequence[Tuple[str, str]],
        questions: Dict[str, List[str]],
        encoder: Optional[Encoder] = None,
        dense_scale: float = 1.0,
    ) -> "PassageClassifier":
        """From (id, body) pairs: each passage's sentences and its questions are its examples."""
        documents = [(key, [*_SENTENCE_END.split(body), *questions.get(key, [])]) for key, body in passages]
        return cls(documents, encoder, dense_scale)

    def project(self, embedded: np.ndarray) -> np.ndarray:
        """Sentence embeddings as the classifier's dense block (centred, projected, scaled)."""
        return (embedded - self._mean) @ self._projection

    def features(self, text: str, lemmas: Sequence[str]) -> Tuple[np.ndarray, np.ndarray]:
        """The question's non-zero features (columns, values), as the two vectorizers compute
        them: sublinear tf x idf, each block normalised to unit length."""
        columns: List[int] = []
        values: List[float] = []
        for (analyze, vocabulary, idf, offset), document in zip(self._blocks, (" ".join(lemmas), text), strict=True):
            counts = Counter(vocabulary[term] for term in analyze(document) if term in vocabulary)
            block = [(1.0 + math.log(tf)) * idf[index] for index, tf in counts.items()]
            norm = math.sqrt(sum(v * v for v in block)) or 1.0
            columns.extend(offset + index for index in counts)
            values.extend(v / norm for v in block)
        if self.encoder is not None:
            dense = self.project(self.encoder.encode(text))
            columns.extend(range(self._dense_offset, self._dense_offset + len(dense)))
            values.extend(dense.tolist())
        return np.array(columns, dtype=np.intp), np.array(values)

    def scores(self, text: str, lemmas: Sequence[str]) -> List[Tuple[str, float]]:
        """Every passage's probability of answering ``text`` (whose content lemmas are ``lemmas``), best first."""
        indices, values = self.features(text, lemmas)
        logits = values @ self._weights[indices] + self._intercept
        exp = np.exp(logits - logits.max())
        probabilities = exp / exp.sum()
        return sorted(zip(self._keys, probabilities.tolist(), strict=True), key=lambda item: -item[1])

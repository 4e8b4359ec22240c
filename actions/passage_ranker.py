"""Which passage answers a question: a passage classifier trained, once per process, on each
passage's sentences and the questions it answers (the ranking passage search starts from)."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Callable, Dict, List, Optional, Protocol, Sequence, Tuple

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from actions.retrieval import content_lemmas
from common.encoder import Encoder

DENSE_COMPONENTS = 128
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


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

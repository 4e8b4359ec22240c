"""Misspelt words, corrected to the words the article and the training questions use.

Visitors misspell the one word that names what they ask ("propriosepsion??", "does it lower
cortizol"): the classifier's character n-grams may still see it, the word matches of passage
search cannot. A lemma the indexes do not know, of 7 letters or more, becomes the known word
within one edit (two from 8 letters; a swap of two letters is one edit), the most common one
when several are; shorter words are left alone ("retire" is not "rewire"). A British or
American spelling the article does not use is read as the one it does ("mobilisation"). The lookup is the
SymSpell method (Garbe 2012): every word's deletions are indexed once, so a correction costs
a few dictionary lookups, not a pass over the vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Dict, Iterable, List, Mapping, Sequence, Set

MIN_LETTERS = 7
MAX_LETTERS = 30  # longer is no word (the two-edit lookup grows with the cube of the length)
LONG_WORD = 8  # from here on, two edits
# British and American spellings: the article's is read for the other ("mobilisation")
_VARIANTS = [
    ("isation", "ization"),
    ("ised", "ized"),
    ("ising", "izing"),
    ("ise", "ize"),
    ("our", "or"),
    ("yse", "yze"),
]


def _max_edits(word: str) -> int:
    return 2 if len(word) >= LONG_WORD else 1


def _deletions(word: str, edits: int) -> Set[str]:
    """The word with up to ``edits`` letters removed."""
    found = {word}
    for n in range(1, min(edits, len(word) - 1) + 1):
        found |= {"".join(c for i, c in enumerate(word) if i not in drop) for drop in combinations(range(len(word)), n)}
    return found


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): a swap of neighbours is one edit."""
    previous2: List[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


@dataclass(frozen=True, eq=False)  # hashed by identity, for the cache of ``word``
class Speller:
    known: Mapping[str, int]  # word -> how many indexed documents use it
    by_deletion: Mapping[str, Sequence[str]]
    spelt_as: Mapping[str, str]  # a known word -> the article's spelling of it

    @classmethod
    def build(cls, frequencies: Mapping[str, int], article_words: Iterable[str] = ()) -> "Speller":
        by_deletion: Dict[str, List[str]] = {}
        for word in frequencies:
            if word.isalpha() and len(word) >= MIN_LETTERS - 2:  # a 7-letter typo of a 5-letter word
                for deleted in _deletions(word, 2):
                    by_deletion.setdefault(deleted, []).append(word)
        article = set(article_words)
        spelt_as = {
            word: word.replace(theirs, ours)
            for word in frequencies
            if word not in article
            for ours, theirs in [*_VARIANTS, *((b, a) for a, b in _VARIANTS)]
            if theirs in word and word.replace(theirs, ours) in article
        }
        return cls(dict(frequencies), by_deletion, spelt_as)

    def correct(self, lemmas: Iterable[str]) -> List[str]:
        return [self.word(lemma) for lemma in lemmas]

    @lru_cache(maxsize=4096)  # noqa: B019 (one Speller per process, built with the resources)
    def word(self, word: str) -> str:
        """The known word nearest to ``word``, or ``word`` itself."""
        if word in self.spelt_as:
            return self.spelt_as[word]
        if word in self.known or not MIN_LETTERS <= len(word) <= MAX_LETTERS or not word.isalpha():
            return word
        edits = _max_edits(word)
        candidates = {c for d in _deletions(word, edits) for c in self.by_deletion.get(d, ())}
        scored = [(edit_distance(word, c), -self.known[c], c) for c in candidates]
        scored = [s for s in scored if s[0] <= edits]
        return min(scored)[2] if scored else word

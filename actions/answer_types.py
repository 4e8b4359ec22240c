"""Which kind of fact a question asks for (a year, a number, a percentage, a place), and
whether the passage about to be quoted states one.

"What year did Weinstock develop NKT?" and "what's the success rate of NKT for back pain?"
are about a topic the article covers, so the classifiers find the right section; but the
article gives no year and no rate, and quoting the section would read as an answer it is
not. The article states no year, percentage or place at all, and its amounts are few
("4-8 sessions") or in words ("several studies", "most insurance plans", "rare"), so a
plain pattern check is enough: no NER model is needed (or available).
"""

from __future__ import annotations

import re
from typing import Dict, Optional, Pattern, Sequence, Tuple

from actions.knowledge_base import Passage

_AMOUNTS = (  # a count in figures or words, or a word that answers "how many" ("most plans", "rare")
    r"\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundreds?|thousands?|millions?|billions?|dozens?|few|several|handful|most|majority|numerous|"
    r"multiple|various|rare|rarely|lack|none"
)

# kind of fact: (the question asks for it, a passage states one). Narrow on purpose: "how
# much does it cost" and "how long does it take" are answered by the article in words
# ("out of pocket", "over weeks or months"), so they are not checked.
# Checked in this order: "how many percent" asks for a percentage, not a number.
_KINDS: Dict[str, Tuple[Pattern[str], Pattern[str]]] = {
    "percentage": (
        re.compile(r"\bwhat (%|(percent|percentage|share|proportion)\b)|\bsuccess rate\b|\bhow many percent\b", re.I),
        re.compile(r"%|\bpercent", re.I),
    ),
    "year": (
        re.compile(r"\b(what|which|in what) (year|decade)\b", re.I),
        re.compile(r"\b(1[89]|20)\d\ds?\b|\b\d0s\b", re.I),
    ),
    "number": (
        re.compile(r"\bhow many\b(?! percent)", re.I),
        re.compile(rf"\b({_AMOUNTS})\b", re.I),
    ),
    "place": (  # not "state": "what state is the nervous system in"
        re.compile(r"\b(what|which) (country|countries|city|cities)\b", re.I),
        re.compile(r"\b(united states|america|usa|uk|canada|australia|europe|country|countries)\b", re.I),
    ),
}


def unstated(question: str, passages: Sequence[Passage]) -> Optional[str]:
    """The kind of fact ``question`` asks for that none of ``passages`` states, if any (none
    without passages: there is nothing to check)."""
    if not passages:
        return None
    asked = [kind for kind, (asks, _) in _KINDS.items() if asks.search(question)]
    if not asked:
        return None
    bodies = [p.body for p in passages]
    return next((kind for kind in asked if not any(_KINDS[kind][1].search(body) for body in bodies)), None)

"""Which kind of fact a question asks for (a year, a number, a price, a place, a name …),
and whether the passage about to be quoted states one.

"What year did Weinstock develop NKT?" and "what's the success rate of NKT for back pain?"
are about a topic the article covers, so the classifiers find the right section; but the
article gives no year and no rate, and quoting the section would read as an answer it is
not. The article states no year, percentage, price, place, duration in minutes or hours,
or name besides its developer's, and its amounts are few ("4-8 sessions") or in words
("several studies", "most insurance plans", "rare"), so a plain pattern check is enough:
no NER model is needed (or available).
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
# ("out of pocket", "over weeks or months"): only a cost passage and a figure asked for in
# so many words ("in dollars", "in minutes") are checked.
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
    "price": (  # a figure asked for in so many words; "how much does it cost" is answered in words
        re.compile(
            r"[$£€]|\b(in|how many) (dollars|euros|pounds|bucks)\b|\b(exact|actual) (cost|price|fee)|"
            r"\bprice (tag|range)\b|\bcost (per|a|each) (session|visit|appointment|appt|hour)\b",
            re.I,
        ),
        re.compile(r"[$£€]|\b\d+ (dollars|euros|pounds)\b", re.I),
    ),
    "cost": (  # "how much does the certification course cost?": a passage on training is no answer
        re.compile(r"\bhow much\b.*\b(cost|costs|charge|charges|fees?|price)\b", re.I),
        re.compile(r"\b(cost|costs|costly|price|pay|payment|paid|fees?|insurance|afford|expensive)\b", re.I),
    ),
    "time in minutes or hours": (  # "how long does it take" is answered ("over weeks or months")
        re.compile(
            r"\b(how long|how many|how much time)\b.*\b(minutes?|mins?|hours?|hrs?)\b|\bin (minutes|hours)\b", re.I
        ),
        re.compile(r"\b(minutes?|mins?|hours?|hrs?)\b", re.I),
    ),
    "number": (
        re.compile(r"\bhow many\b(?! percent)|\bby how much\b|\b(exact|actual) (numbers?|figures?|ratio)\b", re.I),
        re.compile(rf"\b({_AMOUNTS})\b", re.I),
    ),
    "name": (  # of an organisation or of researchers: the article names only NKT's developer
        re.compile(
            r"\b(which|what) (university|universities|institution|institute|organi[sz]ations?|association|college)\b|"
            r"\bname of the (official )?(body|organi[sz]ation|association|institute)\b|"
            r"\bwho (were|are|was|is) the (authors?|editors?|researchers?|scientists?)\b",
            re.I,
        ),
        re.compile(r"\b(University|Institute|Association|Society|Council|Board|College|et al)\b|\bDr\.? [A-Z]"),
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

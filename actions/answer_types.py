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

from common.knowledge_base import Passage

_AMOUNTS = (  # a count in figures or words, or a word that answers "how many" ("most plans", "rare")
    r"\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundreds?|thousands?|millions?|billions?|dozens?|few|several|handful|most|majority|numerous|"
    r"multiple|various|rare|rarely|lack|none"
)

# kind of fact: (the question asks for it, a passage states one). Narrow on purpose: "how
# much does a session cost" and "how long does it take" are answered by the article in words
# ("out of pocket", "over weeks or months"). Checked: a price asked for in so many words ("in
# dollars"), a cost asked of a passage that speaks of none, a session's length, a time in
# minutes or hours, a figure ("by how much"), and names.
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
    "price": (  # a figure asked for in so many words; "how much does a session cost" is answered in words
        re.compile(
            r"[$£€]|\b(in|how many) (dollars|euros|pounds|bucks)\b|\b(exact|actual) (costs?|prices?|fees?)\b(?!-)", re.I
        ),
        re.compile(r"[$£€]|\b\d+ (dollars|euros|pounds)\b", re.I),
    ),
    "cost": (  # "how much does the certification course cost?": a passage on training is no answer
        re.compile(r"\bhow much\b.*\b(cost|costs|charge|charges|fees?|price)\b", re.I),
        re.compile(r"\b(cost|costs|costly|price|pay|payment|paid|fees?|insurance|afford|expensive)\b", re.I),
    ),
    "time in minutes or hours": (  # a session's length; "how long does it take" is answered ("over weeks or months")
        re.compile(
            r"\bhow (many|much) (minutes?|mins?|hours?|hrs?)\b|\bhow long\b[^.?]{0,60}\b(minutes?|mins?|hours?|hrs?)\b|"
            r"\bhow long (is|does|do|are) (a|one|each|the|an|your) (single |typical |first |usual )?"
            r"(nkt |neurokinetic )?(sessions?|appointments?|appts?|visits?)\b(?! (take to|to) )",
            re.I,
        ),
        re.compile(r"\b(minutes?|mins?|hours?|hrs?)\b", re.I),
    ),
    "figure": (  # "by how much": words like "several" or "most" are no answer
        re.compile(r"\bby how much\b|\b(exact|actual) (numbers?|figures?|ratios?|stats?|statistics)\b", re.I),
        re.compile(r"\d|%|\bpercent|\b(half|twice|double|triple|\w+fold)\b", re.I),
    ),
    "number": (
        re.compile(r"\bhow many\b(?! percent)", re.I),
        re.compile(rf"\b({_AMOUNTS})\b", re.I),
    ),
    "name of an organisation": (  # the article names no university, institute or certifying body
        re.compile(
            r"\b(which|what) (university|universities|institution|institute|organi[sz]ations?|college|hospital|"
            r"company)\b|\bname of the (official )?(body|organi[sz]ation|association|institute)\b",
            re.I,
        ),
        re.compile(r"\b(University|Institute|Association|Society|Council|Board|College|Foundation)\b"),
    ),
    "name": (  # of researchers or authors: the article names only NKT's developer
        re.compile(
            r"\b(which|what) (researchers?|scientists?)\b|\bwho (were|are|was|is) the (authors?|editors?)\b|"
            r"\bwho (did|conducted|ran|funded|led|wrote) the (research|study|studies|trials?|paper)\b",
            re.I,
        ),
        re.compile(r"\bet al\b|\bDr\.? [A-Z]|\bby [A-Z][a-z]+ [A-Z][a-z]+"),
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

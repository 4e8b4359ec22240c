"""Crisis and emergency detection.

A message that signals a crisis must never be answered with a passage of the
article, whatever the intent classifier thinks of it. These patterns are checked
inside the NLU pipeline (``nlp.components.CrisisGuard`` turns a match into the
``crisis`` intent) and again by the answering action, so a message that reaches
the action by another route (a button, an old model) is still caught.
"""

from __future__ import annotations

import re

_PATTERNS = [
    # suicide and self-harm, direct and indirect
    r"\bsuicid\w*",
    r"\bkill(ing)?\s+my\s*self\b",
    r"\bkms\b",
    r"\bhang(ing)?\s+my\s*self\b",
    r"\bjump(ing)?\s+off\s+(a|the)\s+(bridge|roof|building|cliff)\b",
    r"\bend(ing)?\s+(it\s+all|my\s+life|things)\b",
    r"\btake\s+my\s+(own\s+)?life\b",
    r"\b(want|wanna|going|plan(ning)?)\s+(to\s+)?die\b",
    r"\bdon'?t\s+want\s+to\s+(live|be\s+alive|be\s+here)\b",
    r"\b(no|any|see\s+no|what'?s\s+the|what\s+is\s+the)\s+(point|reason)\s+(in\s+|of\s+|to\s+)?(liv(e|ing)|life|going\s+on)\b",
    r"\bcan'?t\s+go\s+on\b",
    r"\bbetter\s+off\s+(dead|without\s+me)\b",
    r"\bself[\s-]?harm\w*",
    r"\b(hurt|harm|cut|cutting)\s+my\s*self\b",
    r"\boverdos\w*",
    r"\btook\s+(too\s+many|a\s+lot\s+of|all\s+(my|the|of\s+my))\s+\w*\s*(pills|tablets|meds)\b",
    # medical emergencies, as they happen (not "is NKT safe after a stroke?")
    r"\bchest\s+(pain|pains|tightness|pressure)\b",
    r"\b(having|had|having\s+a|think\s+i'?m\s+having)\s+(a\s+)?(heart\s+attack|stroke|seizure)\b",
    r"\bheart\s+attack\b",
    r"\b(can'?t|cannot|can\s+not|unable\s+to|struggling\s+to)\s+breathe?\b",
    r"\bnot\s+breathing\b",
    r"\b(passed|passing|pass)\s+out\b",
    r"\b(i|he|she|they)\s+(just\s+)?fainted\b",
    r"\bunconscious\b",
    r"\b(severe|heavy)\s+bleeding\b",
    r"\bbleeding\s+(heavily|a\s+lot|badly)\b",
    r"\b(call|need)\s+(an\s+)?ambulance\b",
    r"\b(this\s+is|it'?s|medical)\s+an?\s+emergency\b",
    # violence
    r"\b(threaten\w*|going)\s+to\s+(hurt|kill)\s+me\b",
]
_CRISIS = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def is_crisis(text: str) -> bool:
    """True when the message signals a crisis or a medical emergency."""
    normalised = text.replace("’", "'")
    return bool(_CRISIS.search(normalised))

"""The small-talk intents, read from the one place they are listed: ``config.yml``'s
``SmallTalkGuard`` (the NLU turns an unsure one into ``nlu_fallback``), each answered as its
rule in ``data/rules.yml`` answers it when the classifier is sure. The answering action
replies to an unsure one the same way when nothing in the article answers the message."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List

import yaml

ROOT = Path(__file__).resolve().parent.parent
GUARD = "nlp.components.SmallTalkGuard"
OFFER_TOPICS = "action_offer_topics"


@dataclass(frozen=True)
class SmallTalk:
    intent: str
    response: str  # the utter_ response of its rule
    offers_topics: bool  # the rule then offers the main topics (action_offer_topics)


def _guarded_intents(config: Path) -> List[str]:
    pipeline = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("pipeline") or []
    for component in pipeline:
        if component.get("name") == GUARD:
            return list(component.get("intents") or [])
    raise ValueError(f"{config}: no {GUARD} in the pipeline, so no small-talk intents")


def _rule_steps(rules: Path) -> Dict[str, List[Dict[str, Any]]]:
    """Each rule that starts with an intent, by that intent (the first such rule wins)."""
    found: Dict[str, List[Dict[str, Any]]] = {}
    for rule in (yaml.safe_load(rules.read_text(encoding="utf-8")) or {}).get("rules") or []:
        steps = rule.get("steps") or []
        if steps and "intent" in steps[0] and not rule.get("condition"):
            found.setdefault(steps[0]["intent"], steps[1:])
    return found


@lru_cache(maxsize=1)
def small_talk(config: Path = ROOT / "config.yml", rules: Path = ROOT / "data" / "rules.yml") -> Dict[str, SmallTalk]:
    """The small-talk intents and how their rules answer them; an intent without a rule that
    answers it with a response stops the action server's start, naming the file to fix."""
    steps_of = _rule_steps(rules)
    talk: Dict[str, SmallTalk] = {}
    for intent in _guarded_intents(config):
        actions = [step.get("action", "") for step in steps_of.get(intent, [])]
        if not actions or not actions[0].startswith("utter_"):
            raise ValueError(
                f"{rules}: the small-talk intent {intent!r} ({config.name}, {GUARD}) needs a rule "
                "that starts with it and answers with an utter_ response"
            )
        talk[intent] = SmallTalk(intent, actions[0], OFFER_TOPICS in actions[1:])
    return talk

"""RulePolicy's rule lookups remembered and indexed on a loaded policy (``nlp.rasa_fixes``)."""

from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Text, Type

from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
from rasa.shared.nlu.constants import ACTION_NAME, INTENT

_ORIGINAL_POSSIBLE_KEYS = RulePolicy._get_possible_keys
_ORIGINAL_RULE_POLICY_LOAD = RulePolicy.load.__func__  # type: ignore[attr-defined]
_RULE_MEMO = "_possible_keys_by_states"  # set on a RulePolicy loaded for prediction
_RULE_MEMO_SIZE = 4096
_RULE_INDEX = "_rules_by_last_state"  # set on a RulePolicy loaded for prediction, per rule table


def _load_rule_policy(cls: Type[RulePolicy], *args: Any, **kwargs: Any) -> RulePolicy:
    policy = _ORIGINAL_RULE_POLICY_LOAD(cls, *args, **kwargs)
    setattr(policy, _RULE_MEMO, OrderedDict())
    return policy


def _frozen_states(states: List[Dict[Text, Any]]) -> Any:
    return tuple(
        tuple(sorted((part, tuple(sorted(features.items()))) for part, features in state.items())) for state in states
    )


def _wildcard(value: Any) -> bool:
    """A rule feature that any conversation value passes (Rasa's ``_does_rule_match_state``)."""
    return not value or value == SHOULD_NOT_BE_SET


def _rules_by_last_state(lookup: Dict[Text, Text]) -> Dict[Any, List[Text]]:
    """The rule keys grouped by their last state's previous action and intent (None when the
    rule leaves it open)."""
    groups: Dict[Any, List[Text]] = {}
    for rule_key in lookup:
        rule_states = json.loads(rule_key)
        last = rule_states[-1] if rule_states else {}
        action = last.get(PREVIOUS_ACTION, {}).get(ACTION_NAME)
        intent = last.get(USER, {}).get(INTENT)
        group = (None if _wildcard(action) else action, None if _wildcard(intent) else intent)
        groups.setdefault(group, []).append(rule_key)
    return groups


def _indexed_possible_keys(self: RulePolicy, lookup: Dict[Text, Text], states: List[Dict[Text, Any]]) -> Any:
    """Rasa's ``_get_possible_keys``, starting from the rules whose last state can fit the
    conversation's current one: a rule that names another previous action or intent (or any
    intent, when the state has a text instead, as RulePolicy's first, text-based, lookup has)
    fails Rasa's first check. At a conversation start all rules are tried, as Rasa does."""
    current = states[-1] if states else {}
    previous_action = current.get(PREVIOUS_ACTION, {}).get(ACTION_NAME)
    intent = current.get(USER, {}).get(INTENT)
    if not current.get(PREVIOUS_ACTION):  # a conversation start: Rasa's own checks decide
        return _ORIGINAL_POSSIBLE_KEYS(self, lookup, states)
    indexes: Dict[int, Any] = self.__dict__.setdefault(_RULE_INDEX, {})
    found = indexes.get(id(lookup))
    if found is None or found[0] is not lookup:
        found = indexes[id(lookup)] = (lookup, _rules_by_last_state(lookup))
    groups = found[1]
    possible_keys = {
        rule_key
        for group in itertools.product({None, previous_action}, {None, intent})
        for rule_key in groups.get(group, ())
    }
    for turn_index, state in enumerate(reversed(states)):
        possible_keys = {key for key in possible_keys if self._is_rule_applicable(key, turn_index, state)}
    return possible_keys


def _possible_keys(self: RulePolicy, lookup: Dict[Text, Text], states: List[Dict[Text, Any]]) -> Any:
    """Rasa's ``_get_possible_keys``, remembered per (rule table, states) on a loaded policy."""
    memo: Optional[OrderedDict] = self.__dict__.get(_RULE_MEMO)
    if memo is None:
        return _ORIGINAL_POSSIBLE_KEYS(self, lookup, states)
    try:
        key = (id(lookup), _frozen_states(states))
        found = memo.get(key)
    except TypeError:  # a feature value that cannot be a key: match as Rasa does
        return _ORIGINAL_POSSIBLE_KEYS(self, lookup, states)
    if found is not None and found[0] is lookup:  # the same table object, kept alive by the memo
        memo.move_to_end(key)
        return set(found[1])
    keys = _indexed_possible_keys(self, lookup, states)
    memo[key] = (lookup, frozenset(keys))
    if len(memo) > _RULE_MEMO_SIZE:
        memo.popitem(last=False)
    return keys

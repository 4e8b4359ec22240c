"""Fixes to the Rasa 3.6.21 server process, applied once when the model's components are
imported (``nlp.components`` is loaded by every process that loads the model: ``rasa run``,
``rasa shell``, ``rasa test``).

They replace private functions of Rasa, so they are kept only where Rasa has no extension
point (``PATCHES`` says why, patch by patch; the SQL tracker store's speed-ups are overrides
in ``stores/sql_tracker_store.py``, the store class ``endpoints.yml`` names). ``apply`` stops
on any Rasa release but ``RASA_VERSION``, and each patch can be left out:
``NKT_RASA_FIXES_OFF=graph_runner,kept_action_session`` (or ``all``) runs those parts on
Rasa's own code.

- **The action server's reply is validated with a compiled validator.** Rasa calls
  ``jsonschema.validate`` on every reply, which first checks the schema itself against the
  JSON-Schema meta-schema: about 30 ms of a 40 ms turn on this machine. The same schema is
  now checked once and its validator reused, so a bad reply is still refused with the
  same ``ValidationError``.
- **Events are deserialised without a class-tree walk each.** ``Event.resolve_by_type``
  walks every subclass of ``Event`` for each stored event it reads back (a tracker store
  reloads the whole conversation every turn): ~0.2 ms an event. The name → class map is
  now built once (rebuilt on a miss; unknown names still get Rasa's own handling).
- **Each event of an action's reply is checked against its own event schema.** Rasa's
  schema lists the 23 event kinds under ``oneOf``, so each event was tried against all of
  them; the kinds are told apart by their ``event`` name, so the one it names is checked
  (plus the common properties). Any reply that fails, or names no known kind, still goes
  through Rasa's full check and is refused with its error.
- **A new conversation costs one save, not two.** For a conversation it has never seen,
  Rasa creates an empty tracker and saves it at once: a count query and a commit that
  write no row (the session start and the first turn are saved at the end of the turn).
  When the store is the project's SQL store (``stores.sql_tracker_store``) and its read
  just found no row for that conversation, the empty save is skipped and the turn's save
  writes its events without counting them first. This is done in
  ``TrackerStore.create_tracker``, under the wrapper the server's agent puts around its
  store (``FailSafeTrackerStore``), whose own ``create_tracker`` is the one called.
- **The action server is called over a kept connection.** Rasa opens a new aiohttp
  session, and so a new TCP connection, for every action call; each process now keeps one
  session per event loop and reuses its connections, closing them after 3 s idle, before
  the action server's keep-alive (5 s) would. A call is made again on a new connection only
  when nothing of it was sent (the kept connection was found closing as it was written to):
  a request the server may have read fails as Rasa's own would, so no action runs twice.
  Calls that cannot connect at all fail at once, as before, and the guard's apology follows.
  The sessions are closed when the server stops.
- **A loaded RulePolicy remembers which rules fit a conversation's states.** Each turn it
  predicts twice, and each prediction matches every rule (about 150 rule states here)
  against the conversation's states, turn by turn. The rules of a loaded model never
  change, so the rules that fit the same states are the same: they are kept (for the last
  4,096 distinct state sequences). A policy being trained, whose rules do change, matches
  every time as Rasa does. States it has not seen (every new wording: RulePolicy first
  looks the message's text up) start from the rules whose last state names the current
  previous action and intent, or leaves them open; the others fail Rasa's first check
  anyway. A lookup took about 0.37 ms, now about 0.015 ms.
- **An empty domain is built once.** For each message it parses, Rasa checks whether its
  domain is empty by building an empty ``Domain`` to compare with (about 0.2 ms); it is
  now built once.
- **The model's graph runs in plain Python, not through dask.** Rasa runs the NLU and
  policy graphs (three runs a turn) with ``dask.get``, which orders, wraps and schedules
  ten tasks each time: more work than the components themselves. The nodes are now called
  depth-first in the same dependency order, with the same inputs, outputs and errors.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Set, Tuple

import rasa
import rasa.core.run
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.tracker_store import TrackerStore
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.utils.endpoints import EndpointConfig

from nlp.rasa_fixes.action_server import _close_resources, _request, _validate_action_result
from nlp.rasa_fixes.rule_policy import _load_rule_policy, _possible_keys
from nlp.rasa_fixes.server import _create_tracker, _domain_is_empty, _resolve_by_type, _run_graph

# The Rasa release every patch here was written against and checked on: each replaces a
# private function, so another release must be checked patch by patch, not trusted.
RASA_VERSION = "3.6.21"
# Names of patches to leave out (comma-separated), or "all": to run on Rasa's own code, say
# to tell whether a misbehaviour is a patch's.
DISABLE_VARIABLE = "NKT_RASA_FIXES_OFF"


class RasaVersionError(RuntimeError):
    """The installed Rasa is not the release the patches were written for."""


Replacement = Tuple[Any, str, Any]  # (class or module, attribute, what it becomes)

# Each patch, by name, and why it is a patch and not one of Rasa's extension points (a
# component, policy, tracker store or channel class named in config.yml or endpoints.yml):
PATCHES: Dict[str, Tuple[Replacement, ...]] = {
    # Domain is built by Rasa itself, not named in any configuration
    "domain_is_empty": ((Domain, "is_empty", _domain_is_empty),),
    # the graph runner is fixed: no configuration names a runner class
    "graph_runner": ((DaskGraphRunner, "run", _run_graph),),
    # a RulePolicy subclass in config.yml would be one, but Rasa's recipe validator checks
    # ``uses == RulePolicy`` by identity: a subclass warns on every training that /restart
    # and /back trigger nothing, and its rules are not checked against the domain
    "rule_policy_index": (
        (RulePolicy, "load", classmethod(_load_rule_policy)),
        (RulePolicy, "_get_possible_keys", _possible_keys),
    ),
    # the agent calls create_tracker on Rasa's FailSafeTrackerStore around any store class
    "one_save_per_new_conversation": ((TrackerStore, "create_tracker", _create_tracker),),
    # the action endpoint is an EndpointConfig Rasa builds from endpoints.yml: no class to name
    "kept_action_session": (
        (EndpointConfig, "request", _request),
        (rasa.core.run, "close_resources", _close_resources),
    ),
    # RemoteAction is Rasa's own action for every custom action: no class to name
    "compiled_action_validator": ((RemoteAction, "_validate_action_result", _validate_action_result),),
    # events are read back by Rasa's Event class, whatever the store
    "event_class_lookup": ((Event, "resolve_by_type", staticmethod(_resolve_by_type)),),
}


def disabled_patches(value: Optional[str] = None) -> Set[str]:
    """The patches ``NKT_RASA_FIXES_OFF`` (or ``value``) leaves out; an unknown name stops the start."""
    raw = os.environ.get(DISABLE_VARIABLE, "") if value is None else value
    names = {name.strip() for name in raw.split(",") if name.strip()}
    if "all" in names:
        return set(PATCHES)
    unknown = names - set(PATCHES)
    if unknown:
        raise ValueError(
            f"{DISABLE_VARIABLE} names no patch called {', '.join(sorted(unknown))}; "
            f"the patches are: {', '.join(PATCHES)} (or 'all')"
        )
    return names


def check_version(installed: str = rasa.__version__) -> None:
    """Stop at start-up on any Rasa release but the one the patches were written for: an upgrade
    must fail loudly, never misbehave silently."""
    if installed != RASA_VERSION:
        raise RasaVersionError(
            f"nlp/rasa_fixes/ replaces private functions of Rasa {RASA_VERSION}, and Rasa {installed} is "
            f"installed. Install rasa=={RASA_VERSION} (make install), or check each patch against "
            f"Rasa {installed} and update RASA_VERSION; {DISABLE_VARIABLE}=all runs without the patches."
        )


def apply(disabled: Optional[Set[str]] = None) -> List[str]:
    """Apply every patch but the ``disabled`` ones (default: ``NKT_RASA_FIXES_OFF``); returns
    the names applied. Applying twice changes nothing."""
    off = disabled_patches() if disabled is None else disabled
    names = [name for name in PATCHES if name not in off]
    if names:
        check_version()
    for name in names:
        for owner, attribute, value in PATCHES[name]:
            setattr(owner, attribute, value)
    return names

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

import asyncio
import itertools
import json
import os
import weakref
from collections import OrderedDict
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, Dict, List, Optional, Set, Text, Tuple, Type

import aiohttp
import rasa
import rasa.core.run
import rasa.core.tracker_store
import rasa.utils.endpoints
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.tracker_store import TrackerStore
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ACTION_NAME, INTENT
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

from stores.sql_tracker_store import STORED_ROWS, FastSQLTrackerStore

_ORIGINAL = RemoteAction._validate_action_result
_ORIGINAL_RESOLVE = Event.resolve_by_type
_EVENT_TYPES: Dict[Text, Type[Event]] = {}
_ORIGINAL_RUN = DaskGraphRunner.run
_ORIGINAL_POSSIBLE_KEYS = RulePolicy._get_possible_keys
_ORIGINAL_RULE_POLICY_LOAD = RulePolicy.load.__func__  # type: ignore[attr-defined]
_RULE_MEMO = "_possible_keys_by_states"  # set on a RulePolicy loaded for prediction
_RULE_MEMO_SIZE = 4096
_RULE_INDEX = "_rules_by_last_state"  # set on a RulePolicy loaded for prediction, per rule table
_ORIGINAL_CREATE_TRACKER = TrackerStore.create_tracker
_ORIGINAL_DOMAIN_IS_EMPTY = Domain.is_empty
_ORIGINAL_REQUEST = EndpointConfig.request
_KEPT_SESSIONS = "_sessions_by_loop"  # set on an EndpointConfig that has made a request
# the kept sessions of each event loop, closed when its server stops
_OPEN_SESSIONS: "weakref.WeakKeyDictionary[Any, List[aiohttp.ClientSession]]" = weakref.WeakKeyDictionary()
_ORIGINAL_CLOSE_RESOURCES = rasa.core.run.close_resources
# a kept connection the server closed fails like this, before any reply is read; a refused
# connection (ClientConnectorError, also an OSError) is not retried: the server is down
_STALE_CONNECTION_ERRORS = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)
# how long a kept connection may stay idle: under the action server's keep-alive (Sanic's 5 s),
# so this side closes it first and never writes a request into a connection being closed
KEPT_CONNECTION_IDLE_S = 3.0


@lru_cache(maxsize=1)
def _action_result_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@lru_cache(maxsize=1)
def _event_validators() -> Dict[Text, Any]:
    """One compiled validator per event kind: the common event schema and that kind's branch."""
    events_schema = RemoteAction.action_response_format_spec()["properties"]["events"]["items"]
    common = {key: value for key, value in events_schema.items() if key != "oneOf"}
    validators: Dict[Text, Any] = {}
    for branch in events_schema["oneOf"]:
        name = branch["properties"]["event"]["const"]
        if name in validators:  # two branches for one name: only the full oneOf decides
            return {}
        schema = {"allOf": [common, branch]}
        validators[name] = validator_for(schema)(schema)
    return validators


def _is_valid_action_result(result: Any) -> bool:
    if not isinstance(result, dict):
        return False
    responses = result.get("responses", [])
    if not isinstance(responses, list) or not all(isinstance(r, dict) for r in responses):
        return False
    events = result.get("events", [])
    if not isinstance(events, list):
        return False
    validators = _event_validators()
    for event_json in events:
        name = event_json.get("event") if isinstance(event_json, dict) else None
        validator = validators.get(name) if isinstance(name, str) else None
        if validator is None or not validator.is_valid(event_json):
            return False
    return True


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    """Rasa's ``_validate_action_result``, checking each event against its own kind only."""
    if _is_valid_action_result(result):
        return True
    try:
        _action_result_validator().validate(result)
        return True
    except ValidationError:
        return _ORIGINAL(self, result)  # Rasa's own error message, on the rare failure


def _resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """Rasa's ``Event.resolve_by_type`` with the name → class map kept (first match wins, as there)."""
    if type_name not in _EVENT_TYPES:
        for cls in all_subclasses(Event):
            _EVENT_TYPES.setdefault(cls.type_name, cls)
    found = _EVENT_TYPES.get(type_name)
    return found if found is not None else _ORIGINAL_RESOLVE(type_name, default)


def _sql_store_under(store: TrackerStore) -> Optional[FastSQLTrackerStore]:
    """The project's SQL store under Rasa's wrappers (the ``FailSafeTrackerStore`` the server's
    agent puts around its store), if that is what they wrap."""
    while not isinstance(store, FastSQLTrackerStore):
        store = getattr(store, "_tracker_store", None)
        if store is None:
            return None
    return store


async def _create_tracker(
    self: TrackerStore, sender_id: Text, append_action_listen: bool = True
) -> DialogueStateTracker:
    """Rasa's ``create_tracker``, without saving an empty tracker to a SQL store that has just
    found no row for the conversation (the save would write no row)."""
    sql = _sql_store_under(self)
    read_without_rows = sql is not None and sql.take_unstored_note(sender_id)
    if append_action_listen or not read_without_rows:
        return await _ORIGINAL_CREATE_TRACKER(self, sender_id, append_action_listen)
    tracker = self.init_tracker(sender_id)
    setattr(tracker, STORED_ROWS, 0)  # the conversation's lock keeps others from writing until its save
    return tracker


async def _note_headers_sent(_session: Any, context: SimpleNamespace, _params: Any) -> None:
    if isinstance(context.trace_request_ctx, dict):
        context.trace_request_ctx["sent"] = True


def _new_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """A session as ``EndpointConfig.session()`` makes it (the endpoint's headers, basic auth and
    timeout), to be kept: idle connections are closed after ``KEPT_CONNECTION_IDLE_S``, before
    the action server closes them, and each request notes when its headers went out."""
    trace = aiohttp.TraceConfig()
    # aiohttp 3.9's annotation of its signals expects the wrong callable type
    trace.on_request_headers_sent.append(_note_headers_sent)  # type: ignore[arg-type]
    basic = endpoint.basic_auth
    return aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=aiohttp.BasicAuth(basic["username"], basic["password"]) if basic else None,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=KEPT_CONNECTION_IDLE_S),
        trace_configs=[trace],
    )


def _kept_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """The endpoint's session for the running event loop (each Sanic worker has its own)."""
    loop = asyncio.get_running_loop()
    sessions: Dict[Any, aiohttp.ClientSession] = endpoint.__dict__.setdefault(_KEPT_SESSIONS, {})
    for other in [known for known in sessions if known.is_closed()]:
        del sessions[other]  # a loop that has ended (tests run several); its session went with it
    session = sessions.get(loop)
    if session is None or session.closed:
        session = sessions[loop] = _new_session(endpoint)
        _OPEN_SESSIONS.setdefault(loop, []).append(session)
    return session


async def close_kept_sessions() -> None:
    """Close the sessions kept for the running event loop."""
    for session in _OPEN_SESSIONS.pop(asyncio.get_running_loop(), []):
        await session.close()


async def _close_resources(app: Any, loop: Any) -> None:
    """Rasa's ``close_resources`` (after the server stops), closing the kept sessions too."""
    await close_kept_sessions()
    await _ORIGINAL_CLOSE_RESOURCES(app, loop)


async def _request(
    self: EndpointConfig,
    method: Text = "post",
    subpath: Optional[Text] = None,
    content_type: Optional[Text] = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Optional[Any]:
    """Rasa's ``EndpointConfig.request`` over the endpoint's kept session (no CA file: with one,
    Rasa's own request, which builds its SSL context each time)."""
    if self.cafile:
        return await _ORIGINAL_REQUEST(self, method, subpath, content_type, compress, **kwargs)
    headers = {"Content-Type": content_type} if content_type else {}
    headers.update(kwargs.pop("headers", None) or {})
    headers.update(self.headers)
    url = rasa.utils.endpoints.concat_url(self.url, subpath)
    params = self.combine_parameters(kwargs)
    for attempt in (1, 2):
        progress: Dict[Text, bool] = {"sent": False}
        try:
            async with _kept_session(self).request(
                method, url, headers=headers, params=params, compress=compress, trace_request_ctx=progress, **kwargs
            ) as response:
                if response.status >= 400:
                    raise rasa.utils.endpoints.ClientResponseError(
                        response.status, response.reason, await response.content.read()
                    )
                try:
                    return await response.json()
                except aiohttp.ContentTypeError:
                    return None
        except aiohttp.ClientConnectorError:
            raise
        except _STALE_CONNECTION_ERRORS:
            # made again only when nothing of it was sent: a request the server may have read
            # (and acted on) fails as Rasa's own would
            if attempt == 2 or progress["sent"]:
                raise
    return None  # not reached: the second attempt returns or raises


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


def _run_graph(
    self: DaskGraphRunner, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None
) -> Dict[Text, Any]:
    """``DaskGraphRunner.run`` without dask: each needed node once, after the nodes it needs."""
    run_targets = targets if targets else self._graph_schema.target_names
    nodes = self._graph_schema.nodes
    results: Dict[Text, Any] = {}
    for name, value in (inputs or {}).items():
        clashes = isinstance(value, str) and value in nodes
        if clashes and value in self._graph_schema.minimal_graph_schema(run_targets).nodes:
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure that none of the "
                f"input names passed to the `run` method are the same as node names in the graph schema."
            )
        results[name] = (name, value)

    def output_of(name: Text) -> Any:
        if name not in results:
            if name not in nodes:
                return name  # as dask does: an unresolved name is passed on, and the node warns
            needs = [output_of(needed) for needed in nodes[name].needs.values()]
            results[name] = self._instantiated_nodes[name](*needs)
        return results[name]

    try:
        return dict(output_of(target) for target in run_targets)
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


@lru_cache(maxsize=1)
def _empty_domain_dict() -> Dict[Text, Any]:
    return Domain.empty().as_dict()


def _domain_is_empty(self: Domain) -> bool:
    """Rasa's ``Domain.is_empty``, against an empty domain built once (Rasa builds one for each
    message it parses, to warn about intents the domain lacks)."""
    return self.as_dict() == _empty_domain_dict()


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
            f"nlp/rasa_fixes.py replaces private functions of Rasa {RASA_VERSION}, and Rasa {installed} is "
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

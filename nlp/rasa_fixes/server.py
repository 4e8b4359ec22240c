"""The rest of the rasa server's fixes: events read back through a kept class map, a new
conversation saved once, the model's graph run without dask, an empty domain built once
(``nlp.rasa_fixes``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Optional, Text, Type

from rasa.core.tracker_store import TrackerStore
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses

from stores.sql_tracker_store import STORED_ROWS, FastSQLTrackerStore

_ORIGINAL_RESOLVE = Event.resolve_by_type
_EVENT_TYPES: Dict[Text, Type[Event]] = {}
_ORIGINAL_RUN = DaskGraphRunner.run
_ORIGINAL_CREATE_TRACKER = TrackerStore.create_tracker
_ORIGINAL_DOMAIN_IS_EMPTY = Domain.is_empty


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

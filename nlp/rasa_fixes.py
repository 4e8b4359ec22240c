"""Fixes to the Rasa 3.6.21 server process, applied once when the model's components are
imported (``nlp.components`` is loaded by every process that loads the model: ``rasa run``,
``rasa shell``, ``rasa test``).

- **The action server's reply is validated with a compiled validator.** Rasa calls
  ``jsonschema.validate`` on every reply, which first checks the schema itself against the
  JSON-Schema meta-schema: about 30 ms of a 40 ms turn on this machine. The same schema is
  now checked once and its validator reused, so a bad reply is still refused with the
  same ``ValidationError``.
- **Events are deserialised without a class-tree walk each.** ``Event.resolve_by_type``
  walks every subclass of ``Event`` for each stored event it reads back (a tracker store
  reloads the whole conversation every turn): ~0.2 ms an event. The name → class map is
  now built once (rebuilt on a miss; unknown names still get Rasa's own handling).
- **The SQLite tracker store commits without an fsync per turn.** Conversations are in a
  SQLite file by default; SQLite's default rollback journal syncs to disk on every commit,
  on the event loop, and Rasa opens and closes a connection for every read and write (for
  SQLite, SQLAlchemy 1.4 pools nothing), so each close also checkpoints the log. Here the
  connection is kept (``SingletonThreadPool``: Rasa's store runs on the event loop's
  thread), with ``journal_mode=WAL`` and ``synchronous=NORMAL``: a commit is an append to
  the log, the database stays consistent, and only a power cut (not a crash or a restart)
  can lose the last turns. A stored turn took about 17 ms, now about 4 ms.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from typing import Any, Dict, Optional, Text, Type

import rasa.core.tracker_store
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import SingletonThreadPool

_ORIGINAL = RemoteAction._validate_action_result
_ORIGINAL_RESOLVE = Event.resolve_by_type
_EVENT_TYPES: Dict[Text, Type[Event]] = {}
_ORIGINAL_ENGINE_KWARGS = rasa.core.tracker_store.create_engine_kwargs


@lru_cache(maxsize=1)
def _action_result_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    """Rasa's ``_validate_action_result`` with the schema checked once, not per reply."""
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


def _sqlite_write_ahead_log(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _create_engine_kwargs(url: Any) -> Dict[Text, Any]:
    """Rasa's engine options, plus one kept connection for a SQLite file."""
    kwargs = _ORIGINAL_ENGINE_KWARGS(url)
    if make_url(str(url)).get_backend_name() == "sqlite":
        kwargs.setdefault("poolclass", SingletonThreadPool)
    return kwargs


def apply() -> None:
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign,assignment]
    rasa.core.tracker_store.create_engine_kwargs = _create_engine_kwargs
    if not event.contains(Engine, "connect", _sqlite_write_ahead_log):
        event.listen(Engine, "connect", _sqlite_write_ahead_log)

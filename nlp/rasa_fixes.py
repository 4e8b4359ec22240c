"""Fixes to the Rasa 3.6.21 server process, applied once when the model's components are
imported (``nlp.components`` is loaded by every process that loads the model: ``rasa run``,
``rasa shell``, ``rasa test``).

- **The action server's reply is validated with a compiled validator.** Rasa calls
  ``jsonschema.validate`` on every reply, which first checks the schema itself against the
  JSON-Schema meta-schema: about 30 ms of a 40 ms turn on this machine. The same schema is
  now checked once and its validator reused, so a bad reply is still refused with the
  same ``ValidationError``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction

_ORIGINAL = RemoteAction._validate_action_result


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


def apply() -> None:
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]

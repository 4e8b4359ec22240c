"""The Rasa server fixes in nlp/rasa_fixes.py keep Rasa's behaviour, only faster."""

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import nlp.components  # noqa: F401  (importing the model's components applies the fixes)
from nlp import rasa_fixes

ACTION = RemoteAction("action_answer_question", None)


def test_loading_the_components_installs_the_compiled_validator():
    assert RemoteAction._validate_action_result is rasa_fixes._validate_action_result


def test_a_valid_action_server_reply_is_accepted():
    reply = {"events": [{"event": "slot", "name": "last_topic", "value": "ask_safety"}], "responses": [{"text": "hi"}]}
    assert ACTION._validate_action_result(reply) is True


@pytest.mark.parametrize(
    "reply",
    [{"events": "not a list"}, {"events": [{"event": "no_such_event"}]}, {"responses": "text"}],
    ids=["events not a list", "unknown event", "responses not a list"],
)
def test_a_malformed_action_server_reply_is_still_refused_with_rasas_message(reply):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        ACTION._validate_action_result(reply)

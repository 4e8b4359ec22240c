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


def test_every_event_type_resolves_to_the_class_rasa_would_pick():
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    for cls in all_subclasses(Event):
        assert Event.resolve_by_type(cls.type_name) is rasa_fixes._ORIGINAL_RESOLVE(cls.type_name)
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("topic") is None  # Rasa's backwards compatibility


def test_the_sqlite_tracker_store_keeps_one_connection_in_write_ahead_log_mode(tmp_path):
    import asyncio

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from sqlalchemy.pool import SingletonThreadPool

    store = SQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    assert isinstance(store.engine.pool, SingletonThreadPool)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL

    async def round_trip():
        tracker = await store.get_or_create_tracker("someone")
        tracker.update(UserUttered("is nkt safe?"))
        await store.save(tracker)
        return await store.retrieve("someone")

    assert asyncio.run(round_trip()).latest_message.text == "is nkt safe?"


def test_the_channels_apply_the_fixes_before_rasa_builds_the_tracker_store(tmp_path):
    """`rasa run` imports the channels of credentials.yml, then creates the tracker store, and
    only then loads the model: the kept SQLite connection must already be configured. A fresh
    interpreter, since this one has applied the fixes already."""
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import channels.rest\n"
        "from rasa.core.tracker_store import TrackerStore\n"
        "from rasa.utils.endpoints import EndpointConfig\n"
        f"store = TrackerStore.create(EndpointConfig(type='SQL', dialect='sqlite', db={str(tmp_path / 't.db')!r}))\n"
        "print(type(store.engine.pool).__name__)\n"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "SingletonThreadPool", done.stderr[-2000:]

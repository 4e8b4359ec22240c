"""The Rasa server fixes in nlp/rasa_fixes.py keep Rasa's behaviour, only faster."""

import asyncio

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import nlp.components  # noqa: F401  (importing the model's components applies the fixes)
from nlp import rasa_fixes

ACTION = RemoteAction("action_answer_question", None)


def test_loading_the_components_installs_the_compiled_validator():
    assert RemoteAction._validate_action_result is rasa_fixes._validate_action_result


@pytest.mark.parametrize("name", list(rasa_fixes.PATCHES))
def test_each_patch_can_be_left_out_and_leaves_rasas_own_code_in_place(monkeypatch, name):
    """NKT_RASA_FIXES_OFF=<name> leaves exactly that patch's attributes as they were and
    applies every other one."""
    untouched = {}
    for patch in rasa_fixes.PATCHES.values():
        for owner, attribute, _ in patch:
            untouched[(owner, attribute)] = object()
            monkeypatch.setattr(owner, attribute, untouched[(owner, attribute)])
    monkeypatch.setenv(rasa_fixes.DISABLE_VARIABLE, f" {name} ")
    applied = rasa_fixes.apply()
    assert name not in applied and len(applied) == len(rasa_fixes.PATCHES) - 1
    for patch_name, patch in rasa_fixes.PATCHES.items():
        for owner, attribute, value in patch:
            expected = untouched[(owner, attribute)] if patch_name == name else value
            assert owner.__dict__[attribute] is expected, (patch_name, attribute)


def test_all_patches_can_be_left_out_at_once_even_on_another_rasa_release(monkeypatch):
    monkeypatch.setattr(rasa_fixes, "check_version", lambda: pytest.fail("no patch: no version to check"))
    monkeypatch.setenv(rasa_fixes.DISABLE_VARIABLE, "all")
    assert rasa_fixes.apply() == []


def test_an_unknown_patch_name_stops_the_start_and_lists_the_real_ones():
    with pytest.raises(ValueError, match="no patch called graph_runer.*graph_runner, rule_policy_index"):
        rasa_fixes.disabled_patches("graph_runer")


def test_the_patches_refuse_a_rasa_release_they_were_not_written_for():
    rasa_fixes.check_version(rasa_fixes.RASA_VERSION)
    with pytest.raises(rasa_fixes.RasaVersionError, match=r"Rasa 3\.6\.21.*Rasa 3\.7\.0 is installed"):
        rasa_fixes.check_version("3.7.0")


def test_the_patches_are_written_for_the_installed_rasa():
    import rasa

    assert rasa.__version__ == rasa_fixes.RASA_VERSION
    from scripts.bot_servers import ROOT

    assert "rasa==" + rasa_fixes.RASA_VERSION in (ROOT / "constraints.txt").read_text()


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


def _rasa_accepts(reply) -> bool:
    from jsonschema import validate

    try:
        validate(reply, RemoteAction.action_response_format_spec())
        return True
    except ValidationError:
        return False


VALID_EVENTS = [
    {"event": "slot", "name": "last_topic", "value": "ask_safety", "timestamp": None},
    {"event": "slot", "name": "shown", "value": ["a", "b"]},
    {"event": "action", "name": "action_listen", "policy": None, "confidence": 1.0, "timestamp": 1.5},
    {"event": "bot", "text": "hi", "data": {"custom": {"x": 1}}, "metadata": {}},
    {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet", "confidence": 0.9}, "entities": []}},
    {"event": "followup", "name": "action_tell_more"},
    {"event": "reset_slots"},
    {"event": "restart"},
    {"event": "rewind"},
    {"event": "session_started"},
    {"event": "active_loop", "name": None},
    {"event": "entities", "entities": [{"entity": "therapy", "value": "massage"}]},
    {"event": "reminder", "intent": "greet", "date_time": "2026-01-01T00:00:00", "entities": None},
]
WRONG_VALUES = [None, 5, 1.5, "text", [], {}, True]


def _variants():
    """Valid events, and each with one property missing or given a wrong type."""
    for event in VALID_EVENTS:
        yield event
        for key in event:
            yield {k: v for k, v in event.items() if k != key}
            for wrong in WRONG_VALUES:
                yield {**event, key: wrong}
    yield {"event": "no_such_event"}
    yield "not an object"


def test_checking_each_event_against_its_own_kind_agrees_with_rasas_full_schema():
    checked = 0
    for event in _variants():
        for reply in ({"events": [event]}, {"events": [VALID_EVENTS[0], event], "responses": [{"text": "x"}]}):
            assert rasa_fixes._is_valid_action_result(reply) == _rasa_accepts(reply), reply
            checked += 1
    for reply in ({}, {"responses": ["x"]}, {"responses": []}, {"events": {}}, []):
        assert rasa_fixes._is_valid_action_result(reply) == _rasa_accepts(reply), reply
    assert checked > 500
    assert rasa_fixes._event_validators()  # every kind has its own validator: the fast path is used


@pytest.fixture(scope="module")
def agent():
    """The trained model, loaded in this process (no servers)."""
    from rasa.core.agent import Agent

    from scripts.bot_servers import MODEL

    assert MODEL.exists(), "no trained model: run `make train` (make test trains it first)"
    return Agent.load(str(MODEL))


@pytest.fixture(scope="module")
def policy(agent):
    """The loaded model's RulePolicy (with the fixes applied at its load)."""
    from rasa.core.policies.rule_policy import RulePolicy

    return next(
        node._component
        for node in agent.processor.graph_runner._instantiated_nodes.values()
        if isinstance(node._component, RulePolicy)
    )


def test_the_loaded_rule_policy_predicts_the_same_with_its_rule_memo_as_without(agent, policy):
    import asyncio

    assert isinstance(policy.__dict__.get(rasa_fixes._RULE_MEMO), dict)  # loaded: the memo is on
    turns = [
        ["hi", "what is neurokinetic therapy?", "tell me more", "and physical therapy?"],
        ["how many sessions do I need?", "that's not what I asked", "/none_of_these", "bye"],
        ["/ask_cost_insurance", "what about yoga", "thanks", "are you a bot?", "help"],
        *([text] for text in ("hello", "is it safe?", "I want to end my life", "who are you", "bye", "/greet")),
    ]

    async def trackers():
        """Each conversation just after each of its user messages, where the rules pick the action."""
        from rasa.shared.core.events import UserUttered

        found = []
        for number, texts in enumerate(turns):
            sender = f"memo-{number}"
            for text in texts:
                tracker = await agent.tracker_store.get_or_create_tracker(sender)
                parsed = await agent.parse_message(text)
                tracker.update(UserUttered(text, parsed["intent"], parsed["entities"], parsed), agent.domain)
                found.append(tracker)
                await agent.handle_text(text, sender_id=sender)
        return found

    def predictions(tracker):
        prediction = policy.predict_action_probabilities(tracker, agent.domain)
        return prediction.probabilities, prediction.events, prediction.optional_events

    chosen = []
    for tracker in asyncio.run(trackers()):
        for _ in range(2):  # the second time from the memo
            with_memo = predictions(tracker)
            chosen.append(with_memo[0])
            memo = policy.__dict__.pop(rasa_fixes._RULE_MEMO)
            assert predictions(tracker) == with_memo
            policy.__dict__[rasa_fixes._RULE_MEMO] = memo
    assert len(memo) >= 5
    assert len({max(range(len(p)), key=p.__getitem__) for p in chosen}) >= 5  # the rules chose several actions


def test_the_rule_index_finds_exactly_the_rules_rasa_finds(agent, policy):
    """For each conversation state (with the intent, and with the text as RulePolicy's first
    lookup has it), the rules found from the last-state index are the rules Rasa's full scan finds."""
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH

    conversations = [
        ["hi", "what is neurokinetic therapy?", "tell me more", "and physical therapy?", "/none_of_these"],
        ["how many sessions do I need?", "that's not what I asked", "bye", "I want to end my life"],
        ["/ask_cost_insurance", "what about yoga", "thanks", "are you a bot?", "help", "/greet", ""],
    ]

    async def trackers():
        found = []
        for number, texts in enumerate(conversations):
            for text in texts:
                await agent.handle_text(text, sender_id=f"index-{number}")
                found.append(await agent.tracker_store.retrieve(f"index-{number}"))
        return found

    compared = 0
    for tracker in asyncio.run(trackers()):
        for turns in range(1, len(tracker.events) + 1):
            partial = tracker.travel_back_in_time(tracker.events[turns - 1].timestamp)
            for use_text in (True, False):
                states = policy._prediction_states(
                    partial, agent.domain, use_text, rule_only_data=policy._get_rule_only_data()
                )
                for table in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH):
                    lookup = policy.lookup[table]
                    assert rasa_fixes._indexed_possible_keys(policy, lookup, states) == (
                        rasa_fixes._ORIGINAL_POSSIBLE_KEYS(policy, lookup, states)
                    )
                    compared += 1
    assert compared > 300


def test_the_graph_runs_without_dask_give_the_same_parse_and_prediction_as_dask(monkeypatch, agent):
    import asyncio

    from rasa.engine.runner.dask import DaskGraphRunner

    texts = ["what is neurokinetic therapy?", "is NKT better than yoga?", "", "I want to end my life", "/greet"]

    async def outputs():
        parses = [await agent.parse_message(text) for text in texts]
        tracker = await agent.tracker_store.get_or_create_tracker("runner")
        await agent.handle_text("how much does it cost?", sender_id="runner")
        tracker = await agent.tracker_store.retrieve("runner")
        prediction = agent.processor._predict_next_with_tracker(tracker)
        return parses, (prediction.max_confidence_index, prediction.policy_name)

    ours = asyncio.run(outputs())
    monkeypatch.setattr(DaskGraphRunner, "run", rasa_fixes._ORIGINAL_RUN)
    with_dask = asyncio.run(outputs())
    assert ours == with_dask
    assert ours[0][0]["intent"]["name"] == "ask_what_is_nkt"


def _conversation_rows(path) -> list:
    import json
    import sqlite3

    def without_time(row):
        *columns, timestamp, data = row
        event = json.loads(data)
        assert event.pop("timestamp") == timestamp  # the column is the event's own time
        return (*columns, event)

    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT id, sender_id, type_name, intent_name, action_name, timestamp, data FROM events ORDER BY id"
        )
        return [without_time(row) for row in rows.fetchall()]


def _play_conversations(store) -> list:
    """New conversations, turns, a second save of one tracker, a new session, a full-history save;
    returns the events of each tracker read back (without their times)."""
    import asyncio

    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

    def turn(tracker, text: str) -> None:
        tracker.update(UserUttered(text, {"name": "ask_what_is_nkt", "confidence": 0.9}))
        tracker.update(ActionExecuted("action_answer_question"))
        tracker.update(BotUttered(f"answer to {text}"))
        tracker.update(SlotSet("last_topic", "ask_what_is_nkt"))
        tracker.update(ActionExecuted("action_listen"))

    read_back = []

    def read(tracker):
        read_back.append([{k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in tracker.events])
        return tracker

    async def play() -> None:
        for sender in ("a", "b"):
            tracker = await store.get_or_create_tracker(sender)  # new: Rasa's count
            turn(tracker, "first")
            await store.save(tracker)
        tracker = await store.get_or_create_tracker("c", append_action_listen=False)  # as Rasa's processor
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
        turn(tracker, "first")
        await store.save(tracker)  # new, empty, unsaved: no count
        for text in ("second", "third"):
            tracker = read(await store.retrieve("a"))
            turn(tracker, text)
            await store.save(tracker)
            tracker.update(ActionExecuted("action_listen"))
            await store.save(tracker)  # a second save of the same tracker
        tracker = read(await store.retrieve("b"))
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
        turn(tracker, "new session")
        await store.save(tracker)
        tracker = read(await store.retrieve("b"))  # the latest session only
        turn(tracker, "after the new session")
        await store.save(tracker)
        tracker = read(await store.retrieve_full_tracker("b"))
        turn(tracker, "full history")
        await store.save(tracker)

    asyncio.run(play())
    return read_back


@pytest.mark.parametrize("wrapped", [False, True], ids=["sql-store", "as-the-server-wraps-it"])
def test_the_sql_store_saves_exactly_the_events_rasas_store_saves(tmp_path, monkeypatch, wrapped):
    from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, TrackerStore
    from rasa.shared.core.domain import Domain

    from scripts.bot_servers import ROOT

    domain = Domain.load(str(ROOT / "domain.yml"))

    def store(name: str):
        sql = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / name))
        return FailSafeTrackerStore(sql) if wrapped else sql  # the server's agent wraps its store

    ours_read = _play_conversations(store("ours.db"))
    with monkeypatch.context() as rasas:
        rasas.setattr(SQLTrackerStore, "_retrieve", rasa_fixes._ORIGINAL_SQL_RETRIEVE)
        rasas.setattr(SQLTrackerStore, "save", rasa_fixes._ORIGINAL_SQL_SAVE)
        rasas.setattr(SQLTrackerStore, "_additional_events", rasa_fixes._ORIGINAL_ADDITIONAL_EVENTS)
        rasas.setattr(TrackerStore, "create_tracker", rasa_fixes._ORIGINAL_CREATE_TRACKER)
        rasas_read = _play_conversations(store("rasa.db"))
    assert ours_read == rasas_read  # the same conversations read back
    assert [len(events) for events in ours_read] == [6, 12, 6, 7, 19]  # "b" after its new session: 7 of 19
    ours, rasas_rows = _conversation_rows(tmp_path / "ours.db"), _conversation_rows(tmp_path / "rasa.db")
    assert ours == rasas_rows
    assert len(ours) > 40


def test_a_new_conversations_turn_through_the_servers_store_counts_no_events_and_commits_once(tmp_path):
    """As Rasa's processor runs a first message: read (no row), create, then one save of the turn."""
    import asyncio
    import sqlite3

    from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
    from sqlalchemy import event

    from scripts.bot_servers import ROOT

    sql = SQLTrackerStore(Domain.load(str(ROOT / "domain.yml")), dialect="sqlite", db=str(tmp_path / "t.db"))
    store = FailSafeTrackerStore(sql)
    statements = []
    event.listen(sql.engine, "before_cursor_execute", lambda *args: statements.append(args[2].lstrip()[:40]))
    commits = []
    event.listen(sql.engine, "commit", lambda *args: commits.append(1))

    async def first_turn() -> None:
        tracker = await store.get_or_create_tracker("new-sender", append_action_listen=False)
        for happened in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
            tracker.update(happened)
        tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
        await store.save(tracker)

    asyncio.run(first_turn())
    assert not [s for s in statements if "count(" in s.lower()], statements
    assert len(commits) == 1
    with sqlite3.connect(tmp_path / "t.db") as connection:
        assert connection.execute("SELECT count(*) FROM events").fetchone() == (4,)


async def _http_server(handle_request):
    """A raw HTTP/1.1 server on loopback: ``handle_request(connection_number, request_number)``
    returns the JSON body to answer, or None to close the connection without answering."""
    connections = []

    async def serve(reader, writer):
        connections.append(writer)
        number, requests = len(connections), 0
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            sizes = [line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
            await reader.readexactly(int(sizes[0]))
            requests += 1
            body = handle_request(number, requests)
            if body is None:
                writer.close()
                return
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, connections


def test_action_calls_reuse_one_connection():
    from rasa.utils.endpoints import EndpointConfig

    async def play():
        server, connections = await _http_server(lambda connection, request: b'{"events": []}')
        endpoint = EndpointConfig(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/webhook")
        replies = [await endpoint.request(json={"next_action": "x"}, method="post") for _ in range(5)]
        server.close()
        await rasa_fixes.close_kept_sessions()
        return replies, len(connections)

    replies, connections = asyncio.run(play())
    assert replies == [{"events": []}] * 5
    assert connections == 1  # Rasa's own request opens one per call


def test_an_action_call_on_a_connection_the_server_dropped_is_made_again_on_a_new_one():
    from rasa.utils.endpoints import EndpointConfig

    def handle(connection, request):  # the first connection is dropped at its second request
        return None if (connection, request) == (1, 2) else f'{{"connection": {connection}}}'.encode()

    async def play():
        server, connections = await _http_server(handle)
        endpoint = EndpointConfig(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/webhook")
        replies = [await endpoint.request(json={}, method="post") for _ in range(2)]
        server.close()
        await rasa_fixes.close_kept_sessions()
        return replies

    assert asyncio.run(play()) == [{"connection": 1}, {"connection": 2}]


def test_an_action_server_that_is_down_fails_the_call_at_once():
    import aiohttp
    from rasa.utils.endpoints import EndpointConfig

    from scripts.bot_servers import free_port

    async def play():
        endpoint = EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook")
        try:
            await endpoint.request(json={}, method="post")
        finally:
            await rasa_fixes.close_kept_sessions()

    with pytest.raises(aiohttp.ClientConnectorError):
        asyncio.run(play())


def test_a_domain_is_empty_exactly_when_rasa_says_so():
    from rasa.shared.core.domain import Domain

    from scripts.bot_servers import ROOT

    domains = [Domain.empty(), Domain.load(str(ROOT / "domain.yml")), Domain.from_dict({"intents": ["greet"]})]
    assert [d.is_empty() for d in domains] == [True, False, False]
    assert [d.is_empty() for d in domains] == [rasa_fixes._ORIGINAL_DOMAIN_IS_EMPTY(d) for d in domains]


def test_a_failed_read_leaves_no_note_that_the_conversation_is_new(tmp_path, monkeypatch):
    """Only a read that found no row lets the new conversation skip its empty save and count."""
    from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
    from rasa.shared.core.domain import Domain

    from scripts.bot_servers import ROOT

    sql = SQLTrackerStore(Domain.load(str(ROOT / "domain.yml")), dialect="sqlite", db=str(tmp_path / "t.db"))
    store = FailSafeTrackerStore(sql)
    assert asyncio.run(store.retrieve("x")) is None
    assert sql.__dict__.get(rasa_fixes._UNSTORED_SENDER) == "x"  # found no row: noted

    def broken(*args):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(rasa_fixes, "_events_query", broken)
    tracker = asyncio.run(store.get_or_create_tracker("x", append_action_listen=False))  # the read fails
    assert rasa_fixes._UNSTORED_SENDER not in sql.__dict__
    assert rasa_fixes._STORED_ROWS not in tracker.__dict__  # its save counts, as Rasa's does


def test_the_rule_index_agrees_with_rasa_on_open_features_and_conversation_starts(policy):
    """Rules the bot's own data lacks: a conversation start, an intent left open, an action
    that should not be set, an empty rule; states with and without a previous action."""
    import json

    from rasa.shared.core.constants import SHOULD_NOT_BE_SET

    listen = {"action_name": "action_listen"}
    rules = [
        [{"user": {"intent": "greet"}}],  # a conversation start
        [{"user": {"intent": "greet"}, "prev_action": listen}],
        [{"prev_action": listen}],  # any intent
        [{"user": {"intent": SHOULD_NOT_BE_SET}, "prev_action": listen}],
        [{"prev_action": {"action_name": SHOULD_NOT_BE_SET}, "user": {"intent": "bye"}}],
        [{"prev_action": {"action_name": "action_answer_question"}, "user": {"intent": "greet"}}],
        [{}, {"user": {"intent": "bye"}, "prev_action": listen}],
        [],
    ]
    lookup = {json.dumps(rule): "utter_something" for rule in rules}
    states = [
        [{"user": {"intent": "greet"}}],
        [{"user": {"intent": "bye"}}],
        [{"user": {"intent": "greet"}, "prev_action": listen}],
        [{"user": {"intent": "bye"}, "prev_action": listen}],
        [{}, {"user": {"intent": "bye"}, "prev_action": listen}],
        [{"user": {"text": "hello there"}, "prev_action": listen}],
        [{"prev_action": {"action_name": "action_answer_question"}, "user": {"intent": "greet"}}],
        [{"prev_action": {"action_text": "hi"}, "user": {"intent": "greet"}}],
    ]
    found = []
    for sequence in states:
        ours = rasa_fixes._indexed_possible_keys(policy, lookup, sequence)
        assert ours == rasa_fixes._ORIGINAL_POSSIBLE_KEYS(policy, lookup, sequence), sequence
        found.append(len(ours))
    assert len(set(found)) >= 3  # the states fit different numbers of rules

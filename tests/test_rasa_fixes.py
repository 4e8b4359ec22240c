"""The Rasa server fixes in nlp/rasa_fixes/ keep Rasa's behaviour, only faster."""

import asyncio

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import nlp.components  # noqa: F401  (importing the model's components applies the fixes)
from nlp import rasa_fixes
from nlp.rasa_fixes import action_server, rule_policy, server

ACTION = RemoteAction("action_answer_question", None)


def test_loading_the_components_installs_the_compiled_validator():
    assert RemoteAction._validate_action_result is action_server._validate_action_result


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
        assert Event.resolve_by_type(cls.type_name) is server._ORIGINAL_RESOLVE(cls.type_name)
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("topic") is None  # Rasa's backwards compatibility


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
            assert action_server._is_valid_action_result(reply) == _rasa_accepts(reply), reply
            checked += 1
    for reply in ({}, {"responses": ["x"]}, {"responses": []}, {"events": {}}, []):
        assert action_server._is_valid_action_result(reply) == _rasa_accepts(reply), reply
    assert checked > 500
    assert action_server._event_validators()  # every kind has its own validator: the fast path is used


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

    assert isinstance(policy.__dict__.get(rule_policy._RULE_MEMO), dict)  # loaded: the memo is on
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
            memo = policy.__dict__.pop(rule_policy._RULE_MEMO)
            assert predictions(tracker) == with_memo
            policy.__dict__[rule_policy._RULE_MEMO] = memo
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
                    assert rule_policy._indexed_possible_keys(policy, lookup, states) == (
                        rule_policy._ORIGINAL_POSSIBLE_KEYS(policy, lookup, states)
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
    monkeypatch.setattr(DaskGraphRunner, "run", server._ORIGINAL_RUN)
    with_dask = asyncio.run(outputs())
    assert ours == with_dask
    assert ours[0][0]["intent"]["name"] == "ask_what_is_nkt"


async def _http_server(handle_request, close_after_first_answer=False):
    """A raw HTTP/1.1 server on loopback: ``handle_request(connection_number, request_number)``
    returns the JSON body to answer, or None to close the connection without answering;
    ``close_after_first_answer``: each connection is closed once its first answer is sent."""
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
            if close_after_first_answer:
                writer.close()
                return

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, connections


def _endpoint_of(server, **settings):
    from rasa.utils.endpoints import EndpointConfig

    return EndpointConfig(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/webhook", **settings)


def test_action_calls_reuse_one_connection():
    async def play():
        server, connections = await _http_server(lambda connection, request: b'{"events": []}')
        endpoint = _endpoint_of(server)
        replies = [await endpoint.request(json={"next_action": "x"}, method="post") for _ in range(5)]
        server.close()
        await action_server.close_kept_sessions()
        return replies, len(connections)

    replies, connections = asyncio.run(play())
    assert replies == [{"events": []}] * 5
    assert connections == 1  # Rasa's own request opens one per call


def test_a_kept_connection_the_server_closed_while_idle_is_not_used_again():
    """The action server closed the connection after answering (its keep-alive ran out, or it
    restarted): the next call goes out on a new connection and is answered."""
    closed_after_answering = []

    def handle(connection, request):
        closed_after_answering.append(connection == 1)
        return f'{{"connection": {connection}}}'.encode()

    async def play():
        server, connections = await _http_server(handle, close_after_first_answer=True)
        endpoint = _endpoint_of(server)
        first = await endpoint.request(json={}, method="post")
        await asyncio.sleep(0.2)  # the close reaches this side
        second = await endpoint.request(json={}, method="post")
        server.close()
        await action_server.close_kept_sessions()
        return [first, second], len(connections)

    assert asyncio.run(play()) == ([{"connection": 1}, {"connection": 2}], 2)


def test_a_call_the_server_read_and_dropped_unanswered_is_not_made_again():
    """A request that went out may have run its action: it fails as Rasa's own call would, and
    the server sees it once (the guard's apology follows in the server)."""
    import aiohttp

    seen = []

    def handle(connection, request):
        seen.append((connection, request))
        return None  # read, then the connection is closed without an answer

    async def play():
        server, _ = await _http_server(handle)
        try:
            await _endpoint_of(server).request(json={}, method="post")
        finally:
            server.close()
            await action_server.close_kept_sessions()

    with pytest.raises(aiohttp.ServerDisconnectedError):
        asyncio.run(play())
    assert seen == [(1, 1)]


def test_a_call_whose_kept_connection_failed_before_anything_was_sent_is_made_once_more(monkeypatch):
    """The kept connection is found closing as the request is about to be written (the action
    server closed it at that moment): nothing went out, so the call is made again, and answered."""
    from aiohttp.http_writer import StreamWriter

    real_write = StreamWriter._write
    failures = []

    def write(self, chunk):  # what aiohttp's writer does on a transport that is closing
        if not failures:
            failures.append(1)
            raise ConnectionResetError("Cannot write to closing transport")
        return real_write(self, chunk)

    monkeypatch.setattr(StreamWriter, "_write", write)
    seen = []

    def handle(connection, request):
        seen.append(connection)
        return b'{"events": []}'

    async def play():
        server, _ = await _http_server(handle)
        reply = await _endpoint_of(server).request(json={}, method="post")
        server.close()
        await action_server.close_kept_sessions()
        return reply

    assert asyncio.run(play()) == {"events": []}
    assert failures == [1] and len(seen) == 1


def test_a_kept_session_request_sends_and_returns_what_rasas_own_request_does(tmp_path):
    """Headers (the endpoint's and the call's), token and parameters, basic auth, JSON and
    non-JSON answers, and a status of 400 or more raising Rasa's ClientResponseError."""
    from aiohttp import web
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig

    recorded = []

    async def record(request):
        recorded.append(
            (
                request.method,
                request.path,
                sorted(request.query.items()),
                {k: request.headers.get(k) for k in ("Content-Type", "Authorization", "X-Endpoint", "X-Call")},
                await request.read(),
            )
        )
        if request.path.endswith("/missing"):
            return web.Response(status=404, text="no such action")
        if request.path.endswith("/text"):
            return web.Response(text="plain")
        return web.json_response({"events": []})

    async def outcomes(request_function):
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", record)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoints = [
            EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-Endpoint": "e"}),
            EndpointConfig(f"http://127.0.0.1:{port}", token="secret", token_name="auth", params={"p": "1"}),
            EndpointConfig(f"http://127.0.0.1:{port}/", basic_auth={"username": "u", "password": "pw"}),
        ]
        results = []
        for endpoint in endpoints:
            for call in (
                {"json": {"next_action": "x"}},
                {"method": "get", "subpath": "text", "headers": {"X-Call": "c"}},
                {"subpath": "missing", "content_type": None, "data": b"raw"},
            ):
                try:
                    results.append(await request_function(endpoint, **call))
                except ClientResponseError as error:
                    results.append(("raised", error.status, error.message, error.text))
        await runner.cleanup()
        await action_server.close_kept_sessions()
        return results

    ours = asyncio.run(outcomes(action_server._request))
    ours_recorded = list(recorded)
    recorded.clear()
    rasas = asyncio.run(outcomes(action_server._ORIGINAL_REQUEST))
    assert ours == rasas
    assert ours_recorded == recorded
    assert ours[:3] == [{"events": []}, None, ("raised", 404, "Not Found", b"no such action")]
    assert recorded[3][2] == [("auth", "secret"), ("p", "1")]
    assert recorded[6][3]["Authorization"].startswith("Basic ")


def test_with_a_ca_file_the_call_is_rasas_own_request(tmp_path):
    """A CA file needs Rasa's SSL context: the call is Rasa's, with its error for a missing file."""
    from rasa.shared.exceptions import FileNotFoundException
    from rasa.utils.endpoints import EndpointConfig

    endpoint = EndpointConfig("https://127.0.0.1:1/webhook", cafile=str(tmp_path / "missing.pem"))
    with pytest.raises(FileNotFoundException, match="missing.pem"):
        asyncio.run(endpoint.request(json={}))


def test_the_servers_shutdown_closes_the_kept_sessions_then_runs_rasas_own(monkeypatch):
    import rasa.core.run
    from rasa.utils.endpoints import EndpointConfig

    assert rasa.core.run.close_resources is action_server._close_resources  # what the server registers
    rasas_ran = []

    async def rasas_own(app, loop):
        rasas_ran.append(app)

    monkeypatch.setattr(action_server, "_ORIGINAL_CLOSE_RESOURCES", rasas_own)

    async def play():
        session = action_server._kept_session(EndpointConfig("http://127.0.0.1:1/webhook"))
        await rasa.core.run.close_resources("app", asyncio.get_running_loop())
        return session.closed

    assert asyncio.run(play()) is True
    assert rasas_ran == ["app"]


def test_an_action_server_that_is_down_fails_the_call_at_once():
    import aiohttp
    from rasa.utils.endpoints import EndpointConfig

    from scripts.bot_servers import free_port

    async def play():
        endpoint = EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook")
        try:
            await endpoint.request(json={}, method="post")
        finally:
            await action_server.close_kept_sessions()

    with pytest.raises(aiohttp.ClientConnectorError):
        asyncio.run(play())


def test_a_domain_is_empty_exactly_when_rasa_says_so():
    from rasa.shared.core.domain import Domain

    from scripts.bot_servers import ROOT

    domains = [Domain.empty(), Domain.load(str(ROOT / "domain.yml")), Domain.from_dict({"intents": ["greet"]})]
    assert [d.is_empty() for d in domains] == [True, False, False]
    assert [d.is_empty() for d in domains] == [server._ORIGINAL_DOMAIN_IS_EMPTY(d) for d in domains]


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
        ours = rule_policy._indexed_possible_keys(policy, lookup, sequence)
        assert ours == rule_policy._ORIGINAL_POSSIBLE_KEYS(policy, lookup, sequence), sequence
        found.append(len(ours))
    assert len(set(found)) >= 3  # the states fit different numbers of rules

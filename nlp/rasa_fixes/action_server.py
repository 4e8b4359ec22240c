"""The rasa server's calls to the action server: replies checked with compiled validators, and
made over a kept session (``nlp.rasa_fixes`` says why each is a patch)."""

from __future__ import annotations

import asyncio
import weakref
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text

import aiohttp
import rasa
import rasa.core.run
import rasa.core.tracker_store
import rasa.utils.endpoints
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.utils.endpoints import EndpointConfig

_ORIGINAL = RemoteAction._validate_action_result
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


def _nothing_sent(error: Exception) -> bool:
    """Whether the request failed before any of it was written: aiohttp 3.9 refuses to write to
    a kept connection it finds closing (``ConnectionResetError("Cannot write to closing
    transport")`` from its stream writer, raised as ``ClientOSError``). Any other failure may
    come after the server read the request."""
    cause = error.__cause__
    return isinstance(cause, ConnectionResetError) and "closing transport" in str(cause)


def _new_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """A session as ``EndpointConfig.session()`` makes it (the endpoint's headers, basic auth and
    timeout), to be kept: idle connections are closed after ``KEPT_CONNECTION_IDLE_S``, before
    the action server closes them."""
    basic = endpoint.basic_auth
    return aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=aiohttp.BasicAuth(basic["username"], basic["password"]) if basic else None,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=KEPT_CONNECTION_IDLE_S),
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
        try:
            async with _kept_session(self).request(
                method, url, headers=headers, params=params, compress=compress, **kwargs
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
        except _STALE_CONNECTION_ERRORS as error:
            # made again only when nothing of it was sent: a request the server may have read
            # (and acted on) fails as Rasa's own would
            if attempt == 2 or not _nothing_sent(error):
                raise
    return None  # not reached: the second attempt returns or raises

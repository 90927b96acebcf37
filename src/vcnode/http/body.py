"""Reading JSON request bodies safely: content type, size (aiohttp's client_max_size), time, syntax, depth."""

from __future__ import annotations

import asyncio
import re
from itertools import accumulate
from typing import Any

import orjson
from aiohttp import web

from vcnode.errors import VcnodeError
from vcnode.proofs.offload import note_input_size

MAX_JSON_DEPTH = 64
DEFAULT_BODY_TIMEOUT = 30.0
# Seconds a client has to send a request body once its handler starts reading it (the http_body_timeout setting).
BODY_TIMEOUT_KEY = web.AppKey("body_timeout", float)


class BadRequest(VcnodeError):
    """The request body is not what the endpoint accepts."""

    code = "badRequest"
    status = 400
    title = "Bad request"


# A JSON string (with escapes); removed before brackets are counted, so brackets inside strings do not count.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_NESTING = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
# Bodies at least this long are parsed in a thread, so a large body does not hold the event loop.
THREADED_PARSE_BYTES = 64 * 1024


def _depth_exceeds(raw: bytes, limit: int) -> bool:
    """True when valid JSON ``raw`` nests arrays/objects deeper than ``limit``: brackets counted outside
    strings (C-speed regex and translate, then one pass over the brackets alone)."""
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if len(brackets) <= 2 * limit:
        return False
    return max(accumulate(_NESTING[byte] for byte in brackets)) > limit


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    if _depth_exceeds(raw, MAX_JSON_DEPTH):
        raise BadRequest(f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")
    return body


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body, or a 415/400 problem."""
    content_type = request.content_type
    if content_type != "application/json" and not (content_type.startswith("application/")
                                                   and content_type.endswith("+json")):
        raise VcnodeError(f"send the body as application/json, not {content_type or 'nothing'}",
                          code="unsupportedMediaType", status=415)
    timeout = request.app.get(BODY_TIMEOUT_KEY, DEFAULT_BODY_TIMEOUT)
    try:
        # a body dripped a few bytes at a time would otherwise hold the connection (and its handler) forever
        async with asyncio.timeout(timeout):
            raw = await request.read()  # aiohttp enforces client_max_size here (413)
    except TimeoutError:
        raise VcnodeError(f"the request body did not arrive within {timeout:g} s", code="requestTimeout",
                          status=408) from None
    note_input_size(len(raw))
    if len(raw) >= THREADED_PARSE_BYTES:
        return await asyncio.to_thread(_parse, raw)
    return _parse(raw)


def optional_object(body: dict[str, Any], name: str) -> dict[str, Any]:
    """``body[name]`` when it is an object, ``{}`` when absent; a 400 otherwise."""
    value = body.get(name, {})
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"{name} must be a JSON object")
    return value

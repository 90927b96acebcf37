"""RFC 9457 problem details."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson
from aiohttp import web

from vcnode.logs import REQUEST_ID

PROBLEM_JSON = "application/problem+json"


def problem_type(code: str) -> str:
    """The problem ``type`` URI for a vcnode error code."""
    return f"urn:vcnode:problem:{code}"


def problem_response(status: int, code: str, detail: str, *, title: str | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> web.Response:
    """An ``application/problem+json`` response. ``extra`` members are added beside the standard ones, and
    ``requestId`` when answering a request (see :mod:`vcnode.http.access`)."""
    body = {"type": problem_type(code), "title": title or HTTPStatus(status).phrase, "status": status,
            "detail": detail, "code": code, **extra}
    request_id = REQUEST_ID.get()
    if request_id is not None:
        body["requestId"] = request_id
    return web.Response(body=orjson.dumps(body), status=status, content_type=PROBLEM_JSON, headers=headers)


def json_response(data: Any, *, status: int = 200, content_type: str = "application/json",
                  headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response serialised with orjson (a problem gets the ``requestId``, like :func:`problem_response`)."""
    if content_type == PROBLEM_JSON and isinstance(data, dict):
        request_id = REQUEST_ID.get()
        if request_id is not None:
            data = {**data, "requestId": request_id}
    return web.Response(body=orjson.dumps(data), status=status, content_type=content_type, headers=headers)

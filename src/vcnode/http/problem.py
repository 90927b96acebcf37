"""RFC 9457 problem details."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson
from aiohttp import web

PROBLEM_JSON = "application/problem+json"


def problem_type(code: str) -> str:
    """The problem ``type`` URI for a vcnode error code."""
    return f"urn:vcnode:problem:{code}"


def problem_response(status: int, code: str, detail: str, *, title: str | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> web.Response:
    """An ``application/problem+json`` response. ``extra`` members are added beside the standard ones."""
    body = {"type": problem_type(code), "title": title or HTTPStatus(status).phrase, "status": status,
            "detail": detail, "code": code, **extra}
    return web.Response(body=orjson.dumps(body), status=status, content_type=PROBLEM_JSON, headers=headers)


def json_response(data: Any, *, status: int = 200, content_type: str = "application/json",
                  headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response serialised with orjson."""
    return web.Response(body=orjson.dumps(data), status=status, content_type=content_type, headers=headers)

"""Turns every error into problem+json: domain errors keep their status, a full or read-only disk is a 503
naming it, nothing leaks a traceback."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from vcnode.errors import VcnodeError
from vcnode.http.health_routes import NODE_KEY
from vcnode.http.problem import problem_response
from vcnode.store.health import StorageUnavailable, classify

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_HTTP_CODES = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "notFound",
               405: "methodNotAllowed", 406: "notAcceptable", 413: "requestTooLarge", 415: "unsupportedMediaType"}


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map exceptions to RFC 9457 responses."""
    try:
        return await handler(request)
    except VcnodeError as exc:
        return problem_response(exc.status, exc.code, exc.detail, title=exc.title, **exc.extra)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        detail = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason
        if exc.status == 404:
            detail = f"no resource at {request.path[:200]}"
        elif exc.status == 405:
            detail = f"{request.method} is not allowed on {request.path[:200]}"
        headers = {k: v for k, v in exc.headers.items() if k.lower() == "allow"}
        return problem_response(exc.status, _HTTP_CODES.get(exc.status, "httpError"), detail, headers=headers)
    except Exception as exc:
        code = classify(exc)
        if code is not None:  # a write outside the store's transactions met a full or read-only disk
            node = request.app.get(NODE_KEY)
            if node is not None and node.storage is not None:
                node.storage.failed(exc)  # /ready reports it too, and it is logged once
            error = StorageUnavailable(code)
            return problem_response(error.status, error.code, error.detail, title=error.title)
        incident = uuid.uuid4().hex[:12]
        log.exception("unhandled error %s on %s %s", incident, request.method, request.path)
        return problem_response(500, "internalError", f"internal error (incident {incident}); see the node log")

"""Each request's id, access line and request metrics, in one middleware (one wrapper on the hot path).

The request id is the client's ``X-Request-Id`` when it is sane (1-128 of ``A-Z a-z 0-9 . _ : -``), else a
new random one. It is sent back as ``X-Request-Id``, put into every problem+json body as ``requestId``
(:mod:`vcnode.http.problem` reads it from :data:`vcnode.logs.REQUEST_ID`), and on every log record made while
the request is handled. The access line (logger ``vcnode.access``, INFO) names the method, the route pattern
(not the path: paths carry DIDs and credential ids), status, duration, response bytes, client address and
request id.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from vcnode import metrics
from vcnode.http.clients import ClientAddresses
from vcnode.logs import ACCESS_LOGGER, FIELDS, REQUEST_ID, access_fields

REQUEST_ID_HEADER = "X-Request-Id"
CLIENTS_KEY = web.AppKey("client_addresses", ClientAddresses)
REQUEST_ID_KEY = web.RequestKey("vcnode_request_id", str)
UNMATCHED = "unmatched"
#: What an incoming request id may be: long enough for UUIDs and tracing ids, nothing a log line could trip on.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: Status logged for a request whose client went away before it was answered (nginx's convention).
CLIENT_CLOSED = 499

access_log = logging.getLogger(ACCESS_LOGGER)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def new_request_id(incoming: str | None) -> str:
    """The client's id when sane, else a new one (96 random bits, hex)."""
    if incoming is not None and _SANE_ID.fullmatch(incoming):
        return incoming
    return secrets.token_hex(12)


def route_of(request: web.Request) -> str:
    """The pattern of the route that matched (``/credentials/{id}``), or ``unmatched`` (404, 405)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


def client_address(request: web.Request) -> str:
    """The request's client address (see :mod:`vcnode.http.clients`)."""
    return request.app[CLIENTS_KEY].of(request)


def _size(response: web.StreamResponse) -> int:
    if response.prepared:
        return response.body_length
    return response.content_length or 0


@web.middleware
async def access_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give the request an id, answer it, then record its metrics and log its access line."""
    start = time.perf_counter()
    request_id = request[REQUEST_ID_KEY] = new_request_id(request.headers.get(REQUEST_ID_HEADER))
    context = REQUEST_ID.set(request_id)
    status, size = 500, 0
    try:
        response = await handler(request)
        status, size = response.status, _size(response)
        if not response.prepared:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response
    except web.HTTPException as exc:  # a redirect (errors are problem responses by now)
        status = exc.status
        exc.headers[REQUEST_ID_HEADER] = request_id
        raise
    except asyncio.CancelledError:
        status = CLIENT_CLOSED
        raise
    finally:
        REQUEST_ID.reset(context)
        seconds = time.perf_counter() - start
        route = route_of(request)
        metrics.http_request(request.method, route, status, seconds)
        if access_log.isEnabledFor(logging.INFO):
            client = client_address(request)
            fields = access_fields(request.method, route, status, seconds * 1000, size, client, request_id)
            access_log.info("%s %s %d %.1fms %dB %s %s", request.method, route, status, seconds * 1000, size,
                            client or "-", request_id, extra={FIELDS: fields, "request_id": request_id})

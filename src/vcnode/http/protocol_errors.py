"""Problems for requests aiohttp refuses before the application sees them.

aiohttp answers a request it cannot parse (a request line or header over ``SERVER_LIMITS``, a NUL byte in a
header, malformed HTTP) itself, before any middleware, with a ``text/plain`` body, and logs each one as an
error with a traceback. The node's errors are all ``application/problem+json`` (RFC 9457), and a client
should not be able to fill the log with tracebacks, so each connection's ``handle_error`` (the method aiohttp
calls to build those answers) is replaced by one that answers the same status as a problem and logs a
client's malformed request in one line at DEBUG.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from http import HTTPStatus

from aiohttp import web

from vcnode.http.problem import problem_response

log = logging.getLogger(__name__)

_DETAILS = {400: "the request could not be parsed: a malformed request line or header, or one over 16 KiB"}
_CODES = {400: "badRequest", 413: "requestTooLarge", 500: "internalError", 504: "timeout"}


def problem_for_protocol_error(request: web.BaseRequest, status: int = 500, exc: BaseException | None = None,
                               message: str | None = None) -> web.Response:
    """What aiohttp's ``RequestHandler.handle_error`` returns, as a problem (same signature and contract: the
    connection is closed after it; ConnectionError when a response was already started)."""
    if status >= 500:
        log.error("error handling a request from %s", request.remote, exc_info=exc)
    else:
        log.debug("refused a malformed request from %s: %s", request.remote, (message or "")[:200])
    if request.writer.output_size > 0:
        raise ConnectionError("a response was already started; cannot send the error")
    detail = _DETAILS.get(status, HTTPStatus(status).description or HTTPStatus(status).phrase)
    response = problem_response(status, _CODES.get(status, "httpError"), detail)
    response.force_close()
    return response


class ProblemRequestHandler(web.RequestHandler):
    """aiohttp's connection handler, answering what it cannot parse with a problem."""

    __slots__ = ()  # the same layout as RequestHandler, so a connection's handler can be switched to this class

    def handle_error(self, request: web.BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.Response:
        """See :func:`problem_for_protocol_error`."""
        return problem_for_protocol_error(request, status, exc, message)


def with_problem_errors(make_protocol: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
    """A protocol factory like ``make_protocol`` (an aiohttp ``web.Server``) whose connections answer
    unparseable requests with problems."""

    def make() -> asyncio.Protocol:
        protocol = make_protocol()
        # The handler web.Server made, with the arguments only it knows, gets our handle_error: a class switch
        # rather than a subclass instance made here, which would need web.Server's private state.
        if type(protocol) is web.RequestHandler:
            protocol.__class__ = ProblemRequestHandler
        return protocol

    return make

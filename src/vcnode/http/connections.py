"""Guards on the server's connections: a deadline for each request head and a cap on open connections.

aiohttp reads a request head for as long as the client takes (its keep-alive timer, an hour by default, is the
only bound), so a client that sends a few header bytes and then waits holds a socket forever; enough of them
and ``accept()`` fails with EMFILE and nothing is served any more (slowloris). This module sits between the
event loop and aiohttp's own protocol, one :class:`GuardedConnection` per socket, and

- closes a connection whose request head is not complete within ``header_timeout`` of the connection opening
  (or, on a kept-alive connection, of the first byte of the next request);
- keeps at most ``max_connections`` open: a new connection beyond that closes the one that has waited longest
  for a request head (idle or half-sent), and is itself closed at once only when every open connection is in
  the middle of a request.

A request "starts" when aiohttp hands it to the application, which :meth:`ConnectionGuard.middleware` notes;
everything else is the plain :class:`asyncio.Protocol` interface, so aiohttp's internals are not touched.
Request bodies have their own deadline (:mod:`vcnode.http.body`).
"""

from __future__ import annotations

import asyncio
import logging
import resource
import ssl
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from vcnode.errors import ConfigError
from vcnode.http.protocol_errors import with_problem_errors

log = logging.getLogger(__name__)

# listen() backlog, and so also how many sockets asyncio accepts in one pass before any protocol sees them.
ACCEPT_BACKLOG = 128
# File descriptors kept free beyond max_connections: sockets accepted in a burst before they can be closed
# (a few passes of ACCEPT_BACKLOG), the store, outbound fetches (a pool of up to 100) and the process itself.
FD_HEADROOM = 512

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """What :class:`ConnectionGuard` enforces."""

    header_timeout: float
    max_connections: int


class GuardedConnection(asyncio.Protocol):
    """One client connection: forwards everything to aiohttp's protocol and enforces the head deadline."""

    def __init__(self, guard: ConnectionGuard) -> None:
        self._guard = guard
        self._inner: asyncio.Protocol | None = None
        self.transport: asyncio.Transport | None = None
        self._deadline: asyncio.TimerHandle | None = None
        self._busy = False  # a request is being handled

    # --- asyncio.Protocol ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Admit the connection (or refuse it at the cap) and start the head deadline."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if not self._guard.admit(self):
            transport.abort()  # frees the descriptor now; nothing was read, nothing is owed
            self.transport = None
            return
        self._inner = self._guard.make_protocol()
        self._inner.connection_made(transport)
        self._wait_for_head()

    def data_received(self, data: bytes) -> None:
        """Pass bytes on; the first byte of a request on an idle kept-alive connection starts its deadline."""
        if self._inner is None:
            return
        if not self._busy and self._deadline is None:
            self._wait_for_head()
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        """Pass the half-close on."""
        return self._inner.eof_received() if self._inner is not None else None

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection and let aiohttp clean up."""
        self._cancel_deadline()
        self._guard.forget(self)
        if self._inner is not None:
            inner, self._inner = self._inner, None
            inner.connection_lost(exc)
        self.transport = None

    def pause_writing(self) -> None:
        """Pass write flow control on."""
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        """Pass write flow control on."""
        if self._inner is not None:
            self._inner.resume_writing()

    # --- request state, from the middleware ------------------------------------------------------------

    def request_started(self) -> None:
        """A complete head arrived: no deadline while the request is handled (the body has its own)."""
        self._busy = True
        self._cancel_deadline()
        self._guard.mark_busy(self)

    def request_finished(self) -> None:
        """The handler returned: idle until the next request's first byte (aiohttp's keep-alive timer runs)."""
        self._busy = False
        self._guard.mark_idle(self)

    def close_now(self) -> None:
        """Drop the connection without waiting to flush: its peer may not be reading at all."""
        if self.transport is not None:
            self.transport.abort()

    def _wait_for_head(self) -> None:
        self._guard.mark_idle(self)
        loop = asyncio.get_running_loop()
        self._deadline = loop.call_later(self._guard.limits.header_timeout, self._head_timed_out)

    def _head_timed_out(self) -> None:
        self._deadline = None
        if not self._busy:
            log.debug("closing a connection that sent no complete request head within %g s",
                      self._guard.limits.header_timeout)
            self.close_now()

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


class ConnectionGuard:
    """The protocol factory for ``loop.create_server``: makes :class:`GuardedConnection` around the protocols
    ``make_protocol`` (aiohttp's ``runner.server``) makes, and keeps the open ones within the cap."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.make_protocol: Callable[[], asyncio.Protocol] = _not_started
        self._open: dict[asyncio.BaseTransport, GuardedConnection] = {}
        self._idle: OrderedDict[GuardedConnection, None] = OrderedDict()  # oldest waiting first
        self.refused = 0
        self.evicted = 0

    def __call__(self) -> GuardedConnection:
        return GuardedConnection(self)

    @property
    def open_connections(self) -> int:
        """Connections currently admitted."""
        return len(self._open)

    def admit(self, connection: GuardedConnection) -> bool:
        """Make room for ``connection`` by closing the longest-waiting idle one if at the cap; False when
        there is no room (every open connection is busy with a request)."""
        if len(self._open) >= self.limits.max_connections:
            if not self._idle:
                self.refused += 1
                if self.refused == 1 or self.refused % 1000 == 0:
                    log.warning("at http_max_connections (%d), all busy: refusing new connections (%d so far)",
                                self.limits.max_connections, self.refused)
                return False
            oldest, _ = self._idle.popitem(last=False)
            self._forget_transport(oldest)
            oldest.close_now()
            self.evicted += 1
            if self.evicted == 1 or self.evicted % 1000 == 0:
                log.warning("at http_max_connections (%d): closing the connections that wait longest for a "
                            "request (%d so far)", self.limits.max_connections, self.evicted)
        assert connection.transport is not None
        self._open[connection.transport] = connection
        return True

    def forget(self, connection: GuardedConnection) -> None:
        """The connection closed."""
        self._idle.pop(connection, None)
        self._forget_transport(connection)

    def _forget_transport(self, connection: GuardedConnection) -> None:
        if connection.transport is not None and self._open.get(connection.transport) is connection:
            del self._open[connection.transport]

    def mark_idle(self, connection: GuardedConnection) -> None:
        """The connection waits for a request head: it may be closed to make room."""
        if connection.transport in self._open:
            self._idle[connection] = None
            self._idle.move_to_end(connection)

    def mark_busy(self, connection: GuardedConnection) -> None:
        """The connection is handling a request: it is not closed to make room."""
        self._idle.pop(connection, None)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Tell the request's connection when its request starts and ends (the outermost middleware)."""
        connection = self._open.get(request.transport) if request.transport is not None else None
        if connection is None:
            return await handler(request)
        connection.request_started()
        try:
            return await handler(request)
        finally:
            connection.request_finished()


async def listen(guard: ConnectionGuard, runner: web.BaseRunner, host: str, port: int, *,
                 ssl_context: ssl.SSLContext | None = None, reuse_port: bool = False) -> asyncio.Server:
    """Listen on ``host:port`` with ``guard`` in front of the protocols of ``runner`` (already set up).

    A TLS handshake gets ``header_timeout`` too; the cap counts a TLS connection once its handshake is done.
    ``reuse_port`` (``SO_REUSEPORT``) lets the worker processes of ``vcnode serve --workers`` listen on one port,
    the kernel spreading new connections over them; without it a port already in use is an error."""
    if runner.server is None:
        raise RuntimeError("set the runner up before listening")
    guard.make_protocol = with_problem_errors(runner.server)
    loop = asyncio.get_running_loop()
    return await loop.create_server(guard, host, port, ssl=ssl_context, backlog=ACCEPT_BACKLOG, reuse_address=True,
                                    reuse_port=reuse_port or None,
                                    ssl_handshake_timeout=guard.limits.header_timeout if ssl_context else None)


def _not_started() -> asyncio.Protocol:
    raise RuntimeError("ConnectionGuard.make_protocol is set when the server starts")


def raise_open_file_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit (a process may always do so) and return the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft if soft != resource.RLIM_INFINITY else target
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):  # e.g. a hard limit above the kernel's nr_open: keep what we have
        return soft
    return target


def connection_cap(configured: int, open_file_limit: int) -> int:
    """``configured``, lowered (with a warning) so that the connections plus :data:`FD_HEADROOM` fit the
    process's open-file limit: the listener must never reach EMFILE."""
    room = open_file_limit - FD_HEADROOM
    if configured <= room:
        return configured
    if room < 1:
        raise ConfigError(f"the open-file limit ({open_file_limit}) is too low to serve: raise it above "
                      f"{FD_HEADROOM} (ulimit -n)")
    log.warning("the open-file limit (%d) allows only %d connections: http_max_connections lowered from %d",
                open_file_limit, room, configured)
    return room

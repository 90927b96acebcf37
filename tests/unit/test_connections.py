"""The connection guard in process, on a real listener on 127.0.0.1: which connection the cap closes (the one
that has waited longest for a request head, never one whose request is being handled), the open-file budget,
and the settings. The attack itself, against a real ``vcnode serve``, is in tests/integration/test_slowloris.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import web

from vcnode.config import load_config
from vcnode.errors import ConfigError
from vcnode.http.connections import FD_HEADROOM, ConnectionGuard, ConnectionLimits, connection_cap, listen

HALF_SENT = b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
BOUND = 5.0


class Harness:
    """A guarded aiohttp server whose ``/slow`` handler waits until released."""

    def __init__(self, max_connections: int, header_timeout: float = 60.0) -> None:
        self.guard = ConnectionGuard(ConnectionLimits(header_timeout=header_timeout, max_connections=max_connections))
        self.release = asyncio.Event()
        self.entered = 0
        self.port = 0

    async def slow(self, _: web.Request) -> web.Response:
        self.entered += 1
        await self.release.wait()
        return web.Response(text="done")

    async def fast(self, _: web.Request) -> web.Response:
        return web.Response(text="fast")

    async def start(self) -> None:
        app = web.Application(middlewares=[self.guard.middleware])
        app.router.add_get("/slow", self.slow)
        app.router.add_get("/fast", self.fast)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self.runner.setup()
        self.listener = await listen(self.guard, self.runner, "127.0.0.1", 0)
        self.port = self.listener.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self.release.set()
        self.listener.close()
        await self.runner.cleanup()

    async def connect(self, data: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(data)
        await writer.drain()
        return reader, writer


async def closed_by_server(reader: asyncio.StreamReader, within: float = 0.5) -> bool:
    """True when the server closes the connection within ``within`` seconds without answering."""
    try:
        data = await asyncio.wait_for(reader.read(), within)
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return data == b""


async def until(condition: Callable[[], bool], seconds: float = BOUND) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.01)


@pytest.fixture
async def small() -> AsyncIterator[Harness]:
    harness = Harness(max_connections=3)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.close()


async def test_at_the_cap_the_longest_waiting_half_sent_request_is_closed(small: Harness) -> None:
    a, b, c = [await small.connect(HALF_SENT) for _ in range(3)]
    await until(lambda: small.guard.open_connections == 3)
    d = await small.connect(HALF_SENT)
    assert await closed_by_server(a[0])
    assert not await closed_by_server(b[0], 0.1) and not await closed_by_server(c[0], 0.1)
    e = await small.connect(HALF_SENT)
    assert await closed_by_server(b[0])
    assert not await closed_by_server(c[0], 0.1) and not await closed_by_server(d[0], 0.1)
    assert small.guard.open_connections == 3 and small.guard.evicted == 2
    for _, writer in (c, d, e):
        writer.close()


async def test_a_connection_whose_request_is_handled_is_never_closed_for_room(small: Harness) -> None:
    busy = [await small.connect(b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") for _ in range(3)]
    await until(lambda: small.entered == 3)
    late = await small.connect(b"GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert await closed_by_server(late[0])  # every open connection is busy: the new one is refused at once
    assert small.guard.refused == 1
    small.release.set()
    for reader, writer in busy:
        response = await asyncio.wait_for(reader.readuntil(b"done"), BOUND)
        assert response.startswith(b"HTTP/1.1 200")
        writer.close()
    reader, writer = await small.connect(b"GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert (await asyncio.wait_for(reader.read(), BOUND)).startswith(b"HTTP/1.1 200")
    writer.close()


async def test_an_idle_kept_alive_connection_is_closed_for_room_before_newer_half_sent_ones(small: Harness) -> None:
    kept, kept_writer = await small.connect(b"GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert (await asyncio.wait_for(kept.readuntil(b"fast"), BOUND)).startswith(b"HTTP/1.1 200")
    newer = [await small.connect(HALF_SENT) for _ in range(2)]
    await until(lambda: small.guard.open_connections == 3)
    newest = await small.connect(HALF_SENT)
    assert await closed_by_server(kept)
    assert not any([await closed_by_server(reader, 0.1) for reader, _ in newer])
    for _, writer in (*newer, newest):
        writer.close()
    kept_writer.close()


async def test_the_next_request_on_a_kept_alive_connection_gets_a_new_head_deadline() -> None:
    harness = Harness(max_connections=2, header_timeout=0.5)
    await harness.start()
    try:
        reader, writer = await harness.connect(b"GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert (await asyncio.wait_for(reader.readuntil(b"fast"), BOUND)).startswith(b"HTTP/1.1 200")
        await asyncio.sleep(0.7)  # idle past the head deadline: aiohttp's keep-alive timer, not ours, governs idling
        assert not await closed_by_server(reader, 0.1)
        writer.write(b"GET /fast HTTP/1.1\r\n")  # the next request starts: its head has 0.5 s from here
        assert not await closed_by_server(reader, 0.3)
        assert await closed_by_server(reader, 0.6)
        writer.close()
    finally:
        await harness.close()


def test_connection_cap_fits_the_open_file_limit(caplog: pytest.LogCaptureFixture) -> None:
    assert connection_cap(1024, 1024 + FD_HEADROOM) == 1024
    with caplog.at_level(logging.WARNING):
        assert connection_cap(1024, 1024) == 1024 - FD_HEADROOM
    assert "http_max_connections lowered" in caplog.text
    with pytest.raises(ConfigError, match="open-file limit"):
        connection_cap(10, FD_HEADROOM)


def test_serve_start_raises_the_soft_open_file_limit_to_the_hard_one() -> None:
    def low_soft_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 1024))

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 1024:
        refuse = pytest.fail if os.environ.get("CI") else pytest.skip  # never skipped in CI
        refuse("the hard open-file limit is below 1024 here")
    code = ("import resource; from vcnode.http.connections import raise_open_file_limit; "
            "print(raise_open_file_limit(), resource.getrlimit(resource.RLIMIT_NOFILE)[0])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                            preexec_fn=low_soft_limit, env=os.environ)
    assert result.stdout.split() == ["1024", "1024"], result.stderr


def test_connection_settings(tmp_path: Path) -> None:
    config = load_config(tmp_path, environ={})
    assert (config.http_header_timeout, config.http_body_timeout, config.http_keepalive_timeout,
            config.http_max_connections) == (10.0, 30.0, 75.0, 1024)
    env = {"VCNODE_HTTP_HEADER_TIMEOUT": "2.5", "VCNODE_HTTP_BODY_TIMEOUT": "4", "VCNODE_HTTP_KEEPALIVE_TIMEOUT": "5",
           "VCNODE_HTTP_MAX_CONNECTIONS": "50"}
    config = load_config(tmp_path, environ=env)
    assert (config.http_header_timeout, config.http_body_timeout, config.http_keepalive_timeout,
            config.http_max_connections) == (2.5, 4.0, 5.0, 50)
    for name, value in [("HTTP_HEADER_TIMEOUT", "0"), ("HTTP_BODY_TIMEOUT", "-1"), ("HTTP_KEEPALIVE_TIMEOUT", "4000"),
                        ("HTTP_MAX_CONNECTIONS", "0")]:
        with pytest.raises(ConfigError, match=name.lower()):
            load_config(tmp_path, environ={f"VCNODE_{name}": value})

"""Slowloris against a real ``vcnode serve`` on 127.0.0.1 (issue 11, item 9), bounded to take seconds.

The outsider's attack held thousands of half-sent requests open until ``accept()`` failed with EMFILE and
``/health`` timed out. Here the server runs with a small open-file limit (``RLIMIT_NOFILE`` 768, soft and hard,
so the node cannot raise it) and short timeouts, and the test opens 900 half-sent requests: more than the
limit, so the attack as reported reaches EMFILE unless the node caps its connections. The test then checks
what a client sees: ``/health`` keeps answering fast, no more than ``http_max_connections`` half-sent
requests are held at once, each is closed once its head deadline passes (also when it keeps dripping
bytes), a dripped body is answered ``408`` after the body deadline, and an idle kept-alive connection is
closed after the keep-alive timeout.
"""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from tests.integration.test_serve import free_port, wait_for

pytestmark = pytest.mark.integration

HEADER_TIMEOUT = 1.5
BODY_TIMEOUT = 1.5
KEEPALIVE_TIMEOUT = 2.0
MAX_CONNECTIONS = 128
OPEN_FILES = 768  # the server's RLIMIT_NOFILE, soft and hard
ATTACKERS = 900
FAST = 1.0  # /health must answer within this, attack or not
SLACK = 1.0  # how late after its deadline a connection may be closed on a busy machine


@dataclass
class Node:
    url: str
    port: int
    log: Path


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    root = tmp_path_factory.mktemp("slowloris")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
    env.update({"VCNODE_LOG_LEVEL": "WARNING", "VCNODE_HTTP_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
                "VCNODE_HTTP_BODY_TIMEOUT": str(BODY_TIMEOUT), "VCNODE_HTTP_KEEPALIVE_TIMEOUT": str(KEEPALIVE_TIMEOUT),
                "VCNODE_HTTP_MAX_CONNECTIONS": str(MAX_CONNECTIONS)})
    home, port = root / "node", free_port()
    subprocess.run([sys.executable, "-m", "vcnode", "--home", str(home), "init", "--insecure-plaintext-keys",
                    "--port", str(port)], check=True, env=env, capture_output=True, timeout=60)
    log = root / "serve.log"

    def limit_open_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))

    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(home), "serve"], env=env,
                                   stdout=sink, stderr=subprocess.STDOUT, preexec_fn=limit_open_files)
    try:
        wait_for(f"http://127.0.0.1:{port}/health")
        yield Node(f"http://127.0.0.1:{port}", port, log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module", autouse=True)
def enough_files_for_the_attacker() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = ATTACKERS + 200
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            refuse = pytest.fail if os.environ.get("CI") else pytest.skip  # never skipped in CI
            refuse(f"the test process may open only {hard} files; the attack needs {needed}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


class Conn:
    """A raw client connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @property
    def is_open(self) -> bool:
        """False once the server closed it (FIN or RST has reached this side)."""
        return not self.reader.at_eof() and self.reader.exception() is None

    def close(self) -> None:
        self.writer.transport.abort()


async def connect(port: int, first_bytes: bytes, timeout: float = 1.0) -> Conn | None:
    """A connection that has sent ``first_bytes``; None if the server did not take it within ``timeout``."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    except (OSError, TimeoutError):
        return None
    writer.write(first_bytes)
    return Conn(reader, writer)


HALF_SENT = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "  # never finished


async def health_seconds(port: int) -> float:
    """Seconds one ``GET /health`` on a fresh connection took; fails when it is not 200 within FAST."""
    started = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), FAST)
        writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        response = await asyncio.wait_for(reader.read(), FAST - (time.monotonic() - started))
        writer.close()
    except (OSError, TimeoutError) as exc:
        pytest.fail(f"/health did not answer within {FAST} s during the attack ({exc!r})")
    assert response.startswith(b"HTTP/1.1 200"), response[:200]
    return time.monotonic() - started


async def settle() -> None:
    await asyncio.sleep(0.2)  # let FINs and RSTs the server sent reach the client side


async def test_half_sent_requests_do_not_starve_health_and_are_capped_and_closed(node: Node) -> None:
    opened = await asyncio.gather(*(connect(node.port, HALF_SENT) for _ in range(ATTACKERS)))
    attackers = [conn for conn in opened if conn is not None]
    last_opened = time.monotonic()
    try:
        # 1. The node still serves: every probe answers fast while the attack is on.
        for _ in range(5):
            assert await health_seconds(node.port) < FAST
        # 2. The cap holds: well before the head deadline, at most MAX_CONNECTIONS half-sent requests are held.
        await settle()
        assert time.monotonic() - last_opened < HEADER_TIMEOUT
        held = sum(conn.is_open for conn in attackers)
        assert held <= MAX_CONNECTIONS, f"{held} of {len(attackers)} half-sent requests are held open"
        # 3. The head deadline: by HEADER_TIMEOUT after the last one opened, none is left.
        await asyncio.sleep(max(0.0, last_opened + HEADER_TIMEOUT + SLACK - time.monotonic()))
        await settle()
        held = sum(conn.is_open for conn in attackers)
        assert held == 0, f"{held} half-sent requests still open {HEADER_TIMEOUT + SLACK} s after the deadline"
        assert await health_seconds(node.port) < FAST
    finally:
        for conn in attackers:
            conn.close()
    log = node.log.read_text()
    assert "Too many open files" not in log and "out of system resource" not in log, log[-2000:]


async def test_head_deadline_closes_silent_and_dripping_connections(node: Node) -> None:
    # Below the cap, so only the deadline can close them; the dripping ones send a byte every 0.2 s, which
    # must not push their deadline back.
    silent = [await connect(node.port, b"") for _ in range(5)]
    half = [await connect(node.port, HALF_SENT) for _ in range(5)]
    conns = [conn for conn in silent + half if conn is not None]
    assert len(conns) == 10
    started = time.monotonic()
    try:
        while time.monotonic() - started < HEADER_TIMEOUT * 0.6:
            for conn in half:
                assert conn is not None
                if conn.is_open:
                    conn.writer.write(b"a")
            await asyncio.sleep(0.2)
        assert all(conn.is_open for conn in conns), "closed before the head deadline"
        while time.monotonic() - started < HEADER_TIMEOUT + SLACK:
            for conn in half:
                assert conn is not None
                if conn.is_open:
                    conn.writer.write(b"a")
            await asyncio.sleep(0.2)
        await settle()
        assert not any(conn.is_open for conn in conns), "still open after the head deadline"
    finally:
        for conn in conns:
            conn.close()


async def test_a_dripped_body_is_answered_408_after_the_body_deadline(node: Node) -> None:
    head = (b"POST /credentials/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n")
    conn = await connect(node.port, head + b'{"verifiableCredential": ')
    assert conn is not None
    started = time.monotonic()
    try:
        async def drip() -> None:
            while True:
                await asyncio.sleep(0.2)
                conn.writer.write(b" ")

        dripper = asyncio.create_task(drip())
        try:
            status_line = await asyncio.wait_for(conn.reader.readline(), BODY_TIMEOUT + SLACK + 1.0)
        except TimeoutError:
            pytest.fail(f"no answer {BODY_TIMEOUT + SLACK + 1.0} s into a dripped body")
        finally:
            dripper.cancel()
        elapsed = time.monotonic() - started
        assert status_line.startswith(b"HTTP/1.1 408"), status_line
        assert BODY_TIMEOUT * 0.9 <= elapsed < BODY_TIMEOUT + SLACK + 1.0
        headers = await asyncio.wait_for(conn.reader.readuntil(b"\r\n\r\n"), 1.0)
        assert b"application/problem+json" in headers
        length = int(next(line.split(b":", 1)[1] for line in headers.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")))
        problem = orjson.loads(await asyncio.wait_for(conn.reader.readexactly(length), 1.0))
        assert (problem["status"], problem["code"]) == (408, "requestTimeout"), problem
    finally:
        conn.close()
    assert await health_seconds(node.port) < FAST


async def test_an_idle_kept_alive_connection_is_closed_after_the_keepalive_timeout(node: Node) -> None:
    conn = await connect(node.port, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert conn is not None
    try:
        assert (await asyncio.wait_for(conn.reader.readline(), FAST)).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        await asyncio.wait_for(conn.reader.read(), KEEPALIVE_TIMEOUT + SLACK + 1.0)  # the rest, then EOF
        elapsed = time.monotonic() - started
        assert KEEPALIVE_TIMEOUT * 0.9 <= elapsed < KEEPALIVE_TIMEOUT + SLACK + 1.0
    except TimeoutError:
        pytest.fail(f"an idle kept-alive connection was still open {KEEPALIVE_TIMEOUT + SLACK + 1.0} s later")
    finally:
        conn.close()

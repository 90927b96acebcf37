"""``vcnode serve --workers N``: N worker processes serving one port, and the parent that supervises them.

Each worker is a fresh ``python -m vcnode serve --worker-of PARENT`` (a re-exec, not a fork: nothing of the
parent's event loop, store connections or threads is inherited). It opens the node itself and listens on the
same host and port with ``SO_REUSEPORT``, so the kernel spreads new connections over the workers' listeners
and a dead worker's listener simply leaves the group. Everything the workers share is in the node directory:
the store, the background-work election (:mod:`vcnode.background.election`: one worker owns the node's loops,
the others are standbys) and the metrics files, which the parent prepares once before any worker starts.

The parent serves nothing. It starts the workers, restarts one that exits unexpectedly (after a backoff that
grows while it keeps failing), stops them all with SIGTERM on SIGTERM/SIGINT, and gives up with an error when
a worker fails again and again before it is ready to serve (a bad setting, a port in use). A worker says it is
ready by writing :data:`READY_LINE` on its stdout (a pipe to the parent), and exits by itself when its parent
is gone (it watches its parent pid), so a SIGKILLed parent leaves no workers behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from vcnode import metrics
from vcnode.config import Config
from vcnode.errors import ConfigError

log = logging.getLogger(__name__)

#: What a worker writes on its stdout once it listens.
READY_LINE = b"vcnode-worker-ready\n"
#: Consecutive failures before ready after which the parent gives up.
MAX_START_FAILURES = 3
#: Restart delays: the first, doubled after each failure before ready, up to the last.
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 15.0
#: How long a worker may take to stop after SIGTERM (finishing its requests) before it is killed.
STOP_GRACE = 30.0
#: How often a worker checks that its parent is still there.
PARENT_CHECK_INTERVAL = 1.0


class WorkersFailed(Exception):
    """The workers keep failing before they are ready to serve."""


def check_reuse_port(host: str, port: int) -> None:
    """Refuse (``ConfigError``) when ``SO_REUSEPORT`` is unavailable or ``host:port`` cannot be bound with it
    (e.g. another program listens there): one clear line before any worker starts, rather than N workers
    failing the same way."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise ConfigError("--workers above 1 needs SO_REUSEPORT, which this platform lacks: serve with 1 worker")
    try:
        addresses = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as sock:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            except OSError:
                raise ConfigError("--workers above 1 needs SO_REUSEPORT, which this system refuses: serve with "
                                  "1 worker") from None
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)  # as asyncio's create_server does
            try:
                sock.bind(address)
            except OSError as exc:
                raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def prepare_metrics(config: Config) -> Path | None:
    """``<home>/metrics`` emptied once for all the workers (each one only adds its own files), or None when
    metrics are off or it cannot be prepared (each worker then serves without metrics)."""
    if not config.metrics_enabled:
        return None
    try:
        return metrics.prepare_directory(config.home)
    except OSError as exc:
        log.warning("metrics are off: %s", exc)
        return None


@dataclass(frozen=True, slots=True)
class WorkerCommand:
    """How the parent starts a worker: the same node, address and TLS files as the parent was given."""

    home: Path
    host: str
    port: int
    tls_cert: str = ""
    tls_key: str = ""
    verbose: bool = False

    def argv(self, parent: int) -> list[str]:
        """The worker's command line."""
        args = [sys.executable, "-m", "vcnode", "serve", "--home", str(Path(self.home).resolve()),
                "--host", self.host, "--port", str(self.port), "--worker-of", str(parent)]
        if self.tls_cert:
            args += ["--tls-cert", self.tls_cert, "--tls-key", self.tls_key]
        if self.verbose:
            args.append("--verbose")
        return args


class Supervisor:
    """Keeps ``count`` workers running until :meth:`stop`; :meth:`run` returns when they have all exited."""

    def __init__(self, command: WorkerCommand, count: int) -> None:
        self.command = command
        self.count = count
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Stop every worker (SIGTERM, then SIGKILL after :data:`STOP_GRACE`)."""
        self._stopping.set()

    async def run(self) -> None:
        """Run the workers; raises :class:`WorkersFailed` when one keeps failing at start (the others are
        stopped first)."""
        slots = [asyncio.create_task(self._keep(slot)) for slot in range(self.count)]
        try:
            done, _ = await asyncio.wait(slots, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                if task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            self.stop()
            await asyncio.gather(*slots, return_exceptions=True)

    async def _keep(self, slot: int) -> None:
        """Keep worker ``slot`` running: restart it when it exits unless the workers are stopping."""
        failures = 0
        while not self._stopping.is_set():
            process = await asyncio.create_subprocess_exec(
                *self.command.argv(os.getpid()), stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL)
            assert process.stdout is not None
            became_ready = asyncio.Event()
            reader = asyncio.create_task(_read_stdout(process.stdout, became_ready))
            ready_seen = False
            try:
                exited = asyncio.create_task(process.wait())
                stopping = asyncio.create_task(self._stopping.wait())
                ready = asyncio.create_task(became_ready.wait())
                try:
                    await asyncio.wait({exited, stopping, ready}, return_when=asyncio.FIRST_COMPLETED)
                    if ready.done():
                        ready_seen = True
                        failures = 0
                        log.info("worker %d (pid %d) is serving", slot + 1, process.pid)
                        await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    stopping.cancel()
                    ready.cancel()
                if not exited.done():  # the workers are stopping
                    await _terminate(process)
                    return
                code = exited.result()
            finally:
                await reader
            if self._stopping.is_set():
                return
            if not ready_seen:
                failures += 1
                if failures >= MAX_START_FAILURES:
                    raise WorkersFailed(f"worker processes keep failing at start ({_how(code)}, {failures} times in "
                                        "a row): see their errors above")
            delay = min(FIRST_BACKOFF * 2 ** failures, MAX_BACKOFF)
            log.warning("worker %d (pid %d) %s; restarting it in %.1f s", slot + 1, process.pid, _how(code), delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)


async def _read_stdout(stdout: asyncio.StreamReader, ready: asyncio.Event) -> None:
    """Note the worker's ready line; pass anything else it writes on to our stdout."""
    while line := await stdout.readline():
        if line == READY_LINE:
            ready.set()
        else:
            sys.stdout.buffer.write(line)
            sys.stdout.flush()


async def _terminate(process: asyncio.subprocess.Process) -> None:
    """SIGTERM the worker and wait for it; SIGKILL it when it has not finished within :data:`STOP_GRACE`."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), STOP_GRACE)
    except TimeoutError:
        log.warning("worker pid %d did not stop within %g s: killed", process.pid, STOP_GRACE)
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


def _how(code: int) -> str:
    return f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"


async def supervise(command: WorkerCommand, count: int) -> None:
    """Run ``count`` workers until SIGTERM/SIGINT; :class:`WorkersFailed` when they keep failing at start."""
    supervisor = Supervisor(command, count)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, supervisor.stop)
    log.info("vcnode serving on %s:%d with %d worker processes", command.host, command.port, count)
    try:
        await supervisor.run()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    log.info("all workers stopped")


async def announce_ready(ready: asyncio.Event) -> None:
    """In a worker: tell the parent (through stdout) once the worker listens."""
    await ready.wait()
    sys.stdout.buffer.write(READY_LINE)
    sys.stdout.flush()


async def exit_with_parent(parent: int) -> None:
    """In a worker: stop gracefully (as on SIGTERM) once the parent ``parent`` is gone, whatever killed it."""
    while os.getppid() == parent:
        await asyncio.sleep(PARENT_CHECK_INTERVAL)
    log.warning("the parent process %d is gone: stopping", parent)
    os.kill(os.getpid(), signal.SIGTERM)

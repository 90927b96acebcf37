"""Electing the one process of a node that runs its per-node background work.

An :class:`Election` is deliberately small — :meth:`~Election.acquire` (try, never wait), :attr:`~Election.held`,
:meth:`~Election.release` — so each store brings its own: on SQLite, :class:`LockFileElection` holds an
``fcntl.flock`` on a file in the node's home; on PostgreSQL, :class:`AdvisoryLockElection` holds a session-level
``pg_try_advisory_lock`` on a dedicated connection (``held`` turns False when that connection is lost, and the
owner stops its loops until it wins again), so processes on several hosts sharing one database elect one owner.
The lock is the kernel's (or the database's), never a row or a file's content: it is released by the process's
death however it dies, so no stale owner blocks a successor.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
from pathlib import Path
from typing import Any, Protocol

from vcnode.private_files import PRIVATE_FILE

#: The lock file in a SQLite node's home.
LOCK_FILE = "background.lock"
#: The advisory lock of a PostgreSQL node's background work (one node per database).
ADVISORY_KEY = 0x7663_6E6F_6462  # "vcnodb"

log = logging.getLogger(__name__)


class Election(Protocol):
    """Who runs a node's background work: at most one holder per node at a time."""

    @property
    def held(self) -> bool:
        """True while this process holds the election (checked between rounds: a lost lock stops the work)."""
        ...

    async def acquire(self) -> bool:
        """Try once to become (or stay) the holder, without waiting; True when this process holds it."""
        ...

    async def release(self) -> None:
        """Stop holding it (another process may take it at once). Harmless when not held."""
        ...


class LockFileElection:
    """An exclusive ``flock`` on ``<home>/background.lock``, held for as long as the file stays open.

    ``flock`` locks belong to the open file, so two elections in one process exclude each other too, and the
    kernel drops the lock when the holder exits, SIGKILL included. It works between processes of one host on a
    local file system (which is all a SQLite node supports anyway)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @classmethod
    def for_home(cls, home: Path) -> LockFileElection:
        """The election of the node in ``home``."""
        return cls(home / LOCK_FILE)

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    async def acquire(self) -> bool:
        """Take the lock if no other holder has it (non-blocking)."""
        if self._fd is not None:
            return True
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
            writable = True
        except OSError as exc:
            if exc.errno not in (errno.EROFS, errno.EACCES):
                raise
            # A read-only home (the volume turned read-only under the node): an existing file still locks.
            fd, writable = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC), False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if writable:
                os.fchmod(fd, PRIVATE_FILE)  # 0600 like every file in the node directory, whatever the umask
                # The holder's pid, for an operator looking at the file; the lock, not this content, decides.
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    async def release(self) -> None:
        """Drop the lock (closing the file releases it)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


class AdvisoryLockElection:
    """A session-level ``pg_try_advisory_lock`` held on a connection of its own, for as long as it stays open.

    PostgreSQL drops the lock when the session ends: the holder's death (SIGKILL included) or a lost
    connection frees it for another process, on this host or another. ``held`` looks at the connection, so an
    owner whose connection dropped stops its loops at the next check rather than run beside a new owner."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: Any = None

    @property
    def held(self) -> bool:
        """True while the connection holding the lock is open."""
        return self._conn is not None and not self._conn.is_closed()

    async def acquire(self) -> bool:
        """Take the lock if no other session holds it (never waits)."""
        import asyncpg

        if self.held:
            return True
        await self.release()  # a connection that dropped: its lock went with it
        try:
            conn = await asyncpg.connect(self.url, timeout=10)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("cannot reach PostgreSQL for the background election: %s", exc)
            return False
        try:
            won = await conn.fetchval("SELECT pg_try_advisory_lock($1)", ADVISORY_KEY)
        except BaseException:
            await conn.close()
            raise
        if not won:
            await conn.close()
            return False
        self._conn = conn
        return True

    async def release(self) -> None:
        """Drop the lock (closing the session releases it)."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            await conn.close()

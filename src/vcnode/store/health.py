"""Whether the node can write to its storage.

A full disk or a read-only node directory is found two ways: from the file system the database lives on
(``statvfs``: mounted read-only, or ``storage_min_free`` bytes or fewer left) before a write is tried, and
from the errors of writes that were tried (SQLite's ``SQLITE_FULL`` / ``SQLITE_READONLY``, ``ENOSPC`` /
``EROFS``). ``/ready`` reports the state, writes are refused with a 503 naming it, and each change of state
is logged once, not once per refused write.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from vcnode.errors import FULL, READ_ONLY, StorageUnavailable

log = logging.getLogger(__name__)

__all__ = ["FULL", "READ_ONLY", "StorageMonitor", "StorageUnavailable", "classify"]

_SQLITE_CODES = {sqlite3.SQLITE_FULL: FULL, sqlite3.SQLITE_READONLY: READ_ONLY}
_ERRNOS = {errno.ENOSPC: FULL, errno.EDQUOT: FULL, errno.EROFS: READ_ONLY}
#: How often a failed state is re-checked with a real write (when the file system itself looks fine).
PROBE_SECONDS = 1.0


def classify(exc: BaseException | None) -> str | None:
    """``storageFull`` or ``storageReadOnly`` when ``exc`` or an exception it was raised from says so."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, StorageUnavailable):
            return exc.code
        if isinstance(exc, sqlite3.Error):
            code = getattr(exc, "sqlite_errorcode", None)
            if isinstance(code, int) and code & 0xFF in _SQLITE_CODES:  # extended codes carry the primary below
                return _SQLITE_CODES[code & 0xFF]
        if isinstance(exc, OSError) and exc.errno in _ERRNOS:
            return _ERRNOS[exc.errno]
        exc = exc.__cause__ or exc.__context__
    return None


class StorageMonitor:
    """The storage state of one database's directory; ``min_free`` is the free space (bytes) at or below
    which the disk counts as full."""

    def __init__(self, directory: Path, min_free: int = 0) -> None:
        self.directory = directory
        self.min_free = min_free
        self._failed: str | None = None  # what the last write that failed said, until a write succeeds
        self._reported: str | None = None  # the state last logged
        self._probed = 0.0

    def file_system(self) -> str | None:
        """What ``statvfs`` says of the directory: read-only, full, or None (looks writable)."""
        try:
            info = os.statvfs(self.directory)
        except OSError:
            return None
        if info.f_flag & os.ST_RDONLY:
            return READ_ONLY
        if info.f_bavail * info.f_frsize <= self.min_free or (info.f_files and not info.f_favail):
            return FULL
        return None

    def state(self) -> str | None:
        """The current problem (``storageFull`` / ``storageReadOnly``) or None."""
        return self.file_system() or self._failed

    def guard(self) -> None:
        """Before a write: raise :class:`StorageUnavailable` when the file system is read-only or full, so the
        write is not tried. (A state known only from a failed write does not refuse: the next write is the
        check that it has cleared.)"""
        code = self.file_system()
        if code is not None:
            self._report(code)
            raise StorageUnavailable(code)

    def failed(self, exc: BaseException) -> StorageUnavailable | None:
        """After a write failed with ``exc``: the error to answer with when it was the storage, else None."""
        code = classify(exc)
        if code is None:
            return None
        self._failed = code
        self._report(code)
        return StorageUnavailable(code)

    def succeeded(self) -> None:
        """After a write was committed."""
        if self._failed is not None or self._reported is not None:
            self._failed = None
            self._report(None)

    async def check(self, probe: Callable[[], Awaitable[None]]) -> str | None:
        """The state for a readiness check. When only a failed write says the storage is unusable, a write
        (``probe``, at most every :data:`PROBE_SECONDS`) checks whether it still is."""
        code = self.file_system()
        if code is not None:
            self._report(code)
            return code
        if self._failed is not None and time.monotonic() - self._probed >= PROBE_SECONDS:
            self._probed = time.monotonic()
            with contextlib.suppress(StorageUnavailable):  # the failure is recorded by the store
                await probe()
        if self._failed is None:
            self._report(None)
        return self._failed

    def _report(self, code: str | None) -> None:
        """Log a change of state, once."""
        if code == self._reported:
            return
        if code is None:
            log.warning("storage at %s is writable again", self.directory)
        else:
            log.error("%s (%s at %s); writes are refused with 503 until it clears",
                      StorageUnavailable(code).detail, code, self.directory)
        self._reported = code

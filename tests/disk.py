"""Real storage faults for tests: a small tmpfs mounted by the test itself (CI runs as root), filled up or
remounted read-only, and unmounted afterwards."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _mount(*args: str) -> None:
    result = subprocess.run(["mount", *args], capture_output=True, text=True)
    if result.returncode:
        pytest.fail(f"mount {' '.join(args)} failed (these tests need root, as CI has): {result.stderr.strip()}")


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (e.g. ``8m``) mounted at ``path`` for the duration."""
    path.mkdir()
    _mount("-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path))
    try:
        yield path
    finally:
        # Lazy: a server killed a moment ago may not have let go of it yet.
        subprocess.run(["umount", "--lazy", str(path)], capture_output=True)


def remount(path: Path, mode: str) -> None:
    """Remount the tmpfs at ``path`` ``ro`` or ``rw`` (no file on it may be open for writing)."""
    _mount("-o", f"remount,{mode}", str(path))


def fill(path: Path, leave: int) -> Path:
    """Take all the free space of the file system at ``path`` but ``leave`` bytes; the filler file."""
    info = os.statvfs(path)
    filler = path / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.posix_fallocate(fd, 0, info.f_bavail * info.f_frsize - leave)
    finally:
        os.close(fd)
    return filler

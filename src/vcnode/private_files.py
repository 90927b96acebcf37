"""The node directory is private: the directory 0700 and every file the node writes in it 0600, whatever
the process umask, because it holds learner data, token hashes and (with a plaintext key store) signing seeds.

Modes are set explicitly (``fchmod``/``chmod``) rather than left to ``open``'s mode argument, which the umask
only ever narrows and which an existing file ignores.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """Create the directory ``path`` (and missing parents) when needed and make it 0700."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR)
    return path


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (an existing one is made 0600, its content kept).

    For files another library then fills: SQLite gives a database's ``-wal`` and ``-shm`` files the mode of the
    database file, so a 0600 database keeps its journals private too.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)


@contextmanager
def replacing_privately(path: Path) -> Iterator[BinaryIO]:
    """A binary file to write that replaces ``path`` when the block ends, mode 0600: a new file beside it,
    flushed to disk, then renamed over it, so a crash never leaves a half-written file and the old mode never
    survives; if the block raises, the new file is removed and ``path`` is untouched. A symlink is kept: its
    target is replaced."""
    target = Path(os.path.realpath(path))
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_private(path: Path, data: bytes) -> Path:
    """Replace the file ``path`` with ``data``, mode 0600 (see :func:`replacing_privately`)."""
    with replacing_privately(path) as handle:
        handle.write(data)
    return path


def tighten(path: Path) -> None:
    """Make an existing directory 0700 or file 0600 when group or others have any access (a node directory
    created before modes were enforced, or by hand); a warning when that is not permitted."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if not mode & (stat.S_IRWXG | stat.S_IRWXO):
        return
    wanted = PRIVATE_DIR if stat.S_ISDIR(mode) else PRIVATE_FILE
    try:
        os.chmod(path, wanted)
    except OSError as exc:
        log.warning("%s is readable by other users (mode %o) and could not be made %o: %s", path,
                    stat.S_IMODE(mode), wanted, exc.strerror)
    else:
        log.warning("%s was readable by other users (mode %o); made it %o", path, stat.S_IMODE(mode), wanted)

"""Backups of a node directory: one archive file (a manifest, ``config.toml`` and a consistent snapshot of each
store), and restoring one into a new node directory.

:mod:`vcnode.backup.archive` writes and reads the archive; each store kind, named by the manifest's ``store.kind``,
has a module that snapshots and checks it: :mod:`vcnode.backup.sqlite` (SQLite's online backup API) and
:mod:`vcnode.backup.postgres` (``pg_dump``/``pg_restore``).
"""

from vcnode.errors import VcnodeError


class BackupError(VcnodeError):
    """A backup could not be made, or an archive cannot be restored."""

    code = "backupError"

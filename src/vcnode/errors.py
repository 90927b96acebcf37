"""Domain errors shared by every package.

Each error carries a stable machine-readable ``code`` and an HTTP ``status`` so the HTTP layer can turn it
into an RFC 9457 problem and the CLI into a one-line message, without either knowing the domain.
"""

from __future__ import annotations

from typing import Any


class VcnodeError(Exception):
    """Base class for errors that are reported to users rather than crashing."""

    code: str = "error"
    status: int = 400
    title: str = "Request failed"

    def __init__(self, detail: str, *, code: str | None = None, status: int | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.extra = extra or {}


class ConfigError(VcnodeError):
    """The node's configuration is missing or invalid."""

    code = "configError"
    title = "Configuration error"


class NotFound(VcnodeError):
    """A named object does not exist."""

    code = "notFound"
    status = 404
    title = "Not found"


class Conflict(VcnodeError):
    """The request conflicts with the current state."""

    code = "conflict"
    status = 409
    title = "Conflict"


class InvalidInput(VcnodeError):
    """The caller's input is malformed."""

    code = "invalidInput"
    status = 400
    title = "Invalid input"


class KeystoreError(VcnodeError):
    """The key store cannot be opened (wrong passphrase, missing passphrase, corrupt data)."""

    code = "keystoreError"
    status = 503
    title = "Key store unavailable"


class FetchError(VcnodeError):
    """An outbound fetch was refused or failed (timeout, size cap, private address, bad status)."""

    code = "fetchError"
    status = 502
    title = "Upstream fetch failed"


FULL = "storageFull"
READ_ONLY = "storageReadOnly"
_STORAGE_DETAIL = {FULL: "the node's disk is full: nothing can be stored until space is freed",
                   READ_ONLY: "the node's storage is read-only: nothing can be stored until it is writable again"}


class StorageUnavailable(VcnodeError):
    """A write cannot be stored: the disk is full (``storageFull``) or read-only (``storageReadOnly``). Raised
    by the store (:mod:`vcnode.store.health`); whoever writes may meet it."""

    status = 503
    title = "Storage unavailable"

    def __init__(self, code: str) -> None:
        super().__init__(_STORAGE_DETAIL[code], code=code)

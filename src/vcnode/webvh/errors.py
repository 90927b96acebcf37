"""The one error type of did:webvh processing: a named reason plus the DID Resolution error it maps to."""

from __future__ import annotations

from vcnode.did.resolution import INVALID_DID, NOT_FOUND
from vcnode.errors import VcnodeError


class WebvhError(VcnodeError):
    """A DID, log, parameter, proof or version selection that fails a did:webvh rule.

    ``code`` names the rule (``entryHashMismatch``, ``unauthorizedKey``…); ``resolution_error`` is the DID
    Resolution error code: the spec asks for ``invalidDid`` whenever verification fails and ``notFound``
    when a requested version does not exist.
    """

    code = "invalidDidLog"
    status = 422
    title = "Invalid did:webvh log"

    def __init__(self, code: str, detail: str, *, resolution_error: str = INVALID_DID) -> None:
        super().__init__(detail, code=code)
        self.resolution_error = resolution_error

    @property
    def message(self) -> str:
        """``<code>: <detail>``, the form used in resolution results."""
        return f"{self.code}: {self.detail}"


def not_found(detail: str) -> WebvhError:
    """A requested version that the log does not hold."""
    return WebvhError("versionNotFound", detail, resolution_error=NOT_FOUND)

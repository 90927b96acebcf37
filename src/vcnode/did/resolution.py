"""The DID Resolution result shape and its error codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RESOLUTION_CONTEXT = "https://w3id.org/did-resolution/v1"
DID_LD_JSON = "application/did+ld+json"
DID_JSON = "application/did+json"
RESOLUTION_MEDIA_TYPE = 'application/ld+json;profile="https://w3id.org/did-resolution"'

# Error codes of the DID Resolution specification that this resolver produces.
INVALID_DID = "invalidDid"
INVALID_DID_URL = "invalidDidUrl"
NOT_FOUND = "notFound"
METHOD_NOT_SUPPORTED = "methodNotSupported"
REPRESENTATION_NOT_SUPPORTED = "representationNotSupported"
INVALID_DID_DOCUMENT = "invalidDidDocument"
INTERNAL_ERROR = "internalError"
# did:key specification: a valid key of a type this resolver does not implement; a multicodec that names no
# public key type; key bytes of the wrong length for their type; bytes that are not a key (not a curve point).
UNSUPPORTED_PUBLIC_KEY_TYPE = "unsupportedPublicKeyType"
INVALID_PUBLIC_KEY_TYPE = "invalidPublicKeyType"
INVALID_PUBLIC_KEY_LENGTH = "invalidPublicKeyLength"
INVALID_PUBLIC_KEY = "invalidPublicKey"

# HTTP status per error for the DID Resolution HTTP(S) binding. Upstream faults (a did:web host that is
# down or serves garbage) are 502: the request was fine, the server it depends on was not.
HTTP_STATUS: dict[str, int] = {
    INVALID_DID: 400,
    INVALID_DID_URL: 400,
    INVALID_PUBLIC_KEY_TYPE: 400,
    INVALID_PUBLIC_KEY_LENGTH: 400,
    INVALID_PUBLIC_KEY: 400,
    NOT_FOUND: 404,
    REPRESENTATION_NOT_SUPPORTED: 406,
    METHOD_NOT_SUPPORTED: 501,
    UNSUPPORTED_PUBLIC_KEY_TYPE: 501,
    INVALID_DID_DOCUMENT: 502,
    INTERNAL_ERROR: 502,
}


class ResolutionError(Exception):
    """Raised by drivers (and the core) to end a resolution with a DID Resolution error code.

    ``permanent`` says whether the error is a fact about the DID string that may be cached; None leaves it
    to the code (``invalidDid``, ``methodNotSupported`` and the did:key public key errors are). A driver sets
    False for an ``invalidDid`` that depends on what a server published, which may be fixed.
    """

    def __init__(self, code: str, message: str, *, permanent: bool | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class DriverResult:
    """What a method driver returns: the document, its metadata and how long it may be cached.

    ``document`` is None only for a deactivated DID whose method withholds the document
    (``document_metadata["deactivated"]`` is then true)."""

    document: dict[str, Any] | None
    document_metadata: dict[str, Any] = field(default_factory=dict)
    cache_ttl: float | None = None  # seconds; None = the resolver's default, 0 = do not cache


@dataclass(frozen=True, slots=True)
class Resolution:
    """A DID Resolution result. Treat it as read-only: cached results are shared between callers."""

    did_document: dict[str, Any] | None
    resolution_metadata: dict[str, Any]
    document_metadata: dict[str, Any]

    @property
    def error(self) -> str | None:
        """The error code, or None on success."""
        return self.resolution_metadata.get("error")

    @classmethod
    def failure(cls, code: str, message: str) -> Resolution:
        """A result that carries only an error."""
        return cls(None, {"error": code, "errorMessage": message}, {})

    def to_json(self) -> dict[str, Any]:
        """The resolution result as JSON (``application/ld+json;profile=…did-resolution``)."""
        return {"@context": RESOLUTION_CONTEXT, "didDocument": self.did_document,
                "didResolutionMetadata": self.resolution_metadata,
                "didDocumentMetadata": self.document_metadata}

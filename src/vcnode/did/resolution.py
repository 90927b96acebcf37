"""The DID Resolution result shape and its error codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RESOLUTION_CONTEXT = "https://w3id.org/did-resolution/v1"
DID_LD_JSON = "application/did+ld+json"
DID_JSON = "application/did+json"
RESOLUTION_MEDIA_TYPE = 'application/ld+json;profile="https://w3id.org/did-resolution"'
# The current DID Resolution specification: its result media types, the DID document media type of DID 1.1
# and the media type of a list of selected service endpoint URLs.
DID_RESOLUTION = "application/did-resolution"
DID_URL_DEREFERENCING = "application/did-url-dereferencing"
DID_MEDIA_TYPE = "application/did"
URI_LIST = "text/uri-list"
# Error ``type`` URIs of the current specification: its names, prefixed with this namespace.
DID_ERROR_NAMESPACE = "https://www.w3.org/ns/did#"

# Error codes of the DID Resolution specification that this resolver produces.
INVALID_DID = "invalidDid"
INVALID_DID_URL = "invalidDidUrl"
NOT_FOUND = "notFound"
METHOD_NOT_SUPPORTED = "methodNotSupported"
REPRESENTATION_NOT_SUPPORTED = "representationNotSupported"
INVALID_DID_DOCUMENT = "invalidDidDocument"
INTERNAL_ERROR = "internalError"
INVALID_OPTIONS = "invalidOptions"
FEATURE_NOT_SUPPORTED = "featureNotSupported"
# did:key specification: a valid key of a type this resolver does not implement; a multicodec that names no
# public key type; key bytes of the wrong length for their type; bytes that are not a key (not a curve point).
UNSUPPORTED_PUBLIC_KEY_TYPE = "unsupportedPublicKeyType"
INVALID_PUBLIC_KEY_TYPE = "invalidPublicKeyType"
INVALID_PUBLIC_KEY_LENGTH = "invalidPublicKeyLength"
INVALID_PUBLIC_KEY = "invalidPublicKey"

# Each string code with the error of the current specification it is reported as (``type`` is the namespace
# plus the name) and a short title. The did:key errors are kinds of the specification's: a key that cannot
# be what the DID says it is makes the DID invalid; a key type not implemented here is a missing feature.
_SPEC_ERRORS: dict[str, tuple[str, str]] = {
    INVALID_DID: ("INVALID_DID", "Invalid DID"),
    INVALID_DID_URL: ("INVALID_DID_URL", "Invalid DID URL"),
    INVALID_OPTIONS: ("INVALID_OPTIONS", "Invalid options"),
    NOT_FOUND: ("NOT_FOUND", "Not found"),
    REPRESENTATION_NOT_SUPPORTED: ("REPRESENTATION_NOT_SUPPORTED", "Representation not supported"),
    INVALID_DID_DOCUMENT: ("INVALID_DID_DOCUMENT", "Invalid DID document"),
    METHOD_NOT_SUPPORTED: ("METHOD_NOT_SUPPORTED", "DID method not supported"),
    FEATURE_NOT_SUPPORTED: ("FEATURE_NOT_SUPPORTED", "Feature not supported"),
    INTERNAL_ERROR: ("INTERNAL_ERROR", "Internal error"),
    INVALID_PUBLIC_KEY_TYPE: ("INVALID_DID", "Invalid public key type"),
    INVALID_PUBLIC_KEY_LENGTH: ("INVALID_DID", "Invalid public key length"),
    INVALID_PUBLIC_KEY: ("INVALID_DID", "Invalid public key"),
    UNSUPPORTED_PUBLIC_KEY_TYPE: ("FEATURE_NOT_SUPPORTED", "Unsupported public key type"),
}

# HTTP status per error type: the table of the DID Resolution HTTP(S) binding, except that the two upstream
# faults (a did:web host that is down or serves garbage) are 502 where the table says 500: the request was fine,
# the server it depends on was not, and this node never answers 5xx for its own sake (no type falls to 500).
_SPEC_STATUS: dict[str, int] = {
    "INVALID_DID": 400, "INVALID_DID_URL": 400, "INVALID_OPTIONS": 400, "NOT_FOUND": 404,
    "REPRESENTATION_NOT_SUPPORTED": 406, "INVALID_DID_DOCUMENT": 502, "METHOD_NOT_SUPPORTED": 501,
    "FEATURE_NOT_SUPPORTED": 501, "INTERNAL_ERROR": 502,
}
HTTP_STATUS: dict[str, int] = {code: _SPEC_STATUS[name] for code, (name, _) in _SPEC_ERRORS.items()}


def error_type(code: str, override: str | None = None) -> str:
    """The specification's error ``type`` URI for a string code (``override``: a name such as INVALID_OPTIONS
    chosen by whoever raised the error)."""
    name = override or _SPEC_ERRORS.get(code, (code, ""))[0]
    return name if ":" in name else DID_ERROR_NAMESPACE + name


def error_object(code: str, message: str, override: str | None = None) -> dict[str, Any]:
    """The RFC 9457 error object of the current specification. ``code`` stays beside it as an extension member
    (RFC 9457 §3.2) so the string code of the older drafts and of the did:key specification remains readable."""
    title = _SPEC_ERRORS.get(code, ("", code))[1] or code
    return {"type": error_type(code, override), "title": title, "detail": message, "code": code}


def http_status(code: str, override: str | None = None) -> int:
    """The HTTP status the binding prescribes for an error."""
    return _SPEC_STATUS.get(error_type(code, override).removeprefix(DID_ERROR_NAMESPACE), 502)


class ResolutionError(Exception):
    """Raised by drivers (and the core) to end a resolution with a DID Resolution error code.

    ``permanent`` says whether the error is a fact about the DID string that may be cached; None leaves it
    to the code (``invalidDid``, ``methodNotSupported`` and the did:key public key errors are). A driver sets
    False for an ``invalidDid`` that depends on what a server published, which may be fixed.
    """

    def __init__(self, code: str, message: str, *, permanent: bool | None = None,
                 error_type: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.permanent = permanent
        # The specification's error name when it is not the code's usual one (e.g. INVALID_OPTIONS for a
        # did:key ``invalidPublicKeyType`` caused by the publicKeyFormat option rather than by the DID).
        self.error_type = error_type


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
    def failure(cls, code: str, message: str, error_type: str | None = None) -> Resolution:
        """A result that carries only an error (``error_type``: see :class:`ResolutionError`)."""
        metadata = {"error": code, "errorMessage": message}
        if error_type is not None:
            metadata["errorType"] = error_type
        return cls(None, metadata, {})

    def to_json(self) -> dict[str, Any]:
        """The resolution result in the older draft's form (``application/ld+json;profile=…did-resolution``, the
        Universal Resolver's): ``error`` is a string code with an ``errorMessage``."""
        return {"@context": RESOLUTION_CONTEXT, "didDocument": self.did_document,
                "didResolutionMetadata": self.resolution_metadata,
                "didDocumentMetadata": self.document_metadata}

    def to_spec_json(self) -> dict[str, Any]:
        """The resolution result of the current specification (``application/did-resolution``): ``error`` is an
        error object, and ``contentType`` the DID 1.1 media type of the document."""
        return {"didDocument": self.did_document,
                "didResolutionMetadata": spec_metadata(self.resolution_metadata, DID_MEDIA_TYPE),
                "didDocumentMetadata": self.document_metadata}


def spec_metadata(metadata: dict[str, Any], content_type: str | None) -> dict[str, Any]:
    """Resolution or dereferencing metadata in the current specification's form: an error object instead of the
    ``error``/``errorMessage``/``errorType`` strings; ``content_type`` replaces a document's media type."""
    out = {k: v for k, v in metadata.items() if k not in ("error", "errorMessage", "errorType")}
    code = metadata.get("error")
    if code is not None:
        out["error"] = error_object(code, metadata.get("errorMessage", code), metadata.get("errorType"))
    elif content_type is not None and out.get("contentType") in (DID_LD_JSON, DID_JSON, None):
        out["contentType"] = content_type
    return out


@dataclass(frozen=True, slots=True)
class Dereferencing:
    """A DID URL dereferencing result: the content (a DID document, a verification method or service, or the
    selected service endpoint URLs as ``text/uri-list``), its metadata and the dereferencing metadata."""

    content: Any
    metadata: dict[str, Any]
    content_metadata: dict[str, Any]

    @property
    def error(self) -> str | None:
        """The error code, or None on success."""
        return self.metadata.get("error")

    @property
    def content_type(self) -> str | None:
        """The media type of the content."""
        return self.metadata.get("contentType")

    @classmethod
    def failure(cls, code: str, message: str, error_type: str | None = None) -> Dereferencing:
        """A result that carries only an error."""
        return cls(None, Resolution.failure(code, message, error_type).resolution_metadata, {})

    def to_json(self) -> dict[str, Any]:
        """The dereferencing result of the current specification (``application/did-url-dereferencing``)."""
        return {"dereferencingMetadata": spec_metadata(self.metadata, DID_MEDIA_TYPE),
                "contentStream": self.content, "contentMetadata": self.content_metadata}

    def to_legacy_json(self) -> dict[str, Any]:
        """The older drafts' form, served as ``application/ld+json;profile=…did-resolution`` beside resolution
        results: the content under ``didDocument`` and ``didDereferencingMetadata`` with a string ``error``."""
        return {"@context": RESOLUTION_CONTEXT, "didDocument": self.content,
                "didDereferencingMetadata": self.metadata, "didDocumentMetadata": self.content_metadata}

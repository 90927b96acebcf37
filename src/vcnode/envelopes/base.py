"""The envelope plug-in interface: a credential format secures a VC/VP JSON document as a whole (JOSE, SD-JWT,
COSE) and is carried in VC 2.0 as an ``EnvelopedVerifiableCredential`` / ``EnvelopedVerifiablePresentation``
whose ``id`` is a ``data:`` URL (RFC 2397) holding the secured bytes.

A format (:class:`EnvelopeFormat`) seals a document with the node's signing key and opens an envelope into the
document it secures and who signed it (:class:`Opened`); refusals are :class:`EnvelopeError` with a named
``code``. This module also builds and parses the ``data:`` URLs, with a size limit checked before decoding.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from urllib.parse import quote, unquote

from vcnode.did.resolver import Resolver
from vcnode.errors import InvalidInput
from vcnode.keys.public import PublicKey
from vcnode.keys.signer import SigningKey

V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
ENVELOPED_CREDENTIAL = "EnvelopedVerifiableCredential"
ENVELOPED_PRESENTATION = "EnvelopedVerifiablePresentation"
Kind = Literal["credential", "presentation"]
ENVELOPE_TYPES: dict[str, str] = {"credential": ENVELOPED_CREDENTIAL, "presentation": ENVELOPED_PRESENTATION}

MALFORMED_DATA_URL = "malformedDataUrl"  # not data:<media type>[;base64],<data>, or undecodable
UNSUPPORTED_MEDIA_TYPE = "unsupportedMediaType"  # no registered format opens (or seals) this media type
ENVELOPE_TOO_LARGE = "envelopeTooLarge"  # the data: URL is longer than the limit, refused before decoding
INVALID_ENVELOPE = "invalidEnvelope"  # the secured bytes are not what the media type says (typ, cty, claims)
ISSUER_MISMATCH = "issuerMismatch"  # the signer (kid's DID, iss) is not the credential's issuer
HOLDER_MISMATCH = "holderMismatch"  # the signer (kid's DID, iss) is not the presentation's holder
EXPIRED = "expired"  # the JWT's exp (the signature's expiry) has passed
NOT_YET_VALID = "notYetValid"  # the JWT's nbf or iat is in the future
#: Clock difference allowed on a JWT's exp, nbf and iat (seconds).
CLOCK_SKEW = 60.0


class EnvelopeError(InvalidInput):
    """An envelope that cannot be made or opened; ``code`` is one of this module's constants or a JOSE/COSE
    code (``invalidSignature``, ``kidMismatch``, ...)."""

    code = INVALID_ENVELOPE
    title = "Invalid envelope"


@dataclass(frozen=True)
class Opened:
    """An opened envelope: the secured VC/VP JSON and who signed it (the key, the DID verification method it
    came from and that method's controller). A format with holder key binding (SD-JWT) also gives
    ``key_binding``, the claims of the verified key-binding JWT (``aud``, ``nonce``, ``iat``; None when none was
    presented), and ``binds_holder_key``: the document names a holder key (``cnf``), so a verifier asking for a
    challenge or domain must be answered by a key-binding JWT."""

    media_type: str
    document: dict[str, Any]
    key: PublicKey
    verification_method: str | None
    controller: str | None
    key_binding: dict[str, Any] | None = None
    binds_holder_key: bool = False


class EnvelopeFormat(ABC):
    """A plug-in securing whole documents in one or more media types (registered in the
    ``vcnode.credential_formats`` entry-point group, see :mod:`vcnode.envelopes`)."""

    #: The media types it seals and opens, e.g. ``("application/vc+jwt", "application/vp+jwt")``.
    media_types: ClassVar[tuple[str, ...]]
    #: True when :meth:`seal` returns base64 of binary data (COSE): the data: URL then says ``;base64``.
    binary: ClassVar[bool] = False

    @abstractmethod
    def seal(self, document: dict[str, Any], signing_key: SigningKey, *, media_type: str, **options: Any) -> str:
        """``document`` secured as ``media_type`` by ``signing_key``: the text after the comma of the
        ``data:`` URL (binary formats return base64)."""

    @abstractmethod
    async def open(self, data: str, media_type: str, resolver: Resolver, *, max_bytes: int) -> Opened:
        """Verify the secured ``data`` (the text after the comma, percent-decoded unless the URL says
        ``;base64``) and return what it secures; :class:`EnvelopeError` (or a JOSE/COSE error) otherwise."""


@dataclass(frozen=True)
class DataUrl:
    """A parsed ``data:`` URL: the media type (lower case, without parameters), its parameters, whether the
    data is base64, and the data (percent-decoded when not base64)."""

    media_type: str
    parameters: tuple[str, ...]
    base64: bool
    data: str


def data_url(media_type: str, data: str, *, base64: bool = False) -> str:
    """``data:<media_type>[;base64],<data>``; characters outside the URL-safe set are percent-encoded (a compact
    JWS or base64 needs none)."""
    return f"data:{media_type}{';base64' if base64 else ''},{quote(data, safe='-._~+/=')}"


def parse_data_url(url: object, *, max_bytes: int) -> DataUrl:
    """Parse ``url`` (RFC 2397); :class:`EnvelopeError` ``envelopeTooLarge`` when it is longer than
    ``max_bytes`` (checked first), ``malformedDataUrl`` when it is not a data: URL with a media type."""
    if not isinstance(url, str):
        raise EnvelopeError("an enveloped document's id must be a data: URL string", code=MALFORMED_DATA_URL)
    if len(url) > max_bytes:
        raise EnvelopeError(f"the data: URL is longer than {max_bytes} bytes", code=ENVELOPE_TOO_LARGE)
    if not url[:5].lower() == "data:" or "," not in url:
        raise EnvelopeError("an enveloped document's id must be data:<media type>[;base64],<data>",
                            code=MALFORMED_DATA_URL)
    head, data = url[5:].split(",", 1)
    media_type, *parameters = [part.strip() for part in head.split(";")]
    encoded = bool(parameters) and parameters[-1].lower() == "base64"
    if encoded:
        parameters.pop()
    media_type = media_type.lower()
    if media_type.count("/") != 1 or not all(media_type.split("/")):
        raise EnvelopeError(f"the data: URL names no media type ({head[:80]!r})", code=MALFORMED_DATA_URL)
    if not data:
        raise EnvelopeError("the data: URL carries no data", code=MALFORMED_DATA_URL)
    try:
        text = data if encoded else unquote(data, errors="strict")
    except UnicodeDecodeError:
        raise EnvelopeError("the data: URL's data is not UTF-8 once percent-decoded", code=MALFORMED_DATA_URL) \
            from None
    return DataUrl(media_type, tuple(parameters), encoded, text)


def check_times(claims: dict[str, Any], now: float, *, strict: bool = True) -> None:
    """A JWT's ``exp``, ``nbf`` and ``iat`` (the signature's validity, not the credential's): ``expired`` /
    ``notYetValid`` outside them. One that is not a NumericDate is ``invalidEnvelope`` when ``strict``, else
    ignored: in VC-JOSE-COSE the payload is the credential, whose own members "not understood MUST be ignored"
    (the W3C test suite's credentials carry ``iat`` as a dateTime string)."""
    times: dict[str, float] = {}
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if value is None:
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            times[name] = value
        elif strict:
            raise EnvelopeError(f"{name} must be a NumericDate (seconds since 1970)", code=INVALID_ENVELOPE)
    if "exp" in times and times["exp"] + CLOCK_SKEW < now:
        raise EnvelopeError("the envelope's signature has expired (exp)", code=EXPIRED)
    for name in ("nbf", "iat"):
        if name in times and times[name] > now + CLOCK_SKEW:
            raise EnvelopeError(f"the envelope's signature is not valid yet ({name})", code=NOT_YET_VALID)


def full_media_type(name: str) -> str:
    """``vc+jwt`` → ``application/vc+jwt``; a full media type is returned lower-cased."""
    name = name.strip().lower()
    return name if "/" in name else f"application/{name}"

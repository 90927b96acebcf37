"""``application/vc+cose`` and ``application/vp+cose`` (W3C VC-JOSE-COSE §3.3): a credential or presentation as
the JSON payload of a COSE_Sign1.

The protected header carries ``alg`` (from the signing key), ``kid`` (the verification method, a DID URL, as
bytes), ``typ`` (16) ``application/vc+cose`` and content type (3) ``application/vc`` (``vp`` alike). Envelopes
travel as base64 text, the part after the comma of a ``data:application/vc+cose;base64,`` URL.

Opening one resolves the ``kid`` through the DID resolver: it must be a key of the credential's issuer (or the
presentation's holder) listed under ``assertionMethod`` (``authentication`` for a presentation). A ``typ`` or
content type naming another media type, or a payload that is not the document the media type says, is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from vcnode.did.resolution import ResolutionError
from vcnode.did.resolver import Resolver
from vcnode.envelope_formats import cose_sign1
from vcnode.envelopes.base import EnvelopeError, EnvelopeFormat, Opened
from vcnode.errors import VcnodeError
from vcnode.jose.did import resolve_kid
from vcnode.jose.errors import MISSING_KID, VERIFICATION_METHOD_NOT_FOUND
from vcnode.keys.public import PublicKey
from vcnode.keys.signer import SigningKey

VC_COSE = "application/vc+cose"
VP_COSE = "application/vp+cose"
# media type → (the content type its payload is, the document type it must be, the key's relationship).
_KINDS: dict[str, tuple[str, str, str]] = {
    VC_COSE: ("application/vc", "VerifiableCredential", "assertionMethod"),
    VP_COSE: ("application/vp", "VerifiablePresentation", "authentication")}
MEDIA_TYPE_MISMATCH = "mediaTypeMismatch"  # typ / content type name another media type than the one asked for
INVALID_BASE64 = "invalidBase64"  # the envelope text is not base64
INVALID_PAYLOAD = "invalidPayload"  # the payload is not a JSON object of the document type the media type says
UNSECURED_CREDENTIAL = "unsecuredCredential"  # a presentation holds a credential that is not secured


class CoseFormat(EnvelopeFormat):
    """The COSE_Sign1 envelope format (see the module docstring)."""

    media_types = (VC_COSE, VP_COSE)
    binary = True

    def seal(self, document: dict[str, Any], signing_key: SigningKey, *, media_type: str, **options: Any) -> str:
        """``document`` as a COSE_Sign1 by ``signing_key`` (its verification method as ``kid``), base64 text.

        No options are understood; one given is refused rather than silently ignored."""
        if options:
            raise EnvelopeError(f"{media_type} takes no options (got {', '.join(sorted(options))[:80]})")
        content_type, document_type, _ = _kind(media_type)
        _check_document(document, document_type)
        payload = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        message = cose_sign1.sign(payload, signing_key.signer, {
            cose_sign1.CONTENT_TYPE: content_type, cose_sign1.KID: signing_key.verification_method.encode("utf-8"),
            cose_sign1.TYP: media_type})
        return base64.b64encode(message).decode("ascii")

    async def open(self, data: str, media_type: str, resolver: Resolver, *, max_bytes: int) -> Opened:
        """Verify a base64 COSE_Sign1 of ``media_type`` with the key its ``kid`` names in the signer's DID document.

        :class:`EnvelopeError` codes: those of :mod:`vcnode.envelope_formats.cose_sign1`, ``invalidBase64``,
        ``mediaTypeMismatch``, ``invalidPayload``, ``unsecuredCredential``, and the key resolution ones of
        :func:`vcnode.jose.did.resolve_kid` (``missingKid``, ``kidMismatch``, ``keyNotAuthorized``, …)."""
        message, document = _decode(data, media_type, max_bytes)
        kid = message.kid
        if not kid:
            raise EnvelopeError("the COSE header has no kid naming a DID verification method", code=MISSING_KID)
        _, _, purpose = _kind(media_type)
        try:
            method, key = await resolve_kid(kid, resolver, did=_signer_did(document, media_type), purpose=purpose)
        except VcnodeError as exc:  # JoseError / resolution errors: the same named codes, as envelope errors
            raise EnvelopeError(exc.detail, code=exc.code) from None
        except ResolutionError as exc:
            raise EnvelopeError(f"{kid[:120]} could not be resolved: {exc.code}",
                                code=VERIFICATION_METHOD_NOT_FOUND) from None
        cose_sign1.verify(message, key)
        return Opened(media_type, document, key, method["id"], method.get("controller"))

    def open_with_key(self, data: str, media_type: str, key: PublicKey, *, max_bytes: int) -> Opened:
        """Verify a base64 COSE_Sign1 with a key the caller knows out of band (whatever ``kid`` it names), as a
        verifier pinned to one issuer key does; no issuer or holder binding is checked (the caller vouches)."""
        message, document = _decode(data, media_type, max_bytes)
        cose_sign1.verify(message, key)
        return Opened(media_type, document, key, None, None)


def _kind(media_type: str) -> tuple[str, str, str]:
    try:
        return _KINDS[media_type]
    except KeyError:
        raise EnvelopeError(f"{str(media_type)[:60]!r} is not a COSE media type ({VC_COSE}, {VP_COSE})",
                            code=MEDIA_TYPE_MISMATCH) from None


def _decode(data: str, media_type: str, max_bytes: int) -> tuple[cose_sign1.Sign1, dict[str, Any]]:
    """The decoded message and its document, checked against ``media_type`` (not yet its signature)."""
    content_type, document_type, _ = _kind(media_type)
    if not isinstance(data, str | bytes):
        raise EnvelopeError("a COSE envelope is base64 text", code=INVALID_BASE64)
    if len(data) > max_bytes * 4 // 3 + 4:  # the base64 text of a message of max_bytes; refused before decoding
        raise EnvelopeError(f"the COSE message is longer than {max_bytes} bytes", code=cose_sign1.COSE_TOO_LARGE)
    message = cose_sign1.decode(_b64decode(data), max_bytes=max_bytes)
    typ = message.header(cose_sign1.TYP)
    if typ is not None and typ != media_type:
        raise EnvelopeError(f"the COSE typ {str(typ)[:60]!r} is not {media_type}", code=MEDIA_TYPE_MISMATCH)
    cty = message.header(cose_sign1.CONTENT_TYPE)
    # The spec lets the content type be "a more specific media type than application/vc": its +ld+json form.
    if cty is not None and cty not in (content_type, content_type + "+ld+json"):
        raise EnvelopeError(f"the COSE content type {str(cty)[:60]!r} is not {content_type}",
                            code=MEDIA_TYPE_MISMATCH)
    try:
        document = json.loads(message.payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise EnvelopeError("the COSE payload is not UTF-8 JSON", code=INVALID_PAYLOAD) from None
    _check_document(document, document_type)
    return message, document


def _b64decode(data: str | bytes) -> bytes:
    """Standard base64 (RFC 4648 §4, as data: URLs use), padded or not; the URL-safe alphabet is accepted too."""
    text = data.encode("ascii", "replace") if isinstance(data, str) else data
    text = text.strip().replace(b"-", b"+").replace(b"_", b"/")
    try:
        return base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError("the COSE envelope is not base64", code=INVALID_BASE64) from None


def _check_document(document: object, document_type: str) -> None:
    """``document`` is a JSON object of ``document_type``; a presentation's credentials are all secured."""
    if not isinstance(document, dict):
        raise EnvelopeError("the enveloped document is not a JSON object", code=INVALID_PAYLOAD)
    types = document.get("type")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or document_type not in types:
        raise EnvelopeError(f"the enveloped document is not a {document_type}", code=INVALID_PAYLOAD)
    if document_type == "VerifiablePresentation":
        _check_credentials_secured(document.get("verifiableCredential"))


def _check_credentials_secured(credentials: object) -> None:
    """VC-JOSE-COSE §3.3.2: credentials in a presentation are secured, enveloped ones as data: URLs of an
    enveloping media type. Checking each one's own signature is the presentation verifier's job, not the
    envelope's: it needs each issuer's key."""
    if credentials is None:
        return
    for credential in credentials if isinstance(credentials, list) else [credentials]:
        if not isinstance(credential, dict):
            raise EnvelopeError("a verifiableCredential entry is not an object", code=UNSECURED_CREDENTIAL)
        types = credential.get("type")
        types = [types] if isinstance(types, str) else types if isinstance(types, list) else []
        if "EnvelopedVerifiableCredential" in types:
            url = credential.get("id")
            if not isinstance(url, str) or not url.startswith("data:application/vc+") or "," not in url:
                raise EnvelopeError("an EnvelopedVerifiableCredential's id is not a data: URL of a secured "
                                    "credential (data:application/vc+…,…)", code=UNSECURED_CREDENTIAL)
        elif "proof" not in credential:
            raise EnvelopeError("a credential in the presentation is not secured (no proof, not enveloped)",
                                code=UNSECURED_CREDENTIAL)


def _signer_did(document: dict[str, Any], media_type: str) -> str | None:
    """The DID the signing key must belong to: the credential's issuer, the presentation's holder (if any)."""
    if media_type == VC_COSE:
        issuer = document.get("issuer")
        issuer = issuer.get("id") if isinstance(issuer, dict) else issuer
        if not isinstance(issuer, str) or not issuer:
            raise EnvelopeError("the credential has no issuer", code=INVALID_PAYLOAD)
        return issuer
    holder = document.get("holder")
    holder = holder.get("id") if isinstance(holder, dict) else holder
    return holder if isinstance(holder, str) and holder else None

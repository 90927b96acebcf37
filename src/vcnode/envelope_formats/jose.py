"""VC-JOSE-COSE with JOSE: ``application/vc+jwt`` / ``vp+jwt`` (a compact JWS whose payload is the VC/VP JSON
itself) and ``application/vc+sd-jwt`` / ``vp+sd-jwt`` (the VC/VP JSON as an SD-JWT payload, its
selectively disclosable members as disclosures).

Signing and verification are :mod:`vcnode.jose`'s (EdDSA, ES256, ES384, ES512; the key is the one the ``kid`` DID URL
names in its DID document, authorised for ``assertionMethod`` for credentials and ``authentication`` for
presentations); disclosures are made by the OWF ``sd-jwt`` library and put back by :mod:`vcnode.sdjwt.verify`.
The signer must be the credential's ``issuer`` (the presentation's ``holder``): the ``kid``'s DID and any
``iss`` claim are checked against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sd_jwt.common import SDObj

from vcnode.clock import SYSTEM_CLOCK
from vcnode.credentials.model import as_list, issuer_id
from vcnode.did.resolver import Resolver
from vcnode.envelopes.base import (
    HOLDER_MISMATCH,
    INVALID_ENVELOPE,
    ISSUER_MISMATCH,
    UNSUPPORTED_MEDIA_TYPE,
    EnvelopeError,
    EnvelopeFormat,
    Opened,
    check_times,
)
from vcnode.jose import sign_compact, verify_compact, verify_with_did
from vcnode.jose.jws import VerifiedJws
from vcnode.keys.jwk import JwkError
from vcnode.keys.public import PublicKey
from vcnode.keys.signer import SigningKey
from vcnode.sdjwt.issue import sign_sd_jwt
from vcnode.sdjwt.verify import (
    DisclosureRefused,
    KeyBindingRefused,
    disclose,
    split_sd_jwt,
    verify_key_binding_jwt,
)

# media type → (typ, cty, is a presentation)
_JWT = {"application/vc+jwt": ("vc+jwt", "vc", False), "application/vp+jwt": ("vp+jwt", "vp", True)}
_SD_JWT = {"application/vc+sd-jwt": ("vc+sd-jwt", "vc", False), "application/vp+sd-jwt": ("vp+sd-jwt", "vp", True)}
#: Members never made selectively disclosable: what validation needs (the spec's list) and who signed.
CLEAR = frozenset({"@context", "type", "id", "issuer", "holder", "validFrom", "validUntil", "credentialStatus",
                   "credentialSchema", "relatedResource", "evidence", "termsOfUse", "refreshService"})


def _profile(table: dict[str, tuple[str, str, bool]], media_type: str) -> tuple[str, str, bool]:
    try:
        return table[media_type.lower()]
    except KeyError:
        raise EnvelopeError(f"this format does not handle {media_type[:80]!r}", code=UNSUPPORTED_MEDIA_TYPE) \
            from None


def _signer_id(document: dict[str, Any], presentation: bool) -> Any:
    if not presentation:
        return issuer_id(document)
    holder = document.get("holder")
    return holder.get("id") if isinstance(holder, dict) else holder


def _check_signer(document: dict[str, Any], verified: VerifiedJws, claims: dict[str, Any], presentation: bool) -> None:
    """The signer is the issuer (holder): the kid's DID, and ``iss`` when present (VC-JOSE-COSE §Key Discovery:
    "iss value, if present, MUST match issuer")."""
    named = _signer_id(document, presentation)
    code, role = (HOLDER_MISMATCH, "holder") if presentation else (ISSUER_MISMATCH, "issuer")
    if "iss" in claims and claims["iss"] != named:
        raise EnvelopeError(f"iss {str(claims['iss'])[:120]!r} is not the {role} {str(named)[:120]!r}", code=code)
    if presentation and named is None:
        return  # VC 2.0 holder is optional: then nothing binds the signer to a holder (the verifier says so)
    if verified.controller is None:
        return  # a key the caller gave (open_with_key): it vouches for the signer; iss was checked above
    if named != verified.controller:
        raise EnvelopeError(f"the envelope is signed by {str(verified.controller)[:120]} (kid "
                            f"{str(verified.header.get('kid'))[:120]}), not by its {role} {str(named)[:120]}",
                            code=code)


def _check_header(header: dict[str, Any], typ: str, cty: str) -> None:
    # typ and cty are SHOULDs: absent is accepted; present, they must name this media type (not another's).
    if "typ" in header and str(header["typ"]).lower() not in (typ, f"application/{typ}"):
        raise EnvelopeError(f"typ {str(header['typ'])[:40]!r} is not {typ}", code=INVALID_ENVELOPE)
    if "cty" in header and str(header["cty"]).lower() not in (cty, f"application/{cty}"):
        raise EnvelopeError(f"cty {str(header['cty'])[:40]!r} is not {cty}", code=INVALID_ENVELOPE)


def _check_document(document: Any, presentation: bool) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise EnvelopeError("the secured payload is not a JSON object", code=INVALID_ENVELOPE)
    if "vc" in document or "vp" in document:
        raise EnvelopeError("the JWT claims vc and vp must not be present (that is VC-JWT 1.1, application/jwt)",
                            code=INVALID_ENVELOPE)
    return document


def _kid(signing_key: SigningKey) -> str:
    return signing_key.verification_method


class JoseFormat(EnvelopeFormat):
    """``application/vc+jwt`` and ``application/vp+jwt``."""

    media_types: ClassVar[tuple[str, ...]] = tuple(_JWT)

    def seal(self, document: dict[str, Any], signing_key: SigningKey, *, media_type: str, **options: Any) -> str:
        """A compact JWS of ``document`` (typ vc+jwt/vp+jwt, cty vc/vp, kid the signing key's DID URL)."""
        typ, cty, _ = _profile(_JWT, media_type)
        return sign_compact(document, signing_key.signer, kid=_kid(signing_key), header={"typ": typ, "cty": cty})

    async def open(self, data: str, media_type: str, resolver: Resolver, *, max_bytes: int) -> Opened:
        """Verify the JWS by its kid's DID key and check the signer is the issuer (holder)."""
        presentation = _profile(_JWT, media_type)[2]
        verified = await verify_with_did(data, resolver, purpose="authentication" if presentation
                                         else "assertionMethod", max_bytes=max_bytes)
        return self._opened(verified, media_type)

    def open_with_key(self, data: str, media_type: str, key: PublicKey, *, max_bytes: int) -> Opened:
        """:meth:`open` with the key given by the caller (a test suite's verification method, a key
        configured out of band) instead of the ``kid``'s DID: the ``iss`` = issuer (holder) check still holds."""
        return self._opened(verify_compact(data, key, max_bytes=max_bytes), media_type)

    @staticmethod
    def _opened(verified: VerifiedJws, media_type: str) -> Opened:
        typ, cty, presentation = _profile(_JWT, media_type)
        _check_header(verified.header, typ, cty)
        document = _check_document(verified.claims(), presentation)
        check_times(document, SYSTEM_CLOCK.time(), strict=False)
        _check_signer(document, verified, document, presentation)
        return Opened(media_type.lower(), document, verified.key, verified.verification_method, verified.controller)


def _mark(document: dict[str, Any], paths: Sequence[Sequence[str]] | None) -> dict[str, Any]:
    """``document`` with the members to disclose selectively wrapped in ``SDObj``: those at ``paths`` (member
    names from the top), or by default every member of every ``credentialSubject`` but its ``id``/``type``."""
    out: dict[Any, Any] = dict(document)
    if paths is None:
        subjects = []
        for subject in as_list(document.get("credentialSubject")):
            if isinstance(subject, dict):
                subject = {SDObj(name) if name not in ("id", "type") else name: value
                           for name, value in subject.items()}
            subjects.append(subject)
        if "credentialSubject" in document:
            out["credentialSubject"] = subjects if isinstance(document["credentialSubject"], list) else subjects[0]
        return out
    for path in paths:
        if not path or path[0] in CLEAR:
            raise EnvelopeError(f"{'/'.join(path) or 'the document'} cannot be selectively disclosable",
                                code=INVALID_ENVELOPE)
        node: dict[Any, Any] = out
        for name in path[:-1]:
            child = node.get(name)
            if not isinstance(child, dict):
                raise EnvelopeError(f"/{'/'.join(path)} is not a member of an object", code=INVALID_ENVELOPE)
            node[name] = child = dict(child)
            node = child
        if path[-1] not in node:
            raise EnvelopeError(f"/{'/'.join(path)} is not in the document", code=INVALID_ENVELOPE)
        node[SDObj(path[-1])] = node.pop(path[-1])
    return out


def _pointer(pointer: str) -> list[str]:
    if not pointer.startswith("/"):
        raise EnvelopeError(f"{pointer[:80]!r} is not a JSON pointer", code=INVALID_ENVELOPE)
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


class SdJwtFormat(EnvelopeFormat):
    """``application/vc+sd-jwt`` and ``application/vp+sd-jwt``."""

    media_types: ClassVar[tuple[str, ...]] = tuple(_SD_JWT)

    def seal(self, document: dict[str, Any], signing_key: SigningKey, *, media_type: str, **options: Any) -> str:
        """An SD-JWT of ``document`` (typ vc+sd-jwt/vp+sd-jwt, cty vc/vp). ``selective``: JSON pointers of the
        members to disclose selectively (default: every credentialSubject member but ``id`` and ``type``);
        ``decoys``: add decoy digests."""
        typ, cty, _ = _profile(_SD_JWT, media_type)
        selective = options.get("selective")
        paths = [_pointer(p) for p in selective] if selective is not None else None
        return sign_sd_jwt(_mark(document, paths), signing_key.signer,
                           {"typ": typ, "cty": cty, "kid": _kid(signing_key)}, decoys=bool(options.get("decoys")))

    async def open(self, data: str, media_type: str, resolver: Resolver, *, max_bytes: int) -> Opened:
        """Verify the issuer-signed JWT, put the disclosures back, check a KB-JWT when one is present (its
        signature by the ``cnf`` key and its ``sd_hash``); its claims are returned in ``key_binding`` for the
        verifier to check its ``aud`` and ``nonce`` against the request."""
        presentation = _profile(_SD_JWT, media_type)[2]
        jwt, encoded, kb = _split(data, max_bytes)
        verified = await verify_with_did(jwt, resolver, purpose="authentication" if presentation
                                         else "assertionMethod", max_bytes=max_bytes)
        return self._opened(verified, encoded, kb, data, media_type)

    def open_with_key(self, data: str, media_type: str, key: PublicKey, *, max_bytes: int) -> Opened:
        """:meth:`open` with the issuer's key given by the caller instead of the ``kid``'s DID."""
        jwt, encoded, kb = _split(data, max_bytes)
        return self._opened(verify_compact(jwt, key, max_bytes=max_bytes), encoded, kb, data, media_type)

    @staticmethod
    def _opened(verified: VerifiedJws, encoded: list[str], kb: str, data: str, media_type: str) -> Opened:
        typ, cty, presentation = _profile(_SD_JWT, media_type)
        _check_header(verified.header, typ, cty)
        payload = verified.claims()
        check_times(payload, SYSTEM_CLOCK.time(), strict=False)
        try:
            document, _ = disclose(payload, encoded)
        except DisclosureRefused as refused:
            raise EnvelopeError(refused.message, code=refused.code) from None
        document = _check_document(document, presentation)
        _check_signer(document, verified, document, presentation)
        # The KB-JWT's signature and sd_hash are checked here; its aud, nonce and iat against what the verifier
        # asked (challenge, domain) by the caller (vcnode.credentials.verify), which knows the request.
        key_binding = _verify_key_binding(kb, document.get("cnf"), data[:len(data) - len(kb)]) if kb else None
        return Opened(media_type.lower(), document, verified.key, verified.verification_method, verified.controller,
                      key_binding=key_binding, binds_holder_key="cnf" in document)


def _split(data: str, max_bytes: int) -> tuple[str, list[str], str]:
    try:
        return split_sd_jwt(data, max_bytes)
    except (ValueError, OverflowError) as exc:
        raise EnvelopeError(f"not a compact SD-JWT: {exc}", code=INVALID_ENVELOPE) from None


def _verify_key_binding(kb: str, cnf: Any, presented: str) -> dict[str, Any]:
    """The KB-JWT's claims once it is signed by the ``cnf.jwk`` key over this presentation (the SD-JWT VC
    verifier's check, :func:`vcnode.sdjwt.verify.verify_key_binding_jwt`)."""
    jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    if not isinstance(jwk, dict):
        raise EnvelopeError("a KB-JWT is present but the credential has no cnf.jwk", code="missingHolderKey")
    try:
        key = PublicKey.from_jwk(jwk)
    except JwkError as exc:
        raise EnvelopeError(f"cnf.jwk: {exc.detail}", code="invalidHolderKey") from None
    try:
        return verify_key_binding_jwt(kb, key, presented)
    except KeyBindingRefused as refused:
        raise EnvelopeError(refused.message, code=refused.code) from None

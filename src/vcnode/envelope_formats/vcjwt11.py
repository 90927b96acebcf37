"""VC-JWT 1.1 (VC Data Model 1.1 §6.3.1): a JWT whose ``vc`` (``vp``) claim carries the credential
(presentation), with the registered claims standing for some of its properties:

- credentials: ``iss`` ↔ ``issuer`` (or ``issuer.id``), ``nbf`` ↔ ``issuanceDate`` (VC 2.0: ``validFrom``),
  ``exp`` ↔ ``expirationDate`` (``validUntil``), ``jti`` ↔ ``id``, ``sub`` ↔ ``credentialSubject.id``;
- presentations: ``iss`` ↔ ``holder``, ``jti`` ↔ ``id``; ``aud`` and ``nonce`` are the verifier's domain and
  challenge (kept on the opened presentation as ``aud`` and ``nonce``).

Sealing writes the claims and keeps the ``vc`` object whole (a 1.1 decoder restores the same values); opening
fills in a property from its claim when absent and refuses a claim that contradicts it (``issuerMismatch``,
``claimMismatch``). As for every JOSE envelope the key is the ``kid``'s in its DID document and its DID must
be the issuer (holder).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any, ClassVar

import orjson

from vcnode.clock import SYSTEM_CLOCK, parse_datetime
from vcnode.credentials.model import as_list, issuer_id
from vcnode.did.resolver import Resolver
from vcnode.envelopes.base import (
    HOLDER_MISMATCH,
    INVALID_ENVELOPE,
    ISSUER_MISMATCH,
    EnvelopeError,
    EnvelopeFormat,
    Opened,
    check_times,
)
from vcnode.jose import sign_compact, verify_with_did
from vcnode.keys.signer import SigningKey

MEDIA_TYPE = "application/jwt"
CLAIM_MISMATCH = "claimMismatch"  # nbf/exp/jti/sub says something else than the credential's property


def _is_presentation(document: dict[str, Any]) -> bool:
    types = document.get("type")
    return "VerifiablePresentation" in (types if isinstance(types, list) else [types])


def _seconds(value: Any) -> int | None:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    return int(parsed.timestamp()) if parsed is not None else None


def _date(seconds: Any) -> str:
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        raise EnvelopeError("nbf/exp must be NumericDates (seconds since 1970)", code=INVALID_ENVELOPE)
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):  # a NumericDate past year 9999
        raise EnvelopeError("nbf/exp is not a date this verifier can represent", code=INVALID_ENVELOPE) from None


def _holder(document: dict[str, Any]) -> Any:
    holder = document.get("holder")
    return holder.get("id") if isinstance(holder, dict) else holder


class VcJwt11Format(EnvelopeFormat):
    """VC-JWT 1.1 credentials and presentations (``application/jwt``; a bare compact JWT in a VC API request)."""

    media_types: ClassVar[tuple[str, ...]] = (MEDIA_TYPE,)

    def seal(self, document: dict[str, Any], signing_key: SigningKey, *, media_type: str, **options: Any) -> str:
        """A JWT (typ JWT) with the ``vc`` (``vp``) claim and the registered claims; for presentations
        ``domain`` and ``challenge`` options become ``aud`` and ``nonce``."""
        claims: dict[str, Any] = {}
        if _is_presentation(document):
            claims.update(iss=_holder(document), vp=document)
            if options.get("domain") is not None:
                claims["aud"] = options["domain"]
            if options.get("challenge") is not None:
                claims["nonce"] = options["challenge"]
        else:
            claims.update(iss=issuer_id(document), vc=document)
            start = _seconds(document.get("issuanceDate", document.get("validFrom")))
            end = _seconds(document.get("expirationDate", document.get("validUntil")))
            if start is not None:
                claims["nbf"] = start
            if end is not None:
                claims["exp"] = end
            subjects = as_list(document.get("credentialSubject"))
            if len(subjects) == 1 and isinstance(subjects[0], dict) and isinstance(subjects[0].get("id"), str):
                claims["sub"] = subjects[0]["id"]
        if isinstance(document.get("id"), str):
            claims["jti"] = document["id"]
        claims = {name: value for name, value in claims.items() if value is not None}
        return sign_compact(claims, signing_key.signer, kid=signing_key.verification_method, header={"typ": "JWT"})

    async def open(self, data: str, media_type: str, resolver: Resolver, *, max_bytes: int) -> Opened:
        """Verify the JWT by its kid's DID key and rebuild the credential (presentation) from its claims."""
        verified = await verify_with_did(data, resolver, max_bytes=max_bytes, purpose=_purpose(data))
        claims = verified.claims()
        check_times(claims, SYSTEM_CLOCK.time())
        if "vc" in claims and "vp" in claims:  # the key's purpose was chosen by vp: one or the other
            raise EnvelopeError("a VC-JWT has a vc or a vp claim, not both", code=INVALID_ENVELOPE)
        if isinstance(claims.get("vc"), dict):
            document = self._credential(claims)
            signer, code = issuer_id(document), ISSUER_MISMATCH
        elif isinstance(claims.get("vp"), dict):
            document = self._presentation(claims)
            signer, code = _holder(document), HOLDER_MISMATCH
        else:
            raise EnvelopeError("a VC-JWT needs a vc or vp claim (an object)", code=INVALID_ENVELOPE)
        if signer != verified.controller and not (signer is None and code == HOLDER_MISMATCH):
            raise EnvelopeError(f"the JWT is signed by {str(verified.controller)[:120]}, not by "
                                f"{str(signer)[:120]}", code=code)
        return Opened(MEDIA_TYPE, document, verified.key, verified.verification_method, verified.controller)

    @staticmethod
    def _credential(claims: dict[str, Any]) -> dict[str, Any]:
        document = dict(claims["vc"])
        if "iss" in claims:
            if "issuer" not in document:
                document["issuer"] = claims["iss"]
            elif issuer_id(document) != claims["iss"]:
                raise EnvelopeError(f"iss {str(claims['iss'])[:120]!r} is not the credential's issuer "
                                    f"{str(issuer_id(document))[:120]!r}", code=ISSUER_MISMATCH)
        # A VC 2.0 credential in a VC-JWT (rare, but sent) has validFrom/validUntil, not the 1.1 names.
        version2 = "https://www.w3.org/ns/credentials/v2" in as_list(document.get("@context"))
        for claim, name in (("nbf", "validFrom" if version2 else "issuanceDate"),
                            ("exp", "validUntil" if version2 else "expirationDate")):
            if claim not in claims:
                continue
            if name not in document:
                document[name] = _date(claims[claim])
            elif _seconds(document[name]) != int(claims[claim]):
                raise EnvelopeError(f"{claim} is not the credential's {name}", code=CLAIM_MISMATCH)
        if "jti" in claims:
            if "id" not in document:
                document["id"] = claims["jti"]
            elif document["id"] != claims["jti"]:
                raise EnvelopeError("jti is not the credential's id", code=CLAIM_MISMATCH)
        if "sub" in claims:
            subjects = as_list(document.get("credentialSubject"))
            if len(subjects) == 1 and isinstance(subjects[0], dict):
                if "id" not in subjects[0]:
                    subject = {**subjects[0], "id": claims["sub"]}
                    document["credentialSubject"] = [subject] if isinstance(document["credentialSubject"], list) \
                        else subject
                elif subjects[0]["id"] != claims["sub"]:
                    raise EnvelopeError("sub is not the credential's credentialSubject.id", code=CLAIM_MISMATCH)
        return document

    @staticmethod
    def _presentation(claims: dict[str, Any]) -> dict[str, Any]:
        document = dict(claims["vp"])
        if "iss" in claims:
            if "holder" not in document:
                document["holder"] = claims["iss"]
            elif _holder(document) != claims["iss"]:
                raise EnvelopeError("iss is not the presentation's holder", code=HOLDER_MISMATCH)
        if "jti" in claims and "id" not in document:
            document["id"] = claims["jti"]
        for name in ("aud", "nonce"):
            if name in claims:
                document[name] = claims[name]
        return document


def _purpose(token: str) -> str:
    """The verification relationship the key needs: ``authentication`` for a presentation (a ``vp`` claim),
    ``assertionMethod`` otherwise. Read from the unverified payload only to choose which key list to look in;
    the signature is verified against the key that list gives."""
    try:
        payload = token.split(".")[1]
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, orjson.JSONDecodeError):
        return "assertionMethod"
    return "authentication" if isinstance(claims, dict) and "vp" in claims else "assertionMethod"

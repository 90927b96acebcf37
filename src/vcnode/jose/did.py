"""Verifying a compact JWS whose ``kid`` is a DID verification method, resolved through the node's resolver.

The key is the one the DID document holds; the token only names it. A ``jwk`` the header also carries must be
that same key, the method must belong to the DID (and to the DID the caller expects, when it says), and the
DID must authorise it for the purpose (``assertionMethod`` for credentials, ``authentication`` for holders).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from vcnode.did.resolution import ResolutionError
from vcnode.did.resolver import Resolver, relationship_ids
from vcnode.did.syntax import parse_did_url
from vcnode.errors import VcnodeError
from vcnode.jose.errors import (
    DID_DEACTIVATED,
    JWK_MISMATCH,
    KEY_NOT_AUTHORIZED,
    KID_MISMATCH,
    MISSING_KID,
    VERIFICATION_METHOD_NOT_FOUND,
    JoseError,
)
from vcnode.jose.jws import DEFAULT_MAX_BYTES, VerifiedJws, extract, verify_extracted
from vcnode.keys.jwk import JwkError
from vcnode.keys.public import PublicKey
from vcnode.proofs.keys import method_public_key


def method_id_of(kid: str) -> str:
    """The verification method a ``kid`` names: itself, or for a bare did:key / did:jwk, its one key."""
    parsed = parse_did_url(kid)
    if parsed is None or parsed.path or parsed.query is not None:
        raise JoseError(f"kid {kid[:120]!r} is not a DID URL", code=KID_MISMATCH)
    if parsed.fragment is None and parsed.did == kid:
        if parsed.method == "key":
            return f"{kid}#{parsed.method_specific_id}"
        if parsed.method == "jwk":
            return f"{kid}#0"
        raise JoseError(f"kid {kid[:120]!r} names a DID, not one of its keys", code=KID_MISMATCH)
    return kid


async def resolve_kid(kid: str, resolver: Resolver, *, did: str | None = None,
                      purpose: str = "assertionMethod") -> tuple[dict[str, Any], PublicKey]:
    """The verification method ``kid`` names and its typed key, checked: it belongs to its DID (and to ``did``
    when given), the DID is not deactivated and authorises it for ``purpose``."""
    method_id = method_id_of(kid)
    owner = method_id.split("#", 1)[0]
    if did is not None and owner != did:
        raise JoseError(f"kid {kid[:120]} is not a key of {did[:120]}", code=KID_MISMATCH)
    try:
        method = await resolver.dereference(method_id)
    except ResolutionError as exc:
        raise JoseError(f"kid {kid[:120]} could not be resolved: {exc.code}: {exc.message}",
                        code=VERIFICATION_METHOD_NOT_FOUND) from None
    resolution = await resolver.resolve(owner)
    if resolution.document_metadata.get("deactivated") is True:
        raise JoseError(f"{owner} is deactivated", code=DID_DEACTIVATED)
    if method.get("controller") != owner:
        raise JoseError(f"{method_id[:120]} is not controlled by {owner[:120]}", code=KEY_NOT_AUTHORIZED)
    if method_id not in relationship_ids(resolution.did_document or {}, purpose):
        raise JoseError(f"{method_id[:120]} is not listed under {purpose} in {owner[:120]}'s DID document",
                        code=KEY_NOT_AUTHORIZED)
    try:
        return method, method_public_key(method)
    except VcnodeError as exc:
        raise JoseError(f"{method_id[:120]} holds no usable public key: {exc.detail}",
                        code=VERIFICATION_METHOD_NOT_FOUND) from None


async def verify_with_did(token: str | bytes, resolver: Resolver, *, did: str | None = None,
                          purpose: str = "assertionMethod", algorithms: Collection[str] | None = None,
                          max_bytes: int = DEFAULT_MAX_BYTES) -> VerifiedJws:
    """Verify a compact JWS with the key its ``kid`` names in a DID document.

    ``did``: the DID the signer must be (an issuer, a client id, a holder); ``purpose``: the verification
    relationship the key must be listed under. Raises :class:`JoseError`: ``missingKid``, ``kidMismatch``,
    ``verificationMethodNotFound``, ``keyNotAuthorized``, ``jwkMismatch``, and those of
    :func:`~vcnode.jose.jws.verify_compact`.
    """
    obj = extract(token, max_bytes=max_bytes)  # parsed once: the header names the key, then it is verified
    header = obj.headers()
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise JoseError("the JWS header has no kid naming a DID verification method", code=MISSING_KID)
    method, key = await resolve_kid(kid, resolver, did=did, purpose=purpose)
    if "jwk" in header:
        try:
            carried = PublicKey.from_jwk(header["jwk"])
        except JwkError as exc:
            raise JoseError(f"the header's jwk is not a public key: {exc.detail}", code=JWK_MISMATCH) from None
        if carried != key:
            raise JoseError(f"the header's jwk is not the key of {kid[:120]}", code=JWK_MISMATCH)
    verified = verify_extracted(obj, key, algorithms=algorithms, max_bytes=max_bytes)
    return VerifiedJws(verified.header, verified.payload, key, method["id"], method.get("controller"))

"""The key-binding proof of a credential request (OID4VCI 1.0 appendix F.1, ``proof_type`` ``jwt``).

Checked, in order: a compact JWS of at most 8 KiB; ``typ`` ``openid4vci-proof+jwt``; ``alg`` ES256, ES384 or EdDSA
(never ``none``, never one the key cannot make); the key from ``kid`` (a did:key or did:jwk DID URL, resolved
without any fetch, listed under the DID's ``authentication``) or from a ``jwk`` header (public, the holder then
being its did:jwk), never both; the signature; ``aud`` the credential issuer; ``iat`` within
``oid4vci_proof_max_age`` in the past and a minute in the future; a ``nonce``. Whether the nonce is one the
node issued and not yet used is the caller's compare-and-set (:meth:`Store.consume_oid4vci_nonce`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vcnode.did.resolver import Resolver
from vcnode.did.self_certifying import did_jwk_for
from vcnode.did.syntax import parse_did_url
from vcnode.jose import JoseError, read_header, verify_compact, verify_with_did
from vcnode.keys.jwk import JwkError
from vcnode.keys.public import PublicKey
from vcnode.oid4vci.errors import INVALID_PROOF, OAuthError
from vcnode.oid4vci.formats import PROOF_ALGORITHMS, Holder

PROOF_TYPE = "openid4vci-proof+jwt"
MAX_PROOF_BYTES = 8 * 1024
#: How far in the future a proof's ``iat`` may be (clocks differ).
CLOCK_SKEW = 60.0
_ALGORITHMS = (*PROOF_ALGORITHMS, "Ed25519")  # Ed25519: RFC 9864's fully specified name for EdDSA
_METHODS = ("key", "jwk")


@dataclass(frozen=True)
class Proof:
    """A verified proof: the holder and the nonce it carries (not yet consumed)."""

    holder: Holder
    nonce: str


def _refuse(description: str) -> OAuthError:
    return OAuthError(INVALID_PROOF, description)


async def verify_proof(token: Any, resolver: Resolver, *, audience: str, now: float, max_age: float) -> Proof:
    """Verify a proof JWT for the credential issuer ``audience``; :class:`OAuthError` ``invalid_proof``
    naming the reason otherwise."""
    if not isinstance(token, str):
        raise _refuse("a jwt proof is a compact JWS string")
    try:
        header = read_header(token, max_bytes=MAX_PROOF_BYTES)
        if header.get("typ") != PROOF_TYPE:
            raise _refuse(f"the proof's typ must be {PROOF_TYPE}, not {str(header.get('typ'))[:60]!r}")
        kid, jwk = header.get("kid"), header.get("jwk")
        if (kid is None) == (jwk is None):
            raise _refuse("the proof names its key by exactly one of kid (a did:key or did:jwk DID URL) and jwk")
        if kid is not None:
            parsed = parse_did_url(kid) if isinstance(kid, str) else None
            if parsed is None or parsed.method not in _METHODS:
                raise _refuse(f"the proof's kid {str(kid)[:120]!r} is not a did:key or did:jwk DID URL")
            verified = await verify_with_did(token, resolver, purpose="authentication", algorithms=_ALGORITHMS,
                                             max_bytes=MAX_PROOF_BYTES)
            holder = Holder(verified.controller or parsed.did, verified.key)
        else:
            if not isinstance(jwk, dict) or "d" in jwk:
                raise _refuse("the proof's jwk header must be a public JWK")
            try:
                key = PublicKey.from_jwk(jwk)
            except JwkError as exc:
                raise _refuse(f"the proof's jwk is not a usable public key: {exc.detail}") from None
            verified = verify_compact(token, key, algorithms=_ALGORITHMS, max_bytes=MAX_PROOF_BYTES)
            holder = Holder(did_jwk_for(key.jwk), key)
        claims = verified.claims()
    except JoseError as exc:
        raise _refuse(f"{exc.code}: {exc.detail}") from None
    audiences = claims.get("aud")
    if audiences != audience and not (isinstance(audiences, list) and audience in audiences):
        raise _refuse(f"the proof's aud must be the credential issuer {audience}")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise _refuse("the proof has no iat (a number of seconds)")
    if iat > now + CLOCK_SKEW:
        raise _refuse("the proof's iat is in the future")
    if iat < now - max_age:
        raise _refuse(f"the proof is stale: made more than {max_age:g} seconds ago; make a new one")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise _refuse("the proof has no nonce: get a c_nonce from the nonce endpoint")
    return Proof(holder, nonce)

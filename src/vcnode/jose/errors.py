"""JOSE errors: each refusal has its own code, so a caller (an OpenID4VC route, a credential verifier) can
map it to its protocol's error (``invalid_proof``, a failed report) without parsing messages."""

from __future__ import annotations

from vcnode.errors import InvalidInput

INVALID_JWS = "invalidJws"  # not a compact JWS, undecodable parts, header not a JSON object, unknown crit, b64
JWS_TOO_LARGE = "jwsTooLarge"  # longer than the caller's limit, refused before any decoding
UNSUPPORTED_ALGORITHM = "unsupportedAlgorithm"  # none, unknown, or not among those the caller allows
ALGORITHM_KEY_MISMATCH = "algorithmKeyMismatch"  # alg does not fit the key (ES256 + Ed25519, HS256 + a public key)
INVALID_SIGNATURE = "invalidSignature"  # well-formed, right key type, the signature does not verify
MISSING_KID = "missingKid"  # a DID-bound JWS without a kid
KID_MISMATCH = "kidMismatch"  # kid is not a DID URL of the DID expected (issuer, client, holder)
JWK_MISMATCH = "jwkMismatch"  # the header's jwk is not the key the kid's DID document holds
VERIFICATION_METHOD_NOT_FOUND = "verificationMethodNotFound"  # the kid does not dereference to a key
KEY_NOT_AUTHORIZED = "keyNotAuthorized"  # the kid's method is not authorised for the purpose by its DID
DID_DEACTIVATED = "didDeactivated"


class JoseError(InvalidInput):
    """A JWS that cannot be made or is refused; ``code`` is one of the constants of this module (or
    ``invalidJwk`` for a malformed key)."""

    code = INVALID_JWS
    title = "Invalid JWS"

"""JOSE: compact JWS signed by the node's signers (EdDSA, ES256) and verified against a key or a DID, with joserfc
doing every serialisation and parse. Refusals are :class:`JoseError` with a named ``code``."""

from __future__ import annotations

from vcnode.jose.algorithms import ALGORITHMS, check_algorithm
from vcnode.jose.did import resolve_kid, verify_with_did
from vcnode.jose.errors import JoseError
from vcnode.jose.jws import DEFAULT_MAX_BYTES, VerifiedJws, read_header, sign_compact, verify_compact

__all__ = ["ALGORITHMS", "DEFAULT_MAX_BYTES", "JoseError", "VerifiedJws", "check_algorithm", "read_header",
           "resolve_kid", "sign_compact", "verify_compact", "verify_with_did"]

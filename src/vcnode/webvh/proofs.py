"""Data Integrity proofs as did:webvh 1.0 uses them: eddsa-jcs-2022 by a did:key, purpose assertionMethod.

Log entries are signed by an update key; witnesses sign ``{"versionId": …}``. Both name their key as
``did:key:<multikey>#<multikey>``, and the key comes from that DID itself: nothing is resolved.
"""

from __future__ import annotations

from typing import Any

from vcnode.keys import multikey
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.public import PublicKey
from vcnode.proofs.base import ProofError
from vcnode.proofs.eddsa_jcs_2022 import EddsaJcs2022

CRYPTOSUITE = EddsaJcs2022.name
PURPOSE = "assertionMethod"
_SUITE = EddsaJcs2022()


def did_key_method(public_multikey: str) -> str:
    """The verification method id of a did:key: ``did:key:<mk>#<mk>``."""
    return f"did:key:{public_multikey}#{public_multikey}"


def sign(document: dict[str, Any], key_pair: Ed25519KeyPair, created: str) -> dict[str, Any]:
    """An eddsa-jcs-2022 proof over ``document`` (which has no ``proof``) by ``key_pair``'s did:key."""
    options = {"verificationMethod": did_key_method(key_pair.public_multikey), "created": created,
               "proofPurpose": PURPOSE}
    return _SUITE.create_proof(document, options, key_pair)


def proof_signer(proof: Any) -> str:
    """The Multikey that made ``proof``, after checking its form; :class:`ProofError` when it is not a
    did:webvh 1.0 proof (wrong type, cryptosuite or purpose, or a did:key whose fragment is another key)."""
    if not isinstance(proof, dict):
        raise ProofError("a proof must be an object", code="invalidProof")
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"proofs must be DataIntegrityProof with cryptosuite {CRYPTOSUITE}, got "
                         f"{str(proof.get('type'))[:40]} / {str(proof.get('cryptosuite'))[:40]}", code="invalidProof")
    if proof.get("proofPurpose") != PURPOSE:
        raise ProofError(f"proofPurpose must be {PURPOSE}", code="invalidProof")
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or not method.startswith("did:key:"):
        raise ProofError("verificationMethod must be a did:key DID URL", code="invalidProof")
    body, hash_mark, fragment = method[len("did:key:"):].partition("#")
    # The body defines the key; a different fragment would let a proof claim one key and use another.
    if not hash_mark or body != fragment:
        raise ProofError(f"verificationMethod {method[:120]} must be did:key:<key>#<same key>", code="invalidProof")
    return body


def verify(document: dict[str, Any], proof: dict[str, Any], public_multikey: str) -> bool:
    """True when ``proof`` is a valid signature over ``document`` by ``public_multikey`` (Ed25519)."""
    try:
        key = multikey.decode(public_multikey, allowed=frozenset({multikey.ED25519_PUB}))
        return _SUITE.verify_proof(document, proof, PublicKey(key.codec, key.raw))
    except (multikey.MultikeyError, ProofError):
        return False

"""What every cryptosuite shares: proof errors, the proof-value encoding and the Data Integrity hash."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import base58

from vcnode.errors import VcnodeError
from vcnode.jsonld import ContextRegistry
from vcnode.keys.public import ED25519, PublicKey
from vcnode.keys.signer import Signer

PROOF_CONFIG_KEYS = ("id", "type", "cryptosuite", "created", "expires", "verificationMethod", "proofPurpose",
                     "challenge", "domain", "nonce", "previousProof")


# The hashes a suite may name in :meth:`Cryptosuite.hash_name` (direct constructors: faster than hashlib.new).
_HASHES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


class ProofError(VcnodeError):
    """A proof cannot be created or does not verify; ``code`` names the reason."""

    code = "proofError"
    status = 422
    title = "Proof error"


def encode_proof_value(signature: bytes) -> str:
    """Multibase base58btc, as the eddsa suites and ecdsa-jcs-2019 write ``proofValue``."""
    return "z" + base58.b58encode(signature).decode("ascii")


def decode_proof_value(value: Any, size: int = 64, algorithm: str = "Ed25519") -> bytes:
    """The ``size``-byte signature of a ``proofValue`` (Ed25519, or ECDSA ``r ‖ s``); :class:`ProofError` when
    malformed."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofError("proofValue must be a base58btc multibase string ('z…')", code="malformedProofValue")
    digits = value[1:]
    try:
        number = base58.b58decode_int(digits)
    except ValueError:
        raise ProofError("proofValue is not valid base58btc", code="malformedProofValue") from None
    # As base58.b58decode, but int.to_bytes instead of its byte-by-byte divmod loop: each leading '1' is a
    # zero byte, the rest is the big-endian number.
    length = len(digits) - len(digits.lstrip("1")) + (number.bit_length() + 7) // 8
    if length != size:
        raise ProofError(f"proofValue must hold a {size}-byte {algorithm} signature, got {length} bytes",
                         code="malformedProofValue")
    return number.to_bytes(size, "big")


class Cryptosuite(ABC):
    """A cryptosuite; the base implements the eddsa ones. Subclasses choose the canonicalization and how the
    proof configuration is formed; creating and verifying are the same for all of them (vc-di-eddsa §3).
    A suite signs with a :class:`Signer` and verifies with a :class:`PublicKey` of one of its ``key_types``."""

    name: ClassVar[str]
    proof_type: ClassVar[str]
    #: ``rdfc`` or ``jcs``: lets callers pick "the JCS suite for this key type" (anchor logs, gossip).
    canonicalization: ClassVar[str]
    key_types: ClassVar[frozenset[str]] = frozenset({ED25519})
    #: The signature a ``proofValue`` holds: its length in bytes and the algorithm (for error messages).
    signature_size: ClassVar[int] = 64
    signature_algorithm: ClassVar[str] = "Ed25519"
    #: Other spellings accepted on input (e.g. ``eddsa-2022`` in older Open Badges samples).
    aliases: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def canonicalize(self, document: dict[str, Any], registry: ContextRegistry | None) -> bytes:
        """The canonical bytes of a document or proof configuration."""

    def proof_configuration(self, proof_options: dict[str, Any], unsecured: dict[str, Any]) -> dict[str, Any]:
        """The proof configuration that is hashed: the proof without ``proofValue``, with the document's
        ``@context``."""
        config = {key: value for key, value in proof_options.items() if key != "proofValue"}
        if "@context" in unsecured:
            config["@context"] = unsecured["@context"]
        return config

    def prepare_unsecured(self, unsecured: dict[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
        """Adjust the unsecured document before verification (eddsa-jcs-2022 checks ``@context``)."""
        return unsecured

    def hash_name(self, key_type: str | None) -> str:
        """The :mod:`hashlib` name of the hash over the canonical proof configuration and document, for proofs
        by ``key_type`` keys: SHA-256 here; the ECDSA suites take the curve's (SHA-384 on P-384)."""
        return "sha256"

    def signature_format(self, key_type: str) -> tuple[int, str]:
        """The byte length of a ``proofValue``'s signature by a ``key_type`` key and its algorithm's name (for
        error messages); the ECDSA suites' depend on the curve."""
        return self.signature_size, self.signature_algorithm

    def canonicalize_for(self, document: dict[str, Any], registry: ContextRegistry | None,
                         key_type: str | None) -> bytes:
        """The canonical bytes hashed for a proof by a ``key_type`` key: :meth:`canonicalize`, unless the
        canonicalization itself depends on the key (ecdsa-rdfc-2019: RDFC-1.0 with the curve's hash)."""
        return self.canonicalize(document, registry)

    def hash_data(self, unsecured: dict[str, Any], config: dict[str, Any],
                  registry: ContextRegistry | None, key_type: str | None = None) -> bytes:
        """H(canonical proof configuration) ‖ H(canonical document), H the hash of :meth:`hash_name` for
        ``key_type`` keys."""
        digest = _HASHES[self.hash_name(key_type)]
        return (digest(self.canonicalize_for(config, registry, key_type)).digest()
                + digest(self.canonicalize_for(unsecured, registry, key_type)).digest())

    def proof_fields(self) -> dict[str, str]:
        """``type`` (and ``cryptosuite``) of proofs this suite creates."""
        return {"type": self.proof_type, "cryptosuite": self.name}

    def check_signer(self, signer: Signer) -> None:
        """:class:`ProofError` ``keyTypeMismatch`` unless this suite signs with ``signer``'s key type."""
        if signer.key_type not in self.key_types:
            raise ProofError(f"{self.name} signs with {' or '.join(sorted(self.key_types))} keys, not "
                             f"{signer.key_type}", code="keyTypeMismatch", status=400)

    def check_key(self, public_key: PublicKey) -> None:
        """:class:`ProofError` ``wrongKeyType`` unless this suite verifies with ``public_key``'s key type."""
        if public_key.key_type not in self.key_types:
            raise ProofError(f"{self.name} proofs are made with {' or '.join(sorted(self.key_types))} keys; the "
                             f"verification method holds a {public_key.key_type} key", code="wrongKeyType")

    def create_proof(self, unsecured: dict[str, Any], options: dict[str, Any], signer: Signer,
                     registry: ContextRegistry | None = None) -> dict[str, Any]:
        """A proof over ``unsecured`` (which has no ``proof``) with the given options
        (``verificationMethod``, ``proofPurpose``, ``created``…), signed by ``signer``."""
        self.check_signer(signer)
        proof = {**self.proof_fields(), **{k: v for k, v in options.items() if v is not None}}
        config = self.proof_configuration(proof, unsecured)
        signature = signer.sign(self.hash_data(unsecured, config, registry, signer.key_type))
        return {**self.stored_proof(proof, config), "proofValue": encode_proof_value(signature)}

    def stored_proof(self, proof: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        """The proof as embedded in the document (eddsa-jcs-2022 keeps ``@context``)."""
        return proof

    def verify_proof(self, unsecured: dict[str, Any], proof: dict[str, Any], public_key: PublicKey,
                     registry: ContextRegistry | None = None) -> bool:
        """True when ``proof`` is a valid signature over ``unsecured`` by ``public_key``."""
        self.check_key(public_key)
        signature = decode_proof_value(proof.get("proofValue"), *self.signature_format(public_key.key_type))
        unsecured = self.prepare_unsecured(unsecured, proof)
        config = self.proof_configuration(proof, unsecured)
        return public_key.verify(self.hash_data(unsecured, config, registry, public_key.key_type), signature)

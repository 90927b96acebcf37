"""ecdsa-sd-2023: selective disclosure with ECDSA over P-256 (W3C Data Integrity ECDSA Cryptosuites v1.0 §3.4).

Three parties, three operations:
- the issuer makes a *base proof*: the credential's canonical statements (RDFC-1.0, blank nodes relabelled by
  an HMAC key) are split by the issuer's *mandatory pointers*; the mandatory ones are hashed into the issuer's
  signature, each other statement is signed by a proof-scoped ephemeral P-256 key whose public key the issuer
  signs too. The proof value (CBOR, header ``d9 5d 00``) carries the HMAC key, so only the holder gets it;
- the holder *derives* a proof revealing the mandatory statements plus those its own pointers select, with the
  signatures of those statements and the label map of their blank nodes, without the HMAC key (header
  ``d9 5d 01``);
- the verifier checks a derived proof only: a base proof presented for verification is refused
  (``baseProofNotVerifiable``), as the specification requires.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from cryptography.hazmat.primitives import hashes

from vcnode.keys.p256 import P256KeyPair, public_key_object, verify_ecdsa
from vcnode.keys.public import P256, PublicKey
from vcnode.keys.signer import Signer
from vcnode.proofs.base import ProofError
from vcnode.proofs.sd_proof_values import SdProofValueCodec, compress_label_map
from vcnode.proofs.sd_suite import SelectiveDisclosureSuite
from vcnode.proofs.selective import (
    Group,
    b64url,
    b64url_decode,
    hash_mandatory,
    hmac_label_map_factory,
)

BASE_HEADER = b"\xd9\x5d\x00"
DERIVED_HEADER = b"\xd9\x5d\x01"
CODEC = SdProofValueCodec("ecdsa-sd-2023", BASE_HEADER, DERIVED_HEADER)
P256_PUB_PREFIX = b"\x80\x24"  # multicodec p256-pub (0x1200) as a varint
PUBLIC_KEY_SIZE = 35  # P256_PUB_PREFIX + the 33-byte compressed point
#: Pointers made mandatory when the issuer names none: what a verifier must always see of a credential.
DEFAULT_MANDATORY_POINTERS = ("/issuer", "/validFrom", "/validUntil", "/issuanceDate", "/expirationDate",
                              "/credentialStatus", "/credentialSchema")

@dataclass
class BaseProofValue:
    """The parts of a base proof value (what the issuer gives the holder)."""

    base_signature: bytes
    public_key: bytes
    hmac_key: bytes
    signatures: list[bytes]
    mandatory_pointers: list[str]

    def encode(self) -> str:
        """Multibase base64url of the header and the CBOR array."""
        return CODEC.encode_base([self.base_signature, self.public_key, self.hmac_key, self.signatures,
                                  self.mandatory_pointers])


@dataclass
class DerivedProofValue:
    """The parts of a derived proof value (what the holder gives the verifier); ``label_map`` maps canonical
    labels of the revealed document (``c14n0``) to the HMAC labels (``u…``)."""

    base_signature: bytes
    public_key: bytes
    signatures: list[bytes]
    label_map: dict[str, str]
    mandatory_indexes: list[int]

    def encode(self) -> str:
        """Multibase base64url of the header and the CBOR array, the label map compressed to integers and bytes."""
        compressed = compress_label_map(self.label_map, lambda label: b64url_decode(label[1:]))
        return CODEC.encode_derived([self.base_signature, self.public_key, self.signatures, compressed,
                                     self.mandatory_indexes])


def is_base_proof(proof: dict[str, Any]) -> bool:
    """True when ``proof`` is an ecdsa-sd-2023 base proof (not yet derived)."""
    return CODEC.is_base(proof.get("proofValue"))


def _signatures(value: Any) -> list[bytes]:
    if not isinstance(value, list):
        raise CODEC.malformed("signatures must be an array")
    return [CODEC.octets(signature, 64, "a signature") for signature in value]


def parse_base_proof_value(value: Any) -> BaseProofValue:
    """The parts of a base proof value; :class:`ProofError` ``malformedProofValue`` when malformed."""
    signature, public_key, hmac_key, signatures, pointers = CODEC.decode_base(value)
    if not isinstance(pointers, list) or not all(isinstance(p, str) for p in pointers):
        raise CODEC.malformed("mandatoryPointers must be an array of strings")
    return BaseProofValue(CODEC.octets(signature, 64, "baseSignature"),
                          CODEC.octets(public_key, PUBLIC_KEY_SIZE, "publicKey"),
                          CODEC.octets(hmac_key, 32, "hmacKey"), _signatures(signatures), pointers)


def parse_derived_proof_value(value: Any) -> DerivedProofValue:
    """The parts of a derived proof value; :class:`ProofError` ``baseProofNotVerifiable`` for a base proof and
    ``malformedProofValue`` when malformed."""
    signature, public_key, signatures, compressed, indexes = CODEC.decode_derived(value)
    label_map = CODEC.label_map(compressed, lambda label: "u" + b64url(CODEC.octets(label, None, "a label")))
    return DerivedProofValue(CODEC.octets(signature, 64, "baseSignature"),
                             CODEC.octets(public_key, PUBLIC_KEY_SIZE, "publicKey"), _signatures(signatures),
                             label_map, CODEC.integers(indexes, "mandatoryIndexes"))


def default_mandatory_pointers(document: dict[str, Any]) -> list[str]:
    """:data:`DEFAULT_MANDATORY_POINTERS` that the document has."""
    return [pointer for pointer in DEFAULT_MANDATORY_POINTERS if pointer[1:] in document]


class EcdsaSd2023(SelectiveDisclosureSuite):
    """Selective disclosure for P-256 issuers: a learner reveals the achievement and hides the grade."""

    name: ClassVar[str] = "ecdsa-sd-2023"
    key_types: ClassVar[frozenset[str]] = frozenset({P256})
    signature_algorithm: ClassVar[str] = "ES256 (P-256)"
    codec: ClassVar[SdProofValueCodec] = CODEC

    #: Blank nodes are named by the HMAC of their canonical labels.
    label_map_factory = staticmethod(hmac_label_map_factory)
    parse_base = staticmethod(parse_base_proof_value)
    parse_derived = staticmethod(parse_derived_proof_value)

    def default_mandatory_pointers(self, document: dict[str, Any]) -> list[str]:
        return default_mandatory_pointers(document)

    def sign_base(self, signer: Signer, proof_hash: bytes, mandatory: Group, hmac_key: bytes, pointers: list[str],
                  *, proof_key: P256KeyPair | None = None) -> str:
        """The issuer signs the proof hash, the proof-scoped public key and the mandatory statements' hash; the
        proof-scoped key signs each other statement. ``proof_key`` (``create_proof(…, proof_key=…)``) is a
        fresh random one unless given (test vectors fix it)."""
        proof_key = proof_key or P256KeyPair.generate()
        public_key = P256_PUB_PREFIX + proof_key.public_key
        signatures = [proof_key.sign(nquad.encode("utf-8")) for nquad in mandatory.non_matching.values()]
        base_signature = signer.sign(proof_hash + public_key + hash_mandatory(list(mandatory.matching.values())))
        return BaseProofValue(base_signature, public_key, hmac_key, signatures, pointers).encode()

    def derived_value(self, base: BaseProofValue, groups: dict[str, Group], label_map: dict[str, str],
                      mandatory_indexes: list[int]) -> str:
        """The base signature and the statement signatures of the revealed non-mandatory statements."""
        mandatory, selective = groups["mandatory"], groups["selective"].matching
        non_mandatory = [index for index in range(len(mandatory.matching) + len(mandatory.non_matching))
                         if index not in mandatory.matching]
        if len(non_mandatory) != len(base.signatures):
            raise ProofError("the base proof does not sign this credential's statements", code="invalidBaseProof",
                             status=400)
        signatures = [signature for index, signature in zip(non_mandatory, base.signatures, strict=True)
                      if index in selective]
        return DerivedProofValue(base.base_signature, base.public_key, signatures, label_map,
                                 mandatory_indexes).encode()

    def verify_statements(self, derived: DerivedProofValue, proof_hash: bytes, mandatory: list[str],
                          non_mandatory: list[str], public_key: PublicKey) -> bool:
        """Each revealed non-mandatory statement against its signature by the proof-scoped key (else
        ``invalidDisclosure``), then the issuer's signature."""
        if len(derived.signatures) != len(non_mandatory):
            raise ProofError(f"the derived proof has {len(derived.signatures)} statement signatures for "
                             f"{len(non_mandatory)} disclosed statements", code="invalidDisclosure")
        if derived.public_key[:2] != P256_PUB_PREFIX:
            raise CODEC.malformed("the proof-scoped key is not a P-256 key")
        try:
            ephemeral = public_key_object(derived.public_key[2:])
        except ValueError:
            raise CODEC.malformed("the proof-scoped key is not a P-256 point") from None
        for index, (nquad, signature) in enumerate(zip(non_mandatory, derived.signatures, strict=True)):
            if not verify_ecdsa(ephemeral, nquad.encode("utf-8"), signature, hashes.SHA256(), 32):
                raise ProofError(f"disclosed statement {index} does not match its signature",
                                 code="invalidDisclosure")
        return public_key.verify(proof_hash + derived.public_key + hash_mandatory(mandatory), derived.base_signature)

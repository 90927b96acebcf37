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

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, ClassVar

import cbor2
from cryptography.hazmat.primitives import hashes

from vcnode.jsonld import ContextRegistry, canonicalize_rdfc
from vcnode.jsonld.canonical import document_quads
from vcnode.keys.p256 import P256KeyPair, public_key_object, verify_ecdsa
from vcnode.keys.public import P256, PublicKey
from vcnode.keys.signer import Signer
from vcnode.proofs.base import ProofError, SelectiveDisclosureSuite
from vcnode.proofs.selective import (
    b64url,
    b64url_decode,
    canonical_id_map,
    canonicalize_and_group,
    given_label_map_factory,
    hash_mandatory,
    hmac_label_map_factory,
    label_replacement_canonicalize,
    select_json_ld,
)

BASE_HEADER = b"\xd9\x5d\x00"
DERIVED_HEADER = b"\xd9\x5d\x01"
P256_PUB_PREFIX = b"\x80\x24"  # multicodec p256-pub (0x1200) as a varint
PUBLIC_KEY_SIZE = 35  # P256_PUB_PREFIX + the 33-byte compressed point
#: Pointers made mandatory when the issuer names none: what a verifier must always see of a credential.
DEFAULT_MANDATORY_POINTERS = ("/issuer", "/validFrom", "/validUntil", "/issuanceDate", "/expirationDate",
                              "/credentialStatus", "/credentialSchema")


def _malformed(message: str) -> ProofError:
    return ProofError(f"malformed ecdsa-sd-2023 proofValue: {message}", code="malformedProofValue")


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
        payload = [self.base_signature, self.public_key, self.hmac_key, self.signatures, self.mandatory_pointers]
        return "u" + b64url(BASE_HEADER + cbor2.dumps(payload, canonical=True))


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
        compressed = {int(key[4:]): b64url_decode(value[1:]) for key, value in
                      sorted(self.label_map.items(), key=lambda item: int(item[0][4:]))}
        payload = [self.base_signature, self.public_key, self.signatures, compressed, self.mandatory_indexes]
        return "u" + b64url(DERIVED_HEADER + cbor2.dumps(payload, canonical=True))


def _tag_hook(decoder: Any, tag: Any) -> Any:
    if tag.tag == 64 and isinstance(tag.value, bytes):  # a Uint8Array typed array, as cborg may write bytes
        return tag.value
    raise ValueError(f"unexpected CBOR tag {tag.tag}")


def _decode(value: Any) -> tuple[bytes, Any]:
    if not isinstance(value, str) or not value.startswith("u"):
        raise _malformed("it must be a base64url multibase string ('u…')")
    try:
        raw = b64url_decode(value[1:])
    except ValueError:
        raise _malformed("it is not valid base64url") from None
    if raw[:3] not in (BASE_HEADER, DERIVED_HEADER):
        raise _malformed("it does not start with an ecdsa-sd-2023 header")
    try:
        payload = cbor2.loads(raw[3:], tag_hook=_tag_hook)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError, OverflowError):
        raise _malformed("its CBOR does not decode") from None
    return raw[:3], payload


def _bytes(value: Any, size: int | None, name: str) -> bytes:
    if not isinstance(value, bytes) or (size is not None and len(value) != size):
        raise _malformed(f"{name} must be {size} bytes" if size else f"{name} must be bytes")
    return value


def is_base_proof(proof: dict[str, Any]) -> bool:
    """True when ``proof`` is an ecdsa-sd-2023 base proof (not yet derived)."""
    value = proof.get("proofValue")
    try:
        return isinstance(value, str) and value.startswith("u") and b64url_decode(value[1:5])[:3] == BASE_HEADER
    except ValueError:
        return False


def parse_base_proof_value(value: Any) -> BaseProofValue:
    """The parts of a base proof value; :class:`ProofError` ``malformedProofValue`` when malformed."""
    header, payload = _decode(value)
    if header != BASE_HEADER:
        raise ProofError("the proof is a derived ecdsa-sd-2023 proof, not a base proof", code="notABaseProof",
                         status=400)
    if not isinstance(payload, list) or len(payload) != 5:
        raise _malformed("a base proof value is an array of 5 elements")
    signature, public_key, hmac_key, signatures, pointers = payload
    if not isinstance(signatures, list) or not isinstance(pointers, list) \
            or not all(isinstance(p, str) for p in pointers):
        raise _malformed("signatures must be an array and mandatoryPointers an array of strings")
    return BaseProofValue(_bytes(signature, 64, "baseSignature"), _bytes(public_key, PUBLIC_KEY_SIZE, "publicKey"),
                          _bytes(hmac_key, 32, "hmacKey"), [_bytes(s, 64, "a signature") for s in signatures],
                          pointers)


def parse_derived_proof_value(value: Any) -> DerivedProofValue:
    """The parts of a derived proof value; :class:`ProofError` ``baseProofNotVerifiable`` for a base proof and
    ``malformedProofValue`` when malformed."""
    header, payload = _decode(value)
    if header != DERIVED_HEADER:
        raise ProofError("an ecdsa-sd-2023 base proof is for the holder to derive from, not for verifiers: "
                         "present a derived proof", code="baseProofNotVerifiable")
    if not isinstance(payload, list) or len(payload) != 5:
        raise _malformed("a derived proof value is an array of 5 elements")
    signature, public_key, signatures, compressed, indexes = payload
    if not isinstance(signatures, list) or not isinstance(compressed, dict) or not isinstance(indexes, list) \
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in indexes):
        raise _malformed("signatures, labelMap and mandatoryIndexes must be an array, a map and integers")
    if not all(isinstance(k, int) and not isinstance(k, bool) and k >= 0 for k in compressed):
        raise _malformed("labelMap keys must be non-negative integers")
    label_map = {f"c14n{key}": "u" + b64url(_bytes(label, None, "a label")) for key, label in compressed.items()}
    return DerivedProofValue(_bytes(signature, 64, "baseSignature"),
                             _bytes(public_key, PUBLIC_KEY_SIZE, "publicKey"),
                             [_bytes(s, 64, "a signature") for s in signatures], label_map, indexes)


def check_pointers(pointers: Any, name: str = "mandatoryPointers") -> list[str]:
    """``pointers`` when a list of JSON pointers; :class:`ProofError` ``invalidPointer`` (400) otherwise."""
    if not isinstance(pointers, list | tuple) or not all(isinstance(p, str) and (p == "" or p.startswith("/"))
                                                          for p in pointers):
        raise ProofError(f"{name} must be a list of JSON pointers", code="invalidPointer", status=400)
    return list(pointers)


def default_mandatory_pointers(document: dict[str, Any]) -> list[str]:
    """:data:`DEFAULT_MANDATORY_POINTERS` that the document has."""
    return [pointer for pointer in DEFAULT_MANDATORY_POINTERS if pointer[1:] in document]


class EcdsaSd2023(SelectiveDisclosureSuite):
    """Selective disclosure for P-256 issuers: a learner reveals the achievement and hides the grade."""

    name: ClassVar[str] = "ecdsa-sd-2023"
    proof_type: ClassVar[str] = "DataIntegrityProof"
    canonicalization: ClassVar[str] = "rdfc"
    key_types: ClassVar[frozenset[str]] = frozenset({P256})
    signature_algorithm: ClassVar[str] = "ES256 (P-256)"

    def is_base_proof(self, proof: dict[str, Any]) -> bool:
        """True when ``proof`` is a base proof of this suite (not yet derived)."""
        return is_base_proof(proof)

    def canonicalize(self, document: dict[str, Any], registry: ContextRegistry | None) -> bytes:
        return canonicalize_rdfc(document, registry).encode("utf-8")

    def _proof_hash(self, proof: dict[str, Any], unsecured: dict[str, Any], registry: ContextRegistry | None) -> bytes:
        return hashlib.sha256(self.canonicalize(self.proof_configuration(proof, unsecured), registry)).digest()

    def create_proof(self, unsecured: dict[str, Any], options: dict[str, Any], signer: Signer,
                     registry: ContextRegistry | None = None, *, hmac_key: bytes | None = None,
                     proof_key: P256KeyPair | None = None) -> dict[str, Any]:
        """A base proof. ``options.mandatoryPointers`` (a list of JSON pointers) names what every derived
        proof must reveal (default: :func:`default_mandatory_pointers`). ``hmac_key`` and ``proof_key`` are
        fresh random ones unless given (test vectors fix them)."""
        self.check_signer(signer)
        options = dict(options)
        pointers = options.pop("mandatoryPointers", None)
        pointers = default_mandatory_pointers(unsecured) if pointers is None else check_pointers(pointers)
        proof = {**self.proof_fields(), **{k: v for k, v in options.items() if v is not None}}
        proof_hash = self._proof_hash(proof, unsecured, registry)
        hmac_key = hmac_key if hmac_key is not None else secrets.token_bytes(32)
        groups, _, _ = canonicalize_and_group(unsecured, hmac_label_map_factory(hmac_key),
                                              {"mandatory": pointers}, registry)
        mandatory = groups["mandatory"]
        proof_key = proof_key or P256KeyPair.generate()
        public_key = P256_PUB_PREFIX + proof_key.public_key
        signatures = [proof_key.sign(nquad.encode("utf-8")) for nquad in mandatory.non_matching.values()]
        base_signature = signer.sign(proof_hash + public_key + hash_mandatory(list(mandatory.matching.values())))
        value = BaseProofValue(base_signature, public_key, hmac_key, signatures, pointers)
        return {**proof, "proofValue": value.encode()}

    def derive_proof(self, document: dict[str, Any], proof: dict[str, Any], reveal: list[str],
                     registry: ContextRegistry | None = None) -> dict[str, Any]:
        """The holder's derived document: what the mandatory pointers and ``reveal`` select of ``document``
        (without proofs), with a derived proof made from the base ``proof`` ("createDisclosureData")."""
        base = parse_base_proof_value(proof.get("proofValue"))
        reveal = check_pointers(reveal, "reveal")
        if not base.mandatory_pointers and not reveal:
            raise ProofError("nothing is selected for disclosure", code="nothingSelected", status=400)
        combined = base.mandatory_pointers + reveal
        groups, label_map, _ = canonicalize_and_group(
            document, hmac_label_map_factory(base.hmac_key),
            {"mandatory": base.mandatory_pointers, "selective": reveal, "combined": combined}, registry)
        mandatory, selective = groups["mandatory"].matching, groups["selective"].matching
        mandatory_indexes = [relative for relative, absolute in enumerate(groups["combined"].matching)
                             if absolute in mandatory]
        non_mandatory = [index for index in range(len(mandatory) + len(groups["mandatory"].non_matching))
                         if index not in mandatory]
        if len(non_mandatory) != len(base.signatures):
            raise ProofError("the base proof does not sign this credential's statements", code="invalidBaseProof",
                             status=400)
        signatures = [signature for index, signature in zip(non_mandatory, base.signatures, strict=True)
                      if index in selective]
        reveal_document = select_json_ld(document, combined)
        assert reveal_document is not None  # combined is not empty
        verifier_labels = {c14n: label_map[node] for node, c14n in
                           canonical_id_map(groups["combined"].deskolemized).items()}
        value = DerivedProofValue(base.base_signature, base.public_key, signatures, verifier_labels,
                                  mandatory_indexes)
        derived = {key: v for key, v in proof.items() if key != "@context"}
        derived["proofValue"] = value.encode()
        reveal_document["proof"] = derived
        return reveal_document

    def verify_proof(self, unsecured: dict[str, Any], proof: dict[str, Any], public_key: PublicKey,
                     registry: ContextRegistry | None = None) -> bool:
        """True when the derived ``proof`` verifies over the revealed ``unsecured`` document; a base proof is
        refused (``baseProofNotVerifiable``), a disclosed statement that does not match its signature is
        ``invalidDisclosure``."""
        self.check_key(public_key)
        derived = parse_derived_proof_value(proof.get("proofValue"))
        proof_hash = self._proof_hash(proof, unsecured, registry)
        nquads, _ = label_replacement_canonicalize(document_quads(unsecured, registry),
                                                   given_label_map_factory(derived.label_map))
        indexes = set(derived.mandatory_indexes)
        mandatory = [nquad for index, nquad in enumerate(nquads) if index in indexes]
        non_mandatory = [nquad for index, nquad in enumerate(nquads) if index not in indexes]
        if len(derived.signatures) != len(non_mandatory):
            raise ProofError(f"the derived proof has {len(derived.signatures)} statement signatures for "
                             f"{len(non_mandatory)} disclosed statements", code="invalidDisclosure")
        if derived.public_key[:2] != P256_PUB_PREFIX:
            raise _malformed("the proof-scoped key is not a P-256 key")
        try:
            ephemeral = public_key_object(derived.public_key[2:])
        except ValueError:
            raise _malformed("the proof-scoped key is not a P-256 point") from None
        for index, (nquad, signature) in enumerate(zip(non_mandatory, derived.signatures, strict=True)):
            if not verify_ecdsa(ephemeral, nquad.encode("utf-8"), signature, hashes.SHA256(), 32):
                raise ProofError(f"disclosed statement {index} does not match its signature",
                                 code="invalidDisclosure")
        return public_key.verify(proof_hash + derived.public_key + hash_mandatory(mandatory), derived.base_signature)

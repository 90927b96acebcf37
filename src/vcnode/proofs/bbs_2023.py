"""bbs-2023: unlinkable selective disclosure with BBS signatures (W3C Data Integrity BBS Cryptosuites v1.0 §3).

- the issuer makes a *base proof*: the credential's canonical statements (RDFC-1.0, blank nodes relabelled by
  an HMAC key and then renumbered ``b0, b1…`` in the order of their HMAC values, so labels leak nothing) are
  split by the issuer's *mandatory pointers*; the BBS header is SHA-256(proof configuration) ‖ SHA-256(the
  mandatory statements) and the BBS messages are the other statements. The proof value (CBOR, header
  ``d9 5d 02``) carries the HMAC key and the BBS public key for the holder;
- the holder *derives* a proof: a zero-knowledge BBS proof that discloses the statements its pointers select,
  bound to a presentation header, with the label map of the revealed blank nodes (header ``d9 5d 03``).
  Every derivation is fresh, so two presentations of one credential cannot be linked by the proof;
- the verifier checks a derived proof only: a base proof is refused (``baseProofNotVerifiable``).

The Data Integrity selective-disclosure functions are shared with ecdsa-sd-2023 (:mod:`vcnode.proofs.selective`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import cbor2

from vcnode import bbs
from vcnode.bbs.proofs import RandomScalars, calculate_random_scalars
from vcnode.jsonld import ContextRegistry, canonicalize_rdfc
from vcnode.jsonld.canonical import document_quads
from vcnode.keys.public import BLS12381_G2, PublicKey
from vcnode.proofs.base import ProofError, SelectiveDisclosureSuite
from vcnode.proofs.selective import (
    LabelMapFactory,
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

BASE_HEADER = b"\xd9\x5d\x02"
DERIVED_HEADER = b"\xd9\x5d\x03"


class BbsSigner(Protocol):
    """What a bbs-2023 issuer signs with (e.g. :class:`vcnode.keys.bls12381.Bls12381G2KeyPair`)."""

    key_type: str
    public_key: bytes

    def bbs_sign(self, header: bytes, messages: Sequence[bytes]) -> bytes:
        """The BBS signature of ``messages`` under ``header``."""
        ...


def _malformed(message: str) -> ProofError:
    return ProofError(f"malformed bbs-2023 proofValue: {message}", code="malformedProofValue")


def shuffled_label_map_factory(key: bytes) -> LabelMapFactory:
    """bbs-2023's label map (createShuffledIdLabelMapFunction): the HMAC labels of ecdsa-sd-2023, sorted, each
    blank node named ``b`` + the rank of its HMAC label."""
    hmac_labels = hmac_label_map_factory(key)

    def factory(canonical: dict[str, str]) -> dict[str, str]:
        labels = hmac_labels(canonical)
        rank = {label: index for index, label in enumerate(sorted(labels.values()))}
        return {node: f"b{rank[label]}" for node, label in labels.items()}

    return factory


@dataclass
class BaseProofValue:
    """What the issuer gives the holder."""

    signature: bytes
    header: bytes
    public_key: bytes
    hmac_key: bytes
    mandatory_pointers: list[str]

    def encode(self) -> str:
        """Multibase base64url of the header and the CBOR array."""
        payload = [self.signature, self.header, self.public_key, self.hmac_key, self.mandatory_pointers]
        return "u" + b64url(BASE_HEADER + cbor2.dumps(payload, canonical=True))


@dataclass
class DerivedProofValue:
    """What the holder gives the verifier; ``label_map`` maps ``c14nN`` to ``bM``."""

    proof: bytes
    label_map: dict[str, str]
    mandatory_indexes: list[int]
    selective_indexes: list[int]
    presentation_header: bytes

    def encode(self) -> str:
        """Multibase base64url of the header and the CBOR array, the label map compressed to integers."""
        compressed = {int(key[4:]): int(value[1:]) for key, value in self.label_map.items()}
        payload = [self.proof, compressed, self.mandatory_indexes, self.selective_indexes, self.presentation_header]
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
        raise _malformed("it does not start with a bbs-2023 header")
    try:
        payload = cbor2.loads(raw[3:], tag_hook=_tag_hook)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError, OverflowError):
        raise _malformed("its CBOR does not decode") from None
    if not isinstance(payload, list) or len(payload) != 5:
        raise _malformed("a proof value is an array of 5 elements")
    return raw[:3], payload


def _bytes(value: Any, size: int | None, name: str) -> bytes:
    if not isinstance(value, bytes) or (size is not None and len(value) != size):
        raise _malformed(f"{name} must be {size} bytes" if size else f"{name} must be bytes")
    return value


def _integers(value: Any, name: str) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0
                                              for i in value):
        raise _malformed(f"{name} must be an array of non-negative integers")
    return value


def is_base_proof(proof: dict[str, Any]) -> bool:
    """True when ``proof`` is a bbs-2023 base proof (not yet derived)."""
    value = proof.get("proofValue")
    try:
        return isinstance(value, str) and value.startswith("u") and b64url_decode(value[1:5])[:3] == BASE_HEADER
    except ValueError:
        return False


def parse_base_proof_value(value: Any) -> BaseProofValue:
    """The parts of a base proof value; :class:`ProofError` ``malformedProofValue`` when malformed."""
    header, payload = _decode(value)
    if header != BASE_HEADER:
        raise ProofError("the proof is a derived bbs-2023 proof, not a base proof", code="notABaseProof", status=400)
    signature, bbs_header, public_key, hmac_key, pointers = payload
    if not isinstance(pointers, list) or not all(isinstance(p, str) for p in pointers):
        raise _malformed("mandatoryPointers must be an array of strings")
    return BaseProofValue(_bytes(signature, 80, "bbsSignature"), _bytes(bbs_header, 64, "bbsHeader"),
                          _bytes(public_key, 96, "publicKey"), _bytes(hmac_key, 32, "hmacKey"), pointers)


def parse_derived_proof_value(value: Any) -> DerivedProofValue:
    """The parts of a derived proof value; ``baseProofNotVerifiable`` for a base proof."""
    header, payload = _decode(value)
    if header != DERIVED_HEADER:
        raise ProofError("a bbs-2023 base proof is for the holder to derive from, not for verifiers: present a "
                         "derived proof", code="baseProofNotVerifiable")
    proof, compressed, mandatory, selective, presentation_header = payload
    if not isinstance(compressed, dict) or not all(
            isinstance(k, int) and isinstance(v, int) and not isinstance(k, bool) and not isinstance(v, bool)
            and k >= 0 and v >= 0 for k, v in compressed.items()):
        raise _malformed("labelMap must map non-negative integers to non-negative integers")
    label_map = {f"c14n{key}": f"b{value}" for key, value in compressed.items()}
    return DerivedProofValue(_bytes(proof, None, "bbsProof"), label_map, _integers(mandatory, "mandatoryIndexes"),
                             _integers(selective, "selectiveIndexes"),
                             _bytes(presentation_header, None, "presentationHeader"))


def check_pointers(pointers: Any, name: str = "mandatoryPointers") -> list[str]:
    """``pointers`` when a list of JSON pointers; :class:`ProofError` ``invalidPointer`` (400) otherwise."""
    if not isinstance(pointers, list | tuple) or not all(isinstance(p, str) and (p == "" or p.startswith("/"))
                                                          for p in pointers):
        raise ProofError(f"{name} must be a list of JSON pointers", code="invalidPointer", status=400)
    return list(pointers)


class Bbs2023(SelectiveDisclosureSuite):
    """Selective, unlinkable disclosure for BLS12-381 G2 (BBS) issuers."""

    name: ClassVar[str] = "bbs-2023"
    proof_type: ClassVar[str] = "DataIntegrityProof"
    canonicalization: ClassVar[str] = "rdfc"
    key_types: ClassVar[frozenset[str]] = frozenset({BLS12381_G2})
    signature_algorithm: ClassVar[str] = "BBS (BLS12-381-SHA-256)"

    def is_base_proof(self, proof: dict[str, Any]) -> bool:
        """True when ``proof`` is a base proof of this suite (not yet derived)."""
        return is_base_proof(proof)

    def canonicalize(self, document: dict[str, Any], registry: ContextRegistry | None) -> bytes:
        return canonicalize_rdfc(document, registry).encode("utf-8")

    def _proof_hash(self, proof: dict[str, Any], unsecured: dict[str, Any], registry: ContextRegistry | None) -> bytes:
        return hashlib.sha256(self.canonicalize(self.proof_configuration(proof, unsecured), registry)).digest()

    def create_proof(self, unsecured: dict[str, Any], options: dict[str, Any], signer: Any,
                     registry: ContextRegistry | None = None, *, hmac_key: bytes | None = None) -> dict[str, Any]:
        """A base proof signed by a :class:`BbsSigner`. ``options.mandatoryPointers`` (JSON pointers, default
        none) names what every derived proof must reveal. ``hmac_key`` is random unless given (test vectors)."""
        if getattr(signer, "key_type", None) != BLS12381_G2 or not hasattr(signer, "bbs_sign"):
            raise ProofError(f"{self.name} signs with BLS12-381 G2 (BBS) keys", code="keyTypeMismatch", status=400)
        options = dict(options)
        pointers = check_pointers(options.pop("mandatoryPointers", None) or [])
        proof = {**self.proof_fields(), **{k: v for k, v in options.items() if v is not None}}
        proof_hash = self._proof_hash(proof, unsecured, registry)
        hmac_key = hmac_key if hmac_key is not None else secrets.token_bytes(32)
        groups, _, _ = canonicalize_and_group(unsecured, shuffled_label_map_factory(hmac_key),
                                              {"mandatory": pointers}, registry)
        mandatory = groups["mandatory"]
        header = proof_hash + hash_mandatory(list(mandatory.matching.values()))
        messages = [nquad.encode("utf-8") for nquad in mandatory.non_matching.values()]
        signature = signer.bbs_sign(header, messages)
        value = BaseProofValue(signature, header, signer.public_key, hmac_key, pointers)
        return {**proof, "proofValue": value.encode()}

    def derive_proof(self, document: dict[str, Any], proof: dict[str, Any], reveal: list[str],
                     registry: ContextRegistry | None = None, *, presentation_header: bytes = b"",
                     random_scalars: RandomScalars = calculate_random_scalars) -> dict[str, Any]:
        """The holder's derived document: what the mandatory pointers and ``reveal`` select of ``document``
        (without proofs), with a BBS proof bound to ``presentation_header`` ("createDisclosureData")."""
        base = parse_base_proof_value(proof.get("proofValue"))
        reveal = check_pointers(reveal, "reveal")
        if not base.mandatory_pointers and not reveal:
            raise ProofError("nothing is selected for disclosure", code="nothingSelected", status=400)
        combined = base.mandatory_pointers + reveal
        groups, label_map, _ = canonicalize_and_group(
            document, shuffled_label_map_factory(base.hmac_key),
            {"mandatory": base.mandatory_pointers, "selective": reveal, "combined": combined}, registry)
        mandatory, selective = groups["mandatory"], groups["selective"].matching
        mandatory_indexes = [relative for relative, absolute in enumerate(groups["combined"].matching)
                             if absolute in mandatory.matching]
        selective_indexes = [relative for relative, absolute in enumerate(mandatory.non_matching)
                             if absolute in selective]
        messages = [nquad.encode("utf-8") for nquad in mandatory.non_matching.values()]
        try:
            bbs_proof = bbs.proof_gen(base.public_key, base.signature, base.header, presentation_header, messages,
                                      selective_indexes, random_scalars)
        except bbs.BbsError as exc:
            raise ProofError(f"the base proof does not sign this credential: {exc}", code="invalidBaseProof",
                             status=400) from None
        reveal_document = select_json_ld(document, combined)
        assert reveal_document is not None  # combined is not empty
        verifier_labels = {c14n: label_map[node] for node, c14n in
                           canonical_id_map(groups["combined"].deskolemized).items()}
        value = DerivedProofValue(bbs_proof, verifier_labels, mandatory_indexes, selective_indexes,
                                  presentation_header)
        derived = {key: v for key, v in proof.items() if key != "@context"}
        derived["proofValue"] = value.encode()
        reveal_document["proof"] = derived
        return reveal_document

    def verify_proof(self, unsecured: dict[str, Any], proof: dict[str, Any], public_key: PublicKey,
                     registry: ContextRegistry | None = None) -> bool:
        """True when the derived ``proof`` verifies over the revealed ``unsecured`` document; a base proof is
        refused (``baseProofNotVerifiable``)."""
        self.check_key(public_key)
        derived = parse_derived_proof_value(proof.get("proofValue"))
        proof_hash = self._proof_hash(proof, unsecured, registry)
        nquads, _ = label_replacement_canonicalize(document_quads(unsecured, registry),
                                                   given_label_map_factory(derived.label_map))
        indexes = set(derived.mandatory_indexes)
        mandatory = [nquad for index, nquad in enumerate(nquads) if index in indexes]
        disclosed = [nquad.encode("utf-8") for index, nquad in enumerate(nquads) if index not in indexes]
        if len(mandatory) != len(indexes) or len(disclosed) != len(derived.selective_indexes):
            raise ProofError(f"the derived proof names {len(indexes)} mandatory and {len(derived.selective_indexes)} "
                             f"disclosed statements, the document has {len(nquads)}", code="invalidDisclosure")
        return bbs.proof_verify(public_key.raw, derived.proof, proof_hash + hash_mandatory(mandatory),
                                derived.presentation_header, disclosed, derived.selective_indexes)


def presentation_header_of(proof: dict[str, Any]) -> bytes:
    """The presentation header a derived bbs-2023 proof is bound to (a verifier compares it with the nonce it
    expects); :class:`ProofError` when the proof is not a derived one."""
    return parse_derived_proof_value(proof.get("proofValue")).presentation_header

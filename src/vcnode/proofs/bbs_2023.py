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

The steps shared with ecdsa-sd-2023 are in :class:`vcnode.proofs.sd_suite.SelectiveDisclosureSuite`, the
Data Integrity selective-disclosure functions in :mod:`vcnode.proofs.selective` and the proof-value framing in
:mod:`vcnode.proofs.sd_proof_values`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from vcnode import bbs
from vcnode.bbs.proofs import RandomScalars, calculate_random_scalars
from vcnode.keys.public import BLS12381_G2, PublicKey
from vcnode.keys.signer import BbsSigner
from vcnode.proofs.base import ProofError
from vcnode.proofs.ecdsa_sd_2023 import default_mandatory_pointers
from vcnode.proofs.sd_proof_values import SdProofValueCodec, compress_label_map
from vcnode.proofs.sd_suite import SelectiveDisclosureSuite
from vcnode.proofs.selective import Group, LabelMapFactory, hash_mandatory, hmac_label_map_factory

BASE_HEADER = b"\xd9\x5d\x02"
DERIVED_HEADER = b"\xd9\x5d\x03"
CODEC = SdProofValueCodec("bbs-2023", BASE_HEADER, DERIVED_HEADER)


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
        return CODEC.encode_base([self.signature, self.header, self.public_key, self.hmac_key,
                                  self.mandatory_pointers])


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
        compressed = compress_label_map(self.label_map, lambda label: int(label[1:]))
        return CODEC.encode_derived([self.proof, compressed, self.mandatory_indexes, self.selective_indexes,
                                     self.presentation_header])


def is_base_proof(proof: dict[str, Any]) -> bool:
    """True when ``proof`` is a bbs-2023 base proof (not yet derived)."""
    return CODEC.is_base(proof.get("proofValue"))


def parse_base_proof_value(value: Any) -> BaseProofValue:
    """The parts of a base proof value; :class:`ProofError` ``malformedProofValue`` when malformed."""
    signature, bbs_header, public_key, hmac_key, pointers = CODEC.decode_base(value)
    if not isinstance(pointers, list) or not all(isinstance(p, str) for p in pointers):
        raise CODEC.malformed("mandatoryPointers must be an array of strings")
    return BaseProofValue(CODEC.octets(signature, 80, "bbsSignature"), CODEC.octets(bbs_header, 64, "bbsHeader"),
                          CODEC.octets(public_key, 96, "publicKey"), CODEC.octets(hmac_key, 32, "hmacKey"), pointers)


def parse_derived_proof_value(value: Any) -> DerivedProofValue:
    """The parts of a derived proof value; ``baseProofNotVerifiable`` for a base proof."""
    proof, compressed, mandatory, selective, presentation_header = CODEC.decode_derived(value)
    label_map = CODEC.label_map(compressed, lambda label: f"b{CODEC.index(label, 'a labelMap value')}")
    return DerivedProofValue(CODEC.octets(proof, None, "bbsProof"), label_map,
                             CODEC.integers(mandatory, "mandatoryIndexes"),
                             CODEC.integers(selective, "selectiveIndexes"),
                             CODEC.octets(presentation_header, None, "presentationHeader"))


class Bbs2023(SelectiveDisclosureSuite):
    """Selective, unlinkable disclosure for BLS12-381 G2 (BBS) issuers."""

    name: ClassVar[str] = "bbs-2023"
    key_types: ClassVar[frozenset[str]] = frozenset({BLS12381_G2})
    signature_algorithm: ClassVar[str] = "BBS (BLS12-381-SHA-256)"
    codec: ClassVar[SdProofValueCodec] = CODEC

    #: Blank nodes are named by the rank of their HMAC labels, so labels leak nothing.
    label_map_factory = staticmethod(shuffled_label_map_factory)
    parse_base = staticmethod(parse_base_proof_value)
    parse_derived = staticmethod(parse_derived_proof_value)
    #: The holder may bind a derived proof to a presentation header (a verifier's nonce).
    derive_options: ClassVar[frozenset[str]] = frozenset({"presentation_header", "random_scalars"})

    def default_mandatory_pointers(self, document: dict[str, Any]) -> list[str]:
        """ecdsa-sd-2023's default: the credential's issuer, validity dates, status and schema, so a holder can
        never hide who issued it, when it is valid or its status (:func:`vcnode.proofs.ecdsa_sd_2023.
        default_mandatory_pointers`)."""
        return default_mandatory_pointers(document)

    def check_signer(self, signer: Any) -> None:
        """:class:`ProofError` ``keyTypeMismatch`` unless ``signer`` is a :class:`BbsSigner`."""
        if getattr(signer, "key_type", None) != BLS12381_G2 or not hasattr(signer, "bbs_sign"):
            raise ProofError(f"{self.name} signs with BLS12-381 G2 (BBS) keys", code="keyTypeMismatch", status=400)

    def sign_base(self, signer: BbsSigner, proof_hash: bytes, mandatory: Group, hmac_key: bytes,
                  pointers: list[str]) -> str:
        """The BBS signature of the non-mandatory statements under the header SHA-256(proof configuration) ‖
        SHA-256(the mandatory statements)."""
        header = proof_hash + hash_mandatory(list(mandatory.matching.values()))
        messages = [nquad.encode("utf-8") for nquad in mandatory.non_matching.values()]
        signature = signer.bbs_sign(header, messages)
        return BaseProofValue(signature, header, signer.public_key, hmac_key, pointers).encode()

    def derived_value(self, base: BaseProofValue, groups: dict[str, Group], label_map: dict[str, str],
                      mandatory_indexes: list[int], *, presentation_header: bytes = b"",
                      random_scalars: RandomScalars = calculate_random_scalars) -> str:
        """A fresh BBS proof disclosing the selected non-mandatory statements, bound to ``presentation_header``
        (``derive_proof(…, presentation_header=…)``); ``random_scalars`` are the draft's unless given (fixtures)."""
        mandatory, selective = groups["mandatory"], groups["selective"].matching
        selective_indexes = [relative for relative, absolute in enumerate(mandatory.non_matching)
                             if absolute in selective]
        messages = [nquad.encode("utf-8") for nquad in mandatory.non_matching.values()]
        try:
            bbs_proof = bbs.proof_gen(base.public_key, base.signature, base.header, presentation_header, messages,
                                      selective_indexes, random_scalars)
        except bbs.BbsError as exc:
            raise ProofError(f"the base proof does not sign this credential: {exc}", code="invalidBaseProof",
                             status=400) from None
        return DerivedProofValue(bbs_proof, label_map, mandatory_indexes, selective_indexes,
                                 presentation_header).encode()

    def verify_statements(self, derived: DerivedProofValue, proof_hash: bytes, mandatory: list[str],
                          non_mandatory: list[str], public_key: PublicKey) -> bool:
        """The BBS proof over the disclosed statements, under the header the verifier rebuilds."""
        indexes = set(derived.mandatory_indexes)
        if len(mandatory) != len(indexes) or len(non_mandatory) != len(derived.selective_indexes):
            raise ProofError(f"the derived proof names {len(indexes)} mandatory and {len(derived.selective_indexes)} "
                             f"disclosed statements, the document has {len(mandatory) + len(non_mandatory)}",
                             code="invalidDisclosure")
        disclosed = [nquad.encode("utf-8") for nquad in non_mandatory]
        return bbs.proof_verify(public_key.raw, derived.proof, proof_hash + hash_mandatory(mandatory),
                                derived.presentation_header, disclosed, derived.selective_indexes)


def presentation_header_of(proof: dict[str, Any]) -> bytes:
    """The presentation header a derived bbs-2023 proof is bound to (a verifier compares it with the nonce it
    expects); :class:`ProofError` when the proof is not a derived one."""
    return parse_derived_proof_value(proof.get("proofValue")).presentation_header

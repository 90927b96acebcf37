"""What the selective-disclosure suites (ecdsa-sd-2023, bbs-2023) share: the three operations step by step, with
the steps that differ left to each suite.

Both canonicalize with RDFC-1.0 and relabel blank nodes from an HMAC key, group the canonical statements by the
issuer's *mandatory pointers* and the holder's selective ones, and give the verifier the revealed document, a
label map of its blank nodes and the indexes of its mandatory statements. What a suite adds: its label map
(HMAC labels, or their ranks), how it signs the base proof, what a derived proof carries and how it verifies.
"""

from __future__ import annotations

import hashlib
import secrets
from abc import abstractmethod
from typing import Any, ClassVar, Protocol

from vcnode.jsonld import ContextRegistry, canonicalize_rdfc
from vcnode.jsonld.canonical import document_quads
from vcnode.keys.public import PublicKey
from vcnode.proofs.base import Cryptosuite, ProofError
from vcnode.proofs.sd_proof_values import SdProofValueCodec
from vcnode.proofs.selective import (
    Group,
    LabelMapFactory,
    canonical_id_map,
    canonicalize_and_group,
    check_pointers,
    given_label_map_factory,
    label_replacement_canonicalize,
    select_json_ld,
)


class BaseParts(Protocol):
    """What every base proof value carries for the holder."""

    hmac_key: bytes
    mandatory_pointers: list[str]


class DerivedParts(Protocol):
    """What every derived proof value carries for the verifier."""

    label_map: dict[str, str]
    mandatory_indexes: list[int]


class SelectiveDisclosureSuite(Cryptosuite):
    """A suite with selective disclosure: the issuer makes a *base proof*, a holder *derives* from it a proof
    revealing only chosen fields, and verifiers accept derived proofs only."""

    proof_type: ClassVar[str] = "DataIntegrityProof"
    canonicalization: ClassVar[str] = "rdfc"
    #: The suite's proof-value headers and element checks.
    codec: ClassVar[SdProofValueCodec]
    #: The keyword options :meth:`derive_proof` passes on to :meth:`derived_value` (bbs-2023:
    #: ``presentation_header``); any other is refused (``unsupportedDeriveOption``).
    derive_options: ClassVar[frozenset[str]] = frozenset()

    @abstractmethod
    def label_map_factory(self, hmac_key: bytes) -> LabelMapFactory:
        """The issuer's and holder's blank-node label map made from the HMAC key."""

    @abstractmethod
    def parse_base(self, value: Any) -> BaseParts:
        """The parts of a base ``proofValue``."""

    @abstractmethod
    def parse_derived(self, value: Any) -> DerivedParts:
        """The parts of a derived ``proofValue``."""

    @abstractmethod
    def sign_base(self, signer: Any, proof_hash: bytes, mandatory: Group, hmac_key: bytes, pointers: list[str],
                  **options: Any) -> str:
        """The base ``proofValue``: ``mandatory`` holds the statements the pointers select (``matching``) and
        the others (``non_matching``)."""

    @abstractmethod
    def derived_value(self, base: Any, groups: dict[str, Group], label_map: dict[str, str],
                      mandatory_indexes: list[int], **options: Any) -> str:
        """The derived ``proofValue`` from the base proof's parts, the ``mandatory``, ``selective`` and
        ``combined`` groups, the verifier's label map and the indexes of the mandatory statements among the
        revealed ones."""

    @abstractmethod
    def verify_statements(self, derived: Any, proof_hash: bytes, mandatory: list[str], non_mandatory: list[str],
                          public_key: PublicKey) -> bool:
        """True when the derived proof's signature(s) cover the revealed statements (canonical N-Quads,
        relabelled by the proof's label map)."""

    def default_mandatory_pointers(self, document: dict[str, Any]) -> list[str]:
        """The mandatory pointers of a base proof whose options name none."""
        return []

    def is_base_proof(self, proof: dict[str, Any]) -> bool:
        """True when ``proof`` (of this suite) is a base proof, not yet derived."""
        return self.codec.is_base(proof.get("proofValue"))

    def canonicalize(self, document: dict[str, Any], registry: ContextRegistry | None) -> bytes:
        return canonicalize_rdfc(document, registry).encode("utf-8")

    def proof_hash(self, proof: dict[str, Any], unsecured: dict[str, Any], registry: ContextRegistry | None) -> bytes:
        """SHA-256 of the canonical proof configuration."""
        return hashlib.sha256(self.canonicalize(self.proof_configuration(proof, unsecured), registry)).digest()

    def create_proof(self, unsecured: dict[str, Any], options: dict[str, Any], signer: Any,
                     registry: ContextRegistry | None = None, *, hmac_key: bytes | None = None,
                     **signing: Any) -> dict[str, Any]:
        """A base proof. ``options.mandatoryPointers`` (a list of JSON pointers) names what every derived
        proof must reveal (default: :meth:`default_mandatory_pointers`). ``hmac_key`` is random unless given
        (test vectors fix it); ``signing`` goes to :meth:`sign_base`."""
        self.check_signer(signer)
        options = dict(options)
        pointers = options.pop("mandatoryPointers", None)
        pointers = self.default_mandatory_pointers(unsecured) if pointers is None else check_pointers(pointers)
        proof = {**self.proof_fields(), **{k: v for k, v in options.items() if v is not None}}
        proof_hash = self.proof_hash(proof, unsecured, registry)
        hmac_key = hmac_key if hmac_key is not None else secrets.token_bytes(32)
        groups, _, _ = canonicalize_and_group(unsecured, self.label_map_factory(hmac_key), {"mandatory": pointers},
                                              registry)
        value = self.sign_base(signer, proof_hash, groups["mandatory"], hmac_key, pointers, **signing)
        return {**proof, "proofValue": value}

    def derive_proof(self, document: dict[str, Any], proof: dict[str, Any], reveal: list[str],
                     registry: ContextRegistry | None = None, **options: Any) -> dict[str, Any]:
        """The holder's derived document: what the base ``proof``'s mandatory pointers and ``reveal`` (JSON
        pointers) select of ``document`` (without proofs), with its derived proof ("createDisclosureData");
        ``options`` go to :meth:`derived_value`."""
        unsupported = sorted(set(options) - self.derive_options)
        if unsupported:
            raise ProofError(f"{self.name} derived proofs take no {', '.join(unsupported)}",
                             code="unsupportedDeriveOption", status=400)
        base = self.parse_base(proof.get("proofValue"))
        reveal = check_pointers(reveal, "reveal")
        if not base.mandatory_pointers and not reveal:
            raise ProofError("nothing is selected for disclosure", code="nothingSelected", status=400)
        combined = base.mandatory_pointers + reveal
        groups, label_map, _ = canonicalize_and_group(
            document, self.label_map_factory(base.hmac_key),
            {"mandatory": base.mandatory_pointers, "selective": reveal, "combined": combined}, registry)
        mandatory_indexes = [relative for relative, absolute in enumerate(groups["combined"].matching)
                             if absolute in groups["mandatory"].matching]
        verifier_labels = {c14n: label_map[node] for node, c14n in
                           canonical_id_map(groups["combined"].deskolemized).items()}
        value = self.derived_value(base, groups, verifier_labels, mandatory_indexes, **options)
        reveal_document = select_json_ld(document, combined)
        assert reveal_document is not None  # combined is not empty
        derived = {key: v for key, v in proof.items() if key != "@context"}
        derived["proofValue"] = value
        reveal_document["proof"] = derived
        return reveal_document

    def verify_proof(self, unsecured: dict[str, Any], proof: dict[str, Any], public_key: PublicKey,
                     registry: ContextRegistry | None = None) -> bool:
        """True when the derived ``proof`` verifies over the revealed ``unsecured`` document; a base proof is
        refused (``baseProofNotVerifiable``)."""
        self.check_key(public_key)
        derived = self.parse_derived(proof.get("proofValue"))
        proof_hash = self.proof_hash(proof, unsecured, registry)
        nquads, _ = label_replacement_canonicalize(document_quads(unsecured, registry),
                                                   given_label_map_factory(derived.label_map))
        indexes = set(derived.mandatory_indexes)
        mandatory = [nquad for index, nquad in enumerate(nquads) if index in indexes]
        non_mandatory = [nquad for index, nquad in enumerate(nquads) if index not in indexes]
        return self.verify_statements(derived, proof_hash, mandatory, non_mandatory, public_key)

"""Data Integrity proofs: one module per cryptosuite behind :class:`Cryptosuite`, plus proof sets/chains."""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from typing import Any

from vcnode.proofs.base import Cryptosuite, ProofError

#: Cryptosuites register in this entry-point group (``name = module:Class``), as DID method drivers do in
#: ``vcnode.did_methods``: a suite is added by installing a distribution, without touching the core.
ENTRY_POINT_GROUP = "vcnode.cryptosuites"
DEFAULT_SUITE = "eddsa-rdfc-2022"

log = logging.getLogger(__name__)


def load_suites(group: str = ENTRY_POINT_GROUP) -> dict[str, Cryptosuite]:
    """Instantiate every cryptosuite registered in ``group``, keyed by the name it creates proofs under, the
    default suite first. A suite that fails to load is logged and left out: a broken plug-in must not stop
    the node; a name registered twice keeps the first."""
    suites: dict[str, Cryptosuite] = {}
    for ep in sorted(entry_points(group=group), key=lambda ep: ep.name != DEFAULT_SUITE):  # stable: file order
        try:
            suite = ep.load()()
        except Exception:
            log.exception("cryptosuite %s (%s) failed to load", ep.name, ep.value)
            continue
        if not isinstance(suite, Cryptosuite):
            log.error("cryptosuite %s (%s) is not a vcnode.proofs.base.Cryptosuite; left out", ep.name, ep.value)
            continue
        suites.setdefault(suite.name, suite)
    return suites


SUITES: dict[str, Cryptosuite] = load_suites()

__all__ = ["DEFAULT_SUITE", "ENTRY_POINT_GROUP", "SUITES", "Cryptosuite", "ProofError", "default_suite_for",
           "document_suite_for", "jcs_suite_for", "load_suites", "suite_by_name", "suite_for_proof"]


def jcs_suite_for(key_type: str) -> str | None:
    """The Data Integrity suite with JCS canonicalization that signs with ``key_type`` keys (eddsa-jcs-2022 for
    Ed25519, ecdsa-jcs-2019 for P-256 and P-384), None when none is registered: what anchor log entries and gossip
    messages are signed with."""
    return next((suite.name for suite in SUITES.values() if suite.proof_type == "DataIntegrityProof"
                 and suite.canonicalization == "jcs" and key_type in suite.key_types), None)


def document_suite_for(key_type: str) -> str | None:
    """The suite the node signs its own credentials (status lists) with for ``key_type`` keys: the default suite
    where it signs with them (Ed25519), else the key type's JCS suite (ecdsa-jcs-2019 for P-256 and P-384).
    None for BLS12-381 G2 keys: they sign bbs-2023 base proofs only, which verifiers refuse until a holder derives
    from them, so no status list (or anchor log, or gossip message) can be signed with them."""
    if key_type in SUITES[DEFAULT_SUITE].key_types:
        return DEFAULT_SUITE
    return jcs_suite_for(key_type)


def default_suite_for(key_type: str) -> str:
    """The suite a credential is issued with when none is asked for: :func:`document_suite_for` the key type,
    else the one suite that signs with it (bbs-2023 for BLS12-381 G2), else the default suite (which then
    refuses the key: ``keyTypeMismatch``)."""
    return document_suite_for(key_type) or next(
        (suite.name for suite in SUITES.values() if key_type in suite.key_types), DEFAULT_SUITE)


def suite_by_name(name: str) -> Cryptosuite:
    """The suite to create proofs with (``eddsa-rdfc-2022``, ``eddsa-jcs-2022``, ``Ed25519Signature2020``,
    ``ecdsa-jcs-2019``, ``ecdsa-rdfc-2019``)."""
    try:
        return SUITES[name]
    except (KeyError, TypeError):
        raise ProofError(f"unknown cryptosuite {str(name)[:100]!r}; supported: {', '.join(SUITES)}",
                         code="unknownCryptosuite", status=400) from None


def suite_for_proof(proof: dict[str, Any]) -> Cryptosuite:
    """The suite that verifies ``proof``, by its ``type`` and ``cryptosuite``."""
    proof_type, cryptosuite = proof.get("type"), proof.get("cryptosuite")
    if not isinstance(proof_type, str):
        raise ProofError("proof.type must be a string", code="unknownProofType")
    if proof_type == "DataIntegrityProof":
        for suite in SUITES.values():
            if suite.proof_type == proof_type and (cryptosuite == suite.name or cryptosuite in suite.aliases):
                return suite
        raise ProofError(f"unknown cryptosuite {str(cryptosuite)[:100]!r}", code="unknownCryptosuite")
    if proof_type in SUITES and SUITES[proof_type].proof_type == proof_type:
        return SUITES[proof_type]
    raise ProofError(f"unknown proof type {str(proof_type)[:100]!r}", code="unknownProofType")

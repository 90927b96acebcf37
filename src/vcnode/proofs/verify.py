"""Verify every proof on a document: proof sets, proof chains (``previousProof``), purpose, controller,
time window, and the key's own validity window. Failures are results with codes, never exceptions."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from vcnode.clock import SYSTEM_CLOCK, format_timestamp, parse_datetime
from vcnode.did.resolution import Resolution, ResolutionError
from vcnode.did.resolver import Resolver, find_verification_method, relationship_ids
from vcnode.did.syntax import parse_did_url
from vcnode.errors import VcnodeError
from vcnode.jsonld import ContextRegistry
from vcnode.jsonld.rdfc import CanonicalizationDeferred, deferring
from vcnode.keys import multikey
from vcnode.keys.public import PublicKey
from vcnode.proofs import Cryptosuite, offload, suite_for_proof
from vcnode.proofs.base import ProofError
from vcnode.proofs.keys import method_public_key

CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class ProofResult:
    """The outcome for one proof."""

    verified: bool
    type: str | None = None
    cryptosuite: str | None = None
    verification_method: str | None = None
    controller: str | None = None
    error: dict[str, str] | None = None
    warnings: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JSON form used in verification reports."""
        out: dict[str, Any] = {"verified": self.verified, "type": self.type, "verificationMethod":
                               self.verification_method}
        if self.cryptosuite:
            out["cryptosuite"] = self.cryptosuite
        if self.controller:
            out["controller"] = self.controller
        if self.error:
            out["error"] = self.error
        if self.warnings:
            out["warnings"] = self.warnings
        return out


@dataclass(frozen=True)
class ProofExpectations:
    """What the verifier requires of the proofs."""

    purpose: str = "assertionMethod"
    controller: str | None = None        # the issuer (credentials) or holder (presentations)
    challenge: str | None = None
    domain: str | None = None
    allow_embedded_keys: bool = False    # keys in https:// or urn:uuid: verification method ids (1EdTech samples)
    now: datetime | None = None


def _fail(result: ProofResult, code: str, message: str) -> ProofResult:
    result.verified = False
    result.error = {"code": code, "message": message}
    return result


async def _method_and_key(proof: dict[str, Any], expect: ProofExpectations, resolver: Resolver,
                          result: ProofResult) -> tuple[dict[str, Any], PublicKey]:
    vm_id = proof.get("verificationMethod")
    if isinstance(vm_id, dict):  # an embedded verification method object
        vm_id = vm_id.get("id")
    if not isinstance(vm_id, str):
        raise ProofError("the proof has no verificationMethod", code="malformedProof")
    parsed = parse_did_url(vm_id)
    if parsed is not None and parsed.fragment is None and parsed.method == "key" and parsed.did == vm_id:
        vm_id = f"{vm_id}#{parsed.method_specific_id}"  # a bare did:key names its one key
    if parsed is None:
        fragment = vm_id.rsplit("#", 1)[1] if "#" in vm_id else ""
        if vm_id.startswith(("https://", "urn:uuid:")) and fragment.startswith("z6Mk") and expect.allow_embedded_keys:
            # 1EdTech samples put the key in the fragment of an https URL. Its binding to the issuer is
            # not proven by anyone: usable only when the caller opts in, and always reported.
            result.warnings.append({"code": "keyNotResolved", "message": "the key was taken from the "
                                    "verification method id, not from a document controlled by the issuer"})
            method = {"id": vm_id, "type": "Multikey", "controller": vm_id.split("#", 1)[0],
                      "publicKeyMultibase": fragment}
            try:
                return method, method_public_key(method)
            except ProofError as exc:
                raise ProofError(f"the key in {vm_id[:120]} is malformed: {exc.detail}",
                                 code="invalidPublicKey") from None
        if ":" not in vm_id:
            raise ProofError(f"verification method {vm_id[:120]!r} is not a URL", code="invalidVerificationMethod")
        raise ProofError(f"verification method {vm_id[:120]!r} is not a DID URL this node can resolve",
                         code="verificationMethodNotFound")
    try:
        method: dict[str, Any] | None = await resolver.dereference(vm_id)
        problem = None
    except ResolutionError as exc:
        method, problem = None, ProofError(f"verification method {vm_id[:120]} could not be resolved: {exc.code}: "
                                           f"{exc.message}", code="verificationMethodNotFound")
    if method is not None:
        # The method must be authorised for this purpose by the document of the DID that controls it.
        controller_doc = await resolver.resolve(parsed.did)
        _check_not_deactivated(controller_doc, parsed.did)
        if method.get("controller") != parsed.did:
            raise ProofError(f"verification method {vm_id[:120]} is not controlled by {parsed.did}",
                             code="controllerMismatch")
        if vm_id not in relationship_ids(controller_doc.did_document or {}, expect.purpose):
            problem = ProofError(f"{vm_id[:120]} is not listed under {expect.purpose} in {parsed.did}'s DID "
                                 "document", code="proofPurposeNotAuthorized")
    if problem is not None:
        method = await _method_at_creation(proof, parsed.did, vm_id, expect.purpose, resolver, result)
        if method is None:
            raise problem
    assert method is not None  # set above whenever problem is None
    return method, method_public_key(method)


def _check_not_deactivated(resolution: Resolution, did: str) -> None:
    if resolution.document_metadata.get("deactivated") is True:
        raise ProofError(f"{did} is deactivated", code="didDeactivated")


async def _method_at_creation(proof: dict[str, Any], did: str, vm_id: str, purpose: str, resolver: Resolver,
                              result: ProofResult) -> dict[str, Any] | None:
    """The verification method as the DID document in effect at ``proof.created`` authorised it, for DID
    methods that keep their history (did:webvh): a key rotated out since still verifies what it signed
    while it was current. None when the method has no versions or that version does not authorise the key.

    The signer asserts ``created``; a key taken out of the document because it leaked could sign with an
    earlier date. Rotation by removal therefore protects only signatures dated after it, as with did:web
    keys whose ``validUntil`` has passed.
    """
    created = parse_datetime(proof.get("created"))
    if created is None:
        return None
    at = format_timestamp(created, timespec="auto")
    resolution = await resolver.resolve(f"{did}?versionTime={at}")
    document = resolution.did_document
    if document is None:
        return None
    _check_not_deactivated(resolution, did)
    method = find_verification_method(document, vm_id)
    if method is None or method.get("controller") != did or vm_id not in relationship_ids(document, purpose):
        return None
    version = resolution.document_metadata.get("versionId")
    result.warnings.append({"code": "keyFromEarlierVersion", "message": f"{vm_id[:120]} is not authorised by the "
                            f"current DID document; the version in effect at proof.created ({version}) authorised it"})
    return method


def _check_times(proof: dict[str, Any], method: dict[str, Any], now: datetime) -> None:
    created = parse_datetime(proof.get("created")) if "created" in proof else None
    if "created" in proof and created is None:
        raise ProofError("proof.created is not a valid dateTime", code="malformedProof")
    if created is not None and created > now + CLOCK_SKEW:
        raise ProofError("proof.created is in the future", code="proofNotYetValid")
    if "expires" in proof:
        expires = parse_datetime(proof["expires"])
        if expires is None:
            raise ProofError("proof.expires is not a valid dateTime", code="malformedProof")
        if expires < now:
            raise ProofError(f"the proof expired at {proof['expires']}", code="proofExpired")
    # Keys the node rotated out carry their validity window: a signature dated outside it is not trusted.
    if created is not None:
        valid_from, valid_until = parse_datetime(method.get("validFrom")), parse_datetime(method.get("validUntil"))
        if valid_from is not None and created + CLOCK_SKEW < valid_from:
            raise ProofError("the proof was created before its key became valid", code="keyNotValidAtCreation")
        if valid_until is not None and created > valid_until:
            raise ProofError("the proof was created after its key was retired", code="keyNotValidAtCreation")


async def _verify_signature(suite: Cryptosuite, unsecured: dict[str, Any], proof: dict[str, Any], public_key: PublicKey,
                            registry: ContextRegistry | None) -> bool:
    """The suite's signature check: in a worker process, when the node installed workers (see
    :mod:`vcnode.proofs.offload`), for a heavy document or one whose blank nodes need more N-degree work than
    the loop may spend; else here."""
    workers = offload.installed()
    if workers is None or registry is not None:
        return suite.verify_proof(unsecured, proof, public_key, registry)
    if workers.is_heavy(unsecured):
        return await workers.verify(unsecured, proof, public_key)
    try:
        with deferring(workers.settings.inline_calls, workers.settings.inline_seconds):
            return suite.verify_proof(unsecured, proof, public_key, registry)
    except CanonicalizationDeferred:  # small, but its blank nodes need real N-degree work
        return await workers.verify(unsecured, proof, public_key)


async def verify_one(unsecured: dict[str, Any], proof: Any, expect: ProofExpectations, resolver: Resolver,
                     registry: ContextRegistry | None) -> ProofResult:
    """Verify a single proof over ``unsecured`` (the document with the proofs it covers, if chained)."""
    result = ProofResult(verified=False)
    if not isinstance(proof, dict):
        return _fail(result, "malformedProof", "a proof must be a JSON object")
    result.type, result.cryptosuite = proof.get("type"), proof.get("cryptosuite")
    vm = proof.get("verificationMethod")
    result.verification_method = vm if isinstance(vm, str) else None
    try:
        suite = suite_for_proof(proof)
        if proof.get("proofPurpose") != expect.purpose:
            raise ProofError(f"proofPurpose is {str(proof.get('proofPurpose'))[:60]!r}, expected {expect.purpose}",
                             code="proofPurposeMismatch")
        if expect.challenge is not None and proof.get("challenge") != expect.challenge:
            raise ProofError("the proof's challenge does not match", code="challengeMismatch")
        if expect.domain is not None and proof.get("domain") != expect.domain:
            raise ProofError("the proof's domain does not match", code="domainMismatch")
        method, public_key = await _method_and_key(proof, expect, resolver, result)
        suite.check_key(public_key)  # before any canonicalization work
        result.controller = method.get("controller")
        if expect.controller is not None and result.controller != expect.controller:
            raise ProofError(f"the key's controller {str(result.controller)[:120]} is not {expect.controller[:120]}",
                             code="controllerMismatch")
        _check_times(proof, method, expect.now or SYSTEM_CLOCK.now())
        if not await _verify_signature(suite, unsecured, proof, public_key, registry):
            raise ProofError("the signature does not verify", code="invalidSignature")
    except multikey.MultikeyError as exc:
        return _fail(result, "invalidPublicKey", exc.detail)
    except VcnodeError as exc:  # ProofError, and canonicalization errors (undefinedTerm, unknownContext…)
        return _fail(result, exc.code, exc.detail)
    result.verified = True
    return result


async def verify_proofs(document: dict[str, Any], expect: ProofExpectations, resolver: Resolver,
                        registry: ContextRegistry | None = None) -> list[ProofResult]:
    """Verify every proof on ``document`` (a proof set; chained proofs cover the proofs they name)."""
    proofs = document.get("proof")
    if proofs is None:
        return [_fail(ProofResult(False), "noProof", "the document has no proof")]
    proofs = proofs if isinstance(proofs, list) else [proofs]
    if not proofs:
        return [_fail(ProofResult(False), "noProof", "the document has no proof")]
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    by_id = {p["id"]: p for p in proofs if isinstance(p, dict) and isinstance(p.get("id"), str)}

    async def check(proof: Any) -> ProofResult:
        previous = proof.get("previousProof") if isinstance(proof, dict) else None
        if previous is None:
            return await verify_one(unsecured, proof, expect, resolver, registry)
        names = previous if isinstance(previous, list) else [previous]
        if not all(isinstance(name, str) for name in names):
            return _fail(ProofResult(False, proof.get("type"), proof.get("cryptosuite")), "malformedProof",
                         "previousProof must be a proof id or a list of them")
        missing = [name for name in names if name not in by_id]
        if missing:
            return _fail(ProofResult(False, proof.get("type"), proof.get("cryptosuite")), "previousProofNotFound",
                         f"previousProof {str(missing)[:120]} is not in this proof set")
        covered = [by_id[name] for name in names]
        chained = {**unsecured, "proof": covered[0] if len(covered) == 1 else covered}
        return await verify_one(chained, proof, expect, resolver, registry)

    if len(proofs) == 1:  # the common case: no tasks to schedule
        return [await check(proofs[0])]
    return list(await asyncio.gather(*(check(proof) for proof in proofs)))

"""Verify credentials and presentations: structure, proofs, issuer binding, validity, (status later)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from vcnode.clock import SYSTEM_CLOCK
from vcnode.credentials.clr import check_clr, is_clr
from vcnode.credentials.holder import HolderBinding, bind_holder
from vcnode.credentials.model import (
    as_list,
    check_credential_structure,
    check_presentation_structure,
    check_validity_period,
    issuer_id,
)
from vcnode.credentials.openbadges import check_open_badge, is_open_badge
from vcnode.credentials.report import Report
from vcnode.did.resolver import Resolver
from vcnode.jsonld import ContextRegistry
from vcnode.proofs.verify import ProofExpectations, ProofResult, verify_proofs

if TYPE_CHECKING:  # the status checker verifies list credentials with this module: no import cycle at runtime
    from vcnode.status.check import StatusChecker


@dataclass(frozen=True)
class VerifyOptions:
    """What the caller asks of a verification."""

    now: datetime | None = None
    challenge: str | None = None        # presentations
    domain: str | None = None           # presentations
    allow_embedded_keys: bool = False   # keys in https or urn:uuid verification method ids (1EdTech samples)
    registry: ContextRegistry | None = None
    #: The checks to perform (VC API ``options.checks``); structure and proof always run. None = all.
    checks: frozenset[str] | None = None
    #: Checks ``credentialStatus`` entries; None reports status as not checked.
    status: StatusChecker | None = None
    #: How many proofs of equivocation are held against a DID (peer-to-peer anchoring); None: not asked.
    equivocations: Callable[[str], Awaitable[int]] | None = None
    #: When status checks stop waiting for lists (a ``time.monotonic()`` value): one for a whole request, so
    #: the credentials of a presentation share it. None: wait for every fetch (each bounded by its timeout).
    status_deadline: float | None = None
    #: Presentations: ``required`` (default) fails a credential that is not bound to the proven holder;
    #: ``allowMismatch`` reports that as a warning (the verifier accepts credentials presented by others).
    holder_binding: Literal["required", "allowMismatch"] = "required"

    def wants(self, check: str) -> bool:
        """True when ``check`` was asked for (or no selection was made)."""
        return self.checks is None or check in self.checks


_UNKNOWN = ("unknownProofType", "unknownCryptosuite")


def _record_proofs(results: list[ProofResult], report: Report, check: str = "proof") -> None:
    # Like jsonld-signatures, proofs of a type this node does not implement are skipped when another
    # proof verifies; they are reported as warnings. Alone, they are errors.
    known_verified = any(r.verified for r in results)
    for result in results:
        for warning in result.warnings:
            report.warn(check, warning["code"], warning["message"])
        if result.error and result.error["code"] in _UNKNOWN and known_verified:
            report.warn(check, result.error["code"], result.error["message"] + " (skipped)")
        elif result.error:
            report.error(check, result.error["code"], result.error["message"])
    report.passed(check, proofs=[r.to_json() for r in results])


def _check_issuer(credential: dict[str, Any], results: list[ProofResult], report: Report) -> None:
    """At least one verified proof must be by a key the issuer controls (the assertion's author)."""
    issuer = issuer_id(credential)
    controllers = [r.controller for r in results if r.verified]
    if not controllers:
        report.passed("issuer", checked=False, reason="no verified proof to bind to the issuer")
        report.results["issuer"].pop("verified", None)
        return
    if issuer not in controllers:
        report.error("issuer", "issuerMismatch", f"the credential is signed by {controllers[0][:120]}, which is "
                     f"not its issuer {str(issuer)[:120]}")
    report.passed("issuer", issuer=issuer)


async def _flag_equivocation(credential: dict[str, Any], options: VerifyOptions, report: Report) -> None:
    """Every report for an issuer proven to have shown different histories to different nodes says so."""
    issuer = issuer_id(credential)
    if options.equivocations is None or not isinstance(issuer, str):
        return
    proofs = await options.equivocations(issuer)
    if proofs:
        report.warn("issuer", "issuerEquivocated", f"this node holds {proofs} proof(s) that the issuer signed "
                    "conflicting versions of its anchor log: what it publishes (status lists) cannot be trusted")


async def _check_status(credential: dict[str, Any], options: VerifyOptions, now: datetime, report: Report) -> None:
    if not credential.get("credentialStatus"):
        return
    if options.status is not None:
        await options.status.check(credential, report, now, deadline=options.status_deadline)
        return
    report.passed("status", checked=False, reason="no status checker was given")
    report.results["status"].pop("verified", None)
    report.warn("status", "statusNotChecked", "the credential has a credentialStatus, which was not checked")


async def verify_status_list(document: dict[str, Any], resolver: Resolver, options: VerifyOptions) -> Report:
    """Verify a status list credential: like any credential, but its own status is not checked."""
    return await verify_credential(document, resolver, replace(options, status=None, checks=None))


async def verify_credential(credential: Any, resolver: Resolver, options: VerifyOptions | None = None) -> Report:
    """The full report for one credential. Never raises for bad input."""
    options = options or VerifyOptions()
    now = options.now or SYSTEM_CLOCK.now()
    report = Report()
    found = check_credential_structure(credential, report)
    if found is None:
        return report
    embedded = check_clr(credential, report) if is_clr(credential) else None
    if is_open_badge(credential):
        check_open_badge(credential, report)
    if options.wants("validity"):
        check_validity_period(credential, now, report)
    expect = ProofExpectations(purpose="assertionMethod", allow_embedded_keys=options.allow_embedded_keys, now=now)
    results = await verify_proofs(credential, expect, resolver, options.registry)
    _record_proofs(results, report)
    if options.wants("issuer"):
        _check_issuer(credential, results, report)
        await _flag_equivocation(credential, options, report)
    if options.wants("status") or options.wants("credentialStatus"):
        await _check_status(credential, options, now, report)
    if embedded is not None:
        await _verify_embedded(embedded, "credentialSubject.verifiableCredential", resolver, options, report)
    return report


def _record_binding(binding: HolderBinding, options: VerifyOptions, report: Report) -> None:
    """A credential's ``holderBinding`` result: passed, not applicable (not a check performed), or failed,
    an error unless the request allows a mismatch (then a warning)."""
    if binding.outcome == "passed":
        report.passed("holderBinding", **binding.to_json())
    elif binding.outcome == "notApplicable":
        report.results["holderBinding"] = {"checked": False, "reason": binding.message, **binding.to_json()}
    elif options.holder_binding == "allowMismatch":
        report.warn("holderBinding", binding.code or "holderMismatch", binding.message + " (allowed by the request)")
        report.results["holderBinding"] = {**binding.to_json(), "allowed": True}
    else:
        report.error("holderBinding", binding.code or "holderMismatch", binding.message)
        report.results["holderBinding"].update(binding.to_json())


async def _verify_embedded(credentials: list[Any], where: str, resolver: Resolver, options: VerifyOptions,
                           report: Report, bind: Callable[[Any], HolderBinding] | None = None) -> None:
    """Verify credentials carried inside another document; their reports go under ``credentials``. With
    ``bind`` (a presentation's), each report also gets the credential's ``holderBinding``."""
    if options.status is not None and (options.wants("status") or options.wants("credentialStatus")):
        for credential in credentials:  # their lists are fetched together, not one credential after another
            options.status.prefetch(credential)
    reports = []
    for index, credential in enumerate(credentials):
        sub = await verify_credential(credential, resolver, options)
        if bind is not None:
            _record_binding(bind(credential), options, sub)
        reports.append(sub.to_json())
        if not sub.verified:
            # A credential that fails only its holder binding says so at the top: that is the answer.
            binding = [e for e in sub.errors if e.check == "holderBinding"]
            if binding and len(binding) == len(sub.errors):
                report.error("credentials", binding[0].code, f"{where}[{index}]: {binding[0].message}",
                             f"{where}[{index}]")
            else:
                report.error("credentials", "credentialNotVerified", f"{where}[{index}] did not verify",
                             f"{where}[{index}]")
    report.passed("credentials", credentials=reports)


async def verify_presentation(presentation: Any, resolver: Resolver,
                              options: VerifyOptions | None = None) -> Report:
    """A presentation's report: its own proof (authentication, challenge, domain, signed by its holder)
    and, under ``credentials``, one report per embedded credential with its ``holderBinding``
    (:mod:`vcnode.credentials.holder`)."""
    options = options or VerifyOptions()
    now = options.now or SYSTEM_CLOCK.now()
    report = Report()
    if check_presentation_structure(presentation, report) is None:
        return report
    holder = presentation.get("holder")
    holder = holder.get("id") if isinstance(holder, dict) else holder
    # Only a string can name the key's controller; any other holder is already an invalidHolder error, and
    # passing it on would crash the proof check (it formats and compares the controller as a string).
    controller = holder if isinstance(holder, str) else None
    proven = False
    if presentation.get("proof") is not None or options.challenge is not None:
        expect = ProofExpectations(purpose="authentication", controller=controller, challenge=options.challenge,
                                   domain=options.domain, allow_embedded_keys=options.allow_embedded_keys, now=now)
        results = await verify_proofs(presentation, expect, resolver, options.registry)
        _record_proofs(results, report)
        proven = controller is not None and any(r.verified and r.controller == controller for r in results)
        if holder is None:  # holder is optional in VCDM 2.0; then nothing binds the signer to a holder
            report.warn("proof", "holderNotNamed", "the presentation names no holder: its signer is not bound "
                        "to one")
    else:
        report.warn("proof", "unsignedPresentation", "the presentation has no proof: its holder is not proven")
    await _verify_embedded(as_list(presentation.get("verifiableCredential")), "verifiableCredential", resolver,
                           options, report, lambda credential: bind_holder(credential, holder, holder_proven=proven))
    return report

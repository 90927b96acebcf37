"""Verify credentials and presentations: structure, proofs, issuer binding, validity, status, holder binding.

An enveloped credential or presentation (VC 2.0 ``EnvelopedVerifiableCredential`` / ``...Presentation`` with
a ``data:`` URL, or a VC-JWT 1.1 string) is opened first (:mod:`vcnode.envelopes`): the envelope's signature
stands for the proof, and the document it secures goes through the same checks as any other."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from vcnode.clock import SYSTEM_CLOCK
from vcnode.credentials.clr import check_clr, is_clr
from vcnode.credentials.holder import HolderBinding, bind_holder
from vcnode.credentials.key_binding import check_key_binding_claims
from vcnode.credentials.limits import TooMuchToVerify, VerifyLimits, check_limits
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
from vcnode.envelopes import DEFAULT_MAX_BYTES as ENVELOPE_MAX_BYTES
from vcnode.envelopes import Opened, is_enveloped, open_envelope
from vcnode.envelopes.base import (
    CLOCK_SKEW,
    ENVELOPE_TOO_LARGE,
    EXPIRED,
    INVALID_ENVELOPE,
    ISSUER_MISMATCH,
    MALFORMED_DATA_URL,
    NOT_YET_VALID,
    UNSUPPORTED_MEDIA_TYPE,
    Kind,
    parse_data_url,
)
from vcnode.errors import VcnodeError
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
    #: ``required`` (default) fails a credential no verified proof of which is by a key its issuer controls;
    #: ``allowMismatch`` reports that as a warning (the node's ``issuer_binding``: a verifier that decides
    #: issuer trust itself, or tests the proof algorithms alone on vectors with illustrative issuers).
    issuer_binding: Literal["required", "allowMismatch"] = "required"
    #: How old (seconds) a key-binding JWT answering ``challenge``/``domain`` may be (SD-JWT envelopes).
    key_binding_max_age: float = 300.0
    #: The longest enveloped credential/presentation (its data: URL, or a VC-JWT) opened, in bytes.
    envelope_max_bytes: int = ENVELOPE_MAX_BYTES
    #: The request limits (credentials, status entries), applied to what an envelope secures once opened (the
    #: caller checks them on the document as sent, see :mod:`vcnode.credentials.limits`). None: not checked.
    limits: VerifyLimits | None = None

    def wants(self, check: str) -> bool:
        """True when ``check`` was asked for (or no selection was made)."""
        return self.checks is None or check in self.checks


_UNKNOWN = ("unknownProofType", "unknownCryptosuite")
# Refusals saying the value is not a well-formed envelope (a structure error, not a failed signature).
_MALFORMED = frozenset({MALFORMED_DATA_URL, UNSUPPORTED_MEDIA_TYPE, ENVELOPE_TOO_LARGE, INVALID_ENVELOPE,
                        "invalidJws", "jwsTooLarge"})


def _media_type(value: Any) -> str | None:
    if isinstance(value, str):
        return "application/jwt"
    try:
        return parse_data_url(value.get("id"), max_bytes=len(str(value.get("id")))).media_type
    except VcnodeError:
        return None


async def _open(value: Any, kind: Kind, resolver: Resolver, options: VerifyOptions, report: Report) -> Opened | None:
    """Open an enveloped credential/presentation; ``results.envelope`` names its media type and signer. A
    refusal is an error of ``structure`` (not a well-formed envelope, no format for its media type),
    ``issuer`` (signed by someone other than the issuer) or ``proof`` (the signature, the key)."""
    try:
        opened = await open_envelope(value, kind, resolver, max_bytes=options.envelope_max_bytes)
    except VcnodeError as exc:  # EnvelopeError, JoseError, a DID that cannot be resolved...
        check = "structure" if exc.code in _MALFORMED else "issuer" if exc.code == ISSUER_MISMATCH \
            else "validity" if exc.code in (EXPIRED, NOT_YET_VALID) else "proof"
        report.error(check, exc.code, f"the enveloped {kind}: {exc.detail}")
        report.results["envelope"] = {"verified": False, "mediaType": _media_type(value)}
        return None
    report.passed("envelope", mediaType=opened.media_type, verificationMethod=opened.verification_method,
                  controller=opened.controller)
    if options.limits is not None:  # an envelope hides what it carries from the check made on the request
        try:
            check_limits(opened.document, options.limits, presentation=kind == "presentation")
        except TooMuchToVerify as exc:
            report.error("structure", exc.code, f"the enveloped {kind}: {exc.detail}")
            return None
    return opened


def _envelope_proof(opened: Opened) -> ProofResult:
    """The envelope's verified signature, as the document's proof result."""
    return ProofResult(True, type=opened.media_type, verification_method=opened.verification_method,
                       controller=opened.controller)


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


def _check_issuer(credential: dict[str, Any], results: list[ProofResult], report: Report,
                  binding: str = "required") -> None:
    """At least one verified proof must be by a key the issuer controls (the assertion's author); with
    ``binding="allowMismatch"`` a mismatch is a warning, and the result says it was allowed."""
    issuer = issuer_id(credential)
    controllers = [r.controller for r in results if r.verified]
    if not controllers:
        report.passed("issuer", checked=False, reason="no verified proof to bind to the issuer")
        report.results["issuer"].pop("verified", None)
        return
    if issuer not in controllers:
        message = f"the credential is signed by {controllers[0][:120]}, which is not its issuer {str(issuer)[:120]}"
        if binding == "allowMismatch":
            report.warn("issuer", "issuerMismatch", message + " (allowed by the node's issuer_binding)")
            report.passed("issuer", issuer=issuer, allowed=True)
            return
        report.error("issuer", "issuerMismatch", message)
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
    """The full report for one credential (enveloped or not). Never raises for bad input."""
    return (await _verify_credential(credential, resolver, options or VerifyOptions()))[0]


async def _verify_credential(credential: Any, resolver: Resolver, options: VerifyOptions) -> tuple[Report, Any]:
    """The report, and the credential it is about (what an envelope secures; ``credential`` otherwise)."""
    now = options.now or SYSTEM_CLOCK.now()
    report = Report()
    envelope_proof: ProofResult | None = None
    if is_enveloped(credential, "credential"):
        opened = await _open(credential, "credential", resolver, options, report)
        if opened is None:
            return report, credential
        credential, envelope_proof = opened.document, _envelope_proof(opened)
        _check_key_binding(opened, options, now, report)
    found = check_credential_structure(credential, report)
    if found is None:
        return report, credential
    embedded = check_clr(credential, report) if is_clr(credential) else None
    if is_open_badge(credential):
        check_open_badge(credential, report)
    if options.wants("validity"):
        check_validity_period(credential, now, report)
    expect = ProofExpectations(purpose="assertionMethod", allow_embedded_keys=options.allow_embedded_keys, now=now)
    if envelope_proof is None:
        results = await verify_proofs(credential, expect, resolver, options.registry)
    else:  # an embedded proof inside an envelope is verified too (both must hold)
        results = [envelope_proof, *(await verify_proofs(credential, expect, resolver, options.registry)
                                     if credential.get("proof") is not None else [])]
    _record_proofs(results, report)
    if options.wants("issuer"):
        _check_issuer(credential, results, report, options.issuer_binding)
        await _flag_equivocation(credential, options, report)
    if options.wants("status") or options.wants("credentialStatus"):
        await _check_status(credential, options, now, report)
    if embedded is not None:
        await _verify_embedded(embedded, "credentialSubject.verifiableCredential", resolver, options, report)
    return report, credential


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
        sub, document = await _verify_credential(credential, resolver, options)
        if bind is not None:  # the credential an envelope secures is the one bound to the holder
            _record_binding(bind(document), options, sub)
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


def _check_key_binding(opened: Opened, options: VerifyOptions, now: datetime, report: Report) -> None:
    """A key-bound SD-JWT (``vc+sd-jwt``/``vp+sd-jwt`` whose document has ``cnf``) answers the verifier's
    ``challenge`` and ``domain`` in its KB-JWT (``nonce``, ``aud``, a fresh ``iat``), checked as SD-JWT VC
    presentations are (:func:`vcnode.credentials.key_binding.check_key_binding_claims`); without one it is
    ``missingKeyBinding``: a copy shown to another verifier must not pass as presented to this one."""
    if options.challenge is None and options.domain is None:
        return  # no request to answer: the format checked the KB-JWT's signature and sd_hash
    if opened.key_binding is None:
        if opened.binds_holder_key:
            report.error("keyBinding", "missingKeyBinding", f"the {opened.media_type} names a holder key (cnf) "
                         "but has no key-binding JWT answering this verifier's challenge/domain")
        return
    check_key_binding_claims(opened.key_binding, audience=options.domain, nonce=options.challenge,
                             now=now.timestamp(), skew=CLOCK_SKEW, max_age=options.key_binding_max_age,
                             report=report)
    report.passed("keyBinding", aud=opened.key_binding.get("aud"), iat=opened.key_binding.get("iat"))


def _check_envelope_audience(presentation: dict[str, Any], options: VerifyOptions, report: Report,
                             key_bound: bool = False) -> None:
    """An enveloped presentation's challenge and domain are its signed ``nonce`` and ``aud`` claims. When a
    KB-JWT answered them (``key_bound``), the presentation's own claims need only agree when present."""
    nonce = presentation.get("nonce")
    if options.challenge is not None and nonce != options.challenge and not (key_bound and nonce is None):
        report.error("proof", "challengeMismatch", "the enveloped presentation's nonce is not the challenge")
    audience = presentation.get("aud")
    if options.domain is not None and not (audience == options.domain
                                           or (isinstance(audience, list) and options.domain in audience)
                                           or (key_bound and audience is None)):
        report.error("proof", "domainMismatch", "the enveloped presentation's aud is not the domain")


async def verify_presentation(presentation: Any, resolver: Resolver,
                              options: VerifyOptions | None = None) -> Report:
    """A presentation's report: its own proof (authentication, challenge, domain, signed by its holder)
    and, under ``credentials``, one report per embedded credential with its ``holderBinding``
    (:mod:`vcnode.credentials.holder`)."""
    options = options or VerifyOptions()
    now = options.now or SYSTEM_CLOCK.now()
    report = Report()
    opened: Opened | None = None
    if is_enveloped(presentation, "presentation"):
        opened = await _open(presentation, "presentation", resolver, options, report)
        if opened is None:
            return report
        presentation = opened.document
    if check_presentation_structure(presentation, report) is None:
        return report
    holder = presentation.get("holder")
    holder = holder.get("id") if isinstance(holder, dict) else holder
    # Only a string can name the key's controller; any other holder is already an invalidHolder error, and
    # passing it on would crash the proof check (it formats and compares the controller as a string).
    controller = holder if isinstance(holder, str) else None
    proven = False
    if opened is not None:
        _record_proofs([_envelope_proof(opened)], report)
        _check_key_binding(opened, options, now, report)
        _check_envelope_audience(presentation, options, report, key_bound=opened.key_binding is not None)
        proven = controller is not None and opened.controller == controller
        if holder is None:
            report.warn("proof", "holderNotNamed", "the presentation names no holder: its signer is not bound "
                        "to one")
    elif presentation.get("proof") is not None or options.challenge is not None:
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

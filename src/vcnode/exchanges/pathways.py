"""Pathways for a learner's presentation: which pathways the presented credentials satisfy, and the stacked
award a provider issues once one is satisfied.

The evaluation itself is pure (``vcnode.trust.pathways``, ``vcnode.trust.stacked``); this module is the
exchange around it:

1. the presentation's challenge must have been handed out by this node and still be open;
2. the presentation must verify (an ``authentication`` proof by its ``holder``, with that challenge and the
   domain asked for); the challenge is then consumed, so the presentation cannot be replayed;
3. each presented credential counts with what its own verification found (``HeldCredential.from_report``):
   credentials that fail, are revoked or belong to someone else are reported as excluded, never counted;
4. the pathways are the statements in the node's trust index (filtered by id or provider) that are not
   forged, withdrawn (their status is confirmed first) or outside their validity period;
5. for an award, the pathway must be this node's own and satisfied; the award's id is derived from the
   pathway, the holder and the components' digests, so asking again returns the award already issued.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from vcnode.clock import format_timestamp
from vcnode.credentials.model import as_list
from vcnode.credentials.report import Finding, Report
from vcnode.errors import Conflict, InvalidInput, NotFound, VcnodeError
from vcnode.exchanges.challenges import ChallengeService
from vcnode.issuing.service import select_suite
from vcnode.status.entries import status_requests
from vcnode.trust.pathways import HeldCredential, PathwayResult, evaluate_pathway, evaluate_pathways
from vcnode.trust.source import FrameworkLookup, Indexed
from vcnode.trust.stacked import PathwayNotSatisfied, build_stacked_award, component_digest
from vcnode.trust.statements import Pathway

if TYPE_CHECKING:  # the node wires this module's callers; no import cycle at runtime
    from vcnode.node import Node

#: At most this many pathway ids in ``options.pathways``.
MAX_PATHWAY_IDS = 100
MAX_ID_LENGTH = 2048
#: The namespace of stacked award ids (uuid5 over pathway, holder and component digests).
AWARD_NAMESPACE = uuid.UUID("5b0c6f43-3f7e-5d55-9a49-7e1c2d8a9b10")


class PresentationRejected(VcnodeError):
    """The presentation did not verify (or proves no holder): its report is in the problem."""

    code = "presentationNotVerified"
    status = 400
    title = "Verification failed"


@dataclass(frozen=True)
class ExchangeOptions:
    """``options`` of ``POST /pathways/evaluate`` and ``POST /pathways/award``."""

    challenge: Any
    domain: str | None = None
    pathways: tuple[str, ...] | None = None
    provider: str | None = None
    pathway: str | None = None
    suite: str | None = None


def _text(options: Mapping[str, Any], name: str) -> str | None:
    value = options.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        raise InvalidInput(f"options.{name} must be a non-empty string of at most {MAX_ID_LENGTH} characters")
    return value


def read_options(options: Any, *, award: bool = False) -> ExchangeOptions:
    """The exchange options from request JSON; :class:`InvalidInput` when a member has the wrong type. The
    challenge is checked by :class:`ChallengeService` (``challengeRequired`` when absent)."""
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise InvalidInput("options must be a JSON object with at least the challenge")
    ids = options.get("pathways")
    if ids is not None:
        if not (isinstance(ids, list) and len(ids) <= MAX_PATHWAY_IDS
                and all(isinstance(i, str) and 0 < len(i) <= MAX_ID_LENGTH for i in ids)):
            raise InvalidInput(f"options.pathways must be a list of at most {MAX_PATHWAY_IDS} pathway ids")
        ids = tuple(dict.fromkeys(ids))
    pathway = _text(options, "pathway")
    if award and pathway is None:
        raise InvalidInput("options.pathway is required: the id of the pathway to award (one of this node's)")
    return ExchangeOptions(challenge=options.get("challenge"), domain=_text(options, "domain"), pathways=ids,
                           provider=_text(options, "provider"), pathway=pathway,
                           suite=select_suite(options) if award else None)


def report_from_json(data: Any) -> Report:
    """A :class:`Report` back from its JSON (the per-credential reports of a presentation's report)."""
    if not isinstance(data, dict):
        return Report(errors=[Finding("notVerified", "no report", "credentials")])

    def findings(items: Any) -> list[Finding]:
        return [Finding(str(f.get("code")), str(f.get("message")), str(f.get("check")), f.get("path"))
                for f in as_list(items) if isinstance(f, dict)]

    results = data.get("results")
    return Report(results=dict(results) if isinstance(results, dict) else {},
                  errors=findings(data.get("errors")), warnings=findings(data.get("warnings")))


def held_credentials(presentation: Mapping[str, Any], report: Report) -> list[HeldCredential]:
    """Each credential of the presentation with what its own verification found, in order (credentials
    that are not JSON objects, such as enveloped ones, are left out)."""
    carried = as_list(presentation.get("verifiableCredential"))
    reports = report.results.get("credentials", {}).get("credentials", [])
    return [HeldCredential.from_report(credential, report_from_json(sub))
            for credential, sub in zip(carried, reports, strict=False) if isinstance(credential, dict)]


def proven_holder(presentation: Any, report: Report) -> str:
    """The holder DID a presentation's report proves; :class:`PresentationRejected` (with the report) when
    the presentation itself did not verify, names no holder, or no proof by the holder verified. Credentials
    that did not verify do not reject the presentation: they are excluded from what it proves."""
    own = [error for error in report.errors if error.check != "credentials"]
    holder = presentation.get("holder") if isinstance(presentation, dict) else None
    holder = holder.get("id") if isinstance(holder, dict) else holder
    proofs = report.results.get("proof", {}).get("proofs", [])
    if not own and not isinstance(holder, str):
        own = [Finding("holderNotNamed", "the presentation names no holder: nothing binds its credentials to "
                       "the one who presents them", "proof")]
    if not own and not any(p.get("verified") and p.get("controller") == holder for p in proofs):
        own = [Finding("noProof", "no proof by the holder verified", "proof")]
    if own:
        body = report.to_json()
        if not any(e["code"] == own[0].code for e in body["errors"]):
            body["errors"].insert(0, own[0].to_json())
        body["verified"] = False
        raise PresentationRejected(own[0].message, code=own[0].code, extra=body)
    assert isinstance(holder, str)
    return holder


def _stamp(moment: datetime) -> str:
    return format_timestamp(moment, keep_offset=True)


def _unusable(entry: Indexed[Pathway], now: datetime) -> tuple[str, str] | None:
    """Why a pathway statement is not used (code, message), or None."""
    statement = entry.statement
    if entry.forged:
        return "forgedStatement", f"{statement.id} is not signed by its issuer {statement.issuer}"
    if entry.proof != "verified":
        return "proofUnchecked", f"the proof of {statement.id} could not be checked"
    if entry.status == "withdrawn":
        return "withdrawn", f"{statement.issuer} withdrew {statement.id}"
    return statement.validity_problem(now)


@dataclass(frozen=True)
class Evaluation:
    """What a presentation proves towards the pathways: the holder, one result per usable pathway
    (satisfied first), the pathways asked for or found that could not be used, and warnings."""

    holder: str
    results: list[PathwayResult]
    unavailable: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The body of ``POST /pathways/evaluate``."""
        return {"holder": self.holder, "pathways": [result.to_json() for result in self.results],
                "unavailable": self.unavailable, "warnings": self.warnings}


@dataclass(frozen=True)
class Award:
    """A stacked award: the signed credential, whether it was issued now (False: issued before, for the
    same pathway, holder and components), and the evaluation it rests on."""

    credential: dict[str, Any]
    created: bool
    result: PathwayResult


def award_id(result: PathwayResult) -> str:
    """``urn:uuid:`` + uuid5 over the pathway, the holder and the sorted digests of the counted components:
    the same learner presenting the same components for the same pathway gets the same award."""
    digests = sorted(component_digest(component.credential) for component in result.counted)
    name = "\n".join([result.pathway.pathway, result.pathway.issuer, result.holder, *digests])
    return f"urn:uuid:{uuid.uuid5(AWARD_NAMESPACE, name)}"


class PathwayExchange:
    """Evaluates presentations against the pathways a node knows, and issues its own pathways' awards."""

    def __init__(self, node: Node, challenges: ChallengeService | None = None) -> None:
        self.node = node
        self.challenges = challenges if challenges is not None else ChallengeService(node.store, clock=node.clock.time)

    async def _holder(self, presentation: Any, options: ExchangeOptions) -> tuple[str, list[HeldCredential]]:
        """Check the challenge, verify the presentation, consume the challenge: the holder and what they hold."""
        challenge = await self.challenges.check(options.challenge)
        # The pathway evaluation binds each credential to the holder itself (notBound, otherLearner per
        # credential, trust.pathways) rather than failing the presentation: a mismatch is not an error here.
        request: dict[str, Any] = {"challenge": challenge, "holderBinding": "allowMismatch"}
        if options.domain is not None:
            request["domain"] = options.domain
        report = await self.node.credentials.verify_presentation(presentation, request)
        holder = proven_holder(presentation, report)
        await self.challenges.consume(challenge)
        return holder, held_credentials(presentation, report)

    async def _confirmed(self, entries: Sequence[Indexed[Pathway]]) -> list[Indexed[Pathway]]:
        """The entries again after their statuses were confirmed (confirming replaces index entries)."""
        await self.node.trust.confirm([e.statement.id for e in entries if not e.forged])
        index = self.node.trust.index
        found = [index.get(e.statement.id) for e in entries]
        return [cast(Indexed[Pathway], entry) for entry in found
                if entry is not None and isinstance(entry.statement, Pathway)]

    def _matching(self, reference: str, provider: str | None = None) -> list[Indexed[Pathway]]:
        return [e for e in self.node.trust.index.pathways(provider)
                if reference in (e.statement.pathway, e.statement.id)]

    async def evaluate(self, presentation: Any, options: Any, *, now: datetime | None = None) -> Evaluation:
        """Which pathways the presentation's credentials satisfy, and what is missing for the others."""
        parsed = read_options(options)
        holder, held = await self._holder(presentation, parsed)
        return await self.evaluate_held(holder, held, parsed.pathways, parsed.provider, now=now)

    async def evaluate_held(self, holder: str, held: list[HeldCredential], pathways: Sequence[str] | None = None,
                            provider: str | None = None, *, now: datetime | None = None) -> Evaluation:
        """Which of the pathways (these ids, or all the node knows; of one provider) what ``holder`` was
        proven to hold satisfies (a ``present`` exchange evaluates what its wallet presented this way)."""
        now = now or self.node.clock.now()
        candidates = self.node.trust.index.pathways(provider)
        unavailable: list[dict[str, Any]] = []
        if pathways is not None:
            wanted = set(pathways)
            candidates = [e for e in candidates if e.statement.pathway in wanted or e.statement.id in wanted]
            known = {e.statement.pathway for e in candidates} | {e.statement.id for e in candidates}
            unavailable += [{"pathway": ref, "code": "unknownPathway", "message": f"this node knows no pathway "
                             f"{ref[:200]}" + (f" of {provider}" if provider else "")}
                            for ref in pathways if ref not in known]
        usable, warnings = [], []
        for entry in await self._confirmed(candidates):
            problem = _unusable(entry, now)
            if problem is not None:
                unavailable.append({"pathway": entry.statement.pathway, "statement": entry.statement.id,
                                    "code": problem[0], "message": problem[1]})
                continue
            if entry.status != "valid":
                warnings.append({"code": "statusUnchecked", "statement": entry.statement.id,
                                 "message": f"whether {entry.statement.issuer} withdrew {entry.statement.id} could "
                                            "not be checked"})
            usable.append(entry.statement)
        results = evaluate_pathways(usable, holder, held, FrameworkLookup(self.node.trust.index))
        return Evaluation(holder, results, unavailable, warnings)

    def own_pathway(self, reference: Any) -> Indexed[Pathway]:
        """This node's pathway with this id (or statement id): ``unknownPathway`` (404) when the node knows
        none, ``pathwayNotOwned`` (403) when it is another provider's."""
        if not isinstance(reference, str):
            raise InvalidInput("options.pathway must be a pathway id")
        found = self._matching(reference)
        own = {identity.did for identity in self.node.identities.list()}
        mine = [e for e in found if e.statement.issuer in own and not e.forged]
        if mine:
            return mine[0]
        if found:
            raise VcnodeError(f"the pathway {reference[:200]} is {found[0].statement.issuer}'s: only its provider "
                              "issues its award", code="pathwayNotOwned", status=403)
        raise NotFound(f"this node knows no pathway {reference[:200]}", code="unknownPathway")

    async def award(self, presentation: Any, options: Any, *,
                    authorize: Callable[[str | None], None] | None = None,
                    now: datetime | None = None) -> Award:
        """Evaluate the presentation for ``options.pathway`` (one of this node's) and issue the stacked award
        when it is satisfied (:class:`PathwayNotSatisfied`, 409, with the result, when not). ``authorize``
        is called with the provider's DID (None when the pathway is not one of this node's) before anything
        is verified or consumed, and raises to refuse."""
        parsed = read_options(options, award=True)
        try:
            entry = self.own_pathway(parsed.pathway)
        except InvalidInput:
            raise
        except VcnodeError:
            if authorize is not None:  # a token bound to one identity: unknown and others' pathways alike
                authorize(None)
            raise
        if authorize is not None:
            authorize(entry.statement.issuer)
        holder, held = await self._holder(presentation, parsed)
        now = now or self.node.clock.now()
        [entry] = await self._confirmed([entry]) or [entry]
        problem = _unusable(entry, now)
        if problem is not None:
            raise VcnodeError(problem[1], code="pathwayUnusable", status=409, extra={"reason": problem[0]})
        if entry.status != "valid":
            raise VcnodeError(f"the status of {entry.statement.id} could not be confirmed; try again",
                              code="pathwayStatusUnchecked", status=503)
        pathway = entry.statement
        result = evaluate_pathway(pathway, holder, held, FrameworkLookup(self.node.trust.index))
        if not result.satisfied:
            raise PathwayNotSatisfied(f"the pathway {pathway.pathway} is {result.outcome} for {holder}",
                                      extra={"result": result.to_json()})
        credential_id = award_id(result)
        try:
            return Award(await self.node.credentials.get(credential_id), False, result)
        except NotFound:
            pass
        award = build_stacked_award(result, credential_id=credential_id, issuer=self._profile(entry),
                                    valid_from=_stamp(now))
        try:
            issued = await self.node.credentials.issue(award, suite=parsed.suite or select_suite({}),
                                                       status=status_requests({"statusPurpose": "revocation"}))
        except Conflict as exc:
            # Another request (this process or another) issued this award first: the store's insert-once id
            # decided inside its transaction, and the award it stored is the answer.
            if exc.code != "credentialIdInUse":
                raise
            return Award(await self.node.credentials.get(credential_id), False, result)
        return Award(issued.credential, issued.created, result)

    def _profile(self, entry: Indexed[Pathway]) -> dict[str, Any]:
        """The provider's Profile for the award: as the pathway statement names it (id, name, address…)."""
        document = self.node.trust.document(entry.statement.id) or {}
        stated = document.get("issuer")
        profile = {key: value for key, value in stated.items() if key in ("id", "name", "url", "email", "address")} \
            if isinstance(stated, dict) else {}
        profile["id"] = entry.statement.issuer
        if not isinstance(profile.get("name"), str) or not profile["name"]:
            identity = self.node.identities.get(entry.statement.issuer)
            profile["name"] = identity.name or entry.statement.issuer
        return profile


async def evaluate_presentation(node: Node, presentation: Any, options: Any) -> Evaluation:
    """:meth:`PathwayExchange.evaluate` with the node's challenges (see the module's description)."""
    return await PathwayExchange(node).evaluate(presentation, options)


async def award_presentation(node: Node, presentation: Any, options: Any) -> Award:
    """:meth:`PathwayExchange.award` with the node's challenges (see the module's description)."""
    return await PathwayExchange(node).award(presentation, options)

"""The node's side of trust: the statements it holds (its own and those replicated from peers through the
anchor logs), checked once when they arrive (parsed, proof by their issuer, anchored by their issuer's log),
their status confirmed while they are used, and evaluated against the node's trust anchors.

The evaluation itself (``vcnode.trust.evaluate``) is pure; this module is the I/O around it: reading
payloads from the anchor store, verifying proofs, checking status lists, publishing this node's statements.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from vcnode.anchor.log import AnchorLog
from vcnode.anchor.statements import TRUST_STATEMENT_PUBLISHED
from vcnode.anchor.store import ListAnchor
from vcnode.clock import SYSTEM_CLOCK, Clock, format_timestamp
from vcnode.credentials.model import issuer_id
from vcnode.credentials.report import Report
from vcnode.did.resolver import Resolver
from vcnode.errors import InvalidInput, VcnodeError
from vcnode.proofs.verify import ProofExpectations, verify_proofs
from vcnode.status.check import StatusChecker
from vcnode.trust.cache import RecognitionCache
from vcnode.trust.evaluate import RecognitionOptions, evaluate_recognition
from vcnode.trust.parse import StatementError, parse_statement
from vcnode.trust.pending import PENDING_GRACE, PendingStatements
from vcnode.trust.report import RecognitionReport
from vcnode.trust.source import InMemoryStatements, ProofState, StatusState

if TYPE_CHECKING:  # the store implements this package's records and ports: it sits above, not below
    from vcnode.credentials.repository import CredentialReader

log = logging.getLogger(__name__)

#: Proof failures that say nothing about the statement itself (its issuer's DID could not be resolved now):
#: the statement is indexed as unchecked and checked again when its log next changes.
UNRESOLVED = frozenset({"verificationMethodNotFound"})
#: Status errors that mean the statement was withdrawn (suspension withdraws it until lifted).
WITHDRAWN = frozenset({"revoked", "suspended"})
#: Rounds of evaluate → confirm the statuses the answer used → evaluate again (each round only re-checks
#: statements it has not confirmed; a withdrawn link can expose another path, whose links are confirmed next).
MAX_ROUNDS = 6


@dataclass(frozen=True)
class TrustSettings:
    """What the node's configuration says about trust (see docs/configuration.md)."""

    anchors: tuple[str, ...] = ()
    verifier_framework: str | None = None
    verifier_credit_framework: str | None = None
    max_depth: int = 4
    #: How long a statement's confirmed status is relied on before it is checked again (the status list
    #: cache decides how often the list itself is fetched); any change to a log held drops them all.
    status_ttl: float = 300.0


@dataclass(frozen=True)
class RecognitionRequest:
    """What a verification request asked of recognition: ``options.recognition`` true, or an object naming
    the framework to express the award in (``{"framework": id or code}``)."""

    verifier_framework: str | None = None


def recognition_request(options: dict[str, Any], default: bool) -> RecognitionRequest | None:
    """``options.recognition`` (``default`` when absent) as a request, or None when not asked for."""
    value = options.get("recognition", default)
    if value is False or value is None:
        return None
    if value is True:
        return RecognitionRequest()
    if isinstance(value, dict) and set(value) <= {"framework"}:
        framework = value.get("framework")
        if framework is None or (isinstance(framework, str) and 0 < len(framework) <= 2048):
            return RecognitionRequest(framework)
    raise InvalidInput("options.recognition must be true, false or {\"framework\": a framework id or code}")


@dataclass
class HeldStatement:
    """A statement document as held, with where it came from."""

    document: dict[str, Any]
    log: str
    anchor: ListAnchor
    proof: ProofState
    proof_error: str | None = None
    status: StatusState = "unchecked"
    status_detail: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The statement's id, type, issuer and subject, and what the node found when it checked it."""
        subject = self.document.get("credentialSubject")
        types = [t for t in self.document.get("type", []) if t != "VerifiableCredential"] \
            if isinstance(self.document.get("type"), list) else []
        out = {"id": self.document.get("id"), "type": types[0] if types else None,
               "issuer": issuer_id(self.document), "subject": subject.get("id") if isinstance(subject, dict) else None,
               "proof": self.proof, "status": self.status,
               "anchor": {"log": self.anchor.log, "seq": self.anchor.seq, "version": self.anchor.version,
                          "anchoredAt": self.anchor.time}}
        if self.proof_error:
            out["proofError"] = self.proof_error
        if self.status_detail:
            out["statusDetail"] = self.status_detail
        return out


class TrustService:
    """Statements indexed for evaluation, kept in step with the anchor logs the node holds.

    ``own`` says whether a DID is one of this node's identities (its statements are reported with source
    ``self``). ``announce`` is called with each new anchor entry this node appends (the node's gossip).
    """

    def __init__(self, anchors: AnchorLog, resolver: Resolver, checker: StatusChecker, settings: TrustSettings, *,
                 own: Callable[[str], bool] = lambda _did: False,
                 announce: Callable[[dict[str, Any]], None] | None = None, store: CredentialReader | None = None,
                 pending: PendingStatements | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self.index = InMemoryStatements()
        self._clock = clock
        self.cache = RecognitionCache()
        self.settings = settings
        self._announce = announce
        self._anchors = anchors
        self._resolver = resolver
        self._checker = checker
        self._own = own
        self._held: dict[str, HeldStatement] = {}  # statement id → what is indexed
        self._confirmed: dict[str, float] = {}  # statement id → when its status was last confirmed (monotonic)
        # Guards only this process's in-memory index (``_held``, ``index``): two syncs of one process would
        # otherwise interleave and one could index an older anchor over a newer one. Nothing in the store
        # depends on it: other processes keep their own index, and the store's rules hold in its transactions.
        self._sync_lock = asyncio.Lock()
        self._loaded = False
        self._store = store
        self._pending = pending

    @property
    def anchors(self) -> tuple[str, ...]:
        """The regulators this node trusts directly."""
        return self.settings.anchors

    def statements(self) -> list[dict[str, Any]]:
        """Every statement held, summarised."""
        return [held.summary() for held in self._held.values()]

    def document(self, statement_id: str) -> dict[str, Any] | None:
        """The signed statement credential with this id, if held."""
        held = self._held.get(statement_id)
        return held.document if held else None

    def invalidate_status(self) -> None:
        """Forget which statuses were confirmed (a log or one of this node's lists changed)."""
        self._confirmed.clear()

    async def ready(self) -> None:
        """Index every trust statement the anchor store holds, the first time only (later changes arrive
        through :meth:`sync`). Commands that never evaluate trust do not pay for verifying them."""
        if not self._loaded:
            await self._recover()
            await self.sync(None)
            self._loaded = True

    async def sync(self, log_did: str | None) -> int:
        """Index the trust statements anchored in ``log_did``'s log (every log when None) that are new or
        changed since the last look, and flag those of issuers that equivocated. Returns how many changed."""
        async with self._sync_lock:
            changed = 0
            for url, anchor in await self._anchors.store.anchored(TRUST_STATEMENT_PUBLISHED, log_did):
                held = self._held.get(url)
                if held is not None and held.anchor.payload == anchor.payload and held.proof != "unchecked":
                    continue
                if held is not None and held.log != anchor.log:
                    log.warning("ignored %s anchored by %s: %s already holds that statement id", url[:200],
                                anchor.log[:120], held.log[:120])
                    continue
                payload = await self._anchors.store.blob(anchor.payload)
                if payload is not None and await self._take(url, anchor, payload):
                    changed += 1
            for proof in await self._anchors.store.equivocations(log_did):
                self.index.flag_equivocation(proof["log"])
            if changed:
                self.invalidate_status()
            return changed

    async def _take(self, url: str, anchor: ListAnchor, payload: bytes) -> bool:
        """Check one anchored statement and index it; False when it is not a usable statement."""
        try:
            document = orjson.loads(payload)
            statement = parse_statement(document)
        except (orjson.JSONDecodeError, StatementError) as exc:
            log.warning("ignored anchored trust statement %s of %s: %s", url[:200], anchor.log[:120], exc)
            return False
        if statement.id != url or statement.issuer != anchor.log:
            log.warning("ignored %s: anchored by %s, but its id or issuer differs", url[:200], anchor.log[:120])
            return False
        results = await verify_proofs(document, ProofExpectations(purpose="assertionMethod",
                                                                  controller=statement.issuer), self._resolver)
        error = next((r.error for r in results if r.error), None) if not any(r.verified for r in results) else None
        proof: ProofState = "verified" if error is None else "unchecked" if error["code"] in UNRESOLVED else "failed"
        held = HeldStatement(document, anchor.log, anchor, proof, error["code"] if error else None)
        previous = self._held.get(url)
        if previous is not None and previous.document == document:  # re-anchored unchanged: keep its status
            held.status, held.status_detail = previous.status, previous.status_detail
        self._held[url] = held
        self.index.add(statement, proof=proof, status=held.status,
                       signer=statement.issuer if proof == "verified" else None,
                       evidence=self._evidence(held))
        return True

    def _evidence(self, held: HeldStatement) -> dict[str, Any]:
        evidence: dict[str, Any] = {"source": "self" if self._own(held.log) else "replica",
                                    "anchor": {"log": held.anchor.log, "seq": held.anchor.seq,
                                               "version": held.anchor.version, "anchoredAt": held.anchor.time}}
        if held.proof_error:
            evidence["proofError"] = held.proof_error
        if held.status_detail:
            evidence["statusCheck"] = held.status_detail
        return evidence

    async def recognise(self, credential: Any, *, now: datetime | None = None,
                        verifier_framework: str | None = None, anchors: Sequence[str] | None = None
                        ) -> RecognitionReport:
        """The recognition report for ``credential`` against this node's trust anchors (or ``anchors``),
        with the status of every statement the answer rests on confirmed first."""
        await self.ready()
        settings = self.settings
        options = RecognitionOptions(anchors=tuple(anchors) if anchors is not None else settings.anchors, now=now,
                                     max_depth=settings.max_depth,
                                     verifier_framework=self._framework_id(verifier_framework
                                                                           or settings.verifier_framework),
                                     verifier_credit_framework=self._framework_id(settings.verifier_credit_framework),
                                     cache=self.cache)
        report = evaluate_recognition(credential, self.index, options)
        for _ in range(MAX_ROUNDS):
            if not await self.confirm(referenced(report) + self._frameworks_used(report), now):
                break
            report = evaluate_recognition(credential, self.index, options)
        return report

    def _framework_id(self, reference: str | None) -> str | None:
        """A framework named by its id, code or name, as the id its descriptor gives (as written if unknown)."""
        found = self.index.framework(reference) if reference else None
        return found.statement.framework if found is not None else reference

    def _frameworks_used(self, report: RecognitionReport) -> list[str]:
        """The framework descriptors the award and its equivalent were read with."""
        names = [report.award.framework, report.award.credit_framework]
        if report.equivalent is not None:
            names += [report.equivalent.framework, report.equivalent.credit_framework]
        found = [self.index.framework(name) for name in names if name]
        return [entry.statement.id for entry in found if entry is not None]

    async def confirm(self, statement_ids: Iterable[str], now: datetime | None = None) -> bool:
        """Check the status of each statement not confirmed recently; True when any status changed."""
        changed = False
        deadline = time.monotonic() - self.settings.status_ttl
        for statement_id in statement_ids:
            held = self._held.get(statement_id)
            if held is None or self._confirmed.get(statement_id, -1e18) > deadline:
                continue
            status, detail = await self._status_of(held.document, now)
            self._confirmed[statement_id] = time.monotonic()
            if status != held.status or detail != held.status_detail:
                held.status, held.status_detail = status, detail
                entry = self.index.get(statement_id)
                if entry is not None:  # replaced whole: the evidence says how the status was found
                    self.index.add(entry.statement, proof=entry.proof, status=status, signer=entry.signer,
                                   equivocated=entry.equivocated, evidence=self._evidence(held))
                changed = True
        return changed

    async def _status_of(self, document: dict[str, Any], now: datetime | None) -> tuple[StatusState, dict[str, Any]]:
        report = Report()
        await self._checker.check(document, report, now or self._clock.now())
        entries = report.results.get("status", {}).get("entries", [])
        detail = {key: entries[0][key] for key in ("source", "statusListCredential") if entries and key in entries[0]}
        codes = [error.code for error in report.errors]
        if any(code in WITHDRAWN for code in codes):
            return "withdrawn", {**detail, "code": next(c for c in codes if c in WITHDRAWN)}
        if codes:  # unreachable, invalid or conflicting list: the status is not known, never "valid"
            return "unchecked", {**detail, "code": codes[0], "message": report.errors[0].message}
        return "valid", detail

    async def section(self, document: Any, request: RecognitionRequest, *, presentation: bool = False) -> Any:
        """The ``recognition`` member of a verification response: the report of the credential, or of each
        credential a presentation carries (a list, in order, each naming its credential)."""
        if not presentation:
            report = await self.recognise(document, verifier_framework=request.verifier_framework)
            return report.to_json()
        carried = document.get("verifiableCredential") if isinstance(document, dict) else None
        out = []
        for credential in carried if isinstance(carried, list) else [carried] if carried is not None else []:
            report = await self.recognise(credential, verifier_framework=request.verifier_framework)
            out.append({"credential": credential.get("id") if isinstance(credential, dict) else None,
                        **report.to_json()})
        return out

    async def publish(self, document: Any, issue: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
                      ) -> dict[str, Any]:
        """Sign (with ``issue``: the node's issue path, which adds a revocation entry so the statement can be
        withdrawn), anchor and index one of this node's statements; returns the signed statement. The
        document must be a statement credential (docs/trust.md); see :func:`complete_statement` for defaults."""
        if not isinstance(document, dict):
            raise InvalidInput("a statement must be a JSON object (a statement credential, see docs/trust.md)")
        if "proof" in document:
            raise InvalidInput("the statement is already signed: publish it unsigned, this node signs it")
        statement = parse_statement(document)
        if not self._own(statement.issuer):
            raise VcnodeError(f"this node holds no identity {statement.issuer[:120]} to state this",
                              code="unknownIssuer", status=422)
        # Signing (with its status index) and anchoring are two transactions: the id is noted as pending
        # first (a row of the store, so any process sees it), and the note is removed in the transaction that
        # anchors the statement; a process that stops between them leaves a note that the next process to
        # start finishes (see _recover), never lost. No in-process lock: two processes (or tasks) publishing
        # at once each keep their own note, and anchoring one statement twice appends it once.
        if self._pending is not None:
            await self._pending.note(statement.id, statement.issuer, self._clock.time())
        signed = await issue(document)
        await self.anchor(signed)
        if self._pending is not None:  # content already anchored appends nothing, so nothing removed the note
            await self._pending.settle(statement.id)
        return signed

    async def _recover(self) -> None:
        """Anchor the statements a stopped process left signed but not anchored; forget notes of statements
        never signed once they are older than a publication still running elsewhere could be."""
        if self._pending is None or self._store is None:
            return
        for note in await self._pending.pending():
            record = await self._store.get_credential(note.statement_id)
            if record is not None:
                if await self.anchor(orjson.loads(record.document)):
                    log.warning("anchored trust statement %s, signed before a process stopped",
                                note.statement_id[:200])
                await self._pending.settle(note.statement_id)
            elif note.noted < self._clock.time() - PENDING_GRACE:
                await self._pending.forget(note)

    async def anchor(self, signed: dict[str, Any]) -> bool:
        """Anchor one of this node's signed statements in its issuer's log, announce it and index it; False
        when this content was anchored already (by this or another process)."""
        issuer = issuer_id(signed)
        if not isinstance(issuer, str) or not isinstance(signed.get("id"), str):
            raise VcnodeError("a statement needs an id and an issuer", code="invalidStatement", status=422)
        entry = await self._anchors.publish_trust_statement(issuer, signed["id"], orjson.dumps(signed))
        if entry is not None and self._announce is not None:
            self._announce(entry)
        await self.sync(issuer)
        return entry is not None


def complete_statement(document: Any, *, issuer: str, base_url: str, now: datetime) -> Any:
    """``document`` with what a statement may leave out filled in: ``issuer`` (the node's identity), an ``id``
    under ``{base_url}/trust/statements/`` and ``validFrom`` (now). Anything else is left as written."""
    if not isinstance(document, dict):
        return document
    completed = dict(document)
    completed.setdefault("issuer", issuer)
    completed.setdefault("id", f"{base_url}/trust/statements/{uuid.uuid4()}")
    completed.setdefault("validFrom", format_timestamp(now, keep_offset=True))
    return completed


def referenced(report: RecognitionReport) -> list[str]:
    """The statements a report rests on: its path, the rejected paths, and the quality signals."""
    ids = [hop.statement for hop in report.path.hops] if report.path else []
    ids += [hop.statement for path in report.rejected_paths for hop in path.hops]
    ids += [signal.statement for signal in report.signals]
    return list(dict.fromkeys(ids))

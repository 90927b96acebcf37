"""The recognition report: the trust path hop by hop, the award and its equivalents, completeness against
the EU micro-credential elements, and quality signals — each part with its own result, no single score.

A result is ``ok``, ``failed`` or ``unchecked``. ``unchecked`` (a statement whose status or proof could not
be checked) is never turned into ``failed``: in JSON, ``recognised`` is ``true``, ``false`` or
``"unchecked"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from vcnode.trust.award import Alignment
from vcnode.trust.build import scope_json
from vcnode.trust.completeness import Completeness
from vcnode.trust.source import Indexed
from vcnode.trust.statements import Scope


class Outcome(StrEnum):
    """The result of one check, one hop, one path or the whole evaluation."""

    OK = "ok"
    FAILED = "failed"
    UNCHECKED = "unchecked"


#: Each outcome's JSON string (``Outcome.value`` is slower to read than a dictionary).
_VALUES: dict[Outcome, str] = {outcome: outcome.value for outcome in Outcome}


def combine(outcomes: Iterable[Outcome]) -> Outcome:
    """Failed if any failed; else unchecked if any was not checked; else ok."""
    seen = set(outcomes)
    return Outcome.FAILED if Outcome.FAILED in seen else Outcome.UNCHECKED if Outcome.UNCHECKED in seen \
        else Outcome.OK


@dataclass(frozen=True)
class Reason:
    """Why something failed or was not checked: a stable code, a sentence, and specifics."""

    code: str
    message: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """``{code, message, **detail}``."""
        return {"code": self.code, "message": self.message, **self.detail}


@dataclass(frozen=True)
class Hop:
    """One statement on a trust path: who stated what about whom, and whether it holds. ``evidence`` is
    what the node found when it checked the statement (built only when asked for: reports are often read
    for their result alone)."""

    statement: str
    kind: str
    issuer: str
    subject: str
    result: Outcome
    reasons: tuple[Reason, ...] = ()
    warnings: tuple[Reason, ...] = ()
    checked: Indexed[Any] | None = field(default=None, repr=False, compare=False)
    scope: Scope | None = None

    @property
    def evidence(self) -> dict[str, Any]:
        """Proof and status results, validity period, scope, and the index's own evidence (anchoring…)."""
        if self.checked is None:
            return {}
        statement = self.checked.statement
        valid_from, valid_until = statement.stamps
        out: dict[str, Any] = {"proof": self.checked.proof, "status": self.checked.status, "validFrom": valid_from,
                               "validUntil": valid_until}
        if self.checked.signer is not None:
            out["signer"] = self.checked.signer
        if self.scope is not None:
            out["scope"] = scope_json(self.scope)
        out.update(self.checked.evidence)
        return out

    def to_json(self) -> dict[str, Any]:
        """The hop; ``reason`` is the first reason's message (all of them are under ``reasons``). New
        containers on every call, down to the scope's lists; the values of ``checked.evidence`` are shared."""
        head, reasons, warnings, evidence, own_scope = self._json
        out = head.copy()
        if reasons:
            out["reasons"] = [r.copy() for r in reasons]
        if warnings:
            out["warnings"] = [w.copy() for w in warnings]
        out["evidence"] = fresh = evidence.copy()
        if own_scope and self.scope is not None:
            fresh["scope"] = scope_json(self.scope)
        return out

    @cached_property
    def _json(self) -> tuple[dict[str, Any], tuple[dict[str, Any], ...], tuple[dict[str, Any], ...], dict[str, Any],
                             bool]:
        """What ``to_json`` copies, built once per hop (a hop is immutable, and a cached walk's hops are
        reported again and again): the members before ``reasons``, the reasons, the warnings, the evidence
        and whether its ``scope`` is the hop's own (rebuilt for each copy, as it holds lists)."""
        head: dict[str, Any] = {"statement": self.statement, "type": self.kind, "issuer": self.issuer,
                                "subject": self.subject, "result": _VALUES[self.result]}
        if self.reasons:
            head["reason"] = self.reasons[0].message
        evidence = self.evidence
        own_scope = self.scope is not None and (self.checked is None or "scope" not in self.checked.evidence)
        return (head, tuple(r.to_json() for r in self.reasons), tuple(w.to_json() for w in self.warnings), evidence,
                own_scope)


@dataclass(frozen=True)
class TrustPath:
    """Hops from a trust anchor (first) down to the credential's issuer (last)."""

    anchor: str
    hops: tuple[Hop, ...]
    result: Outcome

    def reasons(self) -> list[Reason]:
        """Every reason of every hop that did not hold, anchor side first."""
        return [reason for hop in self.hops for reason in hop.reasons]

    def to_json(self) -> dict[str, Any]:
        """``{anchor, result, hops}``."""
        return {"anchor": self.anchor, "result": _VALUES[self.result], "hops": [h.to_json() for h in self.hops]}


@dataclass(frozen=True)
class Award:
    """The award as its issuer's accreditation frames it."""

    framework: str | None
    framework_code: str | None
    level: str | None
    credits: float | None
    credits_member: str | None
    credit_framework: str | None
    credit_unit: str | None
    notional_hours: float | None
    field_of_study: str | None
    country: str | None
    stated_alignments: tuple[Alignment, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The award's level and credits in the issuer's framework, and what they were read from."""
        out = self._json.copy()
        out["statedAlignments"] = [a.to_json() for a in self.stated_alignments]
        return out

    @cached_property
    def _json(self) -> dict[str, Any]:
        return {"framework": self.framework, "frameworkCode": self.framework_code, "level": self.level,
                "credits": self.credits, "creditsFrom": self.credits_member, "creditFramework": self.credit_framework,
                "creditUnit": self.credit_unit, "notionalHours": self.notional_hours,
                "fieldOfStudy": self.field_of_study, "country": self.country, "statedAlignments": None}


@dataclass(frozen=True)
class Equivalence:
    """The award in the verifier's framework. A ``None`` value has basis ``noMapping``."""

    framework: str | None
    framework_code: str | None
    level: str | None
    level_basis: str
    credit_framework: str | None
    credits: float | None
    credits_basis: str

    def to_json(self) -> dict[str, Any]:
        """``{framework, level, levelBasis, credits, creditsBasis, …}``."""
        return self._json.copy()

    @cached_property
    def _json(self) -> dict[str, Any]:
        return {"framework": self.framework, "frameworkCode": self.framework_code, "level": self.level,
                "levelBasis": self.level_basis, "creditFramework": self.credit_framework, "credits": self.credits,
                "creditsBasis": self.credits_basis}


@dataclass(frozen=True)
class QualitySignal:
    """An accreditation or an endorsement of the provider (or of the achievement), with its own result."""

    kind: str  # accreditation | endorsement
    statement: str
    issuer: str
    subject: str
    result: Outcome
    reasons: tuple[Reason, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The signal as reported."""
        head, reasons = self._json
        out = head.copy()
        if reasons:
            out["reasons"] = [r.copy() for r in reasons]
        return out

    @cached_property
    def _json(self) -> tuple[dict[str, Any], tuple[dict[str, Any], ...]]:
        return ({"kind": self.kind, "statement": self.statement, "issuer": self.issuer, "subject": self.subject,
                 "result": _VALUES[self.result], **self.detail}, tuple(r.to_json() for r in self.reasons))


_RECOGNISED_JSON: dict[Outcome, bool | str] = {Outcome.OK: True, Outcome.FAILED: False,
                                               Outcome.UNCHECKED: "unchecked"}


@dataclass(frozen=True)
class RecognitionReport:
    """Everything the evaluation found about one credential. ``recognised`` is an :class:`Outcome`."""

    recognised: Outcome
    issuer: str | None
    anchors: tuple[str, ...]
    path: TrustPath | None
    reasons: tuple[Reason, ...]
    rejected_paths: tuple[TrustPath, ...]
    award: Award
    equivalent: Equivalence | None
    completeness: Completeness
    signals: tuple[QualitySignal, ...]
    warnings: tuple[Reason, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ``recognition`` section of a verification response (docs/trust.md#report)."""
        return {
            "recognised": _RECOGNISED_JSON[self.recognised],
            "issuer": self.issuer,
            "anchors": list(self.anchors),
            "path": self.path.to_json() if self.path else None,
            "reasons": [r.to_json() for r in self.reasons],
            "rejectedPaths": [p.to_json() for p in self.rejected_paths],
            "award": self.award.to_json(),
            "equivalent": self.equivalent.to_json() if self.equivalent else None,
            "completeness": self.completeness.to_json(),
            "qualitySignals": [s.to_json() for s in self.signals],
            "warnings": [w.to_json() for w in self.warnings],
        }

"""Pathways: does a learner's set of verified credentials add up to a provider's stacked award?

A credential counts as a component only when it verified, is not revoked or suspended, names the learner
as its subject (``credentialSubject.id`` equals the holder), was issued by the pathway's provider (or an
issuer the pathway accepts) and carries one of the pathway's achievements. Among those, the best set that
fits the window is chosen: one credential per achievement, all awarded within ``windowYears`` of the
earliest, then the count, credits and window are compared with the pathway's minimums. A component whose
status could not be checked counts, but the outcome is then ``unchecked``, never ``satisfied``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from vcnode.clock import format_timestamp
from vcnode.credentials.report import Report
from vcnode.trust.award import AwardFacts, read_award
from vcnode.trust.statements import FrameworkDescriptor, Pathway

#: A component's status entry: not revoked (valid), revoked, suspended, not checked, or no status entry.
ComponentStatus = Literal["valid", "revoked", "suspended", "unchecked", "none"]
#: satisfied | unchecked (satisfied if unchecked statuses hold) | partly | notStarted
PathwayOutcome = Literal["satisfied", "unchecked", "partly", "notStarted"]
_COUNTABLE = ("valid", "none", "unchecked")


@dataclass(frozen=True)
class HeldCredential:
    """A credential the learner presented, with what its verification found: ``verified`` (structure,
    proof, issuer binding, validity) and ``status``."""

    credential: Mapping[str, Any]
    verified: bool
    status: ComponentStatus = "none"

    @classmethod
    def from_report(cls, credential: Mapping[str, Any], report: Report) -> HeldCredential:
        """From a verification report: every check but status must have passed; the status check's
        ``revoked``/``suspended`` errors, or its not being checked, give the status."""
        others = all(result.get("verified", True) is not False
                     for name, result in report.results.items() if name != "status")
        verified = others and not any(e.check != "status" for e in report.errors)
        result = report.results.get("status")
        codes = {e.code for e in report.errors if e.check == "status"}
        status: ComponentStatus
        if result is None:
            status = "none"
        elif "revoked" in codes:
            status = "revoked"
        elif "suspended" in codes:
            status = "suspended"
        elif result.get("checked") is False or result.get("verified") is False:
            status = "unchecked"  # not checked, or the list could not be used
        else:
            status = "valid"
        return cls(credential, verified, status)


@dataclass(frozen=True)
class Component:
    """A credential counted towards a pathway; ``credits`` are in the pathway's credit framework."""

    credential: Mapping[str, Any] = field(repr=False)
    credential_id: str | None
    achievement_id: str
    credits: float | None
    awarded: datetime | None
    status: ComponentStatus
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The component as reported."""
        out = {"credential": self.credential_id, "achievement": self.achievement_id, "credits": self.credits,
               "awarded": _stamp(self.awarded), "status": self.status}
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Exclusion:
    """A presented credential for one of the pathway's achievements that does not count, and why."""

    credential_id: str | None
    achievement_id: str | None
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        """``{credential, achievement, code, message}``."""
        return {"credential": self.credential_id, "achievement": self.achievement_id, "code": self.code,
                "message": self.message}


@dataclass(frozen=True)
class PathwayResult:
    """How far a learner's credentials go towards one pathway."""

    pathway: Pathway
    holder: str
    outcome: PathwayOutcome
    counted: tuple[Component, ...]
    excluded: tuple[Exclusion, ...]
    components_short: int
    missing_achievements: tuple[str, ...]
    credits: float | None
    credits_short: float | None
    window: Mapping[str, Any] | None = None

    @property
    def satisfied(self) -> bool:
        """Every requirement is met by components whose status was checked."""
        return self.outcome == "satisfied"

    def to_json(self) -> dict[str, Any]:
        """The pathway's evaluation as reported by ``POST /pathways/evaluate``."""
        p = self.pathway
        return {
            "pathway": p.pathway, "statement": p.id, "name": p.name, "provider": p.issuer, "holder": self.holder,
            "outcome": self.outcome,
            "requires": {"components": p.min_components, "of": list(p.components), "credits": p.min_credits,
                         "creditFramework": p.credit_framework, "windowYears": p.window_years},
            "counted": [c.to_json() for c in self.counted],
            "excluded": [e.to_json() for e in self.excluded],
            "missing": {"components": self.components_short, "achievements": list(self.missing_achievements),
                        "credits": self.credits_short,
                        "windowExceeded": bool(self.window and self.window.get("exceeded"))},
            "credits": self.credits, "window": dict(self.window) if self.window else None,
            "award": {"id": p.award.id, "name": p.award.name},
        }


def _stamp(value: datetime | None) -> str | None:
    return format_timestamp(value, timespec="auto", keep_offset=True) if value is not None else None


def add_years(moment: datetime, years: float) -> datetime:
    """``moment`` plus ``years``: whole years on the calendar (29 February → 28 February), a fraction as
    days of an average Gregorian year."""
    whole = int(years)
    try:
        shifted = moment.replace(year=moment.year + whole)
    except ValueError:
        shifted = moment.replace(year=moment.year + whole, day=28)
    return shifted + timedelta(days=365.2425 * (years - whole))


def _credits(facts: AwardFacts, pathway: Pathway,
             lookup: Callable[[str], FrameworkDescriptor | None]) -> tuple[float | None, str | None]:
    """The component's credits in the pathway's credit framework (converted by notional hours when the
    credential states another unit), with a note when they were converted or could not be."""
    if facts.credits is None:
        return None, "the credential states no credits"
    if pathway.credit_framework is None:
        return facts.credits, None
    unit = facts.credit_framework(lookup)
    if unit is None or unit.framework == pathway.credit_framework:
        # No unit stated: the provider's own credentials are read in the unit of its own pathway.
        return facts.credits, None
    target = lookup(pathway.credit_framework)
    if unit.credit_unit and target is not None and target.credit_unit:
        value = facts.credits * unit.credit_unit.notional_hours / target.credit_unit.notional_hours
        return round(value, 4), f"converted from {facts.credits:g} {unit.code} credits by notional hours"
    return None, f"credits in {unit.code} cannot be converted into the pathway's credit framework"


def _exclusion(held: HeldCredential, facts: AwardFacts, holder: str, pathway: Pathway) -> tuple[str, str] | None:
    if not held.verified:
        return "notVerified", "the credential did not verify"
    if held.status in ("revoked", "suspended"):
        return held.status, f"the credential is {held.status}"
    if facts.subject_id is None:
        return "notBound", "the credential names no subject id, so it cannot be bound to the holder"
    if facts.subject_id != holder:
        return "otherLearner", f"the credential was awarded to {facts.subject_id}, not to the holder {holder}"
    if facts.issuer not in pathway.issuers():
        return "wrongIssuer", f"the credential was issued by {facts.issuer}, not by the pathway's provider " \
                              f"{pathway.issuer}"
    if pathway.window_years is not None and facts.awarded is None:
        return "noAwardDate", "the credential states no date (validFrom or awardedDate) to check the window with"
    return None


def _pick(components: Sequence[Component]) -> list[Component]:
    """One component per achievement: checked status first, then the most credits, then the newest."""
    best: dict[str, Component] = {}
    for component in components:
        current = best.get(component.achievement_id)
        if current is None or _rank(component) > _rank(current):
            best[component.achievement_id] = component
    return list(best.values())


def _rank(component: Component) -> tuple[bool, float, datetime | None]:
    return component.status != "unchecked", component.credits or 0.0, component.awarded


def _meets(selection: Sequence[Component], pathway: Pathway) -> bool:
    credits = sum(c.credits or 0.0 for c in selection)
    return len(selection) >= pathway.min_components and (pathway.min_credits is None
                                                         or credits >= pathway.min_credits - 1e-9)


def _windows(eligible: list[Component], pathway: Pathway) -> list[list[Component]]:
    """Candidate sets: all eligible components, or each run that starts at one award date and ends within
    the window."""
    if pathway.window_years is None:
        return [_pick(eligible)]
    dated = sorted((c for c in eligible if c.awarded is not None), key=lambda c: c.awarded or datetime.min)
    candidates = []
    for start in dated:
        begin = start.awarded
        if begin is None:
            continue
        end = add_years(begin, pathway.window_years)
        candidates.append(_pick([c for c in dated if c.awarded is not None and begin <= c.awarded <= end]))
    return candidates or [[]]


def _score(selection: Sequence[Component], pathway: Pathway) -> tuple[bool, bool, int, float, int]:
    meets = _meets(selection, pathway)
    checked = meets and all(c.status != "unchecked" for c in selection)
    return (checked, meets, min(len(selection), pathway.min_components), sum(c.credits or 0.0 for c in selection),
            len(selection))


def evaluate_pathway(pathway: Pathway, holder: str, held: Sequence[HeldCredential],
                     lookup: Callable[[str], FrameworkDescriptor | None] | None = None) -> PathwayResult:
    """How ``holder``'s credentials meet ``pathway``. ``lookup`` finds framework descriptors (by id or
    name) to read and convert credit units; without it credits are taken to be in the pathway's unit."""
    lookup = lookup or (lambda _: None)
    wanted = set(pathway.components)
    eligible: list[Component] = []
    excluded: list[Exclusion] = []
    for item in held:
        facts = read_award(item.credential)
        if facts.achievement_id not in wanted:
            continue  # not part of this pathway: nothing to report
        problem = _exclusion(item, facts, holder, pathway)
        if problem is not None:
            excluded.append(Exclusion(facts.credential_id, facts.achievement_id, *problem))
            continue
        credits, note = _credits(facts, pathway, lookup)
        eligible.append(Component(item.credential, facts.credential_id, facts.achievement_id, credits, facts.awarded,
                                  item.status, note))
    selection = max(_windows(eligible, pathway), key=lambda s: _score(s, pathway))
    unchecked = [c for c in selection if c.status == "unchecked"]
    if unchecked and _meets([c for c in selection if c.status != "unchecked"], pathway):
        selection = [c for c in selection if c.status != "unchecked"]  # enough without them
    chosen = {id(c) for c in selection}
    for component in eligible:
        if id(component) in chosen:
            continue
        duplicate = any(c.achievement_id == component.achievement_id for c in selection)
        excluded.append(Exclusion(component.credential_id, component.achievement_id,
                                  "duplicate" if duplicate else "outsideWindow",
                                  "another credential for the same achievement was counted" if duplicate else
                                  f"awarded outside the {pathway.window_years:g}-year window of the counted "
                                  "components"))
    meets = _meets(selection, pathway)
    credits = sum(c.credits or 0.0 for c in selection) if pathway.min_credits is not None or selection else None
    window = _window_report(eligible, selection, pathway, meets)
    if meets:
        outcome: PathwayOutcome = "satisfied" if all(c.status != "unchecked" for c in selection) else "unchecked"
    else:
        outcome = "partly" if selection else "notStarted"
    counted_ids = {c.achievement_id for c in selection}
    return PathwayResult(
        pathway=pathway, holder=holder, outcome=outcome,
        counted=tuple(sorted(selection, key=lambda c: pathway.components.index(c.achievement_id))),
        excluded=tuple(excluded), components_short=max(0, pathway.min_components - len(selection)),
        missing_achievements=tuple(a for a in pathway.components if a not in counted_ids),
        credits=round(credits, 4) if credits is not None else None,
        credits_short=round(max(0.0, pathway.min_credits - (credits or 0.0)), 4)
        if pathway.min_credits is not None else None,
        window=window)


def _window_report(eligible: list[Component], selection: list[Component], pathway: Pathway,
                   meets: bool) -> dict[str, Any] | None:
    if pathway.window_years is None:
        return None
    dates = sorted(c.awarded for c in selection if c.awarded is not None)
    # The window is what is missing when the components would meet the pathway if it did not apply.
    exceeded = not meets and _meets(_pick(eligible), pathway)
    out: dict[str, Any] = {"years": pathway.window_years, "earliest": _stamp(dates[0]) if dates else None,
                           "latest": _stamp(dates[-1]) if dates else None, "exceeded": exceeded}
    if exceeded:
        every = sorted(c.awarded for c in eligible if c.awarded is not None)
        out["spanYears"] = round((every[-1] - every[0]).days / 365.2425, 2)
    return out


def evaluate_pathways(pathways: Sequence[Pathway], holder: str, held: Sequence[HeldCredential],
                      lookup: Callable[[str], FrameworkDescriptor | None] | None = None) -> list[PathwayResult]:
    """:func:`evaluate_pathway` for each pathway, satisfied ones first."""
    order = {"satisfied": 0, "unchecked": 1, "partly": 2, "notStarted": 3}
    results = [evaluate_pathway(pathway, holder, held, lookup) for pathway in pathways]
    return sorted(results, key=lambda r: order[r.outcome])

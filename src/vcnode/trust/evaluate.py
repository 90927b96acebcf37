"""Recognition: is a credential's issuer accredited by someone the verifier trusts, and what is the award
worth in the verifier's framework? Pure: everything comes from a :class:`~vcnode.trust.source.StatementSource`.

The walk starts at the issuer's accreditations and climbs recognition agreements (an agreement's subject
is the regulator it recognises) until it reaches a trust anchor: breadth first, so the shortest paths are
found first; at most ``max_depth`` statements per path; a regulator never appears twice on one path (so
cycles end). Every statement on a path is judged: not forged (its proof verified and was made by its
issuer), not withdrawn, valid at ``now``, and the award within its scope. Scopes are intersected: each
statement's scope is checked against the award's level in that statement's framework, carried up the path
by the agreements' level maps, so a limit anywhere on the path applies to the award.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from vcnode.clock import SYSTEM_CLOCK
from vcnode.trust.award import AwardFacts, credential_parts, read_award_parts
from vcnode.trust.cache import RecognitionCache
from vcnode.trust.completeness import completeness_of
from vcnode.trust.hops import judge
from vcnode.trust.report import (
    Award,
    Equivalence,
    Hop,
    Outcome,
    QualitySignal,
    Reason,
    RecognitionReport,
    TrustPath,
    combine,
)
from vcnode.trust.scope import check_scope, framework_label
from vcnode.trust.signals import accreditation_signals, endorsement_signals
from vcnode.trust.source import FrameworkLookup, Indexed, StatementSource
from vcnode.trust.statements import Accreditation, RecognitionAgreement

DEFAULT_MAX_DEPTH = 4
MAX_REJECTED_PATHS = 10


@dataclass(frozen=True)
class RecognitionOptions:
    """The verifier's side of an evaluation.

    ``anchors``: the regulators (DIDs) trusted directly. ``verifier_framework``: the level framework to
    express the award in (default: the framework the anchor's agreement maps into, else the accreditation's).
    ``verifier_credit_framework``: the credit framework for credits (default: the anchor's credit conversion
    target, else the verifier framework when it has a credit unit). ``max_chains``: a bound on partial
    paths explored, for indexes where recognition is very dense (reaching it answers ``unchecked``).
    ``cache``: one :class:`RecognitionCache` per node, shared by its evaluations.
    """

    anchors: Collection[str]
    now: datetime | None = None
    max_depth: int = DEFAULT_MAX_DEPTH
    verifier_framework: str | None = None
    verifier_credit_framework: str | None = None
    max_chains: int = 10_000
    #: Reuse trust paths across evaluations (see :class:`RecognitionCache`); None walks every time.
    cache: RecognitionCache | None = field(default=None, compare=False)


@dataclass(frozen=True)
class _Chain:
    """A partial path: the issuer's accreditation first, then agreements upwards, with the award's level
    and credits as known in each framework reached so far (value, basis)."""

    entries: tuple[Indexed[Any], ...]
    hops: tuple[Hop, ...]
    levels: Mapping[str, tuple[str, str]]
    credits: Mapping[str, tuple[float, str]]
    parties: frozenset[str]
    result: Outcome

    @property
    def top(self) -> str:
        return self.entries[-1].statement.issuer

    def path(self) -> TrustPath:
        return TrustPath(self.top, tuple(reversed(self.hops)), self.result)


def _origin(facts: AwardFacts, framework: str | None, lookup: FrameworkLookup) -> tuple[dict[str, tuple[str, str]],
                                                                                     dict[str, tuple[float, str]]]:
    """The award's level in ``framework`` and its credits in their own unit, as the credential states them."""
    levels: dict[str, tuple[str, str]] = {}
    credits: dict[str, tuple[float, str]] = {}
    if framework is not None:
        found = facts.level_in(framework, lookup(framework))
        if found is not None:
            levels[framework] = (found[0], "stated in the credential (achievement.alignment)")
    if facts.credits is not None:
        unit = facts.credit_framework(lookup)
        if unit is None and framework is not None:
            own = lookup(framework)
            unit = own if own is not None and own.credit_unit is not None else None
        if unit is not None:
            credits[unit.framework] = (facts.credits, f"stated in the credential ({facts.credits_member})")
    return levels, credits


def _plain(levels: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    return {framework: value for framework, (value, _) in levels.items()}


def _start(entry: Indexed[Accreditation], facts: AwardFacts, lookup: FrameworkLookup, now: datetime) -> _Chain:
    statement = entry.statement
    levels, credits = _origin(facts, statement.scope.framework, lookup)
    hop = judge(entry, statement.provider, now, check_scope(statement.scope, _plain(levels), facts, lookup),
                 statement.scope)
    return _Chain((entry,), (hop,), levels, credits, frozenset({statement.provider, statement.issuer}), hop.result)


def _extend(chain: _Chain, entry: Indexed[RecognitionAgreement], facts: AwardFacts, lookup: FrameworkLookup,
            now: datetime) -> _Chain:
    statement = entry.statement
    hop = judge(entry, statement.recognised, now, check_scope(statement.scope, _plain(chain.levels), facts, lookup),
                 statement.scope)
    levels, credits = chain.levels, chain.credits
    level_map, conversion = statement.level_map, statement.credit_conversion
    if level_map is not None and level_map.from_framework in levels and level_map.to_framework not in levels:
        mapped = level_map.map(levels[level_map.from_framework][0])
        if mapped is not None:
            levels = {**levels, level_map.to_framework: (mapped, f"levelMap of {statement.id}")}
    if conversion is not None and conversion.from_framework in credits and conversion.to_framework not in credits:
        value = credits[conversion.from_framework][0] * conversion.factor
        credits = {**credits, conversion.to_framework: (value, f"creditConversion x{conversion.factor:g} of "
                                                               f"{statement.id}")}
    return _Chain((*chain.entries, entry), (*chain.hops, hop), levels, credits, chain.parties | {statement.issuer},
                  combine((chain.result, hop.result)))


@dataclass
class _Search:
    complete: list[_Chain] = field(default_factory=list)
    depth_cut: bool = False
    budget_cut: bool = False


def _search(starts: list[_Chain], facts: AwardFacts, source: StatementSource, options: RecognitionOptions,
            lookup: FrameworkLookup, now: datetime) -> _Search:
    """Breadth first from the issuer's accreditations up to the anchors; stops after the depth at which a
    path that holds was found."""
    found = _Search()
    anchors, budget = options.anchors, options.max_chains
    frontier, depth = starts, 1
    while frontier:
        upper: list[_Chain] = []
        for chain in frontier:
            if chain.top in anchors:
                found.complete.append(chain)
                continue
            agreements = source.agreements_recognising(chain.top)
            if depth >= options.max_depth:
                found.depth_cut = found.depth_cut or bool(agreements)
                continue
            for agreement in agreements:
                if agreement.statement.issuer in chain.parties:
                    continue  # a cycle: this regulator is already on the path
                if budget <= 0:
                    found.budget_cut = True
                    break
                budget -= 1
                upper.append(_extend(chain, agreement, facts, lookup, now))
        if any(chain.result is Outcome.OK for chain in found.complete):
            break
        frontier, depth = upper, depth + 1
    return found


def _no_path(facts: AwardFacts, starts: list[_Chain], found: _Search, options: RecognitionOptions) -> Reason:
    issuer = facts.issuer
    if not starts:
        return Reason("noPath", f"no accreditation of {issuer} is known", {"issuer": issuer})
    accreditors = sorted({chain.top for chain in starts})
    if found.budget_cut:
        return Reason("searchLimit", f"the search stopped after {options.max_chains} partial paths without reaching "
                      "a trust anchor", {"accreditors": accreditors})
    if found.depth_cut:
        return Reason("depthLimit", f"no path of at most {options.max_depth} statements leads from the issuer's "
                      "accreditors to a trust anchor; longer chains were not followed",
                      {"accreditors": accreditors, "maxDepth": options.max_depth})
    return Reason("noPath", f"no chain of recognition agreements leads from the issuer's accreditors "
                  f"({', '.join(accreditors)}) to a trust anchor", {"accreditors": accreditors})


def _equivalent(chain: _Chain | None, facts: AwardFacts, options: RecognitionOptions,
                lookup: FrameworkLookup) -> Equivalence | None:
    """The award in the verifier's frameworks: by the path's level maps and credit conversions, credits
    by notional hours when no conversion applies."""
    top = chain.entries[-1].statement if chain is not None else None
    agreement = top if isinstance(top, RecognitionAgreement) else None
    target = options.verifier_framework or (agreement.level_map.to_framework if agreement and agreement.level_map
                                            else None)
    if target is None and chain is not None:
        target = chain.entries[0].statement.scope.framework
    credit_target = options.verifier_credit_framework or (agreement.credit_conversion.to_framework
                                                          if agreement and agreement.credit_conversion else None)
    if credit_target is None and target is not None:
        own = lookup(target)
        credit_target = target if own is not None and own.credit_unit is not None else None
    if target is None and credit_target is None:
        return None
    if chain is not None:
        levels, credits = chain.levels, chain.credits
    else:  # the issuer is an anchor itself, or no path: only what the credential states
        levels, credits = _origin(facts, target, lookup)
    level, level_basis = levels.get(target, (None, "noMapping")) if target else (None, "noMapping")
    value, credits_basis = credits.get(credit_target, (None, "noMapping")) if credit_target else (None, "noMapping")
    if value is None and credit_target is not None and credits:
        target_unit = lookup(credit_target)
        for framework, (amount, _) in credits.items():
            source_unit = lookup(framework)
            if source_unit and source_unit.credit_unit and target_unit and target_unit.credit_unit:
                hours_in, hours_out = source_unit.credit_unit.notional_hours, target_unit.credit_unit.notional_hours
                value = amount * hours_in / hours_out
                credits_basis = f"notional hours ({hours_in:g} h per {source_unit.code} credit, {hours_out:g} h " \
                                f"per {target_unit.code} credit)"
                break
    return Equivalence(target, framework_label(target, lookup) if target else None, level, level_basis,
                       credit_target, round(value, 4) if value is not None else None, credits_basis)


def _award(chain: _Chain | None, facts: AwardFacts, lookup: FrameworkLookup) -> Award:
    """The award in its accreditation's framework. A chain's first entries are what the credential states
    (mapped values are only added for other frameworks), so they are reused."""
    framework = chain.entries[0].statement.scope.framework if chain is not None else None
    levels, credits = (chain.levels, chain.credits) if chain is not None else _origin(facts, framework, lookup)
    level = levels[framework][0] if framework in levels else None
    credit_framework = next(iter(credits), None)
    unit = lookup(credit_framework) if credit_framework else None
    credit_unit = unit.credit_unit if unit is not None else None
    hours = facts.credits * credit_unit.notional_hours if credit_unit and facts.credits is not None else None
    return Award(framework, framework_label(framework, lookup) if framework else None, level, facts.credits,
                 facts.credits_member, credit_framework, credit_unit.name if credit_unit else None, hours,
                 facts.field_of_study, facts.country, facts.alignments)


@dataclass(frozen=True)
class _Walk:
    """Everything about the trust path of one award: reusable for awards with the same trust-relevant facts
    while the source is unchanged and no statement on it crossed a validity bound (``holds_at``)."""

    starts: tuple[_Chain, ...]
    outcome: Outcome
    chosen: _Chain | None
    path: TrustPath | None
    reasons: tuple[Reason, ...]
    rejected: tuple[_Chain, ...]
    accreditations: tuple[QualitySignal, ...]
    at: datetime
    bounds: tuple[tuple[datetime | None, datetime | None], ...]
    #: The anchors as reported (sorted), and the path's warnings.
    anchors: tuple[str, ...] = ()
    warnings: tuple[Reason, ...] = ()
    #: (award, equivalent) by (verifier_framework, verifier_credit_framework): they depend only on the walk,
    #: on the award facts of the cache key and on the source's version, so a reused walk reuses them.
    views: dict[tuple[str | None, str | None], tuple[Award, Equivalence | None]] = \
        field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def rejected_paths(self) -> tuple[TrustPath, ...]:
        """The rejected chains as paths (built once for every report that reuses the walk)."""
        return tuple(c.path() for c in self.rejected)

    @cached_property
    def _limits(self) -> tuple[datetime | None, datetime | None, datetime | None, datetime | None]:
        """The bounds as four limits on ``now``: at or after the latest validFrom already passed at ``at``,
        before the earliest still to come, after the latest validUntil passed, at or before the earliest
        still to come."""
        at = self.at
        starts = [start for start, _ in self.bounds if start is not None]
        ends = [end for _, end in self.bounds if end is not None]
        return (max((s for s in starts if not at < s), default=None), min((s for s in starts if at < s), default=None),
                max((e for e in ends if at > e), default=None), min((e for e in ends if not at > e), default=None))

    def holds_at(self, now: datetime) -> bool:
        """Every statement the result depends on is on the same side of its validity bounds at ``now``."""
        started, next_start, ended, next_end = self._limits
        return (started is None or now >= started) and (next_start is None or now < next_start) \
            and (ended is None or now > ended) and (next_end is None or now <= next_end)


_ORDER = {Outcome.OK: 0, Outcome.UNCHECKED: 1, Outcome.FAILED: 2}


def _walk(facts: AwardFacts, source: StatementSource, options: RecognitionOptions, lookup: FrameworkLookup,
          now: datetime) -> _Walk:
    starts = [_start(entry, facts, lookup, now) for entry in source.accreditations_of(facts.issuer)] \
        if facts.issuer else []
    reasons: list[Reason] = []
    rejected: list[_Chain] = []
    chosen: _Chain | None = None
    path: TrustPath | None = None
    complete: list[_Chain] = []
    if facts.issuer is None:
        outcome = Outcome.FAILED
        reasons.append(Reason("noIssuer", "the credential names no issuer"))
    elif facts.issuer in options.anchors:
        outcome = Outcome.OK
        path = TrustPath(facts.issuer, (), Outcome.OK)
    else:
        found = _search(starts, facts, source, options, lookup, now)
        complete = found.complete
        ranked = sorted(complete, key=lambda c: (_ORDER[c.result], sum(h.result is Outcome.FAILED for h in c.hops),
                                                 len(c.hops)))
        if ranked:
            chosen, rejected = ranked[0], [c for c in ranked[1:] if c.result is Outcome.FAILED]
            path, outcome = chosen.path(), chosen.result
            reasons = path.reasons() if outcome is not Outcome.OK else []
        else:
            reason = _no_path(facts, starts, found, options)
            outcome = Outcome.UNCHECKED if reason.code == "searchLimit" else Outcome.FAILED
            reasons.append(reason)
    # Only the statements of complete paths and the issuer's accreditations decide the result: the search
    # follows links whatever their validity, so dead ends stay dead ends.
    entries = {id(e): e.statement for chain in (*starts, *complete) for e in chain.entries}
    bounds = tuple((statement.valid_from, statement.valid_until) for statement in entries.values())
    signals = accreditation_signals([(c.entries[0].statement, c.hops[0]) for c in starts],
                                    {hop.statement for hop in path.hops} if path else set(), options.anchors)
    return _Walk(tuple(starts), outcome, chosen, path, tuple(reasons), tuple(rejected[:MAX_REJECTED_PATHS]), signals,
                 now, bounds, tuple(sorted(options.anchors)),
                 tuple(w for hop in (path.hops if path else ()) for w in hop.warnings))


def _view(walk: _Walk, facts: AwardFacts, options: RecognitionOptions,
          lookup: FrameworkLookup) -> tuple[Award, Equivalence | None]:
    """The award and its equivalent for a walk, computed once per walk and verifier framework choice."""
    key = (options.verifier_framework, options.verifier_credit_framework)
    found = walk.views.get(key)
    if found is None:
        fallback = walk.chosen or next((c for c in walk.starts if c.result is Outcome.OK),
                                       walk.starts[0] if walk.starts else None)
        found = walk.views[key] = (
            _award(fallback, facts, lookup),
            _equivalent(walk.chosen, facts, options, lookup) if walk.path is not None or options.verifier_framework
            else None)
    return found


def evaluate_recognition(credential: Any, source: StatementSource, options: RecognitionOptions) -> RecognitionReport:
    """The recognition report for one credential (whose own proof is checked elsewhere). Never raises for
    a malformed credential: what cannot be read is reported."""
    now = options.now or SYSTEM_CLOCK.now()
    credential = credential if isinstance(credential, dict) else {}
    subject, achievement = credential_parts(credential)
    facts = read_award_parts(credential, subject, achievement)
    cache, version = options.cache, getattr(source, "version", None)
    if cache is not None and isinstance(version, int):
        lookup = cache.lookup(source, version)
        key = (id(source), version, facts.issuer, facts.alignments, facts.field_of_study, facts.country,
               facts.credits, facts.credits_member, frozenset(options.anchors), options.max_depth, options.max_chains)
        walk = cache.walk(key, now, lambda: _walk(facts, source, options, lookup, now))
    else:
        lookup = FrameworkLookup(source)
        walk = _walk(facts, source, options, lookup, now)
    award, equivalent = _view(walk, facts, options, lookup)
    # RecognitionReport is frozen: filled directly, as its generated __init__ would (one setattr call per
    # field is a noticeable share of an evaluation whose walk is cached).
    report = object.__new__(RecognitionReport)
    report.__dict__.update(
        recognised=walk.outcome, issuer=facts.issuer, anchors=walk.anchors, path=walk.path, reasons=walk.reasons,
        rejected_paths=walk.rejected_paths, award=award, equivalent=equivalent,
        completeness=completeness_of(credential, subject, achievement, lookup.has_levels),
        signals=walk.accreditations + endorsement_signals(credential, facts, source, now, achievement),
        warnings=walk.warnings,
    )
    return report

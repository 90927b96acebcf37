"""Trust statements as frozen values: what a framework descriptor, an accreditation, a recognition agreement,
a pathway or an endorsement says once its credential has been parsed (see ``trust.parse``).

Every statement is a credential issued by the stating party, so each value keeps the credential's ``id``,
its ``issuer`` and its validity period. Level codes are strings (``"4"``), as Open Badges alignments write
them; their order comes from the framework's descriptor, or from their numeric value when no descriptor is
known (see :func:`level_rank`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from vcnode.clock import format_timestamp


@dataclass(frozen=True, kw_only=True)
class Statement:
    """What every trust statement has: its credential's id, issuer and validity period."""

    id: str
    issuer: str
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    @cached_property
    def stamps(self) -> tuple[str | None, str | None]:
        """``validFrom`` and ``validUntil`` as dateTimeStamps (reports show them for every hop)."""
        return (_stamp(self.valid_from) if self.valid_from is not None else None,
                _stamp(self.valid_until) if self.valid_until is not None else None)

    def validity_problem(self, now: datetime) -> tuple[str, str] | None:
        """``("notYetValid" | "expired", message)`` when ``now`` is outside the validity period."""
        if self.valid_from is not None and now < self.valid_from:
            return "notYetValid", f"{self.id} is valid only from {_stamp(self.valid_from)}"
        if self.valid_until is not None and now > self.valid_until:
            return "expired", f"{self.id} expired at {_stamp(self.valid_until)}"
        return None


@dataclass(frozen=True)
class Level:
    """One level of a framework: its code as alignments write it (``"5"``) and an optional name."""

    code: str
    name: str | None = None


@dataclass(frozen=True)
class CreditUnit:
    """A framework's credit: its name and notional learning hours per credit (a range when the framework
    gives one, as ECTS does with 25 to 30 hours; ``notional_hours`` is then the value used for conversions)."""

    name: str
    notional_hours: float
    hours_min: float | None = None
    hours_max: float | None = None


@dataclass(frozen=True, kw_only=True)
class FrameworkDescriptor(Statement):
    """A qualifications or credit framework, published by its owner. ``framework`` is its id (a URL);
    ``code`` (``"HKQF"``) and ``aliases`` are the names an Open Badges alignment may use in
    ``targetFramework``."""

    framework: str
    code: str
    name: str
    aliases: tuple[str, ...] = ()
    levels: tuple[Level, ...] = ()
    credit_unit: CreditUnit | None = None

    def names(self) -> tuple[str, ...]:
        """Every name the framework is known by (id, code, name, aliases)."""
        return (self.framework, self.code, self.name, *self.aliases)

    def matches(self, reference: str | None) -> bool:
        """True when ``reference`` (an alignment's targetFramework or targetUrl) names this framework."""
        if not reference:
            return False
        wanted = reference.strip().casefold()
        return any(wanted == name.casefold() for name in self.names())

    def rank(self, code: str) -> int | None:
        """The position of level ``code`` (0 = lowest), or None when the framework has no such level."""
        return self._ranks.get(code)

    @cached_property
    def _ranks(self) -> dict[str, int]:
        return {level.code: position for position, level in enumerate(self.levels)}


@dataclass(frozen=True)
class Scope:
    """What a statement covers. Empty tuples and None mean "no restriction" on that aspect. ``max_level``
    is a level code of ``framework``."""

    framework: str | None = None
    max_level: str | None = None
    fields: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Accreditation(Statement):
    """``issuer`` (a regulator) accredits ``provider`` (a DID) to award within ``scope``."""

    provider: str
    provider_name: str | None = None
    scope: Scope


@dataclass(frozen=True)
class LevelMap:
    """Level correspondences from one framework to another (``pairs``: from-level, to-level)."""

    from_framework: str
    to_framework: str
    pairs: tuple[tuple[str, str], ...]

    def map(self, level: str) -> str | None:
        """The level in ``to_framework`` that corresponds to ``level``, or None when the map has none."""
        for source, target in self.pairs:
            if source == level:
                return target
        return None


@dataclass(frozen=True)
class CreditConversion:
    """Credits in ``from_framework`` * ``factor`` = credits in ``to_framework``."""

    from_framework: str
    to_framework: str
    factor: float


@dataclass(frozen=True, kw_only=True)
class RecognitionAgreement(Statement):
    """``issuer`` (regulator A) recognises the accreditations of ``recognised`` (regulator B) within
    ``scope`` (written in B's framework), with a level map and a credit conversion into A's framework."""

    recognised: str
    recognised_name: str | None = None
    scope: Scope
    level_map: LevelMap | None = None
    credit_conversion: CreditConversion | None = None


@dataclass(frozen=True)
class PathwayAward:
    """The award a pathway leads to: the achievement the stacked credential will carry."""

    id: str
    name: str
    description: str


@dataclass(frozen=True, kw_only=True)
class Pathway(Statement):
    """A provider (``issuer``) states that ``min_components`` of ``components`` (achievement ids), with at
    least ``min_credits`` credits in ``credit_framework`` in total, all awarded within ``window_years``,
    lead to ``award``. Components count only when issued by the provider or one of ``accepted_issuers``."""

    pathway: str
    name: str
    components: tuple[str, ...]
    min_components: int
    min_credits: float | None = None
    credit_framework: str | None = None
    window_years: float | None = None
    accepted_issuers: tuple[str, ...] = ()
    award: PathwayAward

    def issuers(self) -> tuple[str, ...]:
        """The issuers whose credentials count as components."""
        return (self.issuer, *(i for i in self.accepted_issuers if i != self.issuer))


@dataclass(frozen=True, kw_only=True)
class Endorsement(Statement):
    """An Open Badges ``EndorsementCredential``: ``issuer`` endorses ``subject`` (a provider, an
    achievement or a credential, by id). A weaker signal than an accreditation: it has no scope."""

    subject: str
    comment: str | None = None


#: Any parsed statement.
AnyStatement = FrameworkDescriptor | Accreditation | RecognitionAgreement | Pathway | Endorsement


def level_rank(level: str, framework: FrameworkDescriptor | None) -> int | None:
    """A comparable rank for ``level``: its position in the framework's descriptor when one is known,
    otherwise its integer value (``"5"`` → 5); None when neither applies (then levels cannot be compared)."""
    if framework is not None and framework.levels:
        return framework.rank(level)
    try:
        return int(level)
    except ValueError:
        return None


def _stamp(value: datetime) -> str:
    return format_timestamp(value, timespec="auto", keep_offset=True)

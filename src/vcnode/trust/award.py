"""What an Open Badges 3.0 credential says about its award: level, credits, field, country, date.

Read as docs/credentials.md (micro-credential metadata) tells issuers to write it:

- **level** in a framework: an ``achievement.alignment`` entry whose ``targetFramework`` (or ``targetUrl``)
  names the framework (its id, code, name or an alias from its descriptor) and whose ``targetType`` is not a
  competency; the level is ``targetCode``, or else the word after "level" in ``targetName`` ("EQF level 5").
- **credits**: ``credentialSubject.creditsEarned`` when present, else ``achievement.creditsAvailable``. Their
  unit is the framework of an alignment that names a pure credit framework (a descriptor with a credit unit
  and no levels, such as ECTS); without one, the caller decides (see ``evaluate`` and ``pathways``).
- **field of study**: ``achievement.fieldOfStudy``.
- **country**: ``addressCountryCode`` of the issuer's address, else of ``achievement.creator``'s.
- **date awarded**: the credential's ``awardedDate`` (Open Badges 3.0), else ``validFrom`` (VCDM 1.1:
  ``issuanceDate``).

Only the first credential subject with an achievement is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from vcnode.clock import parse_datetime
from vcnode.credentials.model import as_list
from vcnode.trust.statements import FrameworkDescriptor

_LEVEL_IN_NAME = re.compile(r"\blevel\s+([A-Za-z0-9.+-]+)", re.IGNORECASE)
#: Alignment target types that name an outcome or skill, never a level.
_COMPETENCY_TYPES = {"ceasn:competency", "ceterms:competency", "competency", "ceasn:competencyframework"}


@dataclass(frozen=True)
class Alignment:
    """An ``achievement.alignment`` entry, as read."""

    framework: str | None
    code: str | None
    name: str | None
    url: str | None
    target_type: str | None

    def __hash__(self) -> int:
        # Alignments are part of the recognition cache's keys: their hash is computed once.
        return self._hash

    @cached_property
    def _hash(self) -> int:
        return hash((self.framework, self.code, self.name, self.url, self.target_type))

    @property
    def is_competency(self) -> bool:
        """An outcome or competency alignment (never a level)."""
        return (self.target_type or "").casefold() in _COMPETENCY_TYPES

    def level_code(self) -> str | None:
        """``targetCode``, or the word after "level" in ``targetName``."""
        if self.code:
            return self.code
        found = _LEVEL_IN_NAME.search(self.name or "")
        return found.group(1) if found else None

    def to_json(self) -> dict[str, Any]:
        """The alignment's members as written."""
        return self._json.copy()

    @cached_property
    def _json(self) -> dict[str, Any]:
        out = {"targetFramework": self.framework, "targetCode": self.code, "targetName": self.name,
               "targetUrl": self.url}
        return {k: v for k, v in out.items() if v is not None}


@dataclass(frozen=True)
class AwardFacts:
    """The facts of one credential that recognition and pathways use."""

    credential_id: str | None
    issuer: str | None
    subject_id: str | None
    achievement_id: str | None
    achievement_name: str | None
    field_of_study: str | None
    country: str | None
    credits: float | None
    credits_member: str | None  # creditsEarned or creditsAvailable
    awarded: datetime | None
    alignments: tuple[Alignment, ...]

    def level_in(self, framework: str, descriptor: FrameworkDescriptor | None) -> tuple[str, Alignment] | None:
        """The award's level in ``framework`` (an id), with the alignment it was read from."""
        for alignment in self.alignments:
            if alignment.is_competency:
                continue
            named = (alignment.framework, alignment.url)
            if framework in named or (descriptor is not None and any(descriptor.matches(n) for n in named)):
                code = alignment.level_code()
                if code is not None:
                    return code, alignment
        return None

    def credit_framework(self, lookup: Callable[[str], FrameworkDescriptor | None]) -> FrameworkDescriptor | None:
        """The pure credit framework an alignment names (the unit of ``credits``), if any."""
        for alignment in self.alignments:
            for name in (alignment.framework, alignment.url):
                descriptor = lookup(name) if name else None
                if descriptor is not None and descriptor.credit_unit is not None and not descriptor.levels:
                    return descriptor
        return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value >= 0 else None


def _country(profile: Any) -> str | None:
    if not isinstance(profile, dict):
        return None
    address = profile.get("address")
    code = address.get("addressCountryCode") if isinstance(address, dict) else None
    return code.upper() if isinstance(code, str) and code else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


#: Alignments already read, by their content (many credentials carry the same achievement): reused, so a
#: credential's alignments are not built again and compare by identity first in the recognition cache's keys.
_ALIGNMENTS: dict[tuple[str | None, ...], Alignment] = {}
_MAX_ALIGNMENTS = 4096


def _alignment(value: Any) -> Alignment | None:
    if not isinstance(value, dict):
        return None
    kind = value.get("targetType")
    if isinstance(kind, list):
        kind = kind[0] if kind else None
    framework, code, name, url = (value.get("targetFramework"), value.get("targetCode"), value.get("targetName"),
                                  value.get("targetUrl"))
    content = (framework if isinstance(framework, str) and framework else None,
               code if isinstance(code, str) and code else None, name if isinstance(name, str) and name else None,
               url if isinstance(url, str) and url else None, kind if isinstance(kind, str) and kind else None)
    found = _ALIGNMENTS.get(content)
    if found is None:
        if len(_ALIGNMENTS) >= _MAX_ALIGNMENTS:
            _ALIGNMENTS.clear()
        found = _ALIGNMENTS[content] = Alignment(*content)
    return found


_EMPTY: dict[str, Any] = {}


def credential_parts(credential: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The credential subject that is read (the first with an achievement, else the first) and its
    achievement (``{}`` when missing). Shared by :func:`read_award` and the completeness check; the
    returned mappings are the credential's own and must not be changed."""
    subjects = credential.get("credentialSubject")
    if isinstance(subjects, dict):  # the usual case: one subject
        subject = subjects
    else:
        listed = [s for s in as_list(subjects) if isinstance(s, dict)]
        subject = next((s for s in listed if isinstance(s.get("achievement"), dict)), listed[0] if listed else _EMPTY)
    achievement = subject.get("achievement")
    return subject, achievement if isinstance(achievement, dict) else _EMPTY


def read_award(credential: Any) -> AwardFacts:
    """The award facts of an Open Badges 3.0 credential; members that are missing or malformed read as
    None (the callers report what they needed and did not find)."""
    credential = credential if isinstance(credential, dict) else _EMPTY
    return read_award_parts(credential, *credential_parts(credential))


def read_award_parts(credential: dict[str, Any], subject: dict[str, Any], achievement: dict[str, Any]) -> AwardFacts:
    """:func:`read_award` for a credential whose subject and achievement were found (``credential_parts``)."""
    earned = _number(subject.get("creditsEarned"))
    if earned is not None:
        credits, member = earned, "creditsEarned"
    else:
        credits = _number(achievement.get("creditsAvailable"))
        member = "creditsAvailable" if credits is not None else None
    field = achievement.get("fieldOfStudy")
    awarded = parse_datetime(credential.get("awardedDate")) or parse_datetime(credential.get("validFrom")) \
        or parse_datetime(credential.get("issuanceDate"))
    raw = achievement.get("alignment")
    alignments = () if raw is None else \
        tuple(a for a in map(_alignment, raw if isinstance(raw, list) else (raw,)) if a is not None)
    credential_id, subject_id, achievement_id = credential.get("id"), subject.get("id"), achievement.get("id")
    name = achievement.get("name")
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer  # any JSON value: a string names one
    # AwardFacts is frozen: filled directly, as its generated __init__ would (one setattr call per field is
    # a noticeable share of a recognition evaluation).
    facts = object.__new__(AwardFacts)
    facts.__dict__.update(
        credential_id=credential_id if isinstance(credential_id, str) else None,
        issuer=issuer_id if isinstance(issuer_id, str) else None,
        subject_id=subject_id if isinstance(subject_id, str) else None,
        achievement_id=achievement_id if isinstance(achievement_id, str) else None,
        achievement_name=name if isinstance(name, str) else None,
        field_of_study=field if isinstance(field, str) and field.strip() else None,
        country=_country(issuer) or _country(achievement.get("creator")),
        credits=credits, credits_member=member, awarded=awarded, alignments=alignments,
    )
    return facts

"""Completeness of an Open Badges 3.0 credential against the mandatory elements of the EU Council
Recommendation on micro-credentials (2022, Annex I), where docs/credentials.md says each element goes.

Presence is checked, not quality: a description counts as learning outcomes if it is there. The member
found is reported, so a reader can judge.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vcnode.credentials.model import as_list
from vcnode.trust.award import credential_parts

#: (key, the element as the Recommendation names it)
ELEMENTS = (
    ("learner", "Identification of the learner"),
    ("title", "Title of the micro-credential"),
    ("country", "Country(ies)/region(s) of the issuer"),
    ("awardingBody", "Awarding body(ies)"),
    ("dateOfIssuing", "Date of issuing"),
    ("learningOutcomes", "Learning outcomes"),
    ("workload", "Notional workload needed to achieve the learning outcomes"),
    ("level", "Level (and cycle, if applicable) of the learning experience"),
    ("assessment", "Type of assessment"),
    ("participation", "Form of participation in the learning activity"),
    ("qualityAssurance", "Type of quality assurance used to underpin the micro-credential"),
)
# Framework names that are level frameworks when no descriptor says so (EQF, QF-EHEA, national NQF/NFQ).
_LEVEL_FRAMEWORK = re.compile(r"\b(EQF|QF-EHEA|NQF|NFQ|[A-Z]*QF|[A-Z]*QCF)\b|\blevel\b", re.IGNORECASE)
_COMPETENCY = {"ceasn:competency", "ceterms:competency", "competency"}


@dataclass(frozen=True)
class ElementCheck:
    """One mandatory element: present where (a member path), or missing (``where`` is None)."""

    key: str
    label: str
    where: str | None

    @property
    def present(self) -> bool:
        """The credential carries the element."""
        return self.where is not None


@dataclass(frozen=True)
class Completeness:
    """All mandatory elements, present or missing: ``found`` holds, in the order of :data:`ELEMENTS`, where
    each element was found (None when missing)."""

    found: tuple[str | None, ...]

    @property
    def elements(self) -> tuple[ElementCheck, ...]:
        """Each element with where it was found."""
        return tuple(ElementCheck(key, label, where) for (key, label), where in zip(ELEMENTS, self.found, strict=True))

    @property
    def complete(self) -> bool:
        """Every mandatory element is present."""
        return None not in self.found

    @property
    def missing(self) -> list[str]:
        """Keys of the missing elements."""
        return [key for (key, _), where in zip(ELEMENTS, self.found, strict=True) if where is None]

    def to_json(self) -> dict[str, Any]:
        """``{complete, present, missing, elements}`` (new containers on every call)."""
        complete, present, missing, elements = _json_parts(self.found)
        return {"complete": complete, "present": list(present), "missing": list(missing),
                "elements": [element.copy() for element in elements]}


_JsonParts = tuple[bool, tuple[str, ...], tuple[str, ...], tuple[dict[str, Any], ...]]
#: The JSON of each combination of found elements seen, by its content (``Completeness.found``); callers
#: get copies. Few combinations occur, but the paths of indexed members are unbounded, hence the limit.
_JSON: dict[tuple[str | None, ...], _JsonParts] = {}
_MAX_JSON = 1024


def _json_parts(found: tuple[str | None, ...]) -> _JsonParts:
    parts = _JSON.get(found)
    if parts is None:
        present, missing, elements = [], [], []
        for (key, label), where in zip(ELEMENTS, found, strict=True):
            (present if where is not None else missing).append(key)
            elements.append({"element": key, "label": label, "present": where is not None, "where": where})
        if len(_JSON) >= _MAX_JSON:
            _JSON.clear()
        parts = _JSON[found] = (not missing, tuple(present), tuple(missing), tuple(elements))
    return parts


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _has(value: Any) -> bool:
    return value not in (None, "", [], {})


def _country(profile: dict[str, Any]) -> bool:
    address = _dict(profile.get("address"))
    return _has(address.get("addressCountryCode")) or _has(address.get("addressCountry"))


def _alignment_elements(alignments: list[Any], is_level_framework: Callable[[str], bool] | None) \
        -> tuple[str | None, str | None]:
    """(where the level is, where the quality assurance is) among the alignments, in one pass."""
    level = quality = None
    for index, alignment in enumerate(alignments):
        if not isinstance(alignment, dict):
            continue
        framework = str(alignment.get("targetFramework") or "")
        name = str(alignment.get("targetName") or "")
        if quality is None and "quality assurance" in f"{framework} {name}".casefold():
            quality = f"achievement.alignment[{index}]"
        if level is None and str(alignment.get("targetType", "")).casefold() not in _COMPETENCY \
                and _has(alignment.get("targetCode") or name) \
                and ((bool(framework) and is_level_framework is not None and is_level_framework(framework))
                     or _LEVEL_FRAMEWORK.search(f"{framework} {name}")):
            level = f"achievement.alignment[{index}]"
    return level, quality


def check_completeness(credential: Any, is_level_framework: Callable[[str], bool] | None = None) -> Completeness:
    """Which mandatory elements ``credential`` carries. ``is_level_framework`` says whether an alignment's
    ``targetFramework`` names a levelled framework (from known descriptors); without it, or when it says no,
    names such as EQF, QF-EHEA, NQF, NFQ, xxQF or the word "level" count."""
    credential = _dict(credential)
    return completeness_of(credential, *credential_parts(credential), is_level_framework)


def completeness_of(credential: dict[str, Any], subject: dict[str, Any], achievement: dict[str, Any],
                    is_level_framework: Callable[[str], bool] | None = None) -> Completeness:
    """:func:`check_completeness` for a credential whose subject and achievement were found
    (:func:`~vcnode.trust.award.credential_parts`)."""
    issuer = _dict(credential.get("issuer"))
    criteria = _dict(achievement.get("criteria"))
    level, quality = _alignment_elements(as_list(achievement.get("alignment")), is_level_framework)
    tags = achievement.get("tag")
    return Completeness((
        # learner
        "credentialSubject.id" if _has(subject.get("id")) else
        "credentialSubject.identifier" if _has(subject.get("identifier")) else None,
        # title
        "achievement.name" if _has(achievement.get("name")) else None,
        # country
        "issuer.address" if _country(issuer) else
        "achievement.creator.address" if _country(_dict(achievement.get("creator"))) else None,
        # awardingBody
        "issuer.name" if _has(issuer.get("id")) and _has(issuer.get("name")) else None,
        # dateOfIssuing
        "awardedDate" if _has(credential.get("awardedDate")) else "validFrom" if _has(credential.get("validFrom"))
        else "issuanceDate" if _has(credential.get("issuanceDate")) else None,
        # learningOutcomes
        "achievement.description, achievement.criteria" if _has(achievement.get("description")) and criteria
        else None,
        # workload
        "credentialSubject.creditsEarned" if isinstance(subject.get("creditsEarned"), int | float) else
        "achievement.creditsAvailable" if isinstance(achievement.get("creditsAvailable"), int | float) else None,
        # level
        level,
        # assessment
        "achievement.criteria.narrative" if _has(criteria.get("narrative")) else
        "achievement.resultDescription" if _has(achievement.get("resultDescription")) else
        "credentialSubject.result" if _has(subject.get("result")) else None,
        # participation
        None if tags is None else next((f"achievement.tag[{i}]" for i, t in enumerate(as_list(tags))
                                        if isinstance(t, str) and t.casefold().startswith("participation")), None),
        # qualityAssurance
        quality or ("achievement.endorsement" if _has(achievement.get("endorsement")) else
                    "endorsement" if _has(credential.get("endorsement")) else None),
    ))

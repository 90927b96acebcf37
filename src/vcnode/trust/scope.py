"""Does an award fall within a statement's scope? Level, field of study and jurisdiction, each with the
specifics of a mismatch.

Fail closed: a scope that limits levels needs the award's level in the scope's framework (read from the
credential, or carried there by the level maps of the path) and two comparable levels; otherwise the
award is outside the scope, with the reason. Fields match by ISCED-F code prefix when both sides carry a
code ("06" covers "0613"), otherwise by case-insensitive name. Jurisdiction is checked only when the
credential states its issuer's country.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from vcnode.trust.award import AwardFacts
from vcnode.trust.report import Reason
from vcnode.trust.statements import FrameworkDescriptor, Scope, level_rank

_CODE = re.compile(r"\b(\d{2,4})\b")

#: Finds a framework's descriptor by id (None when unknown).
Lookup = Callable[[str], FrameworkDescriptor | None]


def _codes(field: str) -> list[str]:
    return _CODE.findall(field)


def _bare_name(field: str) -> str:
    return field.split("(", 1)[0].strip().casefold()


def field_matches(scope_field: str, award_field: str) -> bool:
    """True when the award's field of study is covered by one field named in a scope."""
    scope_codes, award_codes = _codes(scope_field), _codes(award_field)
    if scope_codes and award_codes:
        return any(a.startswith(s) for s in scope_codes for a in award_codes)
    return _bare_name(scope_field) == _bare_name(award_field)


def framework_label(framework: str, lookup: Lookup) -> str:
    """A framework's code when its descriptor is known (``HKQF``), else its id."""
    descriptor = lookup(framework)
    return descriptor.code if descriptor is not None else framework


def check_scope(scope: Scope, levels: Mapping[str, str], facts: AwardFacts, lookup: Lookup) -> list[Reason]:
    """Every way the award falls outside ``scope`` (empty when it is within). ``levels`` maps a framework
    id to the award's level in it, as known at this point of the path."""
    problems: list[Reason] = []
    if scope.framework is not None:
        level = levels.get(scope.framework)
        descriptor = lookup(scope.framework)
        label = descriptor.code if descriptor is not None else scope.framework
        problem = None
        if level is None:
            limit = f"its limit {label} {scope.max_level}" if scope.max_level else f"its framework {label}"
            problem = f"the award has no level in {label}, so {limit} cannot be applied"
        elif scope.max_level is not None:
            award_rank, limit_rank = level_rank(level, descriptor), level_rank(scope.max_level, descriptor)
            if award_rank is None or limit_rank is None:
                problem = f"{label} level {level} cannot be compared with the limit {scope.max_level} (unknown level)"
            elif award_rank > limit_rank:
                problem = f"the award is at {label} level {level}, above the scope's maximum {label} {scope.max_level}"
        if problem is not None:
            problems.append(Reason("scopeMismatch", problem, {"aspect": "level", "framework": scope.framework,
                                                              "maxLevel": scope.max_level, "awardLevel": level}))
    if scope.fields:
        field = facts.field_of_study
        problem = None
        if field is None:
            problem = "the award states no field of study; the scope covers only " + "; ".join(scope.fields)
        elif not any(field_matches(f, field) for f in scope.fields):
            problem = f"the award's field {field!r} is outside the scope's fields ({'; '.join(scope.fields)})"
        if problem is not None:
            problems.append(Reason("scopeMismatch", problem, {"aspect": "fieldOfStudy", "fields": list(scope.fields),
                                                              "awardField": field}))
    if scope.jurisdictions and facts.country is not None and facts.country not in scope.jurisdictions:
        problems.append(Reason("scopeMismatch", f"the issuer's country {facts.country} is outside the scope's "
                               f"jurisdictions ({', '.join(scope.jurisdictions)})",
                               {"aspect": "jurisdiction", "jurisdictions": list(scope.jurisdictions),
                                "awardCountry": facts.country}))
    return problems

"""Build the unsigned credential of a trust statement; sign it with ``vcnode.credentials.issue_credential``.

Each builder parses what it built before returning it, so a builder never produces a statement that the
parser (and so every other node) would refuse.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from vcnode.clock import format_timestamp
from vcnode.credentials.model import VC_V2
from vcnode.trust import vocab
from vcnode.trust.parse import parse_statement
from vcnode.trust.statements import CreditConversion, CreditUnit, Level, LevelMap, PathwayAward, Scope

#: A validity bound: an XML Schema dateTimeStamp or an aware datetime.
When = str | datetime


def _stamp(value: When) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError("validity bounds must be aware datetimes (with a timezone)")
    return format_timestamp(value)


def _credential(kind: str, statement_id: str | None, issuer: str, issuer_name: str | None, name: str,
                subject: dict[str, Any], valid_from: When, valid_until: When | None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": [VC_V2, vocab.TRUST_CONTEXT],
        "id": statement_id or f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", kind],
        "name": name,
        "issuer": {"id": issuer, "name": issuer_name} if issuer_name else issuer,
        "validFrom": _stamp(valid_from),
        **({"validUntil": _stamp(valid_until)} if valid_until is not None else {}),
        "credentialSubject": subject,
    }
    parse_statement(document)
    return document


def scope_json(scope: Scope) -> dict[str, Any]:
    """A scope as the ``scope`` member of a statement's subject."""
    out: dict[str, Any] = {"type": vocab.SCOPE}
    if scope.framework is not None:
        out["framework"] = scope.framework
    if scope.max_level is not None:
        out["maxLevel"] = scope.max_level
    if scope.fields:
        out["fieldOfStudy"] = list(scope.fields)
    if scope.jurisdictions:
        out["jurisdiction"] = list(scope.jurisdictions)
    return out


def build_framework(*, issuer: str, framework_id: str, code: str, name: str, valid_from: When,
                    levels: Sequence[str | Level] = (), credit_unit: CreditUnit | None = None,
                    aliases: Sequence[str] = (), statement_id: str | None = None, issuer_name: str | None = None,
                    valid_until: When | None = None) -> dict[str, Any]:
    """A framework descriptor published by its owner: levels lowest first, and/or a credit unit."""
    subject: dict[str, Any] = {"id": framework_id, "type": vocab.FRAMEWORK_SUBJECT, "frameworkCode": code,
                               "name": name}
    if aliases:
        subject["alternateName"] = list(aliases)
    if levels:
        subject["frameworkLevel"] = []
        for level in levels:
            level = level if isinstance(level, Level) else Level(level)
            entry = {"type": vocab.LEVEL, "levelCode": level.code}
            if level.name:
                entry["name"] = level.name
            subject["frameworkLevel"].append(entry)
    if credit_unit is not None:
        unit: dict[str, Any] = {"type": vocab.CREDIT_UNIT, "name": credit_unit.name,
                                "notionalHours": credit_unit.notional_hours}
        if credit_unit.hours_min is not None:
            unit["notionalHoursMin"] = credit_unit.hours_min
        if credit_unit.hours_max is not None:
            unit["notionalHoursMax"] = credit_unit.hours_max
        subject["creditUnit"] = unit
    return _credential(vocab.FRAMEWORK_CREDENTIAL, statement_id, issuer, issuer_name, name, subject, valid_from,
                       valid_until)


def build_accreditation(*, regulator: str, provider: str, scope: Scope, valid_from: When,
                        valid_until: When | None = None, provider_name: str | None = None,
                        regulator_name: str | None = None, statement_id: str | None = None) -> dict[str, Any]:
    """``regulator`` accredits ``provider`` to award within ``scope``."""
    subject: dict[str, Any] = {"id": provider, "type": vocab.PROVIDER_SUBJECT, "scope": scope_json(scope)}
    if provider_name:
        subject["name"] = provider_name
    title = f"Accreditation of {provider_name or provider}"
    return _credential(vocab.ACCREDITATION_CREDENTIAL, statement_id, regulator, regulator_name, title, subject,
                       valid_from, valid_until)


def build_agreement(*, regulator: str, recognised: str, scope: Scope, valid_from: When,
                    level_map: LevelMap | None = None, credit_conversion: CreditConversion | None = None,
                    valid_until: When | None = None, recognised_name: str | None = None,
                    regulator_name: str | None = None, statement_id: str | None = None) -> dict[str, Any]:
    """``regulator`` recognises the accreditations of ``recognised`` within ``scope`` (in the recognised
    regulator's framework), mapping levels and converting credits into its own framework."""
    subject: dict[str, Any] = {"id": recognised, "type": vocab.AUTHORITY_SUBJECT, "scope": scope_json(scope)}
    if recognised_name:
        subject["name"] = recognised_name
    if level_map is not None:
        subject["levelMap"] = {"type": vocab.LEVEL_MAP, "fromFramework": level_map.from_framework,
                               "toFramework": level_map.to_framework,
                               "levelMapping": [{"fromLevel": a, "toLevel": b} for a, b in level_map.pairs]}
    if credit_conversion is not None:
        subject["creditConversion"] = {"type": vocab.CREDIT_CONVERSION,
                                       "fromFramework": credit_conversion.from_framework,
                                       "toFramework": credit_conversion.to_framework,
                                       "factor": credit_conversion.factor}
    title = f"Recognition of {recognised_name or recognised}"
    return _credential(vocab.AGREEMENT_CREDENTIAL, statement_id, regulator, regulator_name, title, subject,
                       valid_from, valid_until)


def build_pathway(*, provider: str, pathway_id: str, name: str, components: Sequence[str], award: PathwayAward,
                  valid_from: When, min_components: int | None = None, min_credits: float | None = None,
                  credit_framework: str | None = None, window_years: float | None = None,
                  accepted_issuers: Sequence[str] = (), valid_until: When | None = None,
                  provider_name: str | None = None, statement_id: str | None = None) -> dict[str, Any]:
    """``provider`` states that ``min_components`` (default: all) of ``components`` lead to ``award``."""
    subject: dict[str, Any] = {
        "id": pathway_id, "type": vocab.PATHWAY_SUBJECT, "name": name, "componentAchievement": list(components),
        "minComponents": len(components) if min_components is None else min_components,
        "award": {"id": award.id, "type": vocab.PATHWAY_AWARD, "name": award.name, "description": award.description},
    }
    if min_credits is not None:
        subject["minCredits"] = min_credits
    if credit_framework is not None:
        subject["creditFramework"] = credit_framework
    if window_years is not None:
        subject["windowYears"] = window_years
    if accepted_issuers:
        subject["acceptedIssuer"] = list(accepted_issuers)
    return _credential(vocab.PATHWAY_CREDENTIAL, statement_id, provider, provider_name, name, subject, valid_from,
                       valid_until)

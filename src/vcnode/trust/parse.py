"""Read a trust statement's credential into a frozen value, or say exactly what is wrong with it.

Only the shape is checked here; proofs, status and anchoring are the caller's (the index records them with
each statement, see ``trust.source``). Parsing is strict: a statement is evidence others rely on, so a
member of the wrong type is an error, never skipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from vcnode.clock import parse_datetime
from vcnode.credentials.model import VC_V2, as_list, is_url, issuer_id
from vcnode.credentials.openbadges import OB_CONTEXTS
from vcnode.errors import VcnodeError
from vcnode.trust import vocab
from vcnode.trust.statements import (
    Accreditation,
    AnyStatement,
    CreditConversion,
    CreditUnit,
    Endorsement,
    FrameworkDescriptor,
    Level,
    LevelMap,
    Pathway,
    PathwayAward,
    RecognitionAgreement,
    Scope,
    Statement,
)

T = TypeVar("T")


class StatementError(VcnodeError):
    """A trust statement that is not well formed; ``path`` names the offending member."""

    code = "invalidStatement"
    status = 422
    title = "Invalid trust statement"

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message, extra={"path": path} if path else None)
        self.path = path


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise StatementError(f"{path} must be a non-empty string", path)
    return value


def _url(value: Any, path: str) -> str:
    if not is_url(value):
        raise StatementError(f"{path} must be a URL (a DID or an absolute IRI)", path)
    return value


def _number(value: Any, path: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or value < 0 or (positive and value == 0):
        raise StatementError(f"{path} must be a {'positive' if positive else 'non-negative'} number", path)
    return float(value)


def _optional(check: Callable[..., T], value: Any, path: str, **options: Any) -> T | None:
    """``check(value)`` unless the member is absent."""
    return None if value is None else check(value, path, **options)


def _level(value: Any, path: str) -> str:
    # Alignments write levels as strings; a bare integer in a statement means the same level.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value, path)


def _strings(value: Any, path: str) -> tuple[str, ...]:
    return tuple(_text(item, f"{path}[{index}]") for index, item in enumerate(as_list(value)))


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise StatementError(f"{path} must be an object", path)
    return value


def _envelope(document: Any, credential_type: str, contexts: tuple[str, ...]) -> tuple[dict[str, Any], dict]:
    """The checks every statement shares; returns (the credential, its one subject)."""
    if not isinstance(document, dict):
        raise StatementError("a trust statement must be a JSON object")
    found = as_list(document.get("@context"))
    if not found or found[0] != VC_V2:
        raise StatementError(f"a trust statement is a VCDM 2.0 credential: its first @context must be {VC_V2}",
                             "@context")
    if not any(c in found for c in contexts):
        raise StatementError(f"a {credential_type} needs the context {contexts[-1]}", "@context")
    types = as_list(document.get("type"))
    if "VerifiableCredential" not in types or credential_type not in types:
        raise StatementError(f"type must include VerifiableCredential and {credential_type}", "type")
    _url(document.get("id"), "id")  # hops, withdrawals and reports name statements by id
    _url(issuer_id(document), "issuer")
    subjects = as_list(document.get("credentialSubject"))
    if len(subjects) != 1:
        raise StatementError("a trust statement has exactly one credentialSubject", "credentialSubject")
    subject = _object(subjects[0], "credentialSubject")
    for name in ("validFrom", "validUntil"):
        if name in document and parse_datetime(document[name]) is None:
            raise StatementError(f"{name} must be a dateTimeStamp", name)
    return document, subject


def _common(document: dict[str, Any]) -> dict[str, Any]:
    return {"id": document["id"], "issuer": issuer_id(document),
            "valid_from": parse_datetime(document.get("validFrom")),
            "valid_until": parse_datetime(document.get("validUntil"))}


def _scope(value: Any, path: str) -> Scope:
    scope = _object(value, path)
    framework = _optional(_url, scope.get("framework"), f"{path}.framework")
    max_level = None if scope.get("maxLevel") is None else _level(scope["maxLevel"], f"{path}.maxLevel")
    if max_level is not None and framework is None:
        raise StatementError(f"{path}.maxLevel needs {path}.framework (a level belongs to a framework)", path)
    jurisdictions = tuple(j.upper() for j in _strings(scope.get("jurisdiction"), f"{path}.jurisdiction"))
    return Scope(framework, max_level, _strings(scope.get("fieldOfStudy"), f"{path}.fieldOfStudy"), jurisdictions)


def parse_framework(document: Any) -> FrameworkDescriptor:
    """A ``FrameworkDescriptorCredential``: its subject is the framework (id, frameworkCode, name,
    frameworkLevel in ascending order, creditUnit)."""
    document, subject = _envelope(document, vocab.FRAMEWORK_CREDENTIAL, (vocab.TRUST_CONTEXT,))
    levels = []
    for index, item in enumerate(as_list(subject.get("frameworkLevel"))):
        where = f"credentialSubject.frameworkLevel[{index}]"
        item = _object(item, where)
        levels.append(Level(_level(item.get("levelCode"), f"{where}.levelCode"),
                            _optional(_text, item.get("name"), f"{where}.name")))
    if len({level.code for level in levels}) != len(levels):
        raise StatementError("each level code may appear once", "credentialSubject.frameworkLevel")
    unit = None
    if subject.get("creditUnit") is not None:
        raw = _object(subject["creditUnit"], "credentialSubject.creditUnit")
        where = "credentialSubject.creditUnit"
        unit = CreditUnit(_text(raw.get("name"), f"{where}.name"),
                          _number(raw.get("notionalHours"), f"{where}.notionalHours", positive=True),
                          _optional(_number, raw.get("notionalHoursMin"), f"{where}.notionalHoursMin"),
                          _optional(_number, raw.get("notionalHoursMax"), f"{where}.notionalHoursMax"))
    if not levels and unit is None:
        raise StatementError("a framework needs frameworkLevel or creditUnit (or both)", "credentialSubject")
    return FrameworkDescriptor(**_common(document), framework=_url(subject.get("id"), "credentialSubject.id"),
                               code=_text(subject.get("frameworkCode"), "credentialSubject.frameworkCode"),
                               name=_text(subject.get("name"), "credentialSubject.name"),
                               aliases=_strings(subject.get("alternateName"), "credentialSubject.alternateName"),
                               levels=tuple(levels), credit_unit=unit)


def parse_accreditation(document: Any) -> Accreditation:
    """An ``AccreditationCredential``: issuer = the regulator, credentialSubject.id = the provider's DID,
    credentialSubject.scope = what the provider is accredited to award."""
    document, subject = _envelope(document, vocab.ACCREDITATION_CREDENTIAL, (vocab.TRUST_CONTEXT,))
    provider = _url(subject.get("id"), "credentialSubject.id")
    if provider == issuer_id(document):
        raise StatementError("a regulator cannot accredit itself", "credentialSubject.id")
    return Accreditation(**_common(document), provider=provider,
                         provider_name=_optional(_text, subject.get("name"), "credentialSubject.name"),
                         scope=_scope(subject.get("scope"), "credentialSubject.scope"))


def _level_map(value: Any, path: str) -> LevelMap:
    raw = _object(value, path)
    pairs = []
    for index, item in enumerate(as_list(raw.get("levelMapping"))):
        where = f"{path}.levelMapping[{index}]"
        item = _object(item, where)
        pairs.append((_level(item.get("fromLevel"), f"{where}.fromLevel"),
                      _level(item.get("toLevel"), f"{where}.toLevel")))
    if len({source for source, _ in pairs}) != len(pairs):
        raise StatementError(f"{path}: each fromLevel may be mapped once", path)
    return LevelMap(_url(raw.get("fromFramework"), f"{path}.fromFramework"),
                    _url(raw.get("toFramework"), f"{path}.toFramework"), tuple(pairs))


def parse_agreement(document: Any) -> RecognitionAgreement:
    """A ``RecognitionAgreementCredential``: issuer = the recognising regulator, credentialSubject.id = the
    recognised one, with scope, levelMap and creditConversion."""
    document, subject = _envelope(document, vocab.AGREEMENT_CREDENTIAL, (vocab.TRUST_CONTEXT,))
    recognised = _url(subject.get("id"), "credentialSubject.id")
    if recognised == issuer_id(document):
        raise StatementError("a regulator cannot recognise itself", "credentialSubject.id")
    scope = _scope(subject.get("scope"), "credentialSubject.scope")
    level_map = None
    if subject.get("levelMap") is not None:
        level_map = _level_map(subject["levelMap"], "credentialSubject.levelMap")
        if scope.framework is not None and level_map.from_framework != scope.framework:
            raise StatementError("levelMap.fromFramework must be the scope's framework (the recognised "
                                 "regulator's)", "credentialSubject.levelMap.fromFramework")
    conversion = None
    if subject.get("creditConversion") is not None:
        where = "credentialSubject.creditConversion"
        raw = _object(subject["creditConversion"], where)
        conversion = CreditConversion(_url(raw.get("fromFramework"), f"{where}.fromFramework"),
                                      _url(raw.get("toFramework"), f"{where}.toFramework"),
                                      _number(raw.get("factor"), f"{where}.factor", positive=True))
    return RecognitionAgreement(**_common(document), recognised=recognised,
                                recognised_name=_optional(_text, subject.get("name"), "credentialSubject.name"),
                                scope=scope, level_map=level_map, credit_conversion=conversion)


def parse_pathway(document: Any) -> Pathway:
    """A ``PathwayCredential``: the provider's rule for stacking achievements into an award."""
    document, subject = _envelope(document, vocab.PATHWAY_CREDENTIAL, (vocab.TRUST_CONTEXT,))
    components = tuple(_url(item, f"credentialSubject.componentAchievement[{index}]")
                       for index, item in enumerate(as_list(subject.get("componentAchievement"))))
    if not components or len(set(components)) != len(components):
        raise StatementError("componentAchievement must list distinct achievement ids",
                             "credentialSubject.componentAchievement")
    needed = subject.get("minComponents", len(components))
    if isinstance(needed, bool) or not isinstance(needed, int) or not 1 <= needed <= len(components):
        raise StatementError(f"minComponents must be an integer from 1 to {len(components)}",
                             "credentialSubject.minComponents")
    min_credits = _optional(_number, subject.get("minCredits"), "credentialSubject.minCredits")
    credit_framework = _optional(_url, subject.get("creditFramework"), "credentialSubject.creditFramework")
    if min_credits is not None and credit_framework is None:
        raise StatementError("minCredits needs creditFramework (the unit the credits are counted in)",
                             "credentialSubject.creditFramework")
    award = _object(subject.get("award"), "credentialSubject.award")
    return Pathway(**_common(document), pathway=_url(subject.get("id"), "credentialSubject.id"),
                   name=_text(subject.get("name"), "credentialSubject.name"), components=components,
                   min_components=needed, min_credits=min_credits, credit_framework=credit_framework,
                   window_years=_optional(_number, subject.get("windowYears"), "credentialSubject.windowYears",
                                          positive=True),
                   accepted_issuers=tuple(_url(item, f"credentialSubject.acceptedIssuer[{index}]")
                                          for index, item in enumerate(as_list(subject.get("acceptedIssuer")))),
                   award=PathwayAward(_url(award.get("id"), "credentialSubject.award.id"),
                                      _text(award.get("name"), "credentialSubject.award.name"),
                                      _text(award.get("description"), "credentialSubject.award.description")))


def parse_endorsement(document: Any) -> Endorsement:
    """An Open Badges 3.0 ``EndorsementCredential``: who (issuer) endorses whom (credentialSubject.id)."""
    document, subject = _envelope(document, vocab.ENDORSEMENT_CREDENTIAL, OB_CONTEXTS)
    return Endorsement(**_common(document), subject=_url(subject.get("id"), "credentialSubject.id"),
                       comment=_optional(_text, subject.get("endorsementComment"),
                                         "credentialSubject.endorsementComment"))


PARSERS: Mapping[str, Callable[[Any], AnyStatement]] = {
    vocab.FRAMEWORK_CREDENTIAL: parse_framework, vocab.ACCREDITATION_CREDENTIAL: parse_accreditation,
    vocab.AGREEMENT_CREDENTIAL: parse_agreement, vocab.PATHWAY_CREDENTIAL: parse_pathway,
    vocab.ENDORSEMENT_CREDENTIAL: parse_endorsement,
}


def is_statement(document: Any) -> bool:
    """True when ``document`` claims to be a trust statement (by its type)."""
    return isinstance(document, dict) and any(isinstance(t, str) and t in PARSERS
                                              for t in as_list(document.get("type")))


def parse_statement(document: Any) -> AnyStatement:
    """Any trust statement, by its credential type; :class:`StatementError` when it is none or malformed."""
    types = as_list(document.get("type")) if isinstance(document, dict) else []
    kinds = [t for t in types if isinstance(t, str) and t in PARSERS]  # a type may be any JSON value
    if len(kinds) != 1:
        raise StatementError(f"a trust statement's type names exactly one of {', '.join(PARSERS)}", "type")
    return PARSERS[kinds[0]](document)


def kind_of(statement: Statement) -> str:
    """The credential type a parsed statement came from."""
    return _KINDS[type(statement)]


_KINDS: dict[type, str] = {
    FrameworkDescriptor: vocab.FRAMEWORK_CREDENTIAL, Accreditation: vocab.ACCREDITATION_CREDENTIAL,
    RecognitionAgreement: vocab.AGREEMENT_CREDENTIAL, Pathway: vocab.PATHWAY_CREDENTIAL,
    Endorsement: vocab.ENDORSEMENT_CREDENTIAL,
}

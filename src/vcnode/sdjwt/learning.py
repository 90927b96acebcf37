"""The EUDI learning credential (``vct`` ``urn:eu.europa.ec.eudi:learning:credential:1``) made from an Open Badges
3.0 credential: one pure mapping (:func:`learning_credential_claims`) and the issuance that uses it.

The mapping reads the places docs/credentials.md ("Micro-credential metadata") tells issuers to put each element
of the EU micro-credential recommendation, and fills an EUDI claim only from an Open Badges member that means
the same thing; what has no EUDI claim goes into a few documented vcnode extension claims, and what Open Badges
cannot say (split names, evaluator verification, prerequisites, stackability) can only come from the caller.
docs/sd-jwt.md has the table and what each format cannot carry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC
from typing import Any

from vcnode.clock import parse_iso
from vcnode.credentials.model import as_list
from vcnode.errors import InvalidInput
from vcnode.keys.signer import Signer
from vcnode.sdjwt.issue import issue_sd_jwt_vc
from vcnode.sdjwt.metadata import LEARNING_CREDENTIAL_VCT, learning_credential_type_metadata

#: EUDI claims only the issuer (not the Open Badges credential) can supply, and those it may override.
CALLER_CLAIMS = ("family_name", "given_name", "issuing_country", "learner_identification", "expected_study_time",
                 "form_of_participation", "types_of_quality_assurance", "prerequisites_to_enroll",
                 "evaluator_verification", "integration_stackability_options", "assessment_grade",
                 "language_of_classes", "level_of_learning_experience", "date_of_expiry")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_IDENTIFIER_TYPES = ("studentId", "sourcedId", "identifier", "nationalIdentityNumber")
_EQF_LEVELS = {str(level): level for level in range(1, 9)}


def _text(value: Any) -> str | None:
    """A plain string, or the English (else first) entry of a JSON-LD language map."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, dict):
        for key in ("en", "@value", *value):
            if isinstance(value.get(key), str) and value[key].strip():
                return value[key].strip()
    return None


def _date(value: Any) -> str | None:
    """The calendar date (UTC) of an RFC 3339 / ISO 8601 date-time, as YYYY-MM-DD."""
    moment = parse_iso(value)
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.date().isoformat()


def _number(value: Any) -> int | float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _alignments(achievement: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for item in as_list(achievement.get("alignment")) if isinstance(item, dict)]


def _framework(alignment: dict[str, Any]) -> str:
    return str(alignment.get("targetFramework") or "").strip().lower()


def _country(profile: Any) -> str | None:
    if not isinstance(profile, dict):
        return None
    address = profile.get("address")
    code = address.get("addressCountryCode") if isinstance(address, dict) else None
    return code.upper() if isinstance(code, str) and _COUNTRY.match(code.upper()) else None


def learning_credential_claims(credential: Mapping[str, Any], *, given_name: str | None = None,
                               family_name: str | None = None, issuing_country: str | None = None,
                               extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The claims of an EUDI learning credential for an Open Badges 3.0 credential (one subject).

    From the badge: ``issuing_authority`` (issuer name, else its id), ``issuing_country`` (the issuer's, else
    the achievement creator's ``address.addressCountryCode``), ``date_of_issuance``/``date_of_expiry``
    (``validFrom``/``validUntil``, or the VC 1.1 names), ``achievement_title``/``achievement_description``,
    ``learning_outcomes`` (the ``targetName`` of ``ceasn:Competency`` alignments), ``assessment_grade`` (the
    first result's ``value``), ``language_of_classes`` (``inLanguage``), ``level_of_learning_experience`` (the
    EQF alignment's ``targetCode``, 1-8), ``expected_study_time`` (``creditsAvailable`` when an ECTS alignment
    says the credits are ECTS), ``form_of_participation`` (a ``participation: …`` tag), ``types_of_quality_assurance``
    (quality-assurance alignments), ``learner_identification`` (an unhashed ``studentId``-like identifier).
    vcnode extensions: ``name`` (the learner's full name when it is not given split), ``achievement_id``,
    ``achievement_criteria``, ``achievement_criteria_url``, ``credits_available``, ``credits_earned``.

    ``given_name``/``family_name``: the learner's names, which Open Badges does not split (never guessed from
    the full name); ``issuing_country``: when the badge has no address; ``extra``: other EUDI claims only the
    issuer knows (see ``CALLER_CLAIMS``), which win over the badge. :class:`InvalidInput` when the credential
    has no achievement or no name for it."""
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    if not isinstance(achievement, dict):
        raise InvalidInput("an Open Badges credential needs credentialSubject.achievement")
    title = _text(achievement.get("name"))
    if title is None:
        raise InvalidInput("the achievement has no name (achievement_title is mandatory)")
    issuer = credential.get("issuer")
    claims: dict[str, Any] = {}
    authority = _text(issuer.get("name")) if isinstance(issuer, dict) else None
    authority = authority or (issuer.get("id") if isinstance(issuer, dict) else issuer)
    if isinstance(authority, str) and authority:
        claims["issuing_authority"] = authority
    country = issuing_country or _country(issuer) or _country(achievement.get("creator"))
    if country is not None:
        claims["issuing_country"] = country.upper()
    issued = _date(credential.get("validFrom") or credential.get("issuanceDate"))
    if issued is not None:
        claims["date_of_issuance"] = issued
    expires = _date(credential.get("validUntil") or credential.get("expirationDate"))
    if expires is not None:
        claims["date_of_expiry"] = expires

    if family_name:
        claims["family_name"] = family_name
    if given_name:
        claims["given_name"] = given_name
    full_name = _text(subject.get("name")) if isinstance(subject, dict) else None
    if full_name and not (family_name or given_name):
        claims["name"] = full_name
    for identity in as_list(subject.get("identifier")) if isinstance(subject, dict) else []:
        if isinstance(identity, dict) and identity.get("hashed") is False and identity.get("identityType") in \
                _IDENTIFIER_TYPES and isinstance(identity.get("identityHash"), str):
            claims["learner_identification"] = identity["identityHash"]
            break

    claims["achievement_title"] = title
    description = _text(achievement.get("description"))
    if description is not None:
        claims["achievement_description"] = description
    alignments = _alignments(achievement)
    outcomes = [_text(a.get("targetName")) for a in alignments if "competency" in str(a.get("targetType", "")).lower()]
    if any(outcomes):
        claims["learning_outcomes"] = [outcome for outcome in outcomes if outcome]
    for result in as_list(subject.get("result")) if isinstance(subject, dict) else []:
        value = result.get("value") if isinstance(result, dict) else None
        if isinstance(value, str) and value:
            claims["assessment_grade"] = value
            break
    languages = [language for language in as_list(achievement.get("inLanguage")) if isinstance(language, str)]
    if languages:
        claims["language_of_classes"] = languages
    for alignment in alignments:
        code = str(alignment.get("targetCode", "")).strip()
        if _framework(alignment) in ("eqf", "european qualifications framework") and code in _EQF_LEVELS:
            claims["level_of_learning_experience"] = _EQF_LEVELS[code]
            break
    credits = _number(achievement.get("creditsAvailable"))
    if credits is not None:
        claims["credits_available"] = credits
        if any(_framework(a) == "ects" for a in alignments):
            claims["expected_study_time"] = f"{credits:g} ECTS credits"
    earned = _number(subject.get("creditsEarned")) if isinstance(subject, dict) else None
    if earned is not None:
        claims["credits_earned"] = earned
    participation = [tag.split(":", 1)[1].strip() for tag in as_list(achievement.get("tag"))
                     if isinstance(tag, str) and tag.lower().startswith("participation:")]
    participation = [form for form in participation if form]
    if participation:
        claims["form_of_participation"] = participation[0]
    quality = [_text(a.get("targetName")) for a in alignments if "quality assurance" in _framework(a)]
    if any(quality):
        claims["types_of_quality_assurance"] = [q for q in quality if q]
    if isinstance(achievement.get("id"), str):
        claims["achievement_id"] = achievement["id"]
    criteria = achievement.get("criteria")
    if isinstance(criteria, dict):
        if _text(criteria.get("narrative")):
            claims["achievement_criteria"] = _text(criteria.get("narrative"))
        if isinstance(criteria.get("id"), str):
            claims["achievement_criteria_url"] = criteria["id"]

    for name, value in (extra or {}).items():
        if name not in CALLER_CLAIMS:
            raise InvalidInput(f"{name[:60]!r} is not an EUDI learning-credential claim the issuer may give "
                               f"(one of {', '.join(CALLER_CLAIMS)})")
        if value is not None:
            claims[name] = value
    if "issuing_country" in claims and not (isinstance(claims["issuing_country"], str)
                                            and _COUNTRY.match(claims["issuing_country"])):
        raise InvalidInput("issuing_country must be an ISO 3166-1 alpha-2 code such as 'IE'")
    return claims


def issue_learning_credential(credential: Mapping[str, Any], signer: Signer, *, issuer: str, kid: str,
                              holder_jwk: Mapping[str, Any] | None, status: Mapping[str, Any] | None = None,
                              iat: int | None = None, exp: int | None = None, given_name: str | None = None,
                              family_name: str | None = None, issuing_country: str | None = None,
                              extra: Mapping[str, Any] | None = None, decoys: bool = False) -> str:
    """The SD-JWT VC of an Open Badges 3.0 credential as an EUDI learning credential, disclosable as vcnode's
    type metadata says (see :func:`learning_credential_claims` and :func:`vcnode.sdjwt.issue.issue_sd_jwt_vc`).
    ``exp`` defaults to the badge's ``validUntil``."""
    claims = learning_credential_claims(credential, given_name=given_name, family_name=family_name,
                                        issuing_country=issuing_country, extra=extra)
    if exp is None:
        until = credential.get("validUntil") or credential.get("expirationDate")
        moment = parse_iso(until)
        exp = int(moment.timestamp()) if moment is not None else None
    return issue_sd_jwt_vc(claims, signer, issuer=issuer, kid=kid, vct=LEARNING_CREDENTIAL_VCT,
                           holder_jwk=holder_jwk, status=status, iat=iat, exp=exp,
                           metadata=learning_credential_type_metadata(), decoys=decoys)

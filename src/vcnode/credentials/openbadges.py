"""Open Badges 3.0: the typed objects of the data model, checked where they occur, and a builder."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from vcnode.credentials.model import as_list, is_url
from vcnode.credentials.report import Report

OB_CONTEXTS = ("https://purl.imsglobal.org/spec/ob/v3p0/context.json",
               "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
               "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
               "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json")
OB_CONTEXT = OB_CONTEXTS[-1]
CREDENTIAL_TYPES = ("OpenBadgeCredential", "AchievementCredential")
ENDORSEMENT_TYPE = "EndorsementCredential"
#: The credential types 1EdTech's OB 3.0 JSON schemas (AchievementCredential, EndorsementCredential) validate: they
#: take ``proof`` only as an array of Proof objects, so vcnode issues these with a one-proof array.
PROOF_ARRAY_TYPES = (*CREDENTIAL_TYPES, ENDORSEMENT_TYPE)

# property → (required type, nested rules) for the objects of the OB 3.0 data model.
_ALIGNMENT = {}
_PROFILE: dict[str, tuple[str, dict]] = {}
_PROFILE.update({"otherIdentifier": ("IdentifierEntry", {}), "parentOrg": ("Profile", _PROFILE)})
_ACHIEVEMENT = {
    "alignment": ("Alignment", _ALIGNMENT), "creator": ("Profile", _PROFILE),
    "otherIdentifier": ("IdentifierEntry", {}), "related": ("Related", {}),
    "resultDescription": ("ResultDescription", {"alignment": ("Alignment", _ALIGNMENT)}),
    "endorsement": ("EndorsementCredential", {}),
}
_SUBJECT = {
    "achievement": ("Achievement", _ACHIEVEMENT), "identifier": ("IdentityObject", {}),
    "result": ("Result", {"alignment": ("Alignment", _ALIGNMENT)}), "source": ("Profile", _PROFILE),
}
_CREDENTIAL = {
    "issuer": ("Profile", _PROFILE), "credentialSubject": ("AchievementSubject", _SUBJECT),
    "evidence": ("Evidence", {}), "endorsement": ("EndorsementCredential", {}),
}
_ENDORSEMENT = {"issuer": ("Profile", _PROFILE), "credentialSubject": ("EndorsementSubject", {})}
# The error code for an object of the wrong type, by the type that was expected.
_CODES = {"Profile": "invalidProfile", "AchievementSubject": "invalidAchievementSubject",
          "Achievement": "invalidAchievement", "Result": "invalidResult", "ResultDescription":
          "invalidResultDescription", "IdentityObject": "invalidIdentityObject", "IdentifierEntry":
          "invalidIdentifierEntry", "Evidence": "invalidEvidence", "Alignment": "invalidAlignment",
          "Related": "invalidRelated", "EndorsementCredential": "invalidEndorsement",
          "EndorsementSubject": "invalidEndorsementSubject"}


def is_open_badge(credential: dict[str, Any]) -> bool:
    """True when the credential claims to be an Open Badges 3.0 credential (by type or context)."""
    types = as_list(credential.get("type"))
    if any(t in types for t in (*CREDENTIAL_TYPES, ENDORSEMENT_TYPE)):
        return True
    # Other credential types reuse the OB context (CLR 2.0's ClrCredential): they follow their own rules.
    return "ClrCredential" not in types and any(c in OB_CONTEXTS for c in as_list(credential.get("@context")))


def proof_is_array(credential: dict[str, Any]) -> bool:
    """True when an issued ``credential`` must carry its ``proof`` as an array: an Open Badges 3.0 credential
    (:data:`PROOF_ARRAY_TYPES`). Other credentials keep a single proof object, as VC 2.0 examples do; verifying
    accepts both shapes everywhere."""
    return any(t in PROOF_ARRAY_TYPES for t in as_list(credential.get("type")))


def _walk(value: Any, rules: dict[str, tuple[str, dict]], path: str, report: Report) -> None:
    if not isinstance(value, dict):
        return
    for name, (required, nested) in rules.items():
        if name not in value:
            continue
        many = isinstance(value[name], list)
        for index, item in enumerate(as_list(value[name])):
            where = f"{path}.{name}[{index}]" if many else f"{path}.{name}"
            if isinstance(item, str) and name in ("issuer", "creator"):
                continue  # a bare URL is allowed where a Profile may be referenced
            if not isinstance(item, dict) or required not in as_list(item.get("type")):
                report.error("openBadges", _CODES[required], f"{where.lstrip('.')} must be a {required} "
                             f"(type {item.get('type') if isinstance(item, dict) else item!r})", where.lstrip("."))
                continue
            _walk(item, nested, where, report)


def _check_achievement(achievement: Any, path: str, report: Report) -> None:
    if not isinstance(achievement, dict):
        return
    for field in ("id", "name", "description", "criteria"):
        if field not in achievement:
            report.error("openBadges", "invalidAchievement", f"{path}.{field} is required", f"{path}.{field}")
    if "id" in achievement and not is_url(achievement["id"]):
        report.error("openBadges", "invalidAchievement", f"{path}.id must be a URL", f"{path}.id")
    criteria = achievement.get("criteria")
    if "criteria" in achievement and not (isinstance(criteria, dict) and (criteria.get("id") or
                                                                         criteria.get("narrative"))):
        report.error("openBadges", "invalidAchievement", f"{path}.criteria needs an id or a narrative",
                     f"{path}.criteria")


def check_open_badge(credential: dict[str, Any], report: Report) -> None:
    """Check an Open Badges 3.0 credential against the 3.0 data model (types of nested objects, required
    achievement fields)."""
    types = as_list(credential.get("type"))
    if ENDORSEMENT_TYPE in types:
        _walk(credential, _ENDORSEMENT, "", report)
        if not any(e.check == "openBadges" for e in report.errors):
            report.passed("openBadges")
        return
    if not any(t in types for t in CREDENTIAL_TYPES):
        report.error("openBadges", "invalidType", "an Open Badges 3.0 credential's type must include "
                     "OpenBadgeCredential or AchievementCredential", "type")
    if not any(c in OB_CONTEXTS for c in as_list(credential.get("@context"))):
        report.error("openBadges", "invalidContext", "an Open Badges 3.0 credential needs an OB 3.0 context",
                     "@context")
    _walk(credential, _CREDENTIAL, "", report)
    for index, subject in enumerate(as_list(credential.get("credentialSubject"))):
        if isinstance(subject, dict) and "achievement" not in subject:
            report.error("openBadges", "invalidAchievementSubject", "credentialSubject.achievement is required",
                         "credentialSubject.achievement")
        elif isinstance(subject, dict):
            _check_achievement(subject["achievement"], "credentialSubject.achievement", report)
        if isinstance(subject, dict) and not subject.get("id") and not subject.get("identifier"):
            report.error("openBadges", "invalidAchievementSubject",
                         "credentialSubject needs an id or an identifier", f"credentialSubject[{index}]")
    if not any(e.check == "openBadges" for e in report.errors):
        report.passed("openBadges")


def hashed_email(email: str, salt: str | None = None) -> dict[str, Any]:
    """An OB 3.0 IdentityObject for an email address, salted and hashed (the address is not disclosed)."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()
    return {"type": "IdentityObject", "hashed": True, "identityHash": f"sha256${digest}",
            "identityType": "emailAddress", "salt": salt}


def build_open_badge(*, credential_id: str | None, issuer: dict[str, Any], achievement: dict[str, Any],
                     learner_id: str | None = None, learner_email: str | None = None,
                     learner_name: str | None = None, valid_from: str | None, name: str | None = None,
                     email_salt: str | None = None) -> dict[str, Any]:
    """A complete OB 3.0 OpenBadgeCredential from a few fields. ``issuer`` is the issuer Profile (needs
    ``id``); ``achievement`` needs id, name, description and criteria (micro-credential metadata such as
    alignment, creditsAvailable, resultDescription and fieldOfStudy go there too; see docs/credentials.md).
    ``credential_id`` and ``valid_from`` None leave ``id`` and ``validFrom`` out (a claim link's template: the
    claim sets them); ``email_salt`` salts the hashed email (default: a new random salt)."""
    if not learner_id and not learner_email:
        raise ValueError("a learner needs an id or an email")
    subject: dict[str, Any] = {"type": ["AchievementSubject"], "achievement": {"type": ["Achievement"],
                                                                               **achievement}}
    if learner_id:
        subject["id"] = learner_id
    if learner_email:
        subject["identifier"] = [hashed_email(learner_email, email_salt)]
    if learner_name:
        subject["name"] = learner_name
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2", OB_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name or achievement.get("name", "Open Badge"),
        "issuer": {"type": ["Profile"], **issuer},
        "validFrom": valid_from,
        "credentialSubject": subject,
    }
    return {key: value for key, value in credential.items() if value is not None}

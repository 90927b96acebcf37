"""VC Data Model 2.0 and 1.1: the structural rules a credential or presentation must meet."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from vcnode.clock import parse_datetime
from vcnode.credentials.report import Report

VC_V1 = "https://www.w3.org/2018/credentials/v1"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")
_DATETIME_STAMP = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_DATETIME = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


def is_url(value: Any) -> bool:
    """An absolute URL/IRI (scheme:…), as the data model requires for ids."""
    return isinstance(value, str) and _URL.match(value) is not None


def as_list(value: Any) -> list[Any]:
    """``value`` as a list (JSON-LD allows a single value where a set is meant)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def version(document: dict[str, Any]) -> int | None:
    """2 or 1 by the first ``@context``, None when it is neither."""
    contexts = as_list(document.get("@context"))
    first = contexts[0] if contexts else None
    return 2 if first == VC_V2 else 1 if first == VC_V1 else None


def issuer_id(credential: dict[str, Any]) -> str | None:
    """The issuer's id whether ``issuer`` is a URL or an object."""
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer if isinstance(issuer, str) else None


def _check_contexts(document: dict[str, Any], report: Report) -> int | None:
    contexts = document.get("@context")
    found = version(document)
    if found is None:
        report.error("structure", "invalidContext",
                     f"the first @context must be {VC_V2} (or {VC_V1} for a VCDM 1.1 document)", "@context")
        return None
    for item in as_list(contexts):
        if not (is_url(item) or isinstance(item, dict)):
            report.error("structure", "invalidContext", "@context entries must be URLs or objects", "@context")
    return found


def _check_types(document: dict[str, Any], required: str, report: Report) -> None:
    types = document.get("type")
    if not all(isinstance(t, str) for t in as_list(types)) or required not in as_list(types):
        report.error("structure", "invalidType", f"type must include {required!r}", "type")


def _check_typed_objects(document: dict[str, Any], report: Report) -> None:
    """Properties whose values must be objects with a type (VCDM 2.0 §4.x)."""
    for name in ("credentialStatus", "credentialSchema", "evidence", "termsOfUse", "refreshService"):
        for index, item in enumerate(as_list(document.get(name))):
            path = f"{name}[{index}]" if isinstance(document.get(name), list) else name
            if not isinstance(item, dict) or not item.get("type"):
                report.error("structure", f"invalid{name[0].upper()}{name[1:]}", f"{path} must be an object with "
                             "a type", path)
            elif "id" in item and not is_url(item["id"]):
                report.error("structure", f"invalid{name[0].upper()}{name[1:]}", f"{path}.id must be a URL", path)
    for index, schema in enumerate(as_list(document.get("credentialSchema"))):
        if isinstance(schema, dict) and not is_url(schema.get("id")):
            report.error("structure", "invalidCredentialSchema", "credentialSchema.id must be a URL",
                         f"credentialSchema[{index}]")


def _check_related_resources(document: dict[str, Any], report: Report) -> None:
    """VCDM 2.0 §5.3: each relatedResource is an object with a URL id (ids unique) and a digest."""
    if "relatedResource" not in document:
        return
    seen: set[str] = set()
    for index, item in enumerate(as_list(document["relatedResource"])):
        path = f"relatedResource[{index}]"
        if not isinstance(item, dict) or not is_url(item.get("id")):
            report.error("structure", "invalidRelatedResource", f"{path} must be an object with a URL id", path)
            continue
        if item["id"] in seen:
            report.error("structure", "invalidRelatedResource", f"{path}.id repeats another relatedResource", path)
        seen.add(item["id"])
        if not any(isinstance(item.get(k), str) and item[k] for k in ("digestSRI", "digestMultibase")):
            report.error("structure", "invalidRelatedResource", f"{path} needs digestSRI or digestMultibase", path)


def _check_envelope(document: Any, kind: str, required_type: str, report: Report) -> int | None:
    """What credentials and presentations share: a JSON object, VC contexts, the base type, a URL id.
    Returns the data model version, or None when ``document`` is not even an object."""
    if not isinstance(document, dict):
        report.error("structure", f"invalid{kind.capitalize()}", f"a {kind} must be a JSON object")
        return None
    found = _check_contexts(document, report)
    _check_types(document, required_type, report)
    if "id" in document and not is_url(document["id"]):
        report.error("structure", "invalidId", "id must be a URL", "id")
    return found


def check_credential_structure(credential: Any, report: Report) -> int | None:
    """Record every structural error of a credential in ``report``; returns the data model version."""
    found = _check_envelope(credential, "credential", "VerifiableCredential", report)
    if not isinstance(credential, dict):
        return None
    issuer = credential.get("issuer")
    if not is_url(issuer_id(credential)) or (isinstance(issuer, dict) and not issuer.get("id")):
        report.error("structure", "invalidIssuer", "issuer must be a URL or an object whose id is a URL", "issuer")
    subjects = credential.get("credentialSubject")
    if not subjects or not all(isinstance(s, dict) and s for s in as_list(subjects)):
        report.error("structure", "invalidCredentialSubject",
                     "credentialSubject must be a non-empty object (or a list of them)", "credentialSubject")
    else:
        for subject in as_list(subjects):
            if "id" in subject and not is_url(subject["id"]):
                report.error("structure", "invalidCredentialSubject", "credentialSubject.id must be a URL",
                             "credentialSubject.id")
    _check_typed_objects(credential, report)
    _check_related_resources(credential, report)
    if found == 2:
        for name in ("validFrom", "validUntil"):
            if name in credential and not (isinstance(credential[name], str)
                                           and _DATETIME_STAMP.match(credential[name])):
                report.error("structure", "invalidValidity", f"{name} must be an XML Schema dateTimeStamp", name)
    elif found == 1:
        if not isinstance(credential.get("issuanceDate"), str) or not _DATETIME.match(credential["issuanceDate"]):
            report.error("structure", "invalidValidity", "a VCDM 1.1 credential needs issuanceDate (a dateTime)",
                         "issuanceDate")
        if "expirationDate" in credential and not (isinstance(credential["expirationDate"], str)
                                                   and _DATETIME.match(credential["expirationDate"])):
            report.error("structure", "invalidValidity", "expirationDate must be a dateTime", "expirationDate")
    start_name, end_name = ("validFrom", "validUntil") if found != 1 else ("issuanceDate", "expirationDate")
    start, end = parse_datetime(credential.get(start_name)), parse_datetime(credential.get(end_name))
    if start is not None and end is not None and end < start:
        report.error("structure", "invalidValidity", f"{end_name} is before {start_name}", end_name)
    if not any(e.check == "structure" for e in report.errors):
        report.passed("structure")
    return found


def check_validity_period(credential: dict[str, Any], now: datetime, report: Report) -> None:
    """``validFrom``/``validUntil`` (or 1.1's ``issuanceDate``/``expirationDate``) against ``now``."""
    start_name, end_name = ("validFrom", "validUntil") if version(credential) != 1 else \
        ("issuanceDate", "expirationDate")
    start, end = parse_datetime(credential.get(start_name)), parse_datetime(credential.get(end_name))
    if start is not None and start > now:
        report.error("validity", "notYetValid", f"the credential is valid only from {credential[start_name]}",
                     start_name)
    if end is not None and end < now:
        report.error("validity", "expired", f"the credential expired at {credential[end_name]}", end_name)
    report.passed("validity", **{k: credential[k] for k in (start_name, end_name) if k in credential})


def check_presentation_structure(presentation: Any, report: Report) -> int | None:
    """Structural rules of a verifiable presentation."""
    found = _check_envelope(presentation, "presentation", "VerifiablePresentation", report)
    if not isinstance(presentation, dict):
        return None
    holder = presentation.get("holder")
    holder_id = holder.get("id") if isinstance(holder, dict) else holder
    if holder is not None and not is_url(holder_id):
        report.error("structure", "invalidHolder", "holder must be a URL or an object whose id is a URL", "holder")
    if not any(e.check == "structure" for e in report.errors):
        report.passed("structure")
    return found

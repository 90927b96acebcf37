"""Comprehensive Learner Record (CLR) 2.0: a credential that carries a learner's other credentials.

A ``ClrCredential`` is signed by its issuer (the institution assembling the record), and each Open Badges
credential inside ``credentialSubject.verifiableCredential`` is signed by its own issuer: the record is
authentic only when its own proof and every embedded credential verify.
"""

from __future__ import annotations

from typing import Any

from vcnode.credentials.model import as_list
from vcnode.credentials.report import Report

CLR_TYPE = "ClrCredential"
CLR_CONTEXTS = ("https://purl.imsglobal.org/spec/clr/v2p0/context.json",
                "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json")


def is_clr(credential: dict[str, Any]) -> bool:
    """True when the credential is a CLR 2.0 record."""
    return CLR_TYPE in as_list(credential.get("type"))


def check_clr(credential: dict[str, Any], report: Report) -> list[Any]:
    """Check the CLR 2.0 rules of the record itself; return the embedded credentials to verify."""
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict) or "ClrSubject" not in as_list(subject.get("type")):
        report.error("structure", "invalidClrSubject", "a ClrCredential's credentialSubject must be one object "
                     "of type ClrSubject", "credentialSubject")
        return []
    embedded = as_list(subject.get("verifiableCredential"))
    if not embedded:
        report.error("structure", "invalidClrSubject", "a ClrSubject must carry at least one verifiableCredential",
                     "credentialSubject.verifiableCredential")
    return embedded

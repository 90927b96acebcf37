"""How much one verification request may ask of the node, checked before any proof is verified.

Each ``credentialStatus`` entry can cost a status list fetch, and each credential of a presentation (or of a
CLR) costs JSON-LD canonicalisation and a proof check: unbounded, one request could hold the node for minutes.
The counts are read from the document as sent, which costs next to nothing, and a document over a limit is
refused whole (an HTTP 413 problem ``tooManyCredentials`` / ``tooManyStatusEntries``) before any of that work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vcnode.credentials.clr import is_clr
from vcnode.credentials.model import as_list
from vcnode.errors import VcnodeError

MAX_STATUS_ENTRIES = 16
MAX_CREDENTIALS = 100


@dataclass(frozen=True)
class VerifyLimits:
    """Per request: ``credentialStatus`` entries of one credential, and credentials verified in all."""

    max_status_entries: int = MAX_STATUS_ENTRIES
    max_credentials: int = MAX_CREDENTIALS


class TooMuchToVerify(VcnodeError):
    """A document carries more credentials or status entries than the node verifies in one request."""

    status = 413
    title = "Too much to verify"


def check_limits(document: Any, limits: VerifyLimits, *, presentation: bool = False) -> None:
    """Raise :class:`TooMuchToVerify` when ``document`` (a credential, or a presentation with ``presentation``)
    carries more credentials — counting those inside CLRs, at any depth — or a credential more status entries
    than ``limits`` allow. Anything malformed is left to the verification, which reports it."""
    if presentation:
        pending = list(as_list(document.get("verifiableCredential"))) if isinstance(document, dict) else []
    else:
        pending = [document]
    counted = 0
    while pending:
        if counted + len(pending) > limits.max_credentials:
            raise TooMuchToVerify(f"more than {limits.max_credentials} credentials to verify in one request "
                                  "(those of a presentation, and those inside CLRs)", code="tooManyCredentials",
                                  extra={"limit": limits.max_credentials})
        credential = pending.pop()
        counted += 1
        if not isinstance(credential, dict):
            continue
        entries = len(as_list(credential.get("credentialStatus")))
        if entries > limits.max_status_entries:
            raise TooMuchToVerify(f"a credential has {entries} credentialStatus entries; this node checks at most "
                                  f"{limits.max_status_entries} per credential", code="tooManyStatusEntries",
                                  extra={"limit": limits.max_status_entries})
        subject = credential.get("credentialSubject")
        if is_clr(credential) and isinstance(subject, dict):
            pending.extend(as_list(subject.get("verifiableCredential")))

"""The ``credentialStatus`` entry as a credential carries it: its type name, and the check issuing applies to
entries a caller wrote. Here, not in :mod:`vcnode.status`, because issuing runs this check and the status
package sits above the credential model (it issues its list credentials with :mod:`vcnode.credentials.issue`)."""

from __future__ import annotations

from typing import Any

from vcnode.credentials.model import is_url

ENTRY_TYPE = "BitstringStatusListEntry"


def check_issued_entries(credential: dict[str, Any], report: Any) -> None:
    """Before signing: every ``BitstringStatusListEntry`` a caller wrote into ``credentialStatus`` must be
    well formed (Bitstring Status List §2.1; a malformed one is the spec's MALFORMED_VALUE_ERROR), so the
    node never signs an entry no verifier can use. Verifiers stay lenient (1EdTech samples use numbers)."""
    entries = credential.get("credentialStatus")
    for position, entry in enumerate(entries if isinstance(entries, list) else [entries] if entries else []):
        if not isinstance(entry, dict) or entry.get("type") != ENTRY_TYPE:
            continue
        path = f"credentialStatus[{position}]" if isinstance(entries, list) else "credentialStatus"
        index, size = entry.get("statusListIndex"), entry.get("statusSize", 1)
        problems = []
        if not isinstance(entry.get("statusPurpose"), str) or not entry["statusPurpose"]:
            problems.append("statusPurpose must be a non-empty string")
        if not (isinstance(index, str) and index.isascii() and index.isdigit() and str(int(index)) == index):
            problems.append("statusListIndex must be a string of base-10 digits")
        if not is_url(entry.get("statusListCredential")):
            problems.append("statusListCredential must be a URL")
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            problems.append("statusSize must be a positive integer")
        for problem in problems:
            report.error("structure", "malformedValue", f"{path}: {problem}", path)

"""What status requests look like, and the ``credentialStatus`` entries an issued credential carries."""

from __future__ import annotations

import json
from typing import Any

from vcnode.credentials.model import VC_V1, as_list
from vcnode.credentials.status_entry import ENTRY_TYPE
from vcnode.errors import InvalidInput
from vcnode.status.records import StatusAllocation, StatusListSpec

LIST_TYPE = "BitstringStatusList"
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
STATUS_CONTEXT = "https://www.w3.org/ns/credentials/status/v1"
BINARY_PURPOSES = ("revocation", "suspension")


def parse_status_request(value: Any) -> StatusListSpec:
    """A status request from the VC API (``{"type": "BitstringStatusListEntry", "statusPurpose": …,
    "statusSize": …, "statusMessage": […]}``) or a bare purpose string; :class:`InvalidInput` otherwise."""
    if isinstance(value, str):
        value = {"statusPurpose": value}
    if not isinstance(value, dict):
        raise InvalidInput("a status request must be an object or a purpose string")
    kind = value.get("type", ENTRY_TYPE)
    if kind != ENTRY_TYPE:
        raise InvalidInput(f"this node issues only {ENTRY_TYPE} entries, not {str(kind)[:60]!r}")
    purpose = value.get("statusPurpose", "revocation")
    if not isinstance(purpose, str) or not purpose or len(purpose) > 64:
        raise InvalidInput("statusPurpose must be a short string such as 'revocation' or 'suspension'")
    size = value.get("statusSize", 1)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 8:
        raise InvalidInput("statusSize must be an integer from 1 to 8")
    messages = value.get("statusMessage", value.get("statusMessages"))  # the entry's name, or the plural
    if size > 1 or purpose == "message":
        messages = _messages(messages, size)
    elif messages is not None:
        raise InvalidInput("statusMessage is for lists whose statusSize is more than 1")
    return StatusListSpec(purpose=purpose, status_size=size,
                          messages=json.dumps(messages, separators=(",", ":")) if messages else None)


def status_requests(options: dict[str, Any]) -> list[StatusListSpec]:
    """The status entries an issue request asks for: ``options.credentialStatus`` (one request object or a
    list of them) and/or ``options.statusPurpose`` (a purpose or a list of purposes). One entry per purpose."""
    requested: list[Any] = []
    for name in ("credentialStatus", "statusPurpose"):
        value = options.get(name)
        if value is not None:
            requested.extend(value if isinstance(value, list) else [value])
    specs = [parse_status_request(item) for item in requested]
    purposes = [spec.purpose for spec in specs]
    if len(set(purposes)) != len(purposes):
        raise InvalidInput("each statusPurpose may be asked for once")
    return specs


def _messages(value: Any, size: int) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise InvalidInput("a list with statusSize > 1 needs statusMessage: [{status: '0x0', message: …}, …]")
    if len(value) != 1 << size:
        raise InvalidInput(f"statusMessage must list all {1 << size} values of a statusSize {size} entry")
    out = []
    for item in value:
        if not (isinstance(item, dict) and isinstance(item.get("status"), str) and isinstance(item.get("message"),
                                                                                               str)):
            raise InvalidInput("each statusMessage needs a 'status' (hex string) and a 'message'")
        try:
            number = int(item["status"], 16)
        except ValueError:
            raise InvalidInput(f"statusMessage status {item['status'][:20]!r} is not a hex number") from None
        if not 0 <= number < (1 << size):
            raise InvalidInput(f"statusMessage status {item['status'][:20]!r} does not fit in statusSize {size}")
        out.append({"status": item["status"], "message": item["message"]})
    if len({int(item["status"], 16) for item in out}) != len(out):
        raise InvalidInput("each status value may have one statusMessage")
    return out


def status_entry(list_url: str, allocation: StatusAllocation) -> dict[str, Any]:
    """The ``credentialStatus`` entry for one allocated index."""
    entry: dict[str, Any] = {"id": f"{list_url}#{allocation.index}", "type": ENTRY_TYPE,
                             "statusPurpose": allocation.spec.purpose, "statusListIndex": str(allocation.index),
                             "statusListCredential": list_url}
    if allocation.spec.status_size > 1:
        entry["statusSize"] = allocation.spec.status_size
    if allocation.spec.messages:
        entry["statusMessage"] = json.loads(allocation.spec.messages)
    return entry


def with_status(credential: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    """``credential`` carrying ``entries`` as well as any ``credentialStatus`` it already had."""
    existing = credential.get("credentialStatus")
    existing = [] if existing is None else existing if isinstance(existing, list) else [existing]
    combined = [*existing, *entries]
    out = {**credential, "credentialStatus": combined[0] if len(combined) == 1 else combined}
    contexts = as_list(credential.get("@context"))
    # VC 2.0 defines the Bitstring Status List terms; a VC 1.1 credential needs their own context.
    if entries and contexts and contexts[0] == VC_V1 and STATUS_CONTEXT not in contexts:
        out["@context"] = [*contexts, STATUS_CONTEXT]
    return out

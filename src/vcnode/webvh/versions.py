"""Choose the version a resolution asks for (``versionId``, ``versionTime``, ``versionNumber``) and shape the
DID document and its metadata (spec "Read (Resolve)" and "DID URL Resolution")."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vcnode.did.resolution import INVALID_DID_URL
from vcnode.webvh.errors import WebvhError, not_found
from vcnode.webvh.log import VerifiedLog, Version

QUERY_PARAMETERS = frozenset({"versionId", "versionTime", "versionNumber"})
LINKED_VP_CONTEXT = "https://identity.foundation/linked-vp/contexts/v1"


@dataclass(frozen=True, slots=True)
class Selected:
    """The resolved version: its document (None for a deactivated DID resolved without a version query)
    and the DID document metadata."""

    document: dict[str, Any] | None
    metadata: dict[str, Any]
    ttl: int


def _bad_query(detail: str) -> WebvhError:
    return WebvhError("invalidVersionQuery", detail, resolution_error=INVALID_DID_URL)


def _parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise _bad_query(f"versionTime {value[:60]!r} is not an ISO 8601 time with a time zone")
    return parsed.astimezone(UTC)


def _one(log: VerifiedLog, name: str, value: str) -> Version:
    versions = log.versions
    if name == "versionId":
        found = next((version for version in versions if version.version_id == value), None)
    elif name == "versionNumber":
        if not value.isdigit() or len(value) > 9:
            raise _bad_query(f"versionNumber {value[:40]!r} is not a positive integer")
        found = versions[int(value) - 1] if 1 <= int(value) <= len(versions) else None
    else:
        at = _parse_time(value)
        earlier = [version for version in versions if version.time <= at]
        found = earlier[-1] if earlier else None
        if found is None:
            raise not_found(f"the DID did not exist at {value[:60]}")
        if found is versions[-1] and log.error is not None:
            # A later entry failed verification, so whether this version was still the current one at that
            # time cannot be known.
            raise log.error
    if found is None:
        if log.error is not None:
            raise log.error  # the version may be among the entries that failed verification
        raise not_found(f"the log has no version with {name} {value[:100]}")
    return found


def select(log: VerifiedLog, query: dict[str, str]) -> Version:
    """The version named by the query (all given parameters must name the same one), or the latest.

    Raises :class:`WebvhError`: ``versionNotFound`` (notFound), the log's own error when the answer
    depends on entries that failed verification, or ``invalidVersionQuery``.
    """
    unknown = set(query) - QUERY_PARAMETERS
    if unknown:
        raise _bad_query(f"unsupported DID parameters {sorted(unknown)[:5]}")
    if not log.versions:
        raise log.error or not_found("the log has no verified version")
    if not query:
        if log.error is not None:
            raise log.error
        return log.versions[-1]
    chosen = {_one(log, name, value).number for name, value in query.items()}
    if len(chosen) != 1:
        raise not_found(f"the parameters {sorted(query)} name different versions")
    return log.versions[chosen.pop() - 1]


def _implicit_services(document: dict[str, Any], version: Version, plain_http: bool) -> None:
    # Every did:webvh DID has #files (relativeRef) and #whois (LinkedVP) services unless its document
    # defines them itself; resolvers add them so DID URL paths can be dereferenced.
    did = document["id"]
    services = document.get("service")
    services = list(services) if isinstance(services, list) else ([services] if isinstance(services, dict) else [])
    ids = {service.get("id") for service in services if isinstance(service, dict)}
    base = version.state_did.base_url(plain_http=plain_http)
    if not ids & {"#files", f"{did}#files"}:
        services.append({"id": "#files", "type": "relativeRef", "serviceEndpoint": base})
    if not ids & {"#whois", f"{did}#whois"}:
        services.append({"@context": LINKED_VP_CONTEXT, "id": "#whois", "type": "LinkedVerifiablePresentation",
                         "serviceEndpoint": f"{base}/whois.vp"})
    document["service"] = services


def resolve_version(log: VerifiedLog, query: dict[str, str], *,
                    allow_hosts: frozenset[str] = frozenset()) -> Selected:
    """The document and metadata for ``query`` ({} for the latest version).

    Metadata parameters (``portable``, ``deactivated``, ``ttl``, ``witness``, ``watchers``) are those in
    effect after the last verified entry, whichever version is resolved; ``ttl`` and the witness threshold
    are strings, as DID Resolution metadata holds no integers. A deactivated DID resolved without a version
    query has no document.
    """
    version = select(log, query)
    last = log.versions[-1].parameters
    witness = last.witness.to_json() if last.witness is not None else {}
    if witness:
        witness["threshold"] = str(witness["threshold"])
    metadata = {
        "versionId": version.version_id, "versionTime": version.version_time, "versionNumber": version.number,
        # DID Core: "updated" is the time of the last update of the version resolved.
        "created": log.versions[0].version_time, "updated": version.version_time,
        "scid": last.scid, "portable": last.portable, "deactivated": last.deactivated, "ttl": str(last.ttl),
        "witness": witness, "watchers": list(last.watchers),
    }
    if last.deactivated and not query:
        return Selected(None, metadata, last.ttl)
    document = copy.deepcopy(version.state)
    _implicit_services(document, version, version.state_did.host in allow_hosts)
    return Selected(document, metadata, last.ttl)

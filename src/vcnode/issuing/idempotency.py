"""Issuing is idempotent by credential id: what makes two issue requests the same.

A client that retries after a timeout sends the same request again. The node stores each credential with
a hash of the request it was issued from; a request under an id already stored gets that credential back
when its hash is the same, and :class:`CredentialIdInUse` (409) otherwise. The store's insert-once id and
the look-up inside the issuing transaction make this hold for concurrent requests and other processes too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from vcnode.credentials.records import CredentialRecord
from vcnode.errors import Conflict
from vcnode.jsonld import canonicalize_jcs
from vcnode.status.records import StatusListSpec


class CredentialIdInUse(Conflict):
    """A credential is already stored under this id, issued from a different request."""

    code = "credentialIdInUse"


def request_hash(request: dict[str, Any]) -> str:
    """SHA-256 (hex) of the request's canonical JSON (RFC 8785, JCS): the same JSON value gives the same
    hash however it was written (member order, number spelling)."""
    return hashlib.sha256(canonicalize_jcs(request)).hexdigest()


def status_options(status: Sequence[StatusListSpec]) -> list[dict[str, Any]]:
    """The status entries asked for, as they count for sameness (the node's list length does not)."""
    return [{"statusPurpose": spec.purpose, "statusSize": spec.status_size, "statusMessage": spec.messages}
            for spec in status]


def issue_request_hash(issuer: str, credential: Any, suite: str, status: Sequence[StatusListSpec],
                       mandatory_pointers: list[str] | None = None) -> str:
    """The hash of one issue request: the same unsigned credential and options for the same issuer (the
    HTTP route and ``vcnode issue`` give the same hash for the same request)."""
    request = {"issuer": issuer, "credential": credential, "suite": suite, "credentialStatus": status_options(status)}
    if mandatory_pointers is not None:  # only ecdsa-sd-2023 requests name them; other hashes stay as they were
        request["mandatoryPointers"] = mandatory_pointers
    return request_hash({"issue": request})


def id_in_use(record: CredentialRecord) -> CredentialIdInUse:
    """The refusal of an issue request under the id of ``record``, stored from a different request."""
    return CredentialIdInUse(f"a credential with the id {record.id[:200]} was already issued from a different "
                             "request; issue with a new id (a retry must send the same credential and options)")

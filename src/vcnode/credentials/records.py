"""The record of an issued credential, as the issuing service keeps it and the store holds it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CredentialRecord:
    """A credential this node issued. ``request_hash`` identifies the request it was issued from (see
    :mod:`vcnode.issuing.idempotency`); None for credentials stored before it was recorded."""

    id: str
    issuer: str
    document: str
    created: str
    request_hash: str | None = None

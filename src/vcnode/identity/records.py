"""The records of identities and their keys, as the identity service keeps them and the store holds them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IdentityRecord:
    """An issuer identity held by the node."""

    did: str
    method: str
    name: str
    web_path: str | None
    is_default: bool
    created: str


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A signing key of an identity. ``sealed_secret`` is the vault's encrypted form of the seed."""

    id: str
    identity_did: str
    key_type: str
    public_multikey: str
    sealed_secret: bytes
    valid_from: str
    valid_until: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class WebvhEntryRecord:
    """One entry of a did:webvh identity's log: ``entry`` is the JSON line as published (no newline)."""

    identity_did: str
    version_number: int
    version_id: str
    version_time: str
    entry: str

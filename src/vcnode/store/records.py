"""Plain records exchanged with the store. No SQL, no I/O."""

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
class TokenRecord:
    """An API bearer token (only its hash is stored)."""

    id: str
    token_hash: str
    scopes: tuple[str, ...]
    identity: str | None
    created: str
    revoked: str | None = None


@dataclass(frozen=True, slots=True)
class CredentialRecord:
    """A credential this node issued."""

    id: str
    issuer: str
    document: str
    created: str

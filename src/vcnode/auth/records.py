"""An API token as the store keeps it (only its hash)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API bearer token (only its hash is stored)."""

    id: str
    token_hash: str
    scopes: tuple[str, ...]
    identity: str | None
    created: str
    revoked: str | None = None

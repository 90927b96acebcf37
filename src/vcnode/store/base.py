"""The store interface. Everything outside ``vcnode.store`` uses this; nothing else writes SQL."""

from __future__ import annotations

from typing import Protocol

from vcnode.store.records import CredentialRecord, IdentityRecord, KeyRecord, TokenRecord


class Store(Protocol):
    """Persistent state of a node. Implementations: SQLite (embedded); PostgreSQL later."""

    async def open(self) -> None:
        """Connect and apply pending schema migrations."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...

    async def ping(self) -> bool:
        """True when the store answers."""
        ...

    async def schema_version(self) -> int:
        """The number of the newest applied migration."""
        ...

    async def data_version(self) -> int:
        """A value that changes when another process commits (used to notice CLI changes while serving)."""
        ...

    async def get_meta(self, key: str) -> str | None:
        """A node metadata value, or None."""
        ...

    async def set_meta(self, key: str, value: str) -> None:
        """Set a node metadata value."""
        ...

    async def add_identity(self, identity: IdentityRecord, key: KeyRecord) -> None:
        """Store a new identity with its first (active) key, atomically."""
        ...

    async def list_identities(self) -> list[IdentityRecord]:
        """All identities, the default first, then by creation."""
        ...

    async def get_identity(self, did: str) -> IdentityRecord | None:
        """One identity by DID."""
        ...

    async def list_keys(self, identity_did: str | None = None) -> list[KeyRecord]:
        """Keys (of one identity, or all), newest first within an identity."""
        ...

    async def rotate_key(self, identity_did: str, new_key: KeyRecord, at: str) -> KeyRecord:
        """Retire the active key at ``at`` and make ``new_key`` active, atomically; returns the retired key."""
        ...

    async def add_token(self, token: TokenRecord) -> None:
        """Store a new API token."""
        ...

    async def find_token(self, token_hash: str) -> TokenRecord | None:
        """The token with this hash, revoked or not."""
        ...

    async def list_tokens(self) -> list[TokenRecord]:
        """All tokens, newest first."""
        ...

    async def revoke_token(self, token_id: str, at: str) -> bool:
        """Revoke a token by id; False when there is no such live token."""
        ...

    async def save_credential(self, record: CredentialRecord) -> None:
        """Store an issued credential (replacing one with the same id)."""
        ...

    async def get_credential(self, credential_id: str) -> CredentialRecord | None:
        """An issued credential by id."""
        ...

    async def save_credentials(self, records: list[CredentialRecord]) -> None:
        """Store many issued credentials in one transaction (all or none)."""
        ...

    async def existing_credentials(self, ids: list[str]) -> set[str]:
        """Which of ``ids`` are already stored."""
        ...

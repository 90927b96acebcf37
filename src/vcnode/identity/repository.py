"""What the identity service needs of the store: identities, their keys and did:webvh logs (one aggregate).
Implemented by :mod:`vcnode.store`."""

from __future__ import annotations

from typing import Protocol

from vcnode.identity.records import IdentityRecord, KeyRecord, WebvhEntryRecord


class IdentityRepository(Protocol):
    """The node's identities, keys and did:webvh log entries."""

    async def add_identity(self, identity: IdentityRecord, key: KeyRecord,
                           webvh_entry: WebvhEntryRecord | None = None) -> None:
        """Store a new identity with its first (active) key and, for did:webvh, its first log entry, atomically."""
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

    async def rotate_key(self, identity_did: str, new_key: KeyRecord, at: str,
                         webvh_entry: WebvhEntryRecord | None = None) -> KeyRecord:
        """Retire the active key at ``at`` and make ``new_key`` active (appending the did:webvh log entry that
        publishes it), atomically; returns the retired key. :class:`Conflict` if that entry number exists."""
        ...

    async def list_webvh_entries(self) -> list[WebvhEntryRecord]:
        """Every did:webvh log entry, by identity then version number."""
        ...

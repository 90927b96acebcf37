"""What the status service needs of the store: status lists, their bits, publications and audit log (one
aggregate). The bit and index algorithms are :mod:`vcnode.status.bitstring` and :mod:`vcnode.status.permutation`;
the store keeps the rows. Implemented by :mod:`vcnode.store`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from vcnode.credentials.repository import CredentialReader
from vcnode.status.records import StatusChange, StatusListRecord, StatusTokenRecord


class StatusRepository(Protocol):
    """Status lists: allocation is in :class:`vcnode.issuing.repository.Issuance`."""

    async def get_status_list(self, list_id: str) -> StatusListRecord | None:
        """One status list by id."""
        ...

    async def list_status_lists(self, issuer: str | None = None) -> list[StatusListRecord]:
        """Every status list (of one issuer), oldest first."""
        ...

    async def changed_status_lists(self, signed_until_before: str | None = None) -> list[str]:
        """Ids of lists whose bits changed since they were last signed (or never signed), and, with
        ``signed_until_before`` (an ISO time), those whose signed copy is valid until before then."""
        ...

    async def change_status(self, change: StatusChange, *, irreversible: bool = False) -> StatusChange:
        """Set one entry to ``change.after`` and append ``change`` to the audit log, atomically; returns the
        change with ``before`` filled in. Bumps the list's version when the value changes; the cost does not
        grow with the list's length. With ``irreversible`` (revocation entries), an entry that is set is never
        cleared: compared and set in the same transaction, :class:`~vcnode.errors.Conflict`
        ``revocationIrreversible`` otherwise."""
        ...

    async def status_value(self, list_id: str, index: int) -> int:
        """The current value of one entry of a list (reads only the part of the list that holds it)."""
        ...

    async def status_bits(self, list_id: str) -> bytes:
        """A list's whole bitstring, as published (read from one snapshot)."""
        ...

    async def publish_status_list(self, list_id: str, version: int, document: str, until: str) -> None:
        """Keep the signed list credential for ``version`` (ignored if a newer one is already kept)."""
        ...

    async def get_status_token(self, list_id: str) -> StatusTokenRecord | None:
        """A list as a Status List Token (its kind, version and signed token), or None for an unknown list."""
        ...

    async def changed_status_tokens(self, signed_until_before: str) -> list[str]:
        """Lists served as tokens whose token was never signed, is older than the list, or is valid only until
        before ``signed_until_before``."""
        ...

    async def publish_status_token(self, list_id: str, version: int, token: str, until: str) -> None:
        """Store the signed token of ``version``, unless a newer version's is stored already."""
        ...

    async def status_changes(self, credential_id: str | None = None, limit: int = 1000, *,
                             issuers: Sequence[str] | None = None, before: int | None = None) -> list[StatusChange]:
        """The audit log, newest first (of one credential, or all), each change with its ``seq``; with
        ``issuers``, only changes to those identities' lists; with ``before``, only changes older than the one
        numbered so (the next page)."""
        ...

    async def status_indexes(self, credential_ids: list[str]) -> list[tuple[str, str, int]]:
        """(credential id, list id, index) of every index handed out to these credentials."""
        ...


class StatusStore(StatusRepository, CredentialReader, Protocol):
    """What the status service needs: the lists, and the credentials whose entries it changes."""

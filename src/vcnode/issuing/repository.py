"""What issuing needs of the store: one transaction in which status indexes are handed out and the
credentials that carry them are stored (and an exchange completed), or nothing is. Implemented by
:mod:`vcnode.store`."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Protocol

from vcnode.credentials.records import CredentialRecord
from vcnode.credentials.repository import CredentialReader
from vcnode.errors import Conflict
from vcnode.status.records import StatusAllocation, StatusListSpec

if TYPE_CHECKING:  # the exchange's state machine is the exchanges package's; issuing only completes one
    from vcnode.exchanges.repository import CompletionState


class CredentialIdTaken(Conflict):
    """Saving a credential met one stored under its id by a transaction that committed after this one looked
    (409 ``credentialIdInUse``): looking again answers it."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, code="credentialIdInUse")


class Issuance(Protocol):
    """Work done inside one write transaction: status indexes handed out and the credentials that carry
    them are stored together, or neither is."""

    async def allocate(self, issuer: str, spec: StatusListSpec, credential_ids: list[str]) -> list[StatusAllocation]:
        """One unpredictable, never used index per credential in the issuer's open list of this kind (new lists
        as they fill), in the order of ``credential_ids``; the cost does not grow with the list's length or fill."""
        ...

    async def serve_as_tokens(self, list_id: str) -> None:
        """Mark a list as referenced by Status List Tokens (an SD-JWT VC carries one of its entries): from now on
        it is served and kept signed as a token too."""
        ...

    async def find_credentials(self, ids: list[str]) -> dict[str, CredentialRecord]:
        """The stored credentials among ``ids``, by id, read inside the transaction (so what is not found
        cannot appear before it commits)."""
        ...

    async def save_credentials(self, records: list[CredentialRecord]) -> None:
        """Store issued credentials (with their search terms and achievements, :mod:`vcnode.store.search`).
        Ids are insert-once: :class:`~vcnode.errors.Conflict` ``credentialIdInUse`` (and the transaction is
        rolled back) when one is already stored."""
        ...

    async def complete_exchange(self, exchange_id: str, now: float, holder: str | None, result: str) -> CompletionState:
        """Mark a pending or active, unexpired exchange complete with ``holder`` and ``result`` (JSON), a
        compare-and-set inside the transaction: of two wallets racing for one exchange exactly one gets
        ``completed``. Otherwise nothing changes and the state says why; the caller then raises, so that
        what it wrote in the same transaction (an issued credential) is rolled back too."""
        ...


class IssuingRepository(Protocol):
    """Where issuing transactions begin."""

    def issuance(self) -> AbstractAsyncContextManager[Issuance]:
        """A write transaction for issuing: committed when the block ends, rolled back if it raises."""
        ...


class IssuedCredentials(IssuingRepository, CredentialReader, Protocol):
    """What the credential service needs: issuing transactions, and the credentials they stored."""

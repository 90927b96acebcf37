"""What needs reading of the credentials a node issued: one by id, the desk's search, the achievements
awarded. Implemented by :mod:`vcnode.store`; issuing writes through :class:`vcnode.issuing.repository.Issuance`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from vcnode.credentials.records import CredentialRecord


class CredentialReader(Protocol):
    """One issued credential by id."""

    async def get_credential(self, credential_id: str) -> CredentialRecord | None:
        """An issued credential by id."""
        ...


class CredentialRepository(CredentialReader, Protocol):
    """The issued credentials as the desk reads them: by id, searched, and the achievements awarded."""

    async def search_credentials(self, query: str | None = None, *, terms: Sequence[str] = (),
                                 issuers: Sequence[str] | None = None, before: tuple[str, str] | None = None,
                                 limit: int = 50) -> list[CredentialRecord]:
        """Issued credentials, newest first, at most ``limit``: of ``issuers`` (None: every identity's), with a
        search term starting with ``query`` (see :mod:`vcnode.store.search`) or equal to one of ``terms`` (when
        either is given), created before ``before`` = (created, id) of the last one of the previous page.
        Index range scans only: the cost follows the matches and the page, not the number stored."""
        ...

    async def add_credential_terms(self, terms: Sequence[tuple[str, str]]) -> None:
        """Add (term, credential id) pairs to the search index, e.g. the :func:`~vcnode.store.search.email_term`
        of a learner's email, which the credential holds only hashed (a credential not yet issued, such as a
        claim link's, may be named: the term finds it once it is stored)."""
        ...

    async def issued_achievements(self, issuers: Sequence[str] | None = None, *, achievement_id: str | None = None,
                                  limit: int = 200) -> list[tuple[str, str, str]]:
        """(issuer, achievement id, achievement JSON as last issued) of the achievements these identities
        awarded (None: every identity), most recently awarded first; with ``achievement_id``, only that one."""
        ...

"""The store interface: every repository of the node's domain packages, which the SQLite and PostgreSQL
adapters implement in one database. Each domain package declares what it needs (``vcnode.<package>.repository``,
and :class:`vcnode.anchor.store.AnchorStore`, :class:`vcnode.trust.pending.PendingStatements`,
:class:`vcnode.feed.log.ChangeLog`); its services take that narrow protocol, and only the composition root
(:mod:`vcnode.node`) sees the whole :class:`Store`. Nothing outside ``vcnode.store`` writes SQL."""

from __future__ import annotations

from typing import Protocol

from vcnode.auth.repository import TokenRepository
from vcnode.credentials.repository import CredentialRepository
from vcnode.exchanges.repository import ChallengeRepository, ChallengeState, CompletionState, ExchangeRepository
from vcnode.identity.repository import IdentityRepository
from vcnode.issuing.repository import CredentialIdTaken, Issuance, IssuingRepository
from vcnode.jobs.repository import JobRepository
from vcnode.oid4vci.repository import AuthCodeState, LoginState, OpenIdIssuanceRepository, RedeemState
from vcnode.status.repository import StatusRepository

__all__ = ["AuthCodeState", "ChallengeState", "CompletionState", "CredentialIdTaken", "Issuance", "LoginState",
           "NodeStore", "RedeemState", "Store"]


class NodeStore(Protocol):
    """The store itself: opened, closed, checked, and the node's metadata."""

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

    async def get_meta(self, key: str) -> str | None:
        """A node metadata value, or None."""
        ...

    async def set_meta(self, key: str, value: str) -> None:
        """Set a node metadata value."""
        ...

    async def ensure_meta(self, key: str, value: str) -> str:
        """The metadata value of ``key``, set to ``value`` first when it has none (atomically: of processes
        racing to set it, all get the one value stored)."""
        ...


class Store(NodeStore, IdentityRepository, TokenRepository, CredentialRepository, IssuingRepository,
            StatusRepository, ExchangeRepository, ChallengeRepository, OpenIdIssuanceRepository, JobRepository,
            Protocol):
    """Persistent state of a node: every repository in one database. Implementations: SQLite (embedded) and
    PostgreSQL (:mod:`vcnode.store.sql`)."""

"""What the token service needs of the store: API tokens (their hashes). Implemented by :mod:`vcnode.store`."""

from __future__ import annotations

from typing import Protocol

from vcnode.auth.records import TokenRecord


class TokenRepository(Protocol):
    """API bearer tokens, stored by hash."""

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

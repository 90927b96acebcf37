"""Bearer tokens for the node's protected endpoints.

A token is 32 random bytes (``vcn_…``), shown once at creation; the store keeps only its SHA-256. Each
token has scopes (``issue``, ``status``, ``read``, ``admin``) and optionally the one identity it may act for.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime

from vcnode.errors import InvalidInput, NotFound, VcnodeError
from vcnode.store.base import Store
from vcnode.store.records import TokenRecord

SCOPES = ("issue", "status", "read", "admin")
_PREFIX = "vcn_"
_CACHE_SECONDS = 5.0  # a revoked token stops working within this time on a running server


class Unauthorized(VcnodeError):
    """No token, or not a valid one."""

    code = "unauthorized"
    status = 401
    title = "Unauthorized"


class Forbidden(VcnodeError):
    """A valid token without the scope or identity the request needs."""

    code = "forbidden"
    status = 403
    title = "Forbidden"


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenService:
    """Create, list, revoke and check tokens."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[str, tuple[float, TokenRecord | None]] = {}

    async def create(self, scopes: list[str], identity: str | None = None) -> tuple[TokenRecord, str]:
        """A new token; returns its record and the token itself (the only time it is available)."""
        unknown = [scope for scope in scopes if scope not in SCOPES]
        if not scopes or unknown:
            raise InvalidInput(f"scopes must be some of {', '.join(SCOPES)}; got {', '.join(scopes) or 'none'}")
        token = _PREFIX + secrets.token_urlsafe(32)
        created = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        record = TokenRecord(id=secrets.token_hex(4), token_hash=hash_token(token), scopes=tuple(dict.fromkeys(scopes)),
                             identity=identity, created=created)
        await self._store.add_token(record)
        return record, token

    async def list(self) -> list[TokenRecord]:
        """Every token (hashes only)."""
        return await self._store.list_tokens()

    async def revoke(self, token_id: str) -> None:
        """Revoke a token by its public id."""
        at = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        if not await self._store.revoke_token(token_id, at):
            raise NotFound(f"no live token with id {token_id!r}")
        self._cache.clear()

    async def authenticate(self, authorization: str | None, scope: str | tuple[str, ...]) -> TokenRecord:
        """The token record for an ``Authorization: Bearer …`` header that has ``scope`` (or one of them)."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():  # the scheme is case-insensitive (RFC 9110 §11.1)
            raise Unauthorized("this endpoint needs 'Authorization: Bearer <token>' (vcnode token create)")
        token = token.strip()
        digest = hash_token(token)
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > time.monotonic():
            record = cached[1]
        else:
            record = await self._store.find_token(digest)
            self._cache[digest] = (time.monotonic() + _CACHE_SECONDS, record)
        if record is None or record.revoked or not hmac.compare_digest(record.token_hash, digest):
            raise Unauthorized("the bearer token is not valid")
        wanted = (scope,) if isinstance(scope, str) else scope
        if not any(s in record.scopes for s in (*wanted, "admin")):
            raise Forbidden(f"the token lacks the {' or '.join(repr(s) for s in wanted)} scope")
        return record

    @staticmethod
    def check_identity(record: TokenRecord, did: str) -> None:
        """Raise :class:`Forbidden` unless the token may act for ``did``."""
        if record.identity is not None and record.identity != did:
            raise Forbidden(f"the token may act only for {record.identity}")

"""Bearer tokens for the node's protected endpoints.

A token is 32 random bytes (``vcn_…``), shown once at creation; the store keeps only its SHA-256. Each
token has scopes (``issue``, ``status``, ``read``, ``admin``, ``metrics``, ``exchange``) and optionally the
one identity it may act for.

Checking a token costs one SHA-256 and, unless it was verified moments ago, one indexed store lookup: the
tokens carry 256 bits of randomness, so no slow KDF is needed and none can be turned into a CPU DoS. Only
tokens that verified are cached (a bounded LRU), so random tokens from outside cannot grow memory.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections import OrderedDict

from vcnode.auth.records import TokenRecord
from vcnode.auth.repository import TokenRepository
from vcnode.clock import SYSTEM_CLOCK, Clock, now_timestamp
from vcnode.errors import InvalidInput, NotFound, VcnodeError

SCOPES = ("issue", "status", "read", "admin", "metrics", "exchange")
_PREFIX = "vcn_"
#: What ``create`` hands out: the prefix and 32 bytes in unpadded base64url. Anything else is refused before
#: it is hashed or looked up.
_TOKEN_FORMAT = re.compile(r"vcn_[A-Za-z0-9_-]{43}")
_CACHE_SECONDS = 5.0  # a token revoked by another process stops working within this time on a running server
DEFAULT_CACHE_SIZE = 1024


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

    def __init__(self, store: TokenRepository, *, cache_size: int = DEFAULT_CACHE_SIZE,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self._store = store
        self._clock = clock
        self._cache_size = cache_size
        # digest → (expiry, record) of tokens that verified, least recently used first
        self._cache: OrderedDict[str, tuple[float, TokenRecord]] = OrderedDict()

    @property
    def cached(self) -> int:
        """How many verified tokens are remembered (at most the configured cache size)."""
        return len(self._cache)

    async def create(self, scopes: list[str], identity: str | None = None) -> tuple[TokenRecord, str]:
        """A new token; returns its record and the token itself (the only time it is available)."""
        unknown = [scope for scope in scopes if scope not in SCOPES]
        if not scopes or unknown:
            raise InvalidInput(f"scopes must be some of {', '.join(SCOPES)}; got {', '.join(scopes) or 'none'}")
        token = _PREFIX + secrets.token_urlsafe(32)
        created = now_timestamp(self._clock)
        record = TokenRecord(id=secrets.token_hex(4), token_hash=hash_token(token), scopes=tuple(dict.fromkeys(scopes)),
                             identity=identity, created=created)
        await self._store.add_token(record)
        return record, token

    async def list(self) -> list[TokenRecord]:
        """Every token (hashes only)."""
        return await self._store.list_tokens()

    async def revoke(self, token_id: str) -> None:
        """Revoke a token by its public id."""
        at = now_timestamp(self._clock)
        if not await self._store.revoke_token(token_id, at):
            raise NotFound(f"no live token with id {token_id!r}")
        self._cache.clear()

    async def authenticate(self, authorization: str | None, scope: str | tuple[str, ...]) -> TokenRecord:
        """The token record for an ``Authorization: Bearer …`` header that has ``scope`` (or one of them)."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():  # the scheme is case-insensitive (RFC 9110 §11.1)
            raise Unauthorized("this endpoint needs 'Authorization: Bearer <token>' (vcnode token create)")
        token = token.strip()
        if not _TOKEN_FORMAT.fullmatch(token):
            raise Unauthorized("the bearer token is not valid")
        return await self.authenticate_hash(hash_token(token), scope)

    async def authenticate_hash(self, digest: str, scope: str | tuple[str, ...]) -> TokenRecord:
        """The live token whose SHA-256 is ``digest`` and that has ``scope`` (or one of them): what a page
        session holds instead of the token itself (:mod:`vcnode.web.session`)."""
        record = await self._verified(digest)
        wanted = (scope,) if isinstance(scope, str) else scope
        if not any(s in record.scopes for s in (*wanted, "admin")):
            raise Forbidden(f"the token lacks the {' or '.join(repr(s) for s in wanted)} scope")
        return record

    async def _verified(self, digest: str) -> TokenRecord:
        """The live token with this digest, from the cache when it verified within the last seconds."""
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > time.monotonic():
            self._cache.move_to_end(digest)
            return cached[1]
        self._cache.pop(digest, None)
        record = await self._store.find_token(digest)
        if record is None or record.revoked or not hmac.compare_digest(record.token_hash, digest):
            raise Unauthorized("the bearer token is not valid")
        self._cache[digest] = (time.monotonic() + _CACHE_SECONDS, record)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return record

    @staticmethod
    def may_act_for(record: TokenRecord, did: str | None) -> bool:
        """Whether the token may act for ``did`` (a token without an identity acts for every one)."""
        return record.identity is None or record.identity == did

    @classmethod
    def check_identity(cls, record: TokenRecord, did: str | None) -> None:
        """Raise :class:`Forbidden` unless the token may act for ``did``."""
        if not cls.may_act_for(record, did):
            raise Forbidden(f"the token may act only for {record.identity}")

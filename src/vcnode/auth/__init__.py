"""API bearer tokens: creation, hashing, scopes and the identity a token may act for."""

from vcnode.auth.tokens import SCOPES, TokenService

__all__ = ["SCOPES", "TokenService"]

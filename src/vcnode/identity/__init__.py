"""Issuer identities held by a node: creation, keys, rotation and the node's own DID documents."""

from vcnode.identity.service import IdentityService

__all__ = ["IdentityService"]

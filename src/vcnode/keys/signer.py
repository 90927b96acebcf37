"""The signer abstraction: what a cryptosuite or a JWS asks of a key, and the key types the node can hold.

A :class:`Signer` says which algorithm it signs with (``alg``, the JOSE name) and which key type it is, signs
bytes, and gives its public key as Multikey and JWK. Cryptosuites and JOSE never see secret material; the
identity service holds the key pairs (sealed in the vault at rest) and hands out signers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from vcnode.errors import InvalidInput
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.nist import NistKeyPair, P256KeyPair, P384KeyPair
from vcnode.keys.public import ED25519, P256, P384

KeyPair = Ed25519KeyPair | NistKeyPair
# Names on the command line and in the API → key types (the names the store's key_type column holds).
KEY_TYPE_NAMES: dict[str, str] = {"ed25519": ED25519, "p256": P256, "p384": P384}
_PAIRS: dict[str, type[Ed25519KeyPair] | type[NistKeyPair]] = {ED25519: Ed25519KeyPair, P256: P256KeyPair,
                                                               P384: P384KeyPair}


class UnsupportedKeyType(InvalidInput):
    """A key type the node cannot hold or sign with."""

    code = "unsupportedKeyType"


@runtime_checkable
class Signer(Protocol):
    """A signing key as cryptosuites and JOSE use it."""

    @property
    def alg(self) -> str:
        """The JOSE algorithm it signs with: ``EdDSA``, ``ES256`` or ``ES384``."""
        ...

    @property
    def key_type(self) -> str:
        """``Ed25519``, ``P-256`` or ``P-384``."""
        ...

    @property
    def public_multikey(self) -> str:
        """The public key as Multikey."""
        ...

    @property
    def public_jwk(self) -> dict[str, str]:
        """The public key as a JWK."""
        ...

    def sign(self, data: bytes) -> bytes:
        """The signature of ``data`` (Ed25519: 64 bytes; ES256 / ES384: raw ``r ‖ s``, 64 / 96
        bytes)."""
        ...


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The active signing key of an identity: its verification method id and its signer (whose ``key_type``
    and ``alg`` say what it signs with)."""

    verification_method: str
    signer: Signer

    @property
    def key_type(self) -> str:
        """``Ed25519``, ``P-256`` or ``P-384``."""
        return self.signer.key_type

    @property
    def key_pair(self) -> Ed25519KeyPair:
        """The Ed25519 key pair, for what only Ed25519 can sign (did:webvh log entries and witness proofs);
        :class:`UnsupportedKeyType` (``keyTypeMismatch``) for a key of another type."""
        if not isinstance(self.signer, Ed25519KeyPair):
            raise UnsupportedKeyType(f"{self.verification_method} is a {self.signer.key_type} key; this needs an "
                                     "Ed25519 key", code="keyTypeMismatch")
        return self.signer


def key_type_named(name: str) -> str:
    """The key type for a command-line / API name (``ed25519``, ``p256``, ``p384``; the key type itself is
    accepted too)."""
    if name in _PAIRS:
        return name
    try:
        return KEY_TYPE_NAMES[name.lower()]
    except (KeyError, AttributeError):
        raise UnsupportedKeyType(f"unknown key type {str(name)[:40]!r}; use one of "
                                 f"{', '.join(KEY_TYPE_NAMES)}") from None


def generate(key_type: str) -> KeyPair:
    """A fresh key pair of ``key_type`` (``Ed25519``, ``P-256`` or ``P-384``)."""
    return _pair_class(key_type).generate()


def from_secret(key_type: str, secret: bytes) -> KeyPair:
    """The key pair of ``key_type`` whose sealed secret is ``secret`` (Ed25519 seed, P-256 / P-384 scalar)."""
    return _pair_class(key_type).from_secret(secret)


def _pair_class(key_type: str) -> type[Ed25519KeyPair] | type[NistKeyPair]:
    try:
        return _PAIRS[key_type]
    except KeyError:
        raise UnsupportedKeyType(f"the node cannot hold {str(key_type)[:40]!r} keys; it holds "
                                 f"{', '.join(_PAIRS)}") from None

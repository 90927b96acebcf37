"""The signer abstraction: what a cryptosuite or a JWS asks of a key, and the key types the node can hold.

A :class:`Signer` says which algorithm it signs with (``alg``, the JOSE name) and which key type it is, signs
bytes, and gives its public key as Multikey and JWK. A :class:`BbsSigner` (BLS12-381 G2, for bbs-2023) signs a
list of messages under a header instead: it is no :class:`Signer` (no JOSE algorithm, no JWK), so JOSE and the
single-signature suites refuse it by its key type (``keyTypeMismatch``). Cryptosuites and JOSE never see secret
material; the identity service holds the key pairs (sealed in the vault at rest) and hands out signers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from vcnode.errors import InvalidInput
from vcnode.keys.bls12381 import Bls12381G2KeyPair
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.nist import NistKeyPair, P256KeyPair, P384KeyPair
from vcnode.keys.public import BLS12381_G2, ED25519, P256, P384

KeyPair = Ed25519KeyPair | NistKeyPair | Bls12381G2KeyPair
# Names on the command line and in the API → key types (the names the store's key_type column holds).
KEY_TYPE_NAMES: dict[str, str] = {"ed25519": ED25519, "p256": P256, "p384": P384, "bls12381": BLS12381_G2}
_PAIRS: dict[str, type[Ed25519KeyPair] | type[NistKeyPair] | type[Bls12381G2KeyPair]] = {
    ED25519: Ed25519KeyPair, P256: P256KeyPair, P384: P384KeyPair, BLS12381_G2: Bls12381G2KeyPair}


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


class BbsSigner(Protocol):
    """A BBS signing key as bbs-2023 uses it (:class:`vcnode.keys.bls12381.Bls12381G2KeyPair`): it signs a list
    of messages under a header, and gives its public key raw (the 96-byte G2 point) and as Multikey."""

    @property
    def key_type(self) -> str:
        """``Bls12381G2``."""
        ...

    @property
    def public_key(self) -> bytes:
        """The compressed G2 point."""
        ...

    @property
    def public_multikey(self) -> str:
        """The public key as Multikey (``zUC7…``)."""
        ...

    def bbs_sign(self, header: bytes, messages: Sequence[bytes]) -> bytes:
        """The BBS signature of ``messages`` under ``header``."""
        ...


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The active signing key of an identity: its verification method id and its signer (whose ``key_type``
    says what it signs with: a :class:`Signer`, or for BLS12-381 G2 keys a :class:`BbsSigner`)."""

    verification_method: str
    signer: Signer | BbsSigner

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

    @property
    def single_signer(self) -> Signer:
        """The signer, for what signs one message (JOSE and COSE envelopes, request objects, Status List
        Tokens): :class:`UnsupportedKeyType` (``keyTypeMismatch``) for a BBS key, which signs bbs-2023 proofs
        only."""
        if not isinstance(self.signer, Signer):
            raise UnsupportedKeyType(f"{self.verification_method} is a {self.signer.key_type} key, which signs "
                                     "bbs-2023 proofs only", code="keyTypeMismatch")
        return self.signer


def key_type_named(name: str) -> str:
    """The key type for a command-line / API name (``ed25519``, ``p256``, ``p384``, ``bls12381``; the key type
    itself is accepted too)."""
    if name in _PAIRS:
        return name
    try:
        return KEY_TYPE_NAMES[name.lower()]
    except (KeyError, AttributeError):
        raise UnsupportedKeyType(f"unknown key type {str(name)[:40]!r}; use one of "
                                 f"{', '.join(KEY_TYPE_NAMES)}") from None


def generate(key_type: str) -> KeyPair:
    """A fresh key pair of ``key_type`` (``Ed25519``, ``P-256``, ``P-384`` or ``Bls12381G2``)."""
    return _pair_class(key_type).generate()


def from_secret(key_type: str, secret: bytes) -> KeyPair:
    """The key pair of ``key_type`` whose sealed secret is ``secret`` (Ed25519 seed, P-256 / P-384 / BLS12-381
    scalar)."""
    return _pair_class(key_type).from_secret(secret)


def _pair_class(key_type: str) -> type[Ed25519KeyPair] | type[NistKeyPair] | type[Bls12381G2KeyPair]:
    try:
        return _PAIRS[key_type]
    except KeyError:
        raise UnsupportedKeyType(f"the node cannot hold {str(key_type)[:40]!r} keys; it holds "
                                 f"{', '.join(_PAIRS)}") from None

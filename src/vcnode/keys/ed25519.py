"""Ed25519 key pairs (pynacl) and their Multikey / X25519 forms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import nacl.bindings
import nacl.exceptions
import nacl.signing

from vcnode.keys import multikey
from vcnode.keys.jwk import b64url_encode


@dataclass(frozen=True, slots=True)
class Ed25519KeyPair:
    """An Ed25519 signing key pair. ``seed`` is the 32-byte secret from which the key is derived."""

    seed: bytes
    public_key: bytes
    alg: ClassVar[str] = "EdDSA"
    key_type: ClassVar[str] = "Ed25519"

    @classmethod
    def generate(cls) -> Ed25519KeyPair:
        """Create a fresh random key pair."""
        return cls.from_seed(nacl.signing.SigningKey.generate().encode())

    @classmethod
    def from_seed(cls, seed: bytes) -> Ed25519KeyPair:
        """Derive the key pair from a 32-byte seed."""
        signing = nacl.signing.SigningKey(seed)
        return cls(seed=bytes(seed), public_key=signing.verify_key.encode())

    @classmethod
    def from_secret(cls, secret: bytes) -> Ed25519KeyPair:
        """The key pair of a sealed secret (the seed), as every key pair class names it."""
        return cls.from_seed(secret)

    @property
    def public_multikey(self) -> str:
        """The public key as a Multikey string (``z6Mk…``)."""
        return multikey.encode(multikey.ED25519_PUB, self.public_key)

    @property
    def public_jwk(self) -> dict[str, str]:
        """The public key as a JWK (``kty OKP``, ``crv Ed25519``, RFC 8037)."""
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(self.public_key)}

    @property
    def secret(self) -> bytes:
        """The secret the vault seals: the seed."""
        return self.seed

    @property
    def secret_multikey(self) -> str:
        """The secret seed as a Multikey string (``z3u2…``), the form Digital Bazaar's libraries export."""
        return multikey.encode(multikey.ED25519_PRIV, self.seed)

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte detached signature of ``message``."""
        return nacl.signing.SigningKey(self.seed).sign(message).signature

    def __repr__(self) -> str:  # never print secret material
        return f"Ed25519KeyPair(public={self.public_multikey})"


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Check a detached Ed25519 signature; False (never an exception) when it does not verify."""
    try:
        nacl.signing.VerifyKey(public_key).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, nacl.exceptions.TypeError):
        return False
    return True


def x25519_from_ed25519(public_key: bytes) -> bytes:
    """Convert an Ed25519 public key to the X25519 key used for did:key keyAgreement."""
    return nacl.bindings.crypto_sign_ed25519_pk_to_curve25519(public_key)

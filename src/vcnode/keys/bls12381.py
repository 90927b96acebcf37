"""BLS12-381 G2 key pairs for BBS signatures (bbs-2023): the secret is a scalar mod r, the public key the
96-byte compressed G2 point, as Multikey ``zUC7…`` (multicodec bls12_381-g2-pub)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from vcnode import bbs
from vcnode.keys import multikey
from vcnode.keys.public import BLS12381_G2


@dataclass(frozen=True, slots=True)
class Bls12381G2KeyPair:
    """A BBS key pair. It signs lists of messages with a header (:meth:`bbs_sign`); it has no single-message
    ``sign`` and no JWK, so it is not a :class:`vcnode.keys.signer.Signer` but a
    :class:`vcnode.keys.signer.BbsSigner`. ``secret`` is the scalar's 32 big-endian bytes (what the vault seals,
    as the other key pairs' ``secret``)."""

    secret: bytes = field(repr=False)
    public_key: bytes

    key_type = BLS12381_G2

    @classmethod
    def generate(cls) -> Bls12381G2KeyPair:
        """A fresh key pair (draft KeyGen from 32 random bytes)."""
        return cls.from_secret(bbs.key_gen(secrets.token_bytes(32)))

    @classmethod
    def from_secret(cls, secret: int | bytes) -> Bls12381G2KeyPair:
        """The key pair of a secret scalar (an int, or its 32 big-endian bytes as Digital Bazaar exports it)."""
        if isinstance(secret, bytes) and len(secret) != 32:
            raise bbs.BbsError("a BBS secret key is 32 bytes")
        value = int.from_bytes(secret, "big") if isinstance(secret, bytes) else secret
        if not 0 < value < bbs.R:
            raise bbs.BbsError("a BBS secret key is a non-zero scalar mod r")
        return cls(value.to_bytes(32, "big"), bbs.sk_to_pk(value))

    @property
    def scalar(self) -> int:
        """The secret scalar."""
        return int.from_bytes(self.secret, "big")

    @property
    def secret_bytes(self) -> bytes:
        """The secret scalar, 32 bytes big-endian."""
        return self.secret

    @property
    def public_multikey(self) -> str:
        """``zUC7…``."""
        return multikey.encode(multikey.BLS12381_G2_PUB, self.public_key)

    def bbs_sign(self, header: bytes, messages: Sequence[bytes]) -> bytes:
        """The 80-byte BBS signature of ``messages`` under ``header``."""
        return bbs.sign(self.scalar, self.public_key, header, messages)

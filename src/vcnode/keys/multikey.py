"""Multikey encoding: ``z`` + base58btc(multicodec varint prefix + raw public key).

The codec table comes from ``multiformats``; decoding of the common base58btc form goes straight through
``base58`` because ``multiformats.multibase.decode`` costs ~150 µs, too slow for a resolver hot path.
"""

from __future__ import annotations

from dataclasses import dataclass

import base58
from multiformats import multibase, multicodec, varint

from vcnode.errors import InvalidInput


def _code(name: str) -> int:
    return multicodec.get(name).code


ED25519_PUB = _code("ed25519-pub")
X25519_PUB = _code("x25519-pub")
P256_PUB = _code("p256-pub")
P384_PUB = _code("p384-pub")
P521_PUB = _code("p521-pub")
BLS12381_G2_PUB = _code("bls12_381-g2-pub")  # BBS public keys (bbs-2023): compressed G2 points
ED25519_PRIV = _code("ed25519-priv")
P256_PRIV = _code("p256-priv")
P384_PRIV = _code("p384-priv")

# Raw public key lengths per codec; NIST-curve keys in Multikey are SEC1 compressed points.
KEY_LENGTHS: dict[int, int] = {ED25519_PUB: 32, X25519_PUB: 32, P256_PUB: 33, P384_PUB: 49, P521_PUB: 67,
                               ED25519_PRIV: 32, P256_PRIV: 32, P384_PRIV: 48, BLS12381_G2_PUB: 96}
EC_CODECS = frozenset({P256_PUB, P384_PUB, P521_PUB})
CODEC_NAMES: dict[int, str] = {code: multicodec.get(code=code).name for code in KEY_LENGTHS}
# Codes of the did:key specification's errors that a decoding failure maps to (its resolver reports them).
UNSUPPORTED_KEY_TYPE = "unsupportedPublicKeyType"  # a public key type this code does not implement
INVALID_KEY_TYPE = "invalidPublicKeyType"  # the multicodec names no public key type (a hash, a private key…)
INVALID_KEY_LENGTH = "invalidPublicKeyLength"  # the key bytes are not the length of their type
_PREFIXES: dict[int, bytes] = {code: bytes(varint.encode(code)) for code in KEY_LENGTHS}


class MultikeyError(InvalidInput):
    """A Multikey / multibase value is malformed or of an unsupported type."""

    code = "invalidMultikey"


@dataclass(frozen=True, slots=True)
class DecodedKey:
    """A decoded Multikey: its multicodec code and the raw key bytes."""

    codec: int
    raw: bytes

    @property
    def codec_name(self) -> str:
        """The multicodec name, e.g. ``ed25519-pub``."""
        return CODEC_NAMES[self.codec]


def encode(codec: int, raw: bytes) -> str:
    """Encode raw key bytes as a base58btc Multikey string (``z…``)."""
    if codec not in _PREFIXES:
        raise MultikeyError(f"unsupported key codec 0x{codec:x}")
    if len(raw) != KEY_LENGTHS[codec]:
        raise MultikeyError(f"{CODEC_NAMES[codec]} key must be {KEY_LENGTHS[codec]} bytes, got {len(raw)}")
    return "z" + base58.b58encode(_PREFIXES[codec] + raw).decode("ascii")


def decode_multibase(value: str) -> bytes:
    """Decode any multibase string to bytes (fast path for base58btc)."""
    if not isinstance(value, str) or len(value) < 2:
        raise MultikeyError("multibase value is empty or not a string")
    if value[0] == "z":
        try:
            return base58.b58decode(value[1:])
        except ValueError as exc:
            raise MultikeyError(f"invalid base58btc multibase value: {exc}") from None
    try:
        return bytes(multibase.decode(value))
    except (ValueError, KeyError) as exc:
        raise MultikeyError(f"invalid multibase value: {exc}") from None


def decode(value: str, *, allowed: frozenset[int] | None = None) -> DecodedKey:
    """Decode a Multikey string; check the codec is known (and allowed) and the key length is right."""
    data = decode_multibase(value)
    try:
        codec, prefix_len, _ = varint.decode_raw(data)
    except (ValueError, IndexError) as exc:
        raise MultikeyError(f"invalid multicodec prefix: {exc}") from None
    if codec not in KEY_LENGTHS or (allowed is not None and codec not in allowed):
        if multicodec.exists(code=codec) and multicodec.get(code=codec).name.endswith("-pub"):
            # A well-formed key of a type we do not handle (secp256k1, BLS, RSA…), not malformed input.
            raise MultikeyError(f"{multicodec.get(code=codec).name} keys are not supported",
                                code=UNSUPPORTED_KEY_TYPE)
        raise MultikeyError(f"multicodec 0x{codec:x} is not a supported public key type", code=INVALID_KEY_TYPE)
    raw = data[prefix_len:]
    if len(raw) != KEY_LENGTHS[codec]:
        raise MultikeyError(f"{CODEC_NAMES[codec]} key must be {KEY_LENGTHS[codec]} bytes, got {len(raw)}",
                            code=INVALID_KEY_LENGTH)
    return DecodedKey(codec, raw)

"""BLS12-381-SHA-256 ciphersuite of draft-irtf-cfrg-bbs-signatures-06 (§6.2.2 and §4): expand_message_xmd,
hash_to_scalar, the generators, the domain, (de)serialization of points and scalars.

The draft's version is the one Digital Bazaar's bbs-signatures 3.x (bbs-2023's reference implementation)
implements; draft-05 differs only in the order of inputs to e (Sign) and to the challenge (ProofGen)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from py_arkworks_bls12381 import G1Point, G2Point, Scalar

#: The order of G1, G2 and GT.
R = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
CIPHERSUITE_ID = b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_"
#: api_id of the core interface (draft §3.4): ciphersuite_id || "H2G_HM2S_".
API_ID = CIPHERSUITE_ID + b"H2G_HM2S_"
EXPAND_LEN = 48
SCALAR_LENGTH = 32
POINT_LENGTH = 48
G2_POINT_LENGTH = 96
#: P1, the fixed G1 point of the ciphersuite (draft §6.2.2).
P1 = G1Point.from_compressed_bytes(bytes.fromhex(
    "a8ce256102840821a3e94ea9025e4662b205762f9776b3a766c872b948f1fd225e7c59698588e70d11406d161b4e28c9"))
BP2 = G2Point()
#: Generators are deterministic: computed once per process, extended as longer message lists need more.
MAX_GENERATORS = 4096


class BbsError(ValueError):
    """An input the draft calls INVALID (bad encoding, wrong lengths, out-of-range index)."""


def i2osp(value: int, length: int) -> bytes:
    """Big-endian encoding of ``value`` in exactly ``length`` bytes (RFC 8017)."""
    return value.to_bytes(length, "big")


def expand_message_xmd(msg: bytes, dst: bytes, length: int = EXPAND_LEN) -> bytes:
    """RFC 9380 §5.3.1 with SHA-256."""
    ell = -(-length // 32)
    if ell > 255 or length > 65535 or len(dst) > 255:
        raise BbsError("expand_message_xmd: output or DST too long")
    dst_prime = dst + i2osp(len(dst), 1)
    b0 = hashlib.sha256(bytes(64) + msg + i2osp(length, 2) + b"\x00" + dst_prime).digest()
    block = hashlib.sha256(b0 + b"\x01" + dst_prime).digest()
    out = [block]
    for i in range(2, ell + 1):
        block = hashlib.sha256(bytes(a ^ b for a, b in zip(b0, block, strict=True)) + i2osp(i, 1)
                               + dst_prime).digest()
        out.append(block)
    return b"".join(out)[:length]


def hash_to_scalar(msg: bytes, dst: bytes) -> int:
    """Draft §4.2.1: OS2IP(expand_message(msg, dst, expand_len)) mod r."""
    return int.from_bytes(expand_message_xmd(msg, dst), "big") % R


def messages_to_scalars(messages: Sequence[bytes], api_id: bytes = API_ID) -> list[int]:
    """Draft §4.1.2: each octet-string message hashed to a scalar."""
    dst = api_id + b"MAP_MSG_TO_SCALAR_AS_HASH_"
    return [hash_to_scalar(bytes(message), dst) for message in messages]


class _Generators:
    """The chain of generators of draft §4.1.1 for one api_id, extended on demand.

    The chain is a pure function of api_id, so it needs no lock: each extension is computed from a snapshot of
    ``state`` (the last expanded seed and the points so far) and swapped in with one assignment; two threads
    extending at once compute the same points and either result is right."""

    def __init__(self, api_id: bytes) -> None:
        self.seed_dst = api_id + b"SIG_GENERATOR_SEED_"
        self.generator_dst = api_id + b"SIG_GENERATOR_DST_"
        self.state: tuple[bytes, tuple[G1Point, ...]] = (
            expand_message_xmd(api_id + b"MESSAGE_GENERATOR_SEED", self.seed_dst), ())

    def first(self, count: int) -> list[G1Point]:
        if count > MAX_GENERATORS:
            raise BbsError(f"at most {MAX_GENERATORS - 1} messages are supported")
        v, points = self.state
        if len(points) < count:
            extended = list(points)
            while len(extended) < count:
                v = expand_message_xmd(v + i2osp(len(extended) + 1, 8), self.seed_dst)
                extended.append(G1Point.hash_to_curve(v, self.generator_dst))
            points = tuple(extended)
            if len(points) > len(self.state[1]):
                self.state = (v, points)
        return list(points[:count])


#: One chain per api_id: a cache of values derived from constants, never state another process must see.
_GENERATORS: dict[bytes, _Generators] = {}


def create_generators(count: int, api_id: bytes = API_ID) -> list[G1Point]:
    """Draft §4.1.1: the first ``count`` generators (Q_1, H_1, ..., H_{count-1})."""
    chain = _GENERATORS.get(api_id)
    if chain is None:
        chain = _GENERATORS.setdefault(api_id, _Generators(api_id))
    return chain.first(count)


def serialize(items: Sequence[object]) -> bytes:
    """Draft §4.2.4.1: points compressed, scalars (``Scalar`` or int mod r) in 32 bytes, counts (``Count``) in 8."""
    out = []
    for item in items:
        if isinstance(item, (G1Point, G2Point)):
            out.append(item.to_compressed_bytes())
        elif isinstance(item, Count):
            out.append(i2osp(int(item), 8))
        elif isinstance(item, int):
            out.append(i2osp(item, SCALAR_LENGTH))
        else:
            raise BbsError(f"cannot serialize {type(item).__name__}")
    return b"".join(out)


class Count(int):
    """An integer the draft serializes in 8 bytes (lengths and indexes), not as a 32-byte scalar."""


def scalar(value: int) -> Scalar:
    """The arkworks scalar of an int mod r."""
    return Scalar(value % R)


def calculate_domain(pk: bytes, generators: Sequence[G1Point], header: bytes, api_id: bytes = API_ID) -> int:
    """Draft §4.2.3: the domain binds the public key, the generators, the header and the api_id."""
    dom_octs = serialize([Count(len(generators) - 1), *generators]) + api_id
    dom_input = pk + dom_octs + i2osp(len(header), 8) + header
    return hash_to_scalar(dom_input, api_id + b"H2S_")


def multiexp(points: Sequence[G1Point], scalars: Sequence[int]) -> G1Point:
    """sum(points[i] * scalars[i]); the inputs are subgroup points decoded with checks or hashed to the curve."""
    return G1Point.multiexp_unchecked(list(points), [scalar(s) for s in scalars])


def octets_to_g1(data: bytes) -> G1Point:
    """A compressed G1 point in the prime-order subgroup, not the identity (draft §4.2.4.2 and §6.1)."""
    if len(data) != POINT_LENGTH:
        raise BbsError("a G1 point is 48 bytes")
    try:
        point = G1Point.from_compressed_bytes(bytes(data))
    except Exception:  # the binding raises its own error types for every malformed encoding
        raise BbsError("invalid G1 point") from None
    if point == G1Point.identity() or not point.is_in_subgroup():
        raise BbsError("invalid G1 point")
    return point


def octets_to_pubkey(pk: bytes) -> G2Point:
    """Draft §4.2.4.6: a compressed G2 point in the subgroup, not the identity."""
    if len(pk) != G2_POINT_LENGTH:
        raise BbsError("a BBS public key is 96 bytes")
    try:
        point = G2Point.from_compressed_bytes(bytes(pk))
    except Exception:  # as in octets_to_g1
        raise BbsError("invalid public key") from None
    if point == G2Point.identity() or not point.is_in_subgroup():
        raise BbsError("invalid public key")
    return point


def octets_to_scalar(data: bytes, *, nonzero: bool = True) -> int:
    """A 32-byte big-endian scalar, < r (and non-zero when ``nonzero``)."""
    value = int.from_bytes(data, "big")
    if value >= R or (nonzero and value == 0):
        raise BbsError("scalar out of range")
    return value

"""Key generation, Sign and Verify of the BBS core interface (draft-irtf-cfrg-bbs-signatures-06 §3.4, §3.6)."""

from __future__ import annotations

from collections.abc import Sequence

from py_arkworks_bls12381 import GT, G1Point

from vcnode.bbs.ciphersuite import (
    API_ID,
    BP2,
    CIPHERSUITE_ID,
    P1,
    POINT_LENGTH,
    SCALAR_LENGTH,
    BbsError,
    R,
    calculate_domain,
    create_generators,
    hash_to_scalar,
    i2osp,
    messages_to_scalars,
    multiexp,
    octets_to_g1,
    octets_to_pubkey,
    octets_to_scalar,
    scalar,
    serialize,
)


def key_gen(key_material: bytes, key_info: bytes = b"", key_dst: bytes | None = None) -> int:
    """Draft §3.3.1: a secret key derived from at least 32 bytes of key material."""
    if len(key_material) < 32:
        raise BbsError("key material must be at least 32 bytes")
    if len(key_info) > 65535:
        raise BbsError("key_info is too long")
    dst = CIPHERSUITE_ID + b"KEYGEN_DST_" if key_dst is None else key_dst
    sk = hash_to_scalar(key_material + i2osp(len(key_info), 2) + key_info, dst)
    if sk == 0:
        raise BbsError("derived secret key is zero")
    return sk


def sk_to_pk(sk: int) -> bytes:
    """Draft §3.3.2: the 96-byte compressed G2 public key W = SK * BP2."""
    return (BP2 * scalar(sk)).to_compressed_bytes()


def calculate_b(pk: bytes, generators: Sequence[G1Point], header: bytes, message_scalars: Sequence[int],
                api_id: bytes = API_ID) -> tuple[G1Point, int]:
    """B = P1 + Q_1 * domain + H_1 * msg_1 + ... + H_L * msg_L, and the domain."""
    domain = calculate_domain(pk, generators, header, api_id)
    return multiexp([P1, *generators], [1, domain, *message_scalars]), domain


def octets_to_signature(signature: bytes) -> tuple[G1Point, int]:
    """Draft §4.2.4.3: (A, e)."""
    if len(signature) != POINT_LENGTH + SCALAR_LENGTH:
        raise BbsError("a BBS signature is 80 bytes")
    return octets_to_g1(signature[:POINT_LENGTH]), octets_to_scalar(signature[POINT_LENGTH:])


def core_sign(sk: int, pk: bytes, generators: Sequence[G1Point], header: bytes, message_scalars: Sequence[int],
              api_id: bytes = API_ID) -> bytes:
    """Draft §3.6.1 CoreSign."""
    if len(generators) != len(message_scalars) + 1:
        raise BbsError("one generator per message plus Q_1 is required")
    b, domain = calculate_b(pk, generators, header, message_scalars, api_id)
    e = hash_to_scalar(serialize([sk, *message_scalars, domain]), api_id + b"H2S_")
    if (sk + e) % R == 0:
        raise BbsError("SK + e is zero")
    a = b * scalar(pow(sk + e, -1, R))
    if a == G1Point.identity():
        raise BbsError("signature point is the identity")
    return serialize([a, e])


def core_verify(pk: bytes, signature: bytes, generators: Sequence[G1Point], header: bytes,
                message_scalars: Sequence[int], api_id: bytes = API_ID) -> bool:
    """Draft §3.6.2 CoreVerify: e(A, W + BP2 * e) * e(B, -BP2) == 1."""
    try:
        a, e = octets_to_signature(signature)
        w = octets_to_pubkey(pk)
    except BbsError:
        return False
    if len(generators) != len(message_scalars) + 1:
        return False
    b, _ = calculate_b(pk, generators, header, message_scalars, api_id)
    return GT.pairing_check([a, b], [w + BP2 * scalar(e), -BP2])


def sign(sk: int, pk: bytes, header: bytes, messages: Sequence[bytes]) -> bytes:
    """Draft §3.4.1 Sign: the 80-byte signature (A, e) on octet-string messages."""
    scalars = messages_to_scalars(messages)
    return core_sign(sk, pk, create_generators(len(messages) + 1), header, scalars)


def verify(pk: bytes, signature: bytes, header: bytes, messages: Sequence[bytes]) -> bool:
    """Draft §3.4.2 Verify: True only for a valid signature on exactly these messages in this order."""
    scalars = messages_to_scalars(messages)
    return core_verify(pk, signature, create_generators(len(messages) + 1), header, scalars)





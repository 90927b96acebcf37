"""ProofGen and ProofVerify of the BBS core interface (draft-irtf-cfrg-bbs-signatures-06 §3.4.3-4, §3.6.3-4,
§3.7), with the draft's random scalars and its seeded "mocked" scalars for fixtures (§4.1.3, Appendix)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence

from py_arkworks_bls12381 import GT, G1Point

from vcnode.bbs.ciphersuite import (
    API_ID,
    BP2,
    EXPAND_LEN,
    P1,
    POINT_LENGTH,
    SCALAR_LENGTH,
    BbsError,
    Count,
    R,
    calculate_domain,
    create_generators,
    expand_message_xmd,
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
from vcnode.bbs.signatures import calculate_b, octets_to_signature

#: ``count -> scalars``: where ProofGen's blinding scalars come from.
RandomScalars = Callable[[int], list[int]]


def calculate_random_scalars(count: int) -> list[int]:
    """Draft §4.1.3: ``count`` uniformly random scalars (48 random bytes each, reduced mod r)."""
    return [int.from_bytes(secrets.token_bytes(EXPAND_LEN), "big") % R for _ in range(count)]


def mocked_random_scalars(seed: bytes, dst: bytes = API_ID + b"MOCK_RANDOM_SCALARS_DST_") -> RandomScalars:
    """The draft's deterministic stand-in for :func:`calculate_random_scalars` (test vectors only: a proof made
    with it links to its signature)."""

    def scalars(count: int) -> list[int]:
        v = expand_message_xmd(seed, dst, EXPAND_LEN * count)
        return [int.from_bytes(v[i * EXPAND_LEN:(i + 1) * EXPAND_LEN], "big") % R for i in range(count)]

    return scalars


def _challenge(init: tuple[G1Point, G1Point, G1Point, G1Point, G1Point, int], disclosed_indexes: Sequence[int],
               disclosed_scalars: Sequence[int], ph: bytes, api_id: bytes) -> int:
    """Draft §3.7.3 ProofChallengeCalculate."""
    abar, bbar, d, t1, t2, domain = init
    pairs: list[object] = []
    for index, message in zip(disclosed_indexes, disclosed_scalars, strict=True):
        pairs += [Count(index), message]
    c_octs = serialize([Count(len(disclosed_indexes)), *pairs, abar, bbar, d, t1, t2, domain])
    return hash_to_scalar(c_octs + i2osp(len(ph), 8) + ph, api_id + b"H2S_")


def core_proof_gen(pk: bytes, signature: bytes, generators: Sequence[G1Point], header: bytes, ph: bytes,
                   message_scalars: Sequence[int], disclosed_indexes: Sequence[int],
                   random_scalars: RandomScalars = calculate_random_scalars, api_id: bytes = API_ID) -> bytes:
    """Draft §3.6.3 CoreProofGen (ProofInit, ProofChallengeCalculate, ProofFinalize)."""
    a, e = octets_to_signature(signature)
    total = len(message_scalars)
    disclosed = sorted(set(disclosed_indexes))
    if len(disclosed) != len(disclosed_indexes) or any(i < 0 or i >= total for i in disclosed):
        raise BbsError("disclosed indexes must be distinct and in range")
    if len(generators) != total + 1:
        raise BbsError("one generator per message plus Q_1 is required")
    undisclosed = [i for i in range(total) if i not in set(disclosed)]
    r1, r2, e_t, r1_t, r3_t, *m_t = random_scalars(5 + len(undisclosed))
    # ProofInit
    b, domain = calculate_b(pk, generators, header, message_scalars, api_id)
    d = b * scalar(r2)
    abar = a * scalar(r1 * r2)
    bbar = multiexp([d, abar], [r1, -e])
    t1 = multiexp([abar, d], [e_t, r1_t])
    t2 = multiexp([d, *(generators[1 + j] for j in undisclosed)], [r3_t, *m_t])
    init = (abar, bbar, d, t1, t2, domain)
    c = _challenge(init, disclosed, [message_scalars[i] for i in disclosed], ph, api_id)
    # ProofFinalize
    r3 = pow(r2, -1, R)
    hats = [(e_t + e * c) % R, (r1_t - r1 * c) % R, (r3_t - r3 * c) % R]
    hats += [(m_t[k] + message_scalars[j] * c) % R for k, j in enumerate(undisclosed)]
    return serialize([abar, bbar, d, *hats, c])


def core_proof_verify(pk: bytes, proof: bytes, generators: Sequence[G1Point], header: bytes, ph: bytes,
                      disclosed_scalars: Sequence[int], disclosed_indexes: Sequence[int],
                      api_id: bytes = API_ID) -> bool:
    """Draft §3.6.4 CoreProofVerify."""
    try:
        w = octets_to_pubkey(pk)
        abar, bbar, d, e_h, r1_h, r3_h, commitments, cp = octets_to_proof(proof)
    except BbsError:
        return False
    total = len(commitments) + len(disclosed_indexes)
    if (len(disclosed_scalars) != len(disclosed_indexes) or len(generators) != total + 1
            or len(set(disclosed_indexes)) != len(disclosed_indexes)
            or any(i < 0 or i >= total for i in disclosed_indexes)
            or list(disclosed_indexes) != sorted(disclosed_indexes)):
        return False
    undisclosed = [i for i in range(total) if i not in set(disclosed_indexes)]
    # ProofVerifyInit: T1 = Bbar * c + Abar * e^ + D * r1^;  T2 = Bv * c + D * r3^ + sum H_j * m^_j with
    # Bv = P1 + Q_1 * domain + sum H_i * msg_i, expanded into one multi-exponentiation.
    domain = calculate_domain(pk, generators, header, api_id)
    t1 = multiexp([bbar, abar, d], [cp, e_h, r1_h])
    t2 = multiexp([P1, generators[0], *(generators[1 + i] for i in disclosed_indexes), d,
                   *(generators[1 + j] for j in undisclosed)],
                  [cp, domain * cp, *(m * cp for m in disclosed_scalars), r3_h, *commitments])
    if _challenge((abar, bbar, d, t1, t2, domain), disclosed_indexes, disclosed_scalars, ph, api_id) != cp:
        return False
    return GT.pairing_check([abar, bbar], [w, -BP2])


def octets_to_proof(proof: bytes) -> tuple[G1Point, G1Point, G1Point, int, int, int, list[int], int]:
    """Draft §4.2.4.5: (Abar, Bbar, D, e^, r1^, r3^, (m^_j), c); every scalar non-zero and < r."""
    floor = 3 * POINT_LENGTH + 4 * SCALAR_LENGTH
    if len(proof) < floor or (len(proof) - floor) % SCALAR_LENGTH:
        raise BbsError("malformed BBS proof length")
    points = [octets_to_g1(proof[i * POINT_LENGTH:(i + 1) * POINT_LENGTH]) for i in range(3)]
    offset = 3 * POINT_LENGTH
    scalars = [octets_to_scalar(proof[i:i + SCALAR_LENGTH]) for i in range(offset, len(proof), SCALAR_LENGTH)]
    return points[0], points[1], points[2], scalars[0], scalars[1], scalars[2], scalars[3:-1], scalars[-1]


def proof_gen(pk: bytes, signature: bytes, header: bytes, ph: bytes, messages: Sequence[bytes],
              disclosed_indexes: Sequence[int], random_scalars: RandomScalars = calculate_random_scalars) -> bytes:
    """Draft §3.4.3 ProofGen: a zero-knowledge proof of the signature that discloses only the messages at
    ``disclosed_indexes`` (0-based), bound to the presentation header ``ph``."""
    scalars = messages_to_scalars(messages)
    return core_proof_gen(pk, signature, create_generators(len(messages) + 1), header, ph, scalars,
                          disclosed_indexes, random_scalars)


def proof_verify(pk: bytes, proof: bytes, header: bytes, ph: bytes, disclosed_messages: Sequence[bytes],
                 disclosed_indexes: Sequence[int]) -> bool:
    """Draft §3.4.4 ProofVerify: True only when ``proof`` proves a signature by ``pk`` over messages that
    include ``disclosed_messages`` at ``disclosed_indexes`` (ascending)."""
    floor = 3 * POINT_LENGTH + 4 * SCALAR_LENGTH
    if len(proof) < floor or (len(proof) - floor) % SCALAR_LENGTH:
        return False
    undisclosed_count = (len(proof) - floor) // SCALAR_LENGTH
    total = undisclosed_count + len(disclosed_indexes)
    try:
        generators = create_generators(total + 1)
    except BbsError:
        return False
    return core_proof_verify(pk, proof, generators, header, ph, messages_to_scalars(disclosed_messages),
                             disclosed_indexes)

"""The BBS signature scheme (draft-irtf-cfrg-bbs-signatures-06, ciphersuite BLS12-381-SHA-256) on BLS12-381
points from py-arkworks-bls12381: what the bbs-2023 cryptosuite signs and derives proofs with.

Scalars are Python ints reduced mod ``R``; points are arkworks ``G1Point``/``G2Point``."""

from vcnode.bbs.ciphersuite import BbsError, R, hash_to_scalar, messages_to_scalars
from vcnode.bbs.proofs import mocked_random_scalars, proof_gen, proof_verify
from vcnode.bbs.signatures import key_gen, sign, sk_to_pk, verify

__all__ = [
           "BbsError",
           "R",
           "hash_to_scalar",
           "key_gen",
           "messages_to_scalars",
           "mocked_random_scalars",
           "proof_gen",
           "proof_verify",
           "sign",
           "sk_to_pk",
           "verify",
]

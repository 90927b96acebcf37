"""Multikey, Ed25519, JWK conversion and the key vault."""

from __future__ import annotations

import pytest

from vcnode.errors import KeystoreError
from vcnode.keys import multikey
from vcnode.keys.ed25519 import Ed25519KeyPair, verify
from vcnode.keys.jwk import JwkError, jwk_to_multikey, multikey_to_jwk
from vcnode.keys.vault import EncryptedVault, PlaintextVault, VaultParams

# The vc-di-eddsa test vector key pair.
VECTOR_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
VECTOR_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"


def test_vector_key_pair_encodes_as_multikey() -> None:
    seed = multikey.decode(VECTOR_SECRET).raw
    pair = Ed25519KeyPair.from_seed(seed)
    assert pair.public_multikey == VECTOR_PUBLIC
    assert pair.secret_multikey == VECTOR_SECRET
    assert VECTOR_SECRET not in repr(pair)


def test_sign_and_verify() -> None:
    pair = Ed25519KeyPair.generate()
    signature = pair.sign(b"hello")
    assert verify(pair.public_key, b"hello", signature)
    assert not verify(pair.public_key, b"hellO", signature)
    assert not verify(pair.public_key, b"hello", b"\x00" * 64)
    assert not verify(b"short", b"hello", signature)


@pytest.mark.parametrize("value", ["", "z", "x123", "z0OIl", "zQmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"])
def test_bad_multikeys_raise_a_named_error(value: str) -> None:
    with pytest.raises(multikey.MultikeyError):
        multikey.decode(value)


def test_jwk_round_trips() -> None:
    for value in (VECTOR_PUBLIC, "zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169",
                  "z6LSj72tK8brWgZja8NLRwPigth2T9QRiG1uH9oKZuKjdh9p"):
        assert jwk_to_multikey(multikey_to_jwk(value)) == value
    with pytest.raises(JwkError):
        jwk_to_multikey({"kty": "EC", "crv": "secp256k1", "x": "", "y": ""})


def test_encrypted_vault_round_trip_and_wrong_passphrase() -> None:
    vault, params = EncryptedVault.create("s3cret", opslimit=1, memlimit=8 * 1024 * 1024)
    sealed = vault.seal(b"k" * 32)
    assert b"k" * 32 not in sealed
    stored = VaultParams.from_json(params.to_json())
    assert EncryptedVault.unlock("s3cret", stored).open(sealed) == b"k" * 32
    with pytest.raises(KeystoreError) as wrong:
        EncryptedVault.unlock("wrong", stored)
    assert wrong.value.code == "wrongPassphrase"
    with pytest.raises(KeystoreError) as empty:
        EncryptedVault.unlock("", stored)
    assert empty.value.code == "noPassphrase"
    with pytest.raises(KeystoreError):
        vault.open(sealed[:-1] + bytes([sealed[-1] ^ 1]))  # tampered ciphertext
    with pytest.raises(KeystoreError):
        VaultParams.from_json("{not json")


def test_plaintext_vault_is_identity() -> None:
    assert PlaintextVault().open(PlaintextVault().seal(b"abc")) == b"abc"

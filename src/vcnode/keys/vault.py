"""Encryption of secret keys at rest.

Secret keys are sealed with XSalsa20-Poly1305 (pynacl ``SecretBox``) under a key derived from the node's
passphrase with Argon2id. A check value sealed at initialisation tells a wrong passphrase apart from
corrupt data. A plain-text vault exists only for development and must be chosen explicitly.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from typing import Protocol

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils

from vcnode.errors import KeystoreError

log = logging.getLogger(__name__)

_CHECK = b"vcnode key vault check v1"
# Argon2id cost: 3 passes over 64 MiB (above the OWASP minimum), ~0.2 s on a 2-core machine.
DEFAULT_OPSLIMIT = 3
DEFAULT_MEMLIMIT = 64 * 1024 * 1024


class Vault(Protocol):
    """Seals and opens secret key material."""

    kind: str

    def seal(self, secret: bytes) -> bytes:
        """Return the stored form of ``secret``."""
        ...

    def open(self, sealed: bytes) -> bytes:
        """Return the secret from its stored form."""
        ...


@dataclass(frozen=True)
class VaultParams:
    """What is stored (non-secret) to re-derive the vault key: the KDF salt, costs and a check value."""

    kind: str
    salt: bytes = b""
    opslimit: int = DEFAULT_OPSLIMIT
    memlimit: int = DEFAULT_MEMLIMIT
    check: bytes = b""

    def to_json(self) -> str:
        """Serialise for the store's metadata table."""
        return json.dumps({"kind": self.kind, "salt": base64.b64encode(self.salt).decode(),
                           "opslimit": self.opslimit, "memlimit": self.memlimit,
                           "check": base64.b64encode(self.check).decode()})

    @classmethod
    def from_json(cls, text: str) -> VaultParams:
        """Parse what :meth:`to_json` wrote."""
        try:
            data = json.loads(text)
            return cls(kind=data["kind"], salt=base64.b64decode(data["salt"]), opslimit=int(data["opslimit"]),
                       memlimit=int(data["memlimit"]), check=base64.b64decode(data["check"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise KeystoreError(f"key vault metadata is corrupt: {exc}") from None


class EncryptedVault:
    """Argon2id + SecretBox vault."""

    kind = "argon2id-secretbox"

    def __init__(self, box: nacl.secret.SecretBox) -> None:
        self._box = box

    @classmethod
    def create(cls, passphrase: str, *, opslimit: int = DEFAULT_OPSLIMIT,
               memlimit: int = DEFAULT_MEMLIMIT) -> tuple[EncryptedVault, VaultParams]:
        """Make a new vault for ``passphrase``; returns it and the parameters to store."""
        _require_passphrase(passphrase)
        salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
        vault = cls(nacl.secret.SecretBox(_derive(passphrase, salt, opslimit, memlimit)))
        params = VaultParams(cls.kind, salt, opslimit, memlimit, vault.seal(_CHECK))
        return vault, params

    @classmethod
    def unlock(cls, passphrase: str, params: VaultParams) -> EncryptedVault:
        """Re-derive the vault key; a wrong passphrase raises :class:`KeystoreError`."""
        _require_passphrase(passphrase)
        vault = cls(nacl.secret.SecretBox(_derive(passphrase, params.salt, params.opslimit, params.memlimit)))
        try:
            ok = vault.open(params.check) == _CHECK
        except KeystoreError:
            ok = False
        if not ok:
            raise KeystoreError("wrong passphrase: the key vault could not be unlocked", code="wrongPassphrase")
        return vault

    def seal(self, secret: bytes) -> bytes:
        """Encrypt with a fresh random nonce."""
        return bytes(self._box.encrypt(secret))

    def open(self, sealed: bytes) -> bytes:
        """Decrypt and authenticate."""
        try:
            return self._box.decrypt(sealed)
        except nacl.exceptions.CryptoError:
            raise KeystoreError("a sealed key could not be decrypted (wrong passphrase or corrupt data)",
                                code="wrongPassphrase") from None


class PlaintextVault:
    """Stores secrets unencrypted. Development only; the node warns at every start."""

    kind = "plaintext"

    def seal(self, secret: bytes) -> bytes:
        """Return ``secret`` unchanged."""
        return bytes(secret)

    def open(self, sealed: bytes) -> bytes:
        """Return ``sealed`` unchanged."""
        return bytes(sealed)


def _require_passphrase(passphrase: str) -> None:
    if not passphrase:
        raise KeystoreError("no passphrase: set VCNODE_PASSPHRASE or passphrase_file", code="noPassphrase")


def _derive(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return nacl.pwhash.argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, passphrase.encode("utf-8"), salt,
                                    opslimit=opslimit, memlimit=memlimit)

"""Create identities, hold their signing keys in memory, rotate keys, answer for the node's own DIDs."""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vcnode.config import Config, did_web_domain
from vcnode.did.resolution import DriverResult
from vcnode.errors import Conflict, InvalidInput, NotFound
from vcnode.identity.documents import web_document
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.vault import Vault
from vcnode.store.base import Store
from vcnode.store.records import IdentityRecord, KeyRecord

log = logging.getLogger(__name__)

METHODS = ("key", "web")
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
_PATH_SEGMENT_RE = re.compile(r"[A-Za-z0-9._-]+")


def now_iso() -> str:
    """The current UTC time as an XML Schema dateTimeStamp with second precision (``…Z``)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The active signing key of an identity: its verification method id and key pair."""

    verification_method: str
    key_pair: Ed25519KeyPair


class IdentityService:
    """Identities and keys of one node. Call :meth:`load` once after construction."""

    def __init__(self, store: Store, vault: Vault, config: Config) -> None:
        self._store = store
        self._vault = vault
        self._config = config
        self._identities: dict[str, IdentityRecord] = {}
        self._keys: dict[str, list[KeyRecord]] = {}
        self._signers: dict[str, SigningKey] = {}
        self._web_paths: dict[str, str] = {}

    async def load(self) -> None:
        """Read identities and keys; decrypt active keys (fails fast on a wrong passphrase)."""
        identities = await self._store.list_identities()
        keys = await self._store.list_keys()
        self._identities = {identity.did: identity for identity in identities}
        self._keys = {did: [key for key in keys if key.identity_did == did] for did in self._identities}
        self._signers = {}
        for key in keys:
            if key.active:
                pair = Ed25519KeyPair.from_seed(self._vault.open(key.sealed_secret))
                if pair.public_multikey != key.public_multikey:
                    raise Conflict(f"stored key {key.id} does not match its public key")
                self._signers[key.identity_did] = SigningKey(key.id, pair)
        self._web_paths = {identity.web_path: identity.did for identity in identities
                           if identity.web_path is not None}

    def list(self) -> list[IdentityRecord]:
        """All identities, the default first."""
        return sorted(self._identities.values(), key=lambda i: (not i.is_default, i.created, i.did))

    @property
    def default_did(self) -> str | None:
        """The node's own (default) identity, if initialised."""
        return next((i.did for i in self._identities.values() if i.is_default), None)

    def get(self, did: str) -> IdentityRecord:
        """One identity, or :class:`NotFound`."""
        try:
            return self._identities[did]
        except KeyError:
            raise NotFound(f"this node holds no identity {did}") from None

    def holds(self, did: str) -> bool:
        """True when this node holds ``did`` (can sign for it)."""
        return did in self._signers

    def signer_for(self, did: str) -> SigningKey | None:
        """The active signing key of ``did`` when this node holds it, else None."""
        return self._signers.get(did)

    def keys(self, did: str | None = None) -> list[KeyRecord]:
        """Keys of one identity (newest first) or of all."""
        if did is not None:
            self.get(did)
            return list(self._keys.get(did, []))
        return [key for identity in self.list() for key in self._keys.get(identity.did, [])]

    def signing_key(self, did: str) -> SigningKey:
        """The active signing key of ``did``."""
        self.get(did)
        return self._signers[did]

    def _did_for(self, method: str, web_path: str | None) -> str:
        if method == "web":
            if not self._config.domain:
                raise InvalidInput("a did:web identity needs the node's domain: run 'vcnode init --domain …' "
                                   "or set VCNODE_DOMAIN")
            base = f"did:web:{did_web_domain(self._config.domain)}"
            return base + "".join(f":{segment}" for segment in (web_path or "").split("/") if segment)
        raise InvalidInput(f"unknown DID method {method!r}")

    async def create(self, method: str, *, name: str | None = None, web_path: str | None = None,
                     default: bool = False) -> IdentityRecord:
        """Create an identity with a fresh Ed25519 key. did:web identities other than the default one
        are served under ``web_path`` (default ``identities/<name>``)."""
        if method not in METHODS:
            raise InvalidInput(f"--did-method must be one of {', '.join(METHODS)}, not {method!r}")
        if default and self.default_did is not None:
            raise Conflict(f"the node already has a default identity {self.default_did}")
        name = name or ("node" if default else None)
        if not name or not _NAME_RE.fullmatch(name):
            raise InvalidInput("identity name must be 1-63 characters: lowercase letters, digits, '.', '_', '-'")
        key_pair = Ed25519KeyPair.generate()
        if method == "key":
            did, path = f"did:key:{key_pair.public_multikey}", None
        else:
            path = "" if default else (web_path if web_path is not None else f"identities/{name}").strip("/")
            if not default and not path:
                raise InvalidInput("only the node's default identity can be served at the root")
            if path and not all(_PATH_SEGMENT_RE.fullmatch(segment) for segment in path.split("/")):
                raise InvalidInput(f"invalid did:web path {path!r}: use letters, digits, '.', '_', '-' and '/'")
            did = self._did_for("web", path)
        created = now_iso()
        identity = IdentityRecord(did, method, name, path, default, created)
        key = self._key_record(did, key_pair, created)
        await self._store.add_identity(identity, key)
        await self.load()
        log.info("created identity %s (%s)", did, name)
        return identity

    def _key_record(self, did: str, key_pair: Ed25519KeyPair, valid_from: str) -> KeyRecord:
        return KeyRecord(id=f"{did}#{key_pair.public_multikey}", identity_did=did, key_type="Ed25519",
                         public_multikey=key_pair.public_multikey, sealed_secret=self._vault.seal(key_pair.seed),
                         valid_from=valid_from, valid_until=None, active=True)

    async def rotate(self, did: str) -> tuple[KeyRecord, KeyRecord]:
        """Make a new key the signing key; the old one stays listed for verification. Returns (old, new)."""
        identity = self.get(did)
        if identity.method == "key":
            raise Conflict("a did:key identity cannot rotate: its DID is its key. Create a new identity instead.")
        at = now_iso()
        new_key = self._key_record(did, Ed25519KeyPair.generate(), at)
        retired = await self._store.rotate_key(did, new_key, at)
        await self.load()
        log.info("rotated the key of %s: %s -> %s", did, retired.id, new_key.id)
        return retired, new_key

    def document(self, did: str) -> dict[str, Any] | None:
        """The DID document this node publishes for one of its did:web identities (None for others)."""
        identity = self._identities.get(did)
        if identity is None or identity.method != "web":
            return None
        return web_document(did, self._keys.get(did, []))

    def document_at_path(self, web_path: str) -> dict[str, Any] | None:
        """The did:web document served at ``/<web_path>/did.json`` ('' for /.well-known/did.json)."""
        did = self._web_paths.get(web_path)
        return self.document(did) if did else None

    def local_document(self, did: str) -> DriverResult | None:
        """Resolver hook: answer for the node's own did:web identities without a network trip."""
        document = self.document(did)
        # Cached until the node invalidates it on rotation, which is the only way it changes.
        return DriverResult(document, {}, cache_ttl=math.inf) if document is not None else None

"""Create identities, hold their signing keys in memory, rotate keys, answer for the node's own DIDs."""

from __future__ import annotations

import logging
import math
import re
from typing import TYPE_CHECKING, Any

import orjson

from vcnode.clock import SYSTEM_CLOCK, Clock, now_timestamp
from vcnode.config import Config, did_web_domain
from vcnode.did.resolution import DriverResult, ResolutionError
from vcnode.did.self_certifying import did_jwk_for, did_key_for
from vcnode.did.syntax import did_parameters, parse_did_url
from vcnode.errors import Conflict, InvalidInput, NotFound
from vcnode.identity.documents import web_document
from vcnode.identity.records import IdentityRecord, KeyRecord, WebvhEntryRecord
from vcnode.identity.webvh import append_entry, create_entry, next_version_time, node_document
from vcnode.identity.webvh_logs import WebvhLogs
from vcnode.keys import signer as key_types
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.public import BLS12381_G2, ED25519
from vcnode.keys.signer import KeyPair, SigningKey, UnsupportedKeyType
from vcnode.keys.vault import Vault
from vcnode.proofs import jcs_suite_for
from vcnode.webvh.errors import WebvhError
from vcnode.webvh.identifier import did_for

if TYPE_CHECKING:  # the store implements this package's records and ports: it sits above, not below
    from vcnode.identity.repository import IdentityRepository

log = logging.getLogger(__name__)

METHODS = ("key", "jwk", "web", "webvh")
SERVED_METHODS = ("web", "webvh")  # identities whose documents the node serves at a path
SELF_CERTIFYING = ("key", "jwk")  # the DID is its key: no rotation
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
_PATH_SEGMENT_RE = re.compile(r"[A-Za-z0-9._-]+")


def now_iso(clock: Clock = SYSTEM_CLOCK) -> str:
    """The current UTC time as an XML Schema dateTimeStamp with second precision (``…Z``)."""
    return now_timestamp(clock)


class IdentityService:
    """Identities and keys of one node. Call :meth:`load` once after construction. ``clock`` stamps keys,
    identities and did:webvh versions, and is the time their logs are verified at."""

    def __init__(self, store: IdentityRepository, vault: Vault, config: Config, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._store = store
        self._clock = clock
        self._vault = vault
        self._config = config
        self._identities: dict[str, IdentityRecord] = {}
        self._keys: dict[str, list[KeyRecord]] = {}
        self._signers: dict[str, SigningKey] = {}
        self._web_paths: dict[str, str] = {}
        self._webvh = WebvhLogs(frozenset(host.lower().strip("[]") for host in config.allow_http_hosts),
                               clock=clock)

    async def load(self) -> None:
        """Read identities and keys; decrypt active keys (fails fast on a wrong passphrase)."""
        identities = await self._store.list_identities()
        keys = await self._store.list_keys()
        self._identities = {identity.did: identity for identity in identities}
        self._keys = {did: [key for key in keys if key.identity_did == did] for did in self._identities}
        self._signers = {}
        for key in keys:
            if key.active:
                pair = key_types.from_secret(key.key_type, self._vault.open(key.sealed_secret))
                if pair.public_multikey != key.public_multikey:
                    raise Conflict(f"stored key {key.id} does not match its public key")
                self._signers[key.identity_did] = SigningKey(key.id, pair)
        self._web_paths = {identity.web_path: identity.did for identity in identities
                           if identity.web_path is not None}
        self._webvh.load(await self._store.list_webvh_entries())

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
                     default: bool = False, key_type: str = ED25519) -> IdentityRecord:
        """Create an identity with a fresh key of ``key_type`` (``Ed25519``, ``P-256``, ``P-384``, or ``Bls12381G2``
        for bbs-2023 issuers: not the node's default identity, not did:jwk or did:webvh). did:web identities
        other than the default one are served under ``web_path`` (default ``identities/<name>``)."""
        if method not in METHODS:
            raise InvalidInput(f"--did-method must be one of {', '.join(METHODS)}, not {method!r}")
        key_type = key_types.key_type_named(key_type)
        check_key_type(method, key_type, default=default)
        if default and self.default_did is not None:
            raise Conflict(f"the node already has a default identity {self.default_did}")
        name = name or ("node" if default else None)
        if not name or not _NAME_RE.fullmatch(name):
            raise InvalidInput("identity name must be 1-63 characters: lowercase letters, digits, '.', '_', '-'")
        key_pair = key_types.generate(key_type)
        created = now_iso(self._clock)
        entry: WebvhEntryRecord | None = None
        if method == "key":
            did, path = did_key_for(key_pair.public_multikey), None
        elif method == "jwk":
            did, path = did_jwk_for(key_pair.public_jwk), None
        else:
            path = "" if default else (web_path if web_path is not None else f"identities/{name}").strip("/")
            if not default and not path:
                raise InvalidInput("only the node's default identity can be served at the root")
            if path and not all(_PATH_SEGMENT_RE.fullmatch(segment) for segment in path.split("/")):
                raise InvalidInput(f"invalid did:{method} path {path!r}: use letters, digits, '.', '_', '-' and '/'")
            if method == "web":
                did = self._did_for("web", path)
            else:
                assert isinstance(key_pair, Ed25519KeyPair)  # check_key_type: did:webvh keys are Ed25519
                entry = self._first_webvh_entry(path, key_pair)
                did, created = entry.identity_did, entry.version_time
        identity = IdentityRecord(did, method, name, path, default, created)
        key = self._key_record(did, key_pair, created)
        await self._store.add_identity(identity, key, webvh_entry=entry)
        await self.load()
        log.info("created identity %s (%s)", did, name)
        return identity

    def _first_webvh_entry(self, path: str, key_pair: Ed25519KeyPair) -> WebvhEntryRecord:
        """The first log entry of a new did:webvh identity: its key both updates the DID and signs."""
        if not self._config.domain:
            raise InvalidInput("a did:webvh identity needs the node's domain: run 'vcnode init --domain …' "
                               "or set VCNODE_DOMAIN")
        template = did_for(self._config.domain, tuple(segment for segment in path.split("/") if segment))
        entry = create_entry(node_document(template, key_pair.public_multikey),
                             # ttl: remote resolvers cache for as long as the node's did:web documents say.
                             {"updateKeys": [key_pair.public_multikey], "portable": False, "ttl": 300}, key_pair,
                             next_version_time(None, self._clock.now()))
        did = entry["state"]["id"]
        try:
            self._webvh.verify(did, [entry])
        except WebvhError as exc:  # e.g. a domain that is an IP address or has no dot
            raise InvalidInput(f"cannot create a did:webvh for domain {self._config.domain!r}: {exc.detail}") \
                from None
        return _entry_record(did, entry)

    def _key_record(self, did: str, key_pair: KeyPair, valid_from: str) -> KeyRecord:
        # did:jwk names its one key "#0" (its specification); every other method the Multikey.
        fragment = "0" if did.startswith("did:jwk:") else key_pair.public_multikey
        return KeyRecord(id=f"{did}#{fragment}", identity_did=did, key_type=key_pair.key_type,
                         public_multikey=key_pair.public_multikey, sealed_secret=self._vault.seal(key_pair.secret),
                         valid_from=valid_from, valid_until=None, active=True)

    async def rotate(self, did: str) -> tuple[KeyRecord, KeyRecord]:
        """Make a new key the signing key; the old one stays listed for verification (did:web: in the document
        with ``validUntil``; did:webvh: in the earlier versions of its log, to which a new entry is appended).
        Returns (old, new)."""
        identity = self.get(did)
        if identity.method in SELF_CERTIFYING:
            raise Conflict(f"a did:{identity.method} identity cannot rotate: its DID is its key. Create a new "
                           "identity instead.")
        new_pair = key_types.generate(self._signers[did].key_type)  # rotation keeps the key type
        entry = None
        if identity.method == "webvh":
            assert isinstance(new_pair, Ed25519KeyPair)  # did:webvh identities hold Ed25519 keys only
            entry = self._rotation_entry(did, new_pair)
            at = entry.version_time
        else:
            at = now_iso(self._clock)
        new_key = self._key_record(did, new_pair, at)
        retired = await self._store.rotate_key(did, new_key, at, webvh_entry=entry)
        await self.load()
        log.info("rotated the key of %s: %s -> %s", did, retired.id, new_key.id)
        return retired, new_key

    def _rotation_entry(self, did: str, new_pair: Ed25519KeyPair) -> WebvhEntryRecord:
        """The log entry that rotates a did:webvh identity to ``new_pair``: the new document and update key,
        signed by the current key (the update key in effect before the entry)."""
        entries = self._webvh.entries(did)
        previous = entries[-1]
        entry = append_entry(previous, node_document(did, new_pair.public_multikey),
                             {"updateKeys": [new_pair.public_multikey]}, self._signers[did].key_pair,
                             next_version_time(previous["versionTime"], self._clock.now()))
        try:
            self._webvh.verify(did, [*entries, entry])  # never publish an entry other resolvers would reject
        except WebvhError as exc:
            raise Conflict(f"cannot rotate {did}: the new log entry does not verify: {exc.message}") from None
        return _entry_record(did, entry)

    def document(self, did: str) -> dict[str, Any] | None:
        """The current DID document of one of the node's did:web or did:webvh identities (None for others)."""
        identity = self._identities.get(did)
        if identity is None or identity.method not in SERVED_METHODS:
            return None
        if identity.method == "webvh":
            return self._webvh.document(did)
        return web_document(did, self._keys.get(did, []))

    def document_at_path(self, web_path: str) -> dict[str, Any] | None:
        """The did:web document served at ``/<web_path>/did.json`` ('' for /.well-known/did.json): for a did:webvh
        identity, the parallel did:web document derived from its current version."""
        did = self._web_paths.get(web_path)
        if did is None:
            return None
        return self._webvh.web_document(did) if self._identities[did].method == "webvh" else self.document(did)

    def log_at_path(self, web_path: str) -> bytes | None:
        """The did:webvh log (``did.jsonl``) served at ``/<web_path>/did.jsonl`` ('' for /.well-known/did.jsonl)."""
        did = self._web_paths.get(web_path)
        return self._webvh.jsonl(did) if did is not None else None

    def local_document(self, did_url: str) -> DriverResult | None:
        """Resolver hook: answer for the node's own did:web and did:webvh identities without a network trip.
        ``did_url`` is a DID, or for did:webvh a DID with ``versionId``/``versionTime``/``versionNumber``."""
        parsed = parse_did_url(did_url)
        identity = self._identities.get(parsed.did) if parsed is not None else None
        if parsed is None or identity is None or identity.method not in SERVED_METHODS:
            return None
        # Cached until the node invalidates it on rotation, which is the only way it changes.
        if identity.method == "web":
            return DriverResult(web_document(parsed.did, self._keys.get(parsed.did, [])), {}, cache_ttl=math.inf)
        try:
            selected = self._webvh.resolve(parsed.did, did_parameters(parsed.query or "") or {})
        except WebvhError as exc:
            raise ResolutionError(exc.resolution_error, exc.message, permanent=False) from None
        return DriverResult(selected.document, selected.metadata, cache_ttl=math.inf)


def check_key_type(method: str, key_type: str, *, default: bool = False) -> None:
    """:class:`UnsupportedKeyType` when an identity of ``method`` cannot hold a ``key_type`` key: did:webvh logs
    are signed with eddsa-jcs-2022 (Ed25519 update keys), and the node's own identity signs its anchor log and
    gossip with a JCS Data Integrity suite, which must exist for its key type (eddsa-jcs-2022 for Ed25519,
    ecdsa-jcs-2019 for P-256 and P-384; none for BLS12-381 G2 keys, which sign bbs-2023 base proofs only). A did:jwk
    is a JWK, which BLS12-381 G2 keys have no registered form of."""
    if method == "webvh" and key_type != ED25519:
        raise UnsupportedKeyType(f"a did:webvh identity holds Ed25519 keys (its log is signed with eddsa-jcs-2022), "
                                 f"not {key_type}")
    if method == "jwk" and key_type == BLS12381_G2:
        raise UnsupportedKeyType(f"a did:jwk is a JWK, and {key_type} keys have no registered JWK form: use did:key "
                                 "or did:web")
    if default and jcs_suite_for(key_type) is None:
        why = "BBS keys sign bbs-2023 credentials only" if key_type == BLS12381_G2 else \
            f"none signs with {key_type} keys yet"
        raise UnsupportedKeyType(f"the node's own identity signs its anchor log and gossip with a JCS Data Integrity "
                                 f"suite, and {why}: create the node with Ed25519 and add a {key_type} identity with "
                                 "'vcnode identity create --key-type'")


def _entry_record(did: str, entry: dict[str, Any]) -> WebvhEntryRecord:
    number = int(entry["versionId"].split("-", 1)[0])
    return WebvhEntryRecord(did, number, entry["versionId"], entry["versionTime"], orjson.dumps(entry).decode())

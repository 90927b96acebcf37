"""A node: configuration, store, key vault, identities, outbound fetcher and resolver, wired together.

``initialise`` creates a node directory; ``Node.open`` loads one. Both are usable without a server.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vcnode.anchor.lists import AnchoredFetch, PublishedReplicas
from vcnode.anchor.log import AnchorLog
from vcnode.auth import TokenService
from vcnode.clock import SYSTEM_CLOCK, Clock
from vcnode.config import CONFIG_FILE, Config, write_config
from vcnode.config import check_domain as check_node_domain
from vcnode.credentials.limits import VerifyLimits
from vcnode.credentials.model import issuer_id
from vcnode.credentials.verify import VerifyOptions, verify_status_list
from vcnode.did.driver import DriverContext
from vcnode.did.resolver import Resolver, load_drivers
from vcnode.errors import ConfigError, KeystoreError, VcnodeError
from vcnode.feed import (
    ChangeEvent,
    ChangeFeed,
    EquivocationFound,
    IdentityChanged,
    LogGrew,
    StatementPublished,
    StatusListChanged,
)
from vcnode.identity import IdentityService
from vcnode.identity.service import check_key_type
from vcnode.issuing.service import CredentialService
from vcnode.jose import verify_with_did
from vcnode.jsonld.rdfc import CanonicalizationLimits, configure_limits
from vcnode.keys.signer import key_type_named
from vcnode.keys.vault import EncryptedVault, PlaintextVault, Vault, VaultParams
from vcnode.net.fetch import SafeFetcher
from vcnode.p2p.gossip import Gossip, GossipEvents
from vcnode.p2p.http import HttpTransport
from vcnode.p2p.peers import PeerTable
from vcnode.private_files import private_dir, tighten, write_private
from vcnode.proofs import DEFAULT_SUITE
from vcnode.proofs.offload import OffloadSettings
from vcnode.status.check import StatusChecker
from vcnode.status.entries import status_requests
from vcnode.status.fetch import list_fetcher, token_list_fetcher
from vcnode.status.replicas import ReplicaBounds
from vcnode.status.service import StatusService
from vcnode.status.token_list import MAX_TOKEN_BYTES
from vcnode.store import Store, anchor_store_for, change_log_for, open_store, pending_store_for
from vcnode.store.anchors import load_peers, save_peers
from vcnode.store.health import StorageMonitor, StorageUnavailable
from vcnode.store.sql import SqlStore
from vcnode.trust.service import TrustService, TrustSettings, complete_statement
from vcnode.webvh.errors import WebvhError
from vcnode.webvh.identifier import check_domain, parse_webvh_did

log = logging.getLogger(__name__)

VAULT_META_KEY = "key_vault"
PASSPHRASE_ENV = "VCNODE_PASSPHRASE"
GENERATED_PASSPHRASE_FILE = "secrets/passphrase"


def read_passphrase(config: Config, environ: dict[str, str] | None = None) -> str:
    """The vault passphrase: ``VCNODE_PASSPHRASE``, else the contents of ``passphrase_file``."""
    env = os.environ if environ is None else environ
    if env.get(PASSPHRASE_ENV):
        return env[PASSPHRASE_ENV]
    if config.passphrase_file:
        path = Path(config.passphrase_file)
        path = path if path.is_absolute() else config.home / path
        try:
            return path.read_text("utf-8").strip("\r\n")
        except OSError as exc:
            raise KeystoreError(f"cannot read passphrase_file {path}: {exc.strerror}", code="noPassphrase") from None
    raise KeystoreError(f"no passphrase: set {PASSPHRASE_ENV} or passphrase_file", code="noPassphrase")


def canonicalization_limits(config: Config) -> CanonicalizationLimits:
    """How much RDFC-1.0 N-degree work one document may cost on this node."""
    return CanonicalizationLimits(max_work_factor=config.canonicalization_max_work_factor,
                                  deadline=config.canonicalization_deadline)


def offload_settings(config: Config) -> OffloadSettings:
    """When a served node checks proofs in worker processes (see :mod:`vcnode.proofs.offload`)."""
    return OffloadSettings(min_bytes=config.proof_offload_bytes, deadline=config.proof_deadline,
                           workers=config.proof_workers, limits=canonicalization_limits(config))


def make_fetcher(config: Config) -> SafeFetcher:
    """The guarded outbound HTTP client configured for this node."""
    return SafeFetcher(timeout=config.fetch_timeout, max_bytes=config.fetch_max_bytes,
                       max_redirects=config.fetch_max_redirects, allow_http_hosts=config.allow_http_hosts)


def make_resolver(config: Config, fetcher: SafeFetcher, identities: IdentityService | None = None,
                  replicas: PublishedReplicas | None = None) -> Resolver:
    """A resolver with every registered driver; the node's own identities answered locally, and documents
    peers replicated used when their server is unreachable."""
    drivers = load_drivers(DriverContext(fetcher=fetcher, replicas=replicas))
    return Resolver(drivers, cache_size=config.resolver_cache_size, default_ttl=config.resolver_cache_ttl,
                    local=identities.local_document if identities else None)


def make_status(config: Config, store: Store, identities: IdentityService, fetcher: SafeFetcher,
                resolver: Resolver, anchors: AnchorLog, events: NodeEvents, *,
                clock: Clock = SYSTEM_CLOCK) -> tuple[StatusService, StatusChecker, AnchoredFetch]:
    """The node's status lists, and the checker that reads any list (its own locally, others checked against
    their anchors, replicas only while they may vouch) when verifying. ``events``: what a change or a
    signing of one of the node's lists sets off, and how an issuer's node is asked for its newest entries."""
    options = VerifyOptions(allow_embedded_keys=config.allow_embedded_keys)
    status = StatusService(store, identities, base_url=config.base_url, ttl=config.status_list_ttl,
                           validity=config.status_list_validity, heartbeat=config.status_list_heartbeat,
                           clock=clock, events=events)
    replicas = ReplicaBounds(max_age=config.replica_max_age, fail_open=config.replica_stale_fail_open,
                             lag=anchors.lag)
    fetch = AnchoredFetch(anchors, list_fetcher(fetcher, status), prefer_replicas=config.prefer_replicas,
                          replicas=replicas, pull_log=events.pull_log, clock=clock)
    # IETF Status List Tokens (SD-JWT VCs' status): fetched asking for their media type, checked against the
    # anchors like any list, verified by the key their kid names in the signer's DID document.
    token_fetch = AnchoredFetch(anchors, token_list_fetcher(fetcher, status), prefer_replicas=config.prefer_replicas,
                                replicas=replicas, pull_log=events.pull_log, clock=clock)
    checker = StatusChecker(fetch, lambda doc: verify_status_list(doc, resolver, options),
                            default_ttl=config.status_list_ttl, fail_open=config.status_fail_open,
                            witness_threshold=config.witness_threshold, max_entries=config.status_max_entries,
                            replicas=replicas, fetch_token=token_fetch,
                            verify_token=lambda token: verify_with_did(token, resolver, max_bytes=MAX_TOKEN_BYTES),
                            clock=clock)
    return status, checker, fetch


def make_gossip(config: Config, identities: IdentityService, anchors: AnchorLog, resolver: Resolver,
                fetcher: SafeFetcher, events: GossipEvents | None = None, *,
                clock: Clock = SYSTEM_CLOCK) -> Gossip | None:
    """The node's side of the gossip protocol, speaking as its default identity (None before init);
    ``events`` is told when a peer's log grows."""
    did = identities.default_did
    if did is None:
        return None
    peers = PeerTable(max_peers=config.peer_max, max_candidates=config.peer_candidates,
                      candidates_per_source=config.peer_candidates_per_source, address_rate=config.peer_address_rate,
                      address_burst=config.peer_address_burst, allowed_hosts=fetcher.allowed_hosts)
    for url in config.peers:
        peers.add(url.rstrip("/"))
    return Gossip(did=did, key=identities.signing_key(did), url=config.base_url, anchors=anchors, resolver=resolver,
                  peers=peers, transport=HttpTransport(fetcher), pulls_per_round=config.gossip_pulls_per_round,
                  pulls_per_peer=config.gossip_pulls_per_peer, pull_deadline=config.gossip_pull_deadline,
                  replay_cache=config.gossip_replay_cache, round_wait=config.gossip_interval, events=events,
                  clock=clock)


def trust_settings(config: Config) -> TrustSettings:
    """The trust anchors and verifier framework the configuration names."""
    return TrustSettings(anchors=tuple(config.trust_anchors), verifier_framework=config.trust_framework or None,
                         verifier_credit_framework=config.trust_credit_framework or None,
                         max_depth=config.trust_max_depth, status_ttl=config.status_list_ttl)


@dataclass(frozen=True)
class Readiness:
    """What ``/ready`` answers: each check, and the error naming the first cause when one failed."""

    checks: dict[str, bool]
    problem: VcnodeError | None = None


class NodeEvents:
    """The node's side of its services' ports (:class:`~vcnode.status.service.StatusEvents`,
    :class:`~vcnode.p2p.gossip.GossipEvents`, trust's ``announce``, anchored lists' ``pull_log``): what an
    event of one service means to the others.

    Services are given it when they are built. It reaches the others through the node, which it is given
    once, when the node is made: the status lists, the checker that reads them and trust refer to each other,
    and the gossip starts only once the node has an identity, so the cycle is closed here and nowhere else.
    Before that nothing can happen: no list changed, nothing is cached, no peer is heard."""

    def __init__(self) -> None:
        self._node: Node | None = None

    def attach(self, node: Node) -> None:
        """Route events to ``node`` (once)."""
        if self._node is not None:
            raise RuntimeError("these events already belong to a node")
        self._node = node

    def changed(self, url: str) -> None:
        """One of the node's lists changed (:class:`StatusEvents`)."""
        if self._node is not None:
            self._node.status_changed(url)

    async def published(self, issuer: str, url: str, version: int, document: bytes) -> None:
        """One of the node's lists was signed (:class:`StatusEvents`): anchor and announce it."""
        if self._node is not None:
            await self._node.anchor_publication(issuer, url, version, document)

    def log_grew(self, log: str) -> None:
        """A peer's log grew (:class:`GossipEvents`)."""
        if self._node is not None:
            self._node.log_grew(log)

    def announce(self, entry: dict[str, Any]) -> None:
        """Trust anchored a statement: spread the entry."""
        if self._node is not None:
            self._node.announce(entry)

    async def pull_log(self, origin: str, log: str) -> None:
        """Ask the node at ``origin`` for its newest entries of ``log``, once the node gossips."""
        gossip = self._node.gossip if self._node is not None else None
        if gossip is not None:
            await gossip.pull_from(origin, log)


@dataclass
class Node:
    """An open node. Use ``async with await Node.open(config)`` or call :meth:`close`."""

    config: Config
    store: Store
    vault: Vault
    identities: IdentityService
    fetcher: SafeFetcher
    resolver: Resolver
    tokens: TokenService
    credentials: CredentialService
    status: StatusService
    status_checker: StatusChecker
    anchors: AnchorLog
    anchored_lists: AnchoredFetch
    trust: TrustService
    gossip: Gossip | None = None
    #: What other processes changed in the store (see :class:`NodeCaches`); set by :meth:`open`.
    feed: ChangeFeed | None = None
    events: NodeEvents = field(default_factory=NodeEvents, repr=False)
    clock: Clock = field(default=SYSTEM_CLOCK, repr=False)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set, repr=False)

    @classmethod
    async def open(cls, config: Config, *, environ: dict[str, str] | None = None, vault: Vault | None = None,
                   clock: Clock = SYSTEM_CLOCK) -> Node:
        """Open an initialised node directory, unlocking its key vault (``vault``: the one ``initialise`` has just
        made, so the passphrase is stretched once per init, not twice). ``clock``: where its services read the
        time."""
        if not config.store_url and not config.database_path.exists():
            raise ConfigError(f"no node in {config.home}: run 'vcnode init' first (or set --home / VCNODE_HOME)")
        configure_limits(canonicalization_limits(config))
        secret = config.home / GENERATED_PASSPHRASE_FILE
        for path in (config.home, config.home / CONFIG_FILE, secret.parent, secret):
            tighten(path)  # a node directory from before modes were enforced (the store tightens its files)
        store = await open_store(config.store_location, min_free=config.storage_min_free,
                                 pool_size=config.store_pool_size, clock=clock)
        fetcher = make_fetcher(config)
        try:
            if config.store_url and await store.get_meta(VAULT_META_KEY) is None:
                raise ConfigError("no node in the PostgreSQL store of store_url: run 'vcnode init' first")
            feed = ChangeFeed(change_log_for(store))
            await feed.start()  # before anything is loaded: what changes meanwhile comes with the first poll
            vault = vault or await _unlock_vault(store, config, environ)
            identities = IdentityService(store, vault, config, clock=clock)
            await identities.load()
        except BaseException:
            await store.close()
            await fetcher.close()
            raise
        anchor_store = anchor_store_for(store)
        resolver = make_resolver(config, fetcher, identities, PublishedReplicas(anchor_store))
        anchors = AnchorLog(anchor_store, resolver, identities.signer_for, clock=clock)
        events = NodeEvents()
        status, checker, anchored_lists = make_status(config, store, identities, fetcher, resolver, anchors, events,
                                                      clock=clock)
        credentials = CredentialService(identities, store, resolver, allow_embedded_keys=config.allow_embedded_keys,
                                        status=status, status_checker=checker,
                                        status_list_entries=config.status_list_entries,
                                        equivocations=anchors.equivocation_count,
                                        limits=VerifyLimits(max_status_entries=config.status_max_entries,
                                                            max_credentials=config.verify_max_credentials),
                                        status_deadline=config.status_deadline,
                                        holder_binding=config.holder_binding,
                                        issuer_binding=config.issuer_binding,
                                        envelope_max_bytes=config.envelope_max_bytes,
                                        key_binding_max_age=config.key_binding_max_age)
        trust = TrustService(anchors, resolver, checker, trust_settings(config),
                             own=lambda did: identities.signer_for(did) is not None, store=store,
                             pending=pending_store_for(store), announce=events.announce, clock=clock)
        node = cls(config, store, vault, identities, fetcher, resolver,
                   TokenService(store, cache_size=config.token_cache_size, clock=clock), credentials, status,
                   checker, anchors, anchored_lists, trust, feed=feed, events=events, clock=clock)
        events.attach(node)
        feed.subscribe(NodeCaches(node))
        node.start_gossip()
        await node.load_peers()
        await node.anchor_did_logs()
        await anchors.reload_equivocations()  # before the first verification, which reads them from memory
        return node

    def start_gossip(self) -> None:
        """Take part in gossip as the node's default identity (once it has one)."""
        if self.gossip is not None:
            return
        self.gossip = make_gossip(self.config, self.identities, self.anchors, self.resolver, self.fetcher,
                                  self.events, clock=self.clock)

    def announce(self, entry: dict[str, Any]) -> None:
        """Spread a new entry of one of this node's anchor logs (once the node gossips)."""
        if self.gossip is not None:
            self.gossip.published(entry)

    def status_changed(self, url: str) -> None:
        """One of this node's lists changed: its next verification (and recognition) must see it."""
        self.status_checker.invalidate(url)
        self.trust.invalidate_status()

    def log_grew(self, log_did: str) -> None:
        """A peer's log grew (or was found forked): drop cached lists and index its new trust statements."""
        self.status_checker.invalidate()
        self.trust.invalidate_status()
        task = asyncio.get_running_loop().create_task(self.trust.sync(log_did))
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("indexing trust statements failed", exc_info=task.exception())

    async def load_peers(self) -> None:
        """Add the peers remembered from earlier runs (configured bootstrap peers are already in)."""
        if self.gossip is None or not isinstance(self.store, SqlStore):
            return
        for url, did, source, score, verified in await load_peers(self.store):
            if not verified:  # saved before URLs were proved: reach it first
                self.gossip.peers.offer(url, "saved")
                continue
            peer = self.gossip.peers.add(url, did, source)
            if peer is not None and peer.source != "config":
                peer.score = score

    async def save_peers(self) -> None:
        """Remember the peer table for the next run."""
        if self.gossip is None or not isinstance(self.store, SqlStore):
            return
        await save_peers(self.store, [(p.url, p.did, p.source, p.score, p.verified)
                                      for p in self.gossip.peers.peers.values()])

    async def anchor_did_logs(self) -> None:
        """Anchor the current log of each did:webvh identity the node holds (when it changed), so peers
        replicate it and can resolve the DID while this node is offline."""
        for identity in self.identities.list():
            if identity.method != "webvh":
                continue
            log = self.identities.log_at_path(identity.web_path or "")
            if log is None:
                continue
            parsed = parse_webvh_did(identity.did, allow_hosts=self.fetcher.allowed_hosts)
            url = parsed.log_url(plain_http=parsed.host in self.fetcher.allowed_hosts)
            entry = await self.anchors.publish_did_log(identity.did, url, log)
            if entry is not None and self.gossip is not None:
                self.gossip.published(entry)

    async def anchor_publication(self, issuer: str, url: str, version: int, document: bytes) -> None:
        """Anchor a newly signed status list in its issuer's log and announce the new head."""
        entry = await self.anchors.publish_status_list(issuer, url, version, document)
        if self.gossip is not None:
            self.gossip.published(entry)

    async def refresh_if_changed(self) -> bool:
        """Follow what another process (the CLI, another worker) committed to the store since the last look:
        each change event drops the cached copies it names (:class:`NodeCaches`). True when any did."""
        return await self.feed.poll_now() if self.feed is not None else False

    async def reload(self) -> None:
        """Drop and reload every cache that follows the store: the change feed lost track of what changed."""
        await self.anchors.reload_equivocations()  # … a proof of equivocation kept by another process
        before = {identity.did for identity in self.identities.list()}
        await self.identities.load()
        for did in before | {identity.did for identity in self.identities.list()}:
            self.resolver.invalidate(did)
        self.status_checker.invalidate()  # the CLI may have revoked or suspended credentials
        self.trust.invalidate_status()
        await self.anchor_did_logs()  # … or rotated a did:webvh key
        await self.trust.sync(None)  # … or published trust statements
        if self.gossip is not None:  # … and anchored the re-signed lists: announce the new heads
            for identity in self.identities.list():
                head = await self.anchors.store.head(identity.did)
                if head is not None:
                    self.gossip.published(head)
        log.info("reloaded every cache: the change feed lost track")

    async def rotate_key(self, did: str) -> tuple:
        """Rotate the signing key of one of the node's identities and refresh cached documents."""
        result = await self.identities.rotate(did)
        self.resolver.invalidate(did)
        await self.anchor_did_logs()
        return result

    async def publish_statement(self, document: Any, *, suite: str = DEFAULT_SUITE,
                                authorize: Callable[[str | None], None] | None = None) -> dict[str, Any]:
        """Sign one of this node's trust statements (issuer, id and validFrom filled in when absent; a
        revocation entry, so it can be withdrawn), anchor it in its issuer's log and announce it.
        ``authorize`` is called with the id of the issuer that would sign (whether ``issuer`` is a string or
        an object) before anything is signed, and raises to refuse."""
        completed = complete_statement(document, issuer=self.identities.default_did or "",
                                       base_url=self.config.base_url, now=self.clock.now())
        if authorize is not None:
            authorize(issuer_id(completed) if isinstance(completed, dict) else None)

        async def issue(credential: dict[str, Any]) -> dict[str, Any]:
            issued = await self.credentials.issue(credential, suite=suite,
                                                  status=status_requests({"statusPurpose": "revocation"}))
            return issued.credential

        return await self.trust.publish(completed, issue)

    @property
    def storage(self) -> StorageMonitor | None:
        """Whether the store's disk takes writes (full, read-only), when the store can tell."""
        return getattr(self.store, "storage", None)

    async def ready(self) -> Readiness:
        """Readiness checks: the store answers, keys unlocked, the storage takes writes."""
        try:
            store_ok = await self.store.ping()
        except Exception:
            store_ok = False
        storage = None
        if self.storage is not None and store_ok and isinstance(self.store, SqlStore):
            storage = await self.storage.check(self.store.probe_write)
        checks = {"store": store_ok, "keys": self.identities.default_did is not None, "storage": storage is None}
        problem: VcnodeError | None = None
        if storage is not None:
            problem = StorageUnavailable(storage)
        elif not all(checks.values()):
            failed = ", ".join(name for name, ok in checks.items() if not ok)
            problem = VcnodeError(f"not ready: {failed}", code="notReady", status=503)
        return Readiness(checks, problem)

    async def close(self) -> None:
        """Release the store and network connections."""
        for task in list(self._tasks):
            task.cancel()
        if self.gossip is not None:
            await self.gossip.close()
        await self.fetcher.close()
        await self.store.close()

    async def __aenter__(self) -> Node:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class NodeCaches:
    """The node's caches as a subscriber of its change feed: each event drops only what it names."""

    def __init__(self, node: Node) -> None:
        self._node = node

    async def changed(self, event: ChangeEvent) -> None:
        """Drop (or refresh) what one change made by another process names."""
        node = self._node
        match event:
            case IdentityChanged(did):  # created, or its key rotated
                await node.identities.load()
                node.resolver.invalidate(did)
                node.start_gossip()  # the node's first identity, made by `vcnode init` elsewhere
                await node.anchor_did_logs()
            case StatusListChanged(list_id):  # revoked, suspended, re-signed
                node.status_checker.invalidate(node.status.list_url(list_id))
                node.status_checker.invalidate(node.status.token_url(list_id))
                node.trust.invalidate_status()
            case LogGrew(log_did, _):
                node.status_checker.invalidate()  # lists anchored in the log may have a new version
                node.trust.invalidate_status()
                if node.gossip is not None and node.identities.signer_for(log_did) is not None:
                    head = await node.anchors.store.head(log_did)  # one of ours: announce its new head
                    if head is not None:
                        node.gossip.published(head)
            case StatementPublished(issuer, _):
                await node.trust.sync(issuer)
            case EquivocationFound(log_did):
                await node.anchors.reload_equivocations()
                await node.trust.sync(log_did)
                node.status_checker.invalidate()
                node.trust.invalidate_status()

    async def reset(self) -> None:
        """Drop and reload everything."""
        await self._node.reload()


async def _unlock_vault(store: Store, config: Config, environ: dict[str, str] | None) -> Vault:
    stored = await store.get_meta(VAULT_META_KEY)
    if stored is None:
        raise KeystoreError("the node's key vault is missing: the node directory is incomplete; re-run init")
    params = VaultParams.from_json(stored)
    if params.kind == PlaintextVault.kind:
        log.warning("SECRET KEYS ARE STORED UNENCRYPTED in %s (development key store)", config.database_path)
        return PlaintextVault()
    return EncryptedVault.unlock(read_passphrase(config, environ), params)


async def initialise(config: Config, *, did_method: str, environ: dict[str, str] | None = None,
                     key_type: str = "Ed25519") -> Node:
    """Create a node directory: config file, store, key vault and the node's default identity.

    With an encrypted key store and no passphrase given (``VCNODE_PASSPHRASE`` / ``passphrase_file``),
    a random passphrase is generated into ``secrets/passphrase`` (mode 0600) for development set-ups. The
    directory is made 0700 and every file in it 0600, whatever the umask.
    """
    if not config.store_url and config.database_path.exists():
        raise ConfigError(f"a node already exists in {config.home}")
    if did_method in ("web", "webvh") and not config.domain:
        raise ConfigError(f"a did:{did_method} node needs --domain")
    key_type = key_type_named(key_type)
    check_key_type(did_method, key_type, default=True)  # before anything is written
    if config.domain:
        check_node_domain(config.domain)  # a URL or a path would make a DID nobody can resolve
    if did_method == "webvh":
        try:
            check_domain(config.domain, allow_hosts=frozenset(h.lower() for h in config.allow_http_hosts))
        except WebvhError as exc:
            raise ConfigError(f"--domain {config.domain!r} cannot locate a did:webvh DID: {exc.detail}") from None
    env = os.environ if environ is None else environ
    private_dir(config.home)  # 0700 whatever the umask; every file below is 0600 (vcnode.private_files)
    if config.keystore == "encrypted" and not env.get(PASSPHRASE_ENV) and not config.passphrase_file:
        secret_path = config.home / GENERATED_PASSPHRASE_FILE
        private_dir(secret_path.parent)
        write_private(secret_path, (secrets.token_urlsafe(32) + "\n").encode())
        config.passphrase_file = GENERATED_PASSPHRASE_FILE
        log.warning("generated a passphrase in %s; for production keep it outside the node directory",
                    secret_path)
    store = await open_store(config.store_location, min_free=config.storage_min_free,
                             pool_size=config.store_pool_size)
    if config.store_url and await store.get_meta(VAULT_META_KEY) is not None:
        await store.close()
        raise ConfigError("a node already exists in the PostgreSQL store of store_url")
    write_config(config)
    try:
        vault: Vault
        if config.keystore == "plaintext":
            log.warning("SECRET KEYS WILL BE STORED UNENCRYPTED (development key store)")
            vault, params = PlaintextVault(), VaultParams(PlaintextVault.kind)
        else:
            vault, params = EncryptedVault.create(read_passphrase(config, env))
        await store.set_meta(VAULT_META_KEY, params.to_json())
    finally:
        await store.close()
    node = await Node.open(config, environ=env, vault=vault)
    try:
        await node.identities.create(did_method, default=True, key_type=key_type)
        node.start_gossip()
        await node.anchor_did_logs()
    except BaseException:
        await node.close()
        raise
    return node

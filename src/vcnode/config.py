"""Node configuration: ``config.toml`` in the node directory, every key overridable by ``VCNODE_<KEY>``.

Precedence (highest first): command-line flags, environment variables, the TOML file, defaults.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints
from urllib.parse import quote, urlsplit

from vcnode.errors import ConfigError
from vcnode.private_files import private_dir, write_private

CONFIG_FILE = "config.toml"
ENV_PREFIX = "VCNODE_"
DEFAULT_HOME = ".vcnode"


@dataclass
class Config:
    """Every setting of a node. See docs/configuration.md for the meaning of each."""

    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    domain: str = ""
    allow_http_hosts: list[str] = field(default_factory=list)
    keystore: str = "encrypted"
    passphrase_file: str = ""
    fetch_timeout: float = 10.0
    fetch_max_bytes: int = 1024 * 1024
    fetch_max_redirects: int = 3
    resolver_cache_size: int = 10_000
    resolver_cache_ttl: float = 300.0
    allow_embedded_keys: bool = False
    status_list_entries: int = 131_072
    status_list_ttl: float = 300.0
    status_list_validity: float = 30 * 86_400.0
    status_list_heartbeat: float = 6 * 3600.0
    status_fail_open: bool = False
    status_deadline: float = 10.0
    status_max_entries: int = 16
    verify_max_credentials: int = 100
    envelope_max_bytes: int = 262_144  # an enveloped credential/presentation's data: URL (or VC-JWT), bytes
    key_binding_max_age: float = 300.0  # an SD-JWT envelope's KB-JWT answering a challenge/domain, seconds old
    peers: list[str] = field(default_factory=list)
    gossip_interval: float = 1.0
    anti_entropy_interval: float = 30.0
    owner_retry_interval: float = 2.0
    gossip_pulls_per_round: int = 32
    gossip_pulls_per_peer: int = 4
    gossip_pull_deadline: float = 20.0
    gossip_replay_cache: int = 100_000
    peer_max: int = 256
    peer_candidates: int = 64
    peer_candidates_per_source: int = 8
    peer_address_rate: float = 200.0
    peer_address_burst: float = 400.0
    witness_threshold: int = 0
    prefer_replicas: bool = False
    replica_max_age: float = 3 * 86_400.0
    replica_stale_fail_open: bool = False
    trust_anchors: list[str] = field(default_factory=list)
    trust_framework: str = ""
    trust_credit_framework: str = ""
    trust_max_depth: int = 4
    recognition_default: bool = False
    holder_binding: str = "required"
    issuer_binding: str = "required"
    # VC API exchanges with wallets (docs/exchanges.md): default lifetimes of claim links and presentation
    # requests, and the longest any exchange may be given
    exchange_claim_ttl: float = 30 * 86_400.0
    exchange_present_ttl: float = 86_400.0
    exchange_max_ttl: float = 366 * 86_400.0
    # present exchanges (and the presentations they kept) are deleted this long after they expired
    exchange_present_retention: float = 86_400.0
    # The change feed's events (docs/architecture.md#change-feed) are deleted this long after they were written
    change_retention: float = 86_400.0
    # Most learners one POST /workflows/claim/batches may prepare claim links for (the CLI has no bound)
    exchange_batch_max: int = 1000
    # How long a presentation request made by the verify page's "Ask the learner's wallet" stays open
    verify_wallet_ttl: float = 600.0
    # OpenID4VCI pre-authorised code flow over claim exchanges (docs/exchanges.md#openid4vci): lifetimes of a
    # pre-authorised code, an access token, a c_nonce; how old a proof JWT may be; the tx_code's digits and
    # how many wrong ones a claim takes before its OpenID offer is locked; most c_nonces held at once
    oid4vci_code_ttl: float = 600.0
    oid4vci_token_ttl: float = 600.0
    oid4vci_nonce_ttl: float = 300.0
    oid4vci_proof_max_age: float = 300.0
    oid4vci_tx_code_length: int = 6
    oid4vci_tx_code_attempts: int = 5
    oid4vci_nonce_max: int = 100_000
    # OpenID4VCI authorisation code flow (the login page at /authorize): how long an authorisation code can be
    # redeemed, and how long a login form (its CSRF token) stays valid
    oid4vci_auth_code_ttl: float = 60.0
    oid4vci_login_ttl: float = 900.0
    # OpenID4VP over present exchanges (docs/exchanges.md#openid4vp): whether an exchange may use the unsigned
    # redirect_uri client id (testing only), and how old a presentation's key-binding JWT may be
    oid4vp_allow_redirect_uri: bool = False
    oid4vp_key_binding_max_age: float = 300.0
    canonicalization_max_work_factor: float = 2.0
    canonicalization_deadline: float = 1.0
    proof_offload_bytes: int = 64 * 1024
    proof_deadline: float = 5.0
    proof_workers: int = 1
    tls_cert: str = ""
    tls_key: str = ""
    http_header_timeout: float = 10.0
    http_body_timeout: float = 30.0
    http_keepalive_timeout: float = 75.0
    http_max_connections: int = 1024
    # `vcnode serve` in this many processes sharing the port (SO_REUSEPORT; docs/operations.md)
    workers: int = 1
    log_level: str = "info"
    token_cache_size: int = 1024
    storage_min_free: int = 8 * 1024 * 1024
    # the store: "" is the embedded SQLite file in the node directory; a postgresql:// URL puts the node in
    # PostgreSQL, shared by every process and host that serves it (docs/operations.md)
    store_url: str = ""
    store_pool_size: int = 10
    # operations: logs, metrics, client addresses and public rate limits (docs/operations.md)
    log_format: str = "text"
    access_log: bool = True
    metrics_enabled: bool = True
    metrics_networks: list[str] = field(default_factory=list)
    trusted_proxies: list[str] = field(default_factory=list)
    rate_limit_exempt: list[str] = field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    rate_limit_clients: int = 65_536
    rate_limit_verify: float = 10.0
    rate_limit_verify_burst: int = 50
    rate_limit_resolve: float = 20.0
    rate_limit_resolve_burst: int = 100
    rate_limit_exchanges: float = 5.0
    rate_limit_exchanges_burst: int = 20
    rate_limit_pages: float = 10.0
    rate_limit_pages_burst: int = 50
    # The verify page (docs/pages.md): the largest document it takes (pasted, a file or from a URL) and the largest
    # badge image it shows through its image route
    verify_page_max_bytes: int = 1024 * 1024
    verify_page_image_max_bytes: int = 256 * 1024
    # background jobs (the desk's CSV batches, docs/desk-batches.md): run by every serving process; a job is
    # held with a lease its process renews, and taken over by another process once the lease has passed
    job_lease: float = 30.0
    job_max_attempts: int = 3
    job_poll_interval: float = 1.0
    job_max_active: int = 5
    job_result_max_bytes: int = 64 * 1024 * 1024
    job_retention: float = 7 * 86_400.0
    job_batch_chunk: int = 20
    job_chunk_pause: float = 0.0
    desk_batch_max_rows: int = 10_000
    home: Path = field(default=Path(DEFAULT_HOME), metadata={"persist": False})

    @property
    def base_url(self) -> str:
        """``public_url`` without a trailing slash, or the URL the node listens on when unset."""
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if self.tls_cert else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def database_path(self) -> Path:
        """Where the embedded SQLite store lives."""
        return self.home / "vcnode.sqlite3"

    @property
    def store_location(self) -> Path | str:
        """The node's store: the ``store_url`` of a PostgreSQL database, else the SQLite file."""
        return self.store_url or self.database_path

    def validate(self) -> None:
        """Raise :class:`ConfigError` for values that cannot work."""
        if not 0 < self.port < 65536:
            raise ConfigError(f"port must be 1-65535, got {self.port}")
        if self.keystore not in ("encrypted", "plaintext"):
            raise ConfigError(f"keystore must be 'encrypted' or 'plaintext', got {self.keystore!r}")
        if self.public_url:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigError(f"public_url must be an http(s) URL, got {self.public_url!r}")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ConfigError("tls_cert and tls_key must be given together")
        for name in ("fetch_timeout", "fetch_max_bytes", "resolver_cache_size", "verify_page_max_bytes",
                     "verify_page_image_max_bytes"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be positive")
        for name in ("fetch_max_redirects", "resolver_cache_ttl", "status_list_ttl"):
            if not getattr(self, name) >= 0:
                raise ConfigError(f"{name} must not be negative")
        if not 131_072 <= self.status_list_entries <= 16 * 1024 * 1024 or self.status_list_entries % 8:
            raise ConfigError("status_list_entries must be a multiple of 8 from 131072 (the spec's minimum, for "
                              f"herd privacy) to 16777216, got {self.status_list_entries}")
        if not 0.05 <= self.gossip_interval <= 3600 or not 0.1 <= self.anti_entropy_interval <= 86_400:
            raise ConfigError("gossip_interval must be 0.05-3600 s and anti_entropy_interval 0.1-86400 s")
        if not 0.1 <= self.owner_retry_interval <= 3600:
            raise ConfigError("owner_retry_interval must be 0.1-3600 s")
        for name in ("gossip_pulls_per_round", "gossip_pulls_per_peer", "gossip_pull_deadline", "gossip_replay_cache",
                     "peer_max", "peer_candidates", "peer_candidates_per_source", "peer_address_rate",
                     "peer_address_burst"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be positive")
        if self.witness_threshold < 0:
            raise ConfigError("witness_threshold must not be negative")
        for name in ("status_deadline", "replica_max_age"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be positive")
        if not 1 <= self.status_max_entries <= 1000 or not 1 <= self.verify_max_credentials <= 10_000:
            raise ConfigError("status_max_entries must be 1-1000 and verify_max_credentials 1-10000")
        if not 1024 <= self.envelope_max_bytes <= 16 * 1024 * 1024:
            raise ConfigError("envelope_max_bytes must be 1024-16777216")
        for peer in self.peers:
            parts = urlsplit(peer)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigError(f"each peer must be a node's base URL (http(s)://host[:port]), got {peer!r}")
        for anchor in self.trust_anchors:
            if not anchor.startswith("did:") or len(anchor) > 2048:
                raise ConfigError(f"each trust anchor must be a DID, got {anchor[:120]!r}")
        if self.holder_binding not in ("required", "allowMismatch"):
            raise ConfigError(f"holder_binding must be 'required' or 'allowMismatch', got {self.holder_binding!r}")
        if self.issuer_binding not in ("required", "allowMismatch"):
            raise ConfigError(f"issuer_binding must be 'required' or 'allowMismatch', got {self.issuer_binding!r}")
        if not 60 <= self.verify_wallet_ttl <= 86_400:
            raise ConfigError(f"verify_wallet_ttl must be 60-86400 seconds, got {self.verify_wallet_ttl:g}")
        if not 0 <= self.exchange_present_retention <= self.exchange_max_ttl:
            raise ConfigError(f"exchange_present_retention must be 0 to exchange_max_ttl "
                              f"({self.exchange_max_ttl:g}) seconds, got {self.exchange_present_retention:g}")
        if not 60 <= self.change_retention <= 366 * 86_400:
            raise ConfigError(f"change_retention must be 60 seconds to 366 days, got {self.change_retention:g}")
        for name in ("exchange_claim_ttl", "exchange_present_ttl"):
            if not 60 <= getattr(self, name) <= self.exchange_max_ttl:
                raise ConfigError(f"{name} must be at least 60 seconds and at most exchange_max_ttl "
                                  f"({self.exchange_max_ttl:g}), got {getattr(self, name):g}")
        for name in ("oid4vci_code_ttl", "oid4vci_token_ttl", "oid4vci_nonce_ttl", "oid4vci_proof_max_age",
                     "oid4vp_key_binding_max_age", "key_binding_max_age"):
            if not 10 <= getattr(self, name) <= 86_400:
                raise ConfigError(f"{name} must be 10-86400 seconds, got {getattr(self, name):g}")
        for name in ("oid4vci_auth_code_ttl", "oid4vci_login_ttl"):
            if not 10 <= getattr(self, name) <= 86_400:
                raise ConfigError(f"{name} must be 10-86400 seconds, got {getattr(self, name):g}")
        if not 4 <= self.oid4vci_tx_code_length <= 12:
            raise ConfigError(f"oid4vci_tx_code_length must be 4-12 digits, got {self.oid4vci_tx_code_length}")
        if not 1 <= self.oid4vci_tx_code_attempts <= 100:
            raise ConfigError(f"oid4vci_tx_code_attempts must be 1-100, got {self.oid4vci_tx_code_attempts}")
        if not 100 <= self.oid4vci_nonce_max <= 10_000_000:
            raise ConfigError(f"oid4vci_nonce_max must be 100-10000000, got {self.oid4vci_nonce_max}")
        if not 1 <= self.exchange_batch_max <= 100_000:
            raise ConfigError(f"exchange_batch_max must be 1-100000, got {self.exchange_batch_max}")
        if not 1 <= self.trust_max_depth <= 8:
            raise ConfigError(f"trust_max_depth must be 1-8, got {self.trust_max_depth}")
        for name in ("http_header_timeout", "http_body_timeout", "http_keepalive_timeout"):
            if not 0 < getattr(self, name) <= 3600:
                raise ConfigError(f"{name} must be more than 0 and at most 3600 seconds, got {getattr(self, name)}")
        if not 1 <= self.http_max_connections <= 1_000_000:
            raise ConfigError(f"http_max_connections must be 1-1000000, got {self.http_max_connections}")
        if not 1 <= self.workers <= 64:
            raise ConfigError(f"workers must be 1-64, got {self.workers}")
        if not self.status_list_validity >= 3600:
            raise ConfigError("status_list_validity must be at least 3600 seconds")
        if not 1 <= self.status_list_heartbeat <= self.status_list_validity / 2:
            raise ConfigError("status_list_heartbeat must be at least 1 second and at most half of "
                              f"status_list_validity, got {self.status_list_heartbeat}")
        if not 0 <= self.canonicalization_max_work_factor <= 6:
            raise ConfigError("canonicalization_max_work_factor must be 0-6, got "
                              f"{self.canonicalization_max_work_factor}")
        if not 0 < self.canonicalization_deadline <= 60 or not 0 < self.proof_deadline <= 600:
            raise ConfigError("canonicalization_deadline must be 0-60 s and proof_deadline 0-600 s")
        if self.proof_offload_bytes < 0 or not 1 <= self.proof_workers <= 64:
            raise ConfigError("proof_offload_bytes must not be negative and proof_workers must be 1-64")
        if self.store_url and not self.store_url.startswith(("postgresql://", "postgres://")):
            raise ConfigError(f"store_url must be a postgresql:// URL (or empty for SQLite), got "
                              f"{self.store_url.split('@')[-1]!r}")
        if self.store_pool_size < 1:
            raise ConfigError("store_pool_size must be at least 1")
        if self.token_cache_size < 0 or self.storage_min_free < 0:
            raise ConfigError("token_cache_size and storage_min_free must not be negative")
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ConfigError(f"log_level must be debug, info, warning, error or critical, not {self.log_level!r}")
        self._validate_operations()
        self._validate_jobs()

    def _validate_jobs(self) -> None:
        """Background jobs and the desk's batches."""
        if not 5 <= self.job_lease <= 3600 or not 0.05 <= self.job_poll_interval <= 60:
            raise ConfigError(f"job_lease must be 5-3600 s and job_poll_interval 0.05-60 s, got {self.job_lease:g} "
                              f"and {self.job_poll_interval:g}")
        for name, low, high in (("job_max_attempts", 1, 100), ("job_max_active", 1, 1000),
                                ("job_result_max_bytes", 1024, 1024 ** 3), ("job_batch_chunk", 1, 1000),
                                ("desk_batch_max_rows", 1, 1_000_000)):
            if not low <= getattr(self, name) <= high:
                raise ConfigError(f"{name} must be {low}-{high}, got {getattr(self, name)}")
        if not 0 <= self.job_chunk_pause <= 60:
            raise ConfigError(f"job_chunk_pause must be 0-60 seconds, got {self.job_chunk_pause:g}")
        if not 60 <= self.job_retention <= 366 * 86_400:
            raise ConfigError(f"job_retention must be 60-31622400 seconds, got {self.job_retention:g}")

    def _validate_operations(self) -> None:
        """Logs, metrics, proxies and rate limits."""
        if self.log_format not in ("text", "json"):
            raise ConfigError(f"log_format must be 'text' or 'json', not {self.log_format!r}")
        for name in ("metrics_networks", "trusted_proxies", "rate_limit_exempt"):
            for value in getattr(self, name):
                try:
                    ipaddress.ip_network(value, strict=False)
                except ValueError:
                    raise ConfigError(f"each of {name} must be an IP address or network (CIDR), "
                                      f"got {value[:80]!r}") from None
        if not 1 <= self.rate_limit_clients <= 10_000_000:
            raise ConfigError(f"rate_limit_clients must be 1-10000000, got {self.rate_limit_clients}")
        for name in ("verify", "resolve", "exchanges", "pages"):
            rate, burst = getattr(self, f"rate_limit_{name}"), getattr(self, f"rate_limit_{name}_burst")
            if not 0 <= rate <= 1_000_000 or not 1 <= burst <= 1_000_000:
                raise ConfigError(f"rate_limit_{name} must be 0-1000000 requests a second (0: no limit) and "
                                  f"rate_limit_{name}_burst 1-1000000, got {rate} and {burst}")


def did_web_domain(domain: str) -> str:
    """The method-specific id of a did:web for ``domain`` (``host[:port]``): the port's colon is %3A."""
    return quote(domain, safe="")


def _coerce(name: str, kind: Any, value: Any) -> Any:
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise ValueError("expected true or false")
            return text in ("1", "true", "yes", "on")
        if kind is int:
            if isinstance(value, bool):
                raise ValueError("boolean")
            return int(value)
        if kind is float:
            return float(value)
        if kind == list[str]:
            if isinstance(value, str):
                return [item.strip() for item in value.split(",") if item.strip()]
            if isinstance(value, list) and all(isinstance(item, str) for item in value):
                return list(value)
            raise ValueError("expected a list of strings")
        if kind is Path:
            return Path(value)
        if not isinstance(value, str):
            raise ValueError("expected a string")
        return value
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r}: invalid value {value!r} ({exc})") from None


def _types() -> dict[str, Any]:
    return get_type_hints(Config)


def resolve_home(home: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None) -> Path:
    """The node directory: ``--home``, else ``VCNODE_HOME``, else ``./.vcnode``."""
    env = os.environ if environ is None else environ
    return Path(home or env.get(ENV_PREFIX + "HOME") or DEFAULT_HOME)


def load_config(home: str | os.PathLike[str] | None = None, *, environ: dict[str, str] | None = None,
                overrides: dict[str, Any] | None = None) -> Config:
    """Read ``config.toml`` from the node directory, apply ``VCNODE_*`` variables, then ``overrides``."""
    env = os.environ if environ is None else environ
    root = resolve_home(home, env)
    values: dict[str, Any] = {}
    path = root / CONFIG_FILE
    if path.exists():
        try:
            values.update(tomllib.loads(path.read_text("utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
    types = _types()
    unknown = set(values) - set(types) | ({"home"} & set(values))
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    for name in types:
        env_value = env.get(ENV_PREFIX + name.upper())
        if env_value is not None and name != "home":
            values[name] = env_value
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value
    values["home"] = root
    config = Config(**{name: _coerce(name, types[name], value) for name, value in values.items()})
    config.validate()
    return config


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def write_config(config: Config) -> Path:
    """Write every persisted setting that differs from its default to ``config.toml`` (0600, in the node
    directory, made 0700)."""
    defaults = Config()
    lines = ["# vcnode configuration; every key can be overridden by VCNODE_<KEY>. See docs/configuration.md."]
    for item in fields(Config):
        if item.metadata.get("persist", True) is False:
            continue
        value = getattr(config, item.name)
        if value != getattr(defaults, item.name):
            lines.append(f"{item.name} = {_toml_value(value)}")
    private_dir(config.home)
    return write_private(config.home / CONFIG_FILE, ("\n".join(lines) + "\n").encode("utf-8"))


def update_config_file(home: Path, **changes: Any) -> Path:
    """Change settings in ``config.toml`` itself (not the environment's overrides, which are not written),
    keeping the other settings as the file has them; the result must validate. The file is replaced, 0600."""
    path = home / CONFIG_FILE
    try:
        values = tomllib.loads(path.read_text("utf-8")) if path.exists() else {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    values.update(changes)
    types = _types()
    Config(**{name: _coerce(name, types[name], value) for name, value in values.items()}).validate()
    lines = ["# vcnode configuration; every key can be overridden by VCNODE_<KEY>. See docs/configuration.md."]
    lines += [f"{name} = {_toml_value(value)}" for name, value in values.items()]
    return write_private(path, ("\n".join(lines) + "\n").encode("utf-8"))


def replace(config: Config, **changes: Any) -> Config:
    """A copy of ``config`` with ``changes`` applied and validated."""
    new = dataclasses.replace(config, **changes)
    new.validate()
    return new


# A did:web domain as `vcnode init --domain` takes it: a host name (letters, digits, hyphens; dot-separated
# labels; internationalised letters allowed), an IPv4 address or a bracketed IPv6 address, then an optional port.
_LABEL = r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?"
_DOMAIN_HOST = rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])"
_DOMAIN_RE = re.compile(rf"({_DOMAIN_HOST})(?::([0-9]{{1,5}}))?")


def check_domain(domain: str) -> None:
    """Raise :class:`ConfigError` unless ``domain`` is ``host[:port]``. A did:web DID and the node's default
    ``public_url`` are made from it, so a URL (``https://poly.example`` would give
    ``did:web:https%3A%2F%2Fpoly.example``) or a path (``poly.example/path`` would give
    ``did:web:poly.example%2Fpath``, which no resolver maps to that path) is refused."""
    if "://" in domain:
        host = domain.split("://", 1)[1].split("/", 1)[0]
        raise ConfigError(f"domain must be host[:port], not a URL: use {host!r} (the node's URL goes in "
                          f"public_url), got {domain[:200]!r}")
    host_port, slash, path = domain.partition("/")
    if slash:
        raise ConfigError(f"domain must be host[:port] without a path, got {domain[:200]!r}: a did:web DID with a "
                          "path is an extra identity of the node ('vcnode identity create --did-method web --name "
                          f"NAME --path {path.strip('/')[:100] or 'PATH'}')")
    match = _DOMAIN_RE.fullmatch(host_port)
    if match is None:
        raise ConfigError(f"domain must be host[:port] (a host name or IP address, then an optional port), "
                          f"got {domain[:200]!r}")
    if match.group(2) is not None and not 0 < int(match.group(2)) < 65536:
        raise ConfigError(f"domain's port must be 1-65535, got {domain[:200]!r}")


def domain_host(domain: str) -> str:
    """The host of a ``host[:port]`` domain, lower-cased, without brackets or port."""
    if domain.startswith("["):
        return domain[1:].split("]", 1)[0].lower()
    return domain.rsplit(":", 1)[0].lower() if ":" in domain else domain.lower()


def default_public_url(config: Config) -> str:
    """The ``public_url`` a node with a ``domain`` gets at init: ``https://DOMAIN``, or ``http://DOMAIN`` when
    the domain's host is in ``allow_http_hosts`` and the node serves no TLS itself. Such a host is a development
    set-up (``--domain localhost:8080 --allow-http-host localhost``): other nodes reach it over plain HTTP, as
    they resolve its did:web, and an https URL would make every status-list fetch fail."""
    plain = domain_host(config.domain) in {host.lower() for host in config.allow_http_hosts} and not config.tls_cert
    return f"{'http' if plain else 'https'}://{config.domain}"


def public_url_warning(config: Config) -> str | None:
    """Why other nodes cannot reach this node at its ``public_url``, when that is certain from the
    configuration alone: the URL names this node's own port on a local host (loopback, the listen address or a
    host in ``allow_http_hosts``) with another scheme than the node serves. None otherwise (a reverse proxy
    in front may well serve https for a node that serves http)."""
    if not config.public_url:
        return None
    parts = urlsplit(config.public_url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    serves = "https" if config.tls_cert else "http"
    local = {"localhost", "127.0.0.1", "::1", config.host.lower()} | {h.lower() for h in config.allow_http_hosts}
    if (parts.hostname or "").lower() not in local or port != config.port or parts.scheme == serves:
        return None
    return (f"public_url {config.public_url} is {parts.scheme} but the node serves {serves} on port {config.port}: "
            f"other nodes will fail to fetch its status lists; set public_url = \"{serves}://{parts.netloc}\" in "
            f"{config.home / CONFIG_FILE} (or VCNODE_PUBLIC_URL)")

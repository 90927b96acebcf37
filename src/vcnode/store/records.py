"""Plain records exchanged with the store. No SQL, no I/O."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IdentityRecord:
    """An issuer identity held by the node."""

    did: str
    method: str
    name: str
    web_path: str | None
    is_default: bool
    created: str


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A signing key of an identity. ``sealed_secret`` is the vault's encrypted form of the seed."""

    id: str
    identity_did: str
    key_type: str
    public_multikey: str
    sealed_secret: bytes
    valid_from: str
    valid_until: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class WebvhEntryRecord:
    """One entry of a did:webvh identity's log: ``entry`` is the JSON line as published (no newline)."""

    identity_did: str
    version_number: int
    version_id: str
    version_time: str
    entry: str


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API bearer token (only its hash is stored)."""

    id: str
    token_hash: str
    scopes: tuple[str, ...]
    identity: str | None
    created: str
    revoked: str | None = None


@dataclass(frozen=True, slots=True)
class CredentialRecord:
    """A credential this node issued. ``request_hash`` identifies the request it was issued from (see
    :mod:`vcnode.credentials.idempotency`); None for credentials stored before it was recorded."""

    id: str
    issuer: str
    document: str
    created: str
    request_hash: str | None = None


@dataclass(frozen=True, slots=True)
class StatusListSpec:
    """Which kind of list an allocation needs: a purpose, the entry width and, for message lists, the
    statusMessages (JSON). ``entries`` is the length of a new list."""

    purpose: str
    status_size: int = 1
    messages: str | None = None
    entries: int = 131_072


@dataclass(frozen=True, slots=True)
class StatusListRecord:
    """A status list this node publishes."""

    id: str
    issuer: str
    purpose: str
    status_size: int
    messages: str | None
    entries: int
    allocated: int
    version: int
    published: str | None
    published_version: int | None
    published_until: str | None
    created: str


@dataclass(frozen=True, slots=True)
class StatusTokenRecord:
    """A status list as an IETF Status List Token: the list's kind and version, and the signed token (for
    ``token_version``, valid ``token_until``) when there is one. ``tokens`` is False until an SD-JWT VC referenced
    the list."""

    id: str
    issuer: str
    purpose: str
    status_size: int
    version: int
    tokens: bool
    token: str | None
    token_version: int | None
    token_until: str | None


@dataclass(frozen=True, slots=True)
class StatusAllocation:
    """An index handed out to one credential in one list."""

    credential_id: str
    list_id: str
    index: int
    spec: StatusListSpec


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One entry of the status audit log."""

    at: str
    actor: str
    credential_id: str
    list_id: str
    index: int
    purpose: str
    before: int
    after: int
    reason: str | None = None
    #: Its position in the log (0 until stored): newer changes have larger numbers.
    seq: int = 0


@dataclass(frozen=True, slots=True)
class ExchangeRecord:
    """One run of a workflow (see :mod:`vcnode.exchanges`). Times are Unix seconds; ``variables``,
    ``result`` and ``last_error`` are JSON text."""

    id: str
    workflow: str
    state: str
    sequence: int
    created: float
    expires: float
    challenge: str
    domain: str
    owner: str | None
    variables: str
    request_hash: str
    attempts: int = 0
    last_error: str | None = None
    holder: str | None = None
    result: str | None = None
    completed: float | None = None


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A background job (see :mod:`vcnode.jobs`). Times are Unix seconds; ``input``, ``error`` and ``summary``
    are JSON text; the result itself is read with :meth:`vcnode.store.base.Store.job_result` (``result_size``
    bytes, 0 when there is none)."""

    id: str
    kind: str
    owner: str
    identity: str
    state: str
    input: str
    total: int = 0
    done: int = 0
    error: str | None = None
    summary: str | None = None
    result_size: int = 0
    attempts: int = 0
    lease_owner: str | None = None
    lease_until: float = 0.0
    created: float = 0.0
    updated: float = 0.0

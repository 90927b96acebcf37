"""The records of status lists, their indexes and their audit log, as the status service keeps them and the
store holds them."""

from __future__ import annotations

from dataclasses import dataclass


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

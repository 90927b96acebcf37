"""The events of the change feed, and how they are stored: a ``kind`` and a text ``subject``."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StatusListChanged:
    """One of the node's status lists was created, changed or (re-)signed."""

    list_id: str


@dataclass(frozen=True, slots=True)
class IdentityChanged:
    """One of the node's identities was created or its key rotated."""

    did: str


@dataclass(frozen=True, slots=True)
class LogGrew:
    """An anchor log held by the node has a new head, ``seq``."""

    log: str
    seq: int


@dataclass(frozen=True, slots=True)
class StatementPublished:
    """A trust statement was anchored in its issuer's log."""

    issuer: str
    statement_id: str


@dataclass(frozen=True, slots=True)
class EquivocationFound:
    """A proof that ``log``'s owner forked its log was kept."""

    log: str


ChangeEvent = StatusListChanged | IdentityChanged | LogGrew | StatementPublished | EquivocationFound

_KINDS: dict[str, type] = {"status": StatusListChanged, "identity": IdentityChanged, "log": LogGrew,
                           "statement": StatementPublished, "equivocation": EquivocationFound}
_NAMES = {cls: name for name, cls in _KINDS.items()}


def encode(event: ChangeEvent) -> tuple[str, str]:
    """The (kind, subject) an event is stored as: one field as itself, several as a JSON array."""
    values = [getattr(event, name) for name in event.__slots__]
    return _NAMES[type(event)], values[0] if len(values) == 1 else json.dumps(values)


def decode(kind: str, subject: str) -> ChangeEvent | None:
    """The event stored as (kind, subject); None for a kind this version does not know (written by a newer
    vcnode sharing the store) or a subject it cannot read."""
    cls = _KINDS.get(kind)
    if cls is None:
        return None
    if len(cls.__slots__) == 1:
        return cls(subject)
    try:
        values = json.loads(subject)
        return cls(*values) if isinstance(values, list) and len(values) == len(cls.__slots__) else None
    except (ValueError, TypeError):
        return None

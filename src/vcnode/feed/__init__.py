"""The change feed: what changed in the store, as typed events that the caches of every process on one node
follow (see docs/architecture.md, "Change feed"). Pure domain: the store adapters implement :class:`ChangeLog`."""

from vcnode.feed.events import (
    ChangeEvent,
    EquivocationFound,
    IdentityChanged,
    LogGrew,
    StatementPublished,
    StatusListChanged,
    decode,
    encode,
)
from vcnode.feed.feed import ChangeFeed, Subscriber
from vcnode.feed.log import Change, ChangeLog

__all__ = ["Change", "ChangeEvent", "ChangeFeed", "ChangeLog", "EquivocationFound", "IdentityChanged", "LogGrew",
           "StatementPublished", "StatusListChanged", "Subscriber", "decode", "encode"]

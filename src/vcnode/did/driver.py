"""The interface every DID method driver implements, and what the core hands it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    from vcnode.did.resolution import DriverResult
    from vcnode.did.syntax import DidUrl
    from vcnode.net.fetch import SafeFetcher

ENTRY_POINT_GROUP = "vcnode.did_methods"


@dataclass(frozen=True)
class DriverContext:
    """Shared services a driver may use. Drivers never open their own network connections."""

    fetcher: SafeFetcher | None = None
    settings: dict[str, Any] | None = None
    #: Documents peers replicated, by the URL they were published at (e.g. did:webvh logs): a driver may
    #: use one when the URL cannot be reached, if the document verifies by itself.
    replicas: Callable[[str], Awaitable[bytes | None]] | None = None


@runtime_checkable
class DidMethodDriver(Protocol):
    """A DID method. ``resolve`` gets a syntactically valid DID of its method and returns the document,
    or raises :class:`vcnode.did.resolution.ResolutionError` with a DID Resolution error code."""

    method: ClassVar[str]
    # True for drivers that compute the document without I/O (did:key, did:jwk): the resolver then calls
    # them inline instead of in a shared task, which costs more than the work itself.
    offline: ClassVar[bool]
    # Optional, not declared here so existing drivers need not change: ``did_parameters: ClassVar[frozenset[str]]``,
    # the DID parameters (DID URL query names such as versionId, versionTime) the method resolves. The
    # resolver passes a query to ``resolve`` only when every name in it is listed; other drivers get bare DIDs.

    async def resolve(self, did: DidUrl) -> DriverResult:
        """Resolve ``did``: a DID with no path or fragment, and a query only of names in ``did_parameters``
        (read them with :func:`vcnode.did.syntax.did_parameters`)."""
        ...


class DriverFactory(Protocol):
    """What an entry point names: a callable (usually the driver class) taking a :class:`DriverContext`."""

    def __call__(self, context: DriverContext) -> DidMethodDriver: ...

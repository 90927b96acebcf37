"""Status lists checked against their anchors: the issuer's copy must be the newest anchored version, and
when the issuer is unreachable (or the node prefers not to ask it) a verified replica is used instead, while
it may still vouch (:mod:`vcnode.status.replicas`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from vcnode.anchor.cid import cid_for_bytes
from vcnode.anchor.log import AnchorLog
from vcnode.anchor.store import AnchorStore
from vcnode.clock import SYSTEM_CLOCK, Clock
from vcnode.status.check import FAILURE_TTL, Fetch, FetchedList, StatusListError
from vcnode.status.replicas import ReplicaBounds

#: Ask the node at an origin (scheme://host:port) for its newest entries of a log.
PullLog = Callable[[str, str], Awaitable[None]]


class AnchoredFetch:
    """A :data:`~vcnode.status.check.Fetch` that consults the anchor logs before and after fetching a list
    from its issuer. ``pull_log`` asks an issuer's node for newer entries (the node's gossip, once it gossips).
    ``clock`` says when a replica is read, to judge whether it may still vouch."""

    def __init__(self, anchors: AnchorLog, direct: Fetch, *, prefer_replicas: bool = False,
                 replicas: ReplicaBounds | None = None, pull_log: PullLog | None = None,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self._anchors = anchors
        self._direct = direct
        self._prefer_replicas = prefer_replicas
        self._replicas = replicas or ReplicaBounds()
        self._pull_log = pull_log
        self._clock = clock

    async def __call__(self, url: str) -> FetchedList:
        """The list at ``url`` with its provenance; :class:`StatusListError` when it cannot be used. A replica
        is returned with its provenance even when it may no longer vouch: the checker reports it stale."""
        anchors, direct, pull_log = self._anchors, self._direct, self._pull_log
        found = await anchors.list_anchor(url)
        if found is None:  # not anchored (an issuer that does not run vcnode): the issuer's word alone
            return await direct(url)
        anchor, witnesses, equivocations = found
        provenance = {"log": anchor.log, "seq": anchor.seq, "version": anchor.version, "anchoredAt": anchor.time,
                      "witnesses": witnesses, "equivocations": len(equivocations)}
        replica = None
        if self._prefer_replicas:
            replica = await self._replica(anchor.payload, provenance)
            if replica is not None and await self._replicas.staleness(provenance, self._clock.now()) is None:
                return replica
            # No replica, or one too old or known to be behind: the issuer is asked after all.
        try:
            fetched = await direct(url)
        except StatusListError:
            fetched = None  # the issuer is down: fall back to the replica below
        if fetched is not None:
            if fetched.provenance.get("source") == "self":
                return FetchedList(fetched.body, fetched.max_age, {**provenance, "source": "self"})
            digest = cid_for_bytes(fetched.body)
            if digest != anchor.payload and pull_log is not None:
                # Perhaps the issuer published after the last gossip: ask its node for its newest entries.
                parts = urlsplit(url)
                await pull_log(f"{parts.scheme}://{parts.netloc}", anchor.log)
                newer = await anchors.list_anchor(url)
                if newer is not None:
                    anchor, witnesses, equivocations = newer
                    provenance.update(seq=anchor.seq, version=anchor.version, anchoredAt=anchor.time,
                                      witnesses=witnesses, equivocations=len(equivocations))
            if digest != anchor.payload:
                raise StatusListError("statusConflict", f"the issuer served a version of {url[:200]} that differs "
                                      f"from the newest anchored one (entry {anchor.seq}): older, or shown only "
                                      "to some verifiers")
            return FetchedList(fetched.body, fetched.max_age, {**provenance, "source": "issuer"})
        replica = replica or await self._replica(anchor.payload, provenance)
        if replica is None:
            raise StatusListError("statusUnavailable", f"{url[:200]} is anchored but no replica is held")
        return replica

    async def _replica(self, payload: str, provenance: dict[str, Any]) -> FetchedList | None:
        """The replica held of an anchored version. It is cached until its age no longer lets it vouch (then
        the issuer is asked again); one already past that is kept briefly, like a failure."""
        held = await self._anchors.store.blob(payload)
        if held is None:
            return None
        fresh_for = self._replicas.remaining(provenance, self._clock.now())
        return FetchedList(held, fresh_for if fresh_for > 0 else FAILURE_TTL, {**provenance, "source": "replica"})


class PublishedReplicas:
    """Replicated documents by the URL they were published at (for drivers, see ``DriverContext``), read from
    the anchor store (not the :class:`AnchorLog`, which needs the resolver that uses this)."""

    def __init__(self, store: AnchorStore) -> None:
        self._store = store

    async def __call__(self, url: str) -> bytes | None:
        """The newest anchored document published at ``url``, if a replica is held."""
        found = await self._store.list_anchor(url)
        return await self._store.blob(found.payload) if found is not None else None

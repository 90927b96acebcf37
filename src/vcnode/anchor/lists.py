"""Status lists checked against their anchors: the issuer's copy must be the newest anchored version, and
when the issuer is unreachable (or the node prefers not to ask it) a verified replica is used instead."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from vcnode.anchor.cid import cid_for_bytes
from vcnode.anchor.log import AnchorLog
from vcnode.status.check import Fetch, FetchedList, StatusListError

#: Ask the node at an origin (scheme://host:port) for its newest entries of a log.
PullLog = Callable[[str, str], Awaitable[None]]


class AnchoredFetch:
    """A :data:`~vcnode.status.check.Fetch` that consults the anchor logs before and after fetching a list
    from its issuer. ``pull_log`` (set once the node gossips) asks an issuer's node for newer entries."""

    def __init__(self, anchors: AnchorLog, direct: Fetch, *, prefer_replicas: bool = False) -> None:
        self._anchors = anchors
        self._direct = direct
        self._prefer_replicas = prefer_replicas
        self.pull_log: PullLog | None = None

    async def __call__(self, url: str) -> FetchedList:
        """The list at ``url`` with its provenance; :class:`StatusListError` when it cannot be used."""
        anchors, direct, pull_log = self._anchors, self._direct, self.pull_log
        found = await anchors.list_anchor(url)
        if found is None:  # not anchored (an issuer that does not run vcnode): the issuer's word alone
            return await direct(url)
        anchor, witnesses, equivocations = found
        provenance = {"log": anchor.log, "seq": anchor.seq, "version": anchor.version, "anchoredAt": anchor.time,
                      "witnesses": witnesses, "equivocations": len(equivocations)}
        if not self._prefer_replicas:
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
        replica = await anchors.store.blob(anchor.payload)
        if replica is None:
            raise StatusListError("statusUnavailable", f"{url[:200]} is anchored but no replica is held")
        return FetchedList(replica, None, {**provenance, "source": "replica"})


class PublishedReplicas:
    """Replicated documents by the URL they were published at (for drivers, see ``DriverContext``);
    ``anchors`` is set once the node's anchor logs exist (they need the resolver that uses this)."""

    def __init__(self) -> None:
        self.anchors: AnchorLog | None = None

    async def __call__(self, url: str) -> bytes | None:
        """The newest anchored document published at ``url``, if a replica is held."""
        if self.anchors is None:
            return None
        found = await self.anchors.store.list_anchor(url)
        return await self.anchors.store.blob(found.payload) if found is not None else None

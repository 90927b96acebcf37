"""The background loops: one per kind of work, each an endless task that :class:`~vcnode.background.worker.
Background` starts and cancels. A failed round is logged and the next one retries; while the disk refuses
writes, rounds back off."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from vcnode import metrics
from vcnode.feed.events import ChangeEvent, StatusListChanged
from vcnode.node import Node
from vcnode.store.changes import prune as prune_change_events
from vcnode.store.health import StorageUnavailable
from vcnode.store.sql import SqlStore

log = logging.getLogger(__name__)

#: How often every serving process looks for another process's writes.
STORE_WATCH_SECONDS = 2.0
#: Longest pause between gossip rounds while the disk refuses writes.
MAX_STORAGE_BACKOFF = 60.0
#: How often the owner deletes ``present`` exchanges past ``exchange_present_retention``.
PRUNE_SECONDS = 600.0
_PRUNE_BATCH = 1000


async def watch_store(node: Node, interval: float) -> None:
    """Follow the change feed: what another process (`vcnode keys rotate`, `revoke`, another worker) changed
    reaches this process's caches within ``interval`` seconds, or as soon as the feed is woken."""
    while True:
        if node.feed is not None:
            await node.feed.wait(interval)
        else:
            await asyncio.sleep(interval)
        try:
            with metrics.job("store_watch"):
                await node.refresh_if_changed()
        except Exception:  # a transient store error must not stop the server; the next tick retries
            log.exception("checking the store for changes failed")


class PublishWanted:
    """A change-feed subscriber that wakes the publish loop when another process changed a status list (a
    revocation made through another worker, a list it opened): the owner re-signs it now, not at its next round,
    so every worker serves the change within the feed's latency (a NOTIFY on PostgreSQL, a poll on SQLite)."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    async def changed(self, event: ChangeEvent) -> None:
        """Wake the publish loop on a status list's change."""
        if isinstance(event, StatusListChanged):
            self.event.set()

    async def reset(self) -> None:
        """The feed lost track: any list may have changed."""
        self.event.set()


class _Rounds:
    """The pace of a background loop: a round every ``gossip_interval``; while the disk refuses writes (full or
    read-only: logged once by the store) rounds come less and less often, up to MAX_STORAGE_BACKOFF apart."""

    def __init__(self, node: Node, name: str) -> None:
        self._node, self._name = node, name
        self._backoff = self._waited = 0.0

    async def wait(self, wake: asyncio.Event | None = None) -> None:
        """Sleep until the next round, or until ``wake`` is set (not while backing off from the disk)."""
        if wake is None or self._backoff:
            await asyncio.sleep(self._backoff or self._node.config.gossip_interval)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self._node.config.gossip_interval)
            wake.clear()  # before the round: a change made while it runs wakes the next one
        self._waited, self._backoff = self._backoff, 0.0

    @contextmanager
    def round(self) -> Iterator[None]:
        """One round: its failure is logged (or backed off from) and the loop goes on."""
        try:
            yield
        except StorageUnavailable:
            self._backoff = min(max(2 * self._waited, 2 * self._node.config.gossip_interval), MAX_STORAGE_BACKOFF)
        except Exception:  # one bad round must not stop the loop; the next one retries
            log.exception("%s round failed", self._name)


async def prune_exchanges(node: Node, now: float) -> int:
    """Delete the ``present`` exchanges that expired more than ``exchange_present_retention`` seconds before
    ``now`` (Unix seconds), with the presentations they kept (personal data a verifier no longer needs: the
    verify page's requests to wallets among them); how many. Claim exchanges are kept: a claim batch run again
    must find its exchanges, or a claimed link would open again."""
    before = now - node.config.exchange_present_retention
    total = 0
    while True:
        deleted = await node.store.prune_exchanges("present", before, _PRUNE_BATCH)
        total += deleted
        if deleted < _PRUNE_BATCH:
            return total


async def prune_changes(node: Node, now: datetime) -> int:
    """Delete the change feed's events older than ``change_retention``; how many. A process whose feed had
    not read them yet drops all its caches instead (:class:`vcnode.feed.ChangeFeed`)."""
    if not isinstance(node.store, SqlStore):
        return 0
    total = 0
    while True:
        deleted = await prune_change_events(node.store, now - timedelta(seconds=node.config.change_retention),
                                            _PRUNE_BATCH)
        total += deleted
        if deleted < _PRUNE_BATCH:
            return total


async def publish_loop(node: Node, wanted: PublishWanted | None = None) -> None:
    """Re-sign (and so anchor and announce) changed status lists every round, and at once when ``wanted`` says
    another process changed one; now and then prune old ``present`` exchanges and change events. Its own task:
    however long a gossip round takes, the node's own lists are signed on time."""
    rounds = _Rounds(node, "publishing")
    last_prune = -PRUNE_SECONDS
    while True:
        await rounds.wait(wanted.event if wanted is not None else None)
        with rounds.round(), metrics.job("status_publish"):
            await node.status.publish_changed()
        if time.monotonic() - last_prune >= PRUNE_SECONDS:
            last_prune = time.monotonic()
            with rounds.round(), metrics.job("prune_exchanges"):
                await prune_exchanges(node, node.clock.time())
            with rounds.round(), metrics.job("prune_changes"):
                await prune_changes(node, node.clock.now())


async def gossip_loop(node: Node) -> None:
    """Spread new heads, pull announced ones, and now and then exchange state with a random peer and sign
    witness statements for the logs held."""
    rounds = _Rounds(node, "gossip")
    last_exchange = 0.0
    while True:
        await rounds.wait()
        with rounds.round():
            if node.gossip is None:
                continue
            if node.gossip.has_work():
                with metrics.job("gossip_step"):
                    await node.gossip.step()
            if time.monotonic() - last_exchange >= node.config.anti_entropy_interval:
                last_exchange = time.monotonic()
                with metrics.job("witness"):
                    await node.gossip.witness_all()
                with metrics.job("anti_entropy"):
                    await node.gossip.anti_entropy()
                with metrics.job("save_peers"):
                    await node.save_peers()

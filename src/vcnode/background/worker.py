"""What a serving process runs beside its HTTP server: :class:`Background`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Literal

from vcnode.background.election import AdvisoryLockElection, Election, LockFileElection
from vcnode.background.loops import STORE_WATCH_SECONDS, PublishWanted, gossip_loop, publish_loop, watch_store
from vcnode.jobs.runner import JobRunner
from vcnode.node import Node

log = logging.getLogger(__name__)


def election_for(node: Node) -> Election:
    """The election of ``node``'s background work: an advisory lock in its PostgreSQL database (every host
    that serves the node takes part), or a lock file in its home (the SQLite store's)."""
    if node.config.store_url:
        return AdvisoryLockElection(node.config.store_url)
    return LockFileElection.for_home(node.config.home)


class Background:
    """A serving process's background work. Every process watches the store (its caches follow other
    processes' writes) and runs ``jobs``; the process that wins ``election`` also runs the node's loops
    (publishing status lists, gossip, witnessing, anti-entropy, saving peers). The others serve requests only,
    say so once in the log, and try to win again every ``config.owner_retry_interval`` seconds, so when the
    owner dies another process takes over within about that long.

    Only the owner signs status lists (``node.status.may_sign``): the others serve the signed copies it stored,
    and a status change they make reaches the owner through the change feed, which wakes its publish loop."""

    def __init__(self, node: Node, election: Election | None = None, *, jobs: JobRunner | None = None,
                 watch_interval: float = STORE_WATCH_SECONDS) -> None:
        self.node = node
        self.election = election or election_for(node)
        self.jobs = jobs
        self.watch_interval = watch_interval
        self._tasks: list[asyncio.Task[None]] = []
        self._loops: list[asyncio.Task[None]] = []
        self._failing = False
        self._publish_wanted = PublishWanted()
        if node.feed is not None:
            node.feed.subscribe(self._publish_wanted)

    @property
    def role(self) -> Literal["owner", "standby"]:
        """``owner`` while this process runs the node's loops, else ``standby``."""
        return "owner" if self._loops else "standby"

    async def open(self) -> None:
        """Try the election once, then :meth:`start`: a process that wins at once (a node's only process) signs
        from its first request, as a node served by one process always has."""
        if not self._loops and await self._try_acquire():
            self._owned()
            await self._announce_heads()
        self.start()

    def start(self) -> None:
        """Start the work as tasks of the running loop. Until it owns the loops, this process does not sign."""
        loop = asyncio.get_running_loop()
        self.node.status.may_sign = bool(self._loops)
        self._tasks = [loop.create_task(watch_store(self.node, self.watch_interval), name="vcnode-watch-store"),
                       loop.create_task(self._elect(), name="vcnode-election")]
        listen = getattr(self.node.store, "listen", None)  # PostgreSQL: other processes' changes pushed at once
        if listen is not None and self.node.feed is not None:
            self._tasks.append(loop.create_task(listen(self.node.feed.wake, self.node.feed.lost_track),
                                                name="vcnode-listen-changes"))
        if self.jobs is not None:
            self.jobs.start()

    async def stop(self) -> None:
        """Stop everything and give up the election (another process may take the loops over at once)."""
        if self.jobs is not None:
            await self.jobs.stop()  # a job being run goes back to the queue, for the next process to continue
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.election.release()

    async def _elect(self) -> None:
        said_standby = False
        try:
            while True:
                if not self._loops:
                    if await self._try_acquire():
                        self._owned()
                        await self._announce_heads()
                    elif not said_standby:
                        log.info("another process of this node runs its background work (status list publishing, "
                                 "gossip): this process serves requests only, and takes the work over if that "
                                 "process stops")
                        said_standby = True
                elif not self.election.held:  # e.g. a database session holding the lock was lost
                    log.warning("this process lost the background election: stopping its background work")
                    await self._stop_loops()
                    said_standby = False
                await asyncio.sleep(self.node.config.owner_retry_interval)
        finally:
            await self._stop_loops()

    async def _try_acquire(self) -> bool:
        try:
            won = await self.election.acquire()
        except Exception as exc:  # e.g. a read-only home without a lock file: serve requests, try again later
            if not self._failing:  # once, not every retry
                log.warning("cannot take the background election (%s): retrying every %g s", exc,
                            self.node.config.owner_retry_interval)
            self._failing = True
            return False
        self._failing = False
        return won

    def _owned(self) -> None:
        """Just won the election: start the loops, and sign from now on."""
        log.info("this process runs the node's background work (status list publishing, gossip, "
                 "witnessing, anti-entropy)")
        loop = asyncio.get_running_loop()
        self._publish_wanted.event.set()  # a first round at once: what changed while no process owned the work
        self._loops = [loop.create_task(publish_loop(self.node, self._publish_wanted), name="vcnode-publish"),
                       loop.create_task(gossip_loop(self.node), name="vcnode-gossip")]
        self.node.status.may_sign = True

    async def _stop_loops(self) -> None:
        if self._loops:
            self.node.status.may_sign = False  # another process may own the work now
        loops, self._loops = self._loops, []
        for task in loops:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*loops, return_exceptions=True)

    async def _announce_heads(self) -> None:
        """A new owner announces the heads of the node's own logs: what an owner before it appended may not
        have reached the peers yet."""
        if self.node.gossip is None:
            return
        try:
            for identity in self.node.identities.list():
                head = await self.node.anchors.store.head(identity.did)
                if head is not None:
                    self.node.gossip.published(head)
        except Exception:  # the loops must start anyway: anti-entropy spreads the heads later
            log.exception("announcing the node's heads failed")

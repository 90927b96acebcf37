"""Follow a :class:`~vcnode.feed.log.ChangeLog` and hand each new event to the subscribers (the caches)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from vcnode.feed.events import ChangeEvent
from vcnode.feed.log import ChangeLog

log = logging.getLogger(__name__)

#: Events read from the log per query.
BATCH = 500


class Subscriber(Protocol):
    """A cache that follows the feed."""

    async def changed(self, event: ChangeEvent) -> None:
        """Drop (or refresh) what ``event`` names."""
        ...

    async def reset(self) -> None:
        """Drop everything: the feed lost track of what changed."""
        ...


class ChangeFeed:
    """Polls the change log from the last event seen and dispatches each newer event, in order, to every
    subscriber. Events this process's own connection wrote are skipped: its caches saw those changes as they
    were made. When the feed cannot know what changed (the events it needed were pruned, the store went back
    in time after a restore, a subscriber failed), it resets every subscriber instead.

    A poll happens when :meth:`poll_now` is called; :meth:`wait` sleeps until the next poll is due or
    :meth:`wake` is called (a PostgreSQL ``LISTEN`` notification, say), so a push channel is just another way
    to trigger a poll and polling stays the fallback."""

    def __init__(self, changes: ChangeLog, *, batch: int = BATCH) -> None:
        self._log = changes
        self._batch = batch
        self._subscribers: list[Subscriber] = []
        self._seen = 0
        self._lost = True  # until :meth:`start` has found where the log is
        self._lock = asyncio.Lock()
        self._woken = asyncio.Event()

    @property
    def seen(self) -> int:
        """The number of the last event handled."""
        return self._seen

    def subscribe(self, subscriber: Subscriber) -> None:
        """Dispatch events (and resets) to ``subscriber`` from now on."""
        self._subscribers.append(subscriber)

    async def start(self) -> None:
        """Take the log's newest event as seen. Call before the caches load, so that what changes while they
        load is dispatched by the next poll rather than missed."""
        async with self._lock:
            self._seen, self._lost = await self._log.newest(), False

    def wake(self) -> None:
        """Ask for a poll now (a push notification arrived): ends a pending :meth:`wait`."""
        self._woken.set()

    def lost_track(self) -> None:
        """Say that notices may have been missed (a push channel dropped): the next poll resets every
        subscriber, and it happens now."""
        self._lost = True
        self.wake()

    async def wait(self, timeout: float) -> None:
        """Sleep ``timeout`` seconds, or until :meth:`wake` is called."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._woken.wait(), timeout)
        self._woken.clear()

    async def poll_now(self) -> bool:
        """Dispatch every event written since the last poll (or reset the subscribers when that cannot be
        known). True when a subscriber was told anything."""
        async with self._lock:
            newest = await self._log.newest()
            if self._lost or newest < self._seen:
                return await self._reset(newest)
            told = False
            while True:
                changes = await self._log.after(self._seen, self._batch)
                # Read after the events: a prune that ran before this read shows here, so none was missed.
                if await self._log.horizon() > self._seen:
                    return await self._reset(newest)
                for change in changes:
                    if change.event is not None and change.origin != self._log.origin:
                        try:
                            for subscriber in self._subscribers:
                                await subscriber.changed(change.event)
                        except Exception:
                            # What the failing subscriber (and those after it) dropped is unknown: reset them
                            # all on the next poll rather than leave a cache stale.
                            self._lost = True
                            raise
                        told = True
                    self._seen = change.seq
                if len(changes) < self._batch:
                    return told

    async def _reset(self, newest: int) -> bool:
        log.info("change feed lost track (seen %d, newest %d): dropping every cache", self._seen, newest)
        # The position moves first (to a number read before the reload): events written while the subscribers
        # reload are dispatched next time.
        self._seen, self._lost = newest, True
        for subscriber in self._subscribers:
            await subscriber.reset()
        self._lost = False
        return True

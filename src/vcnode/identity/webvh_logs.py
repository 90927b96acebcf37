"""The did:webvh logs of the node's own identities, in memory: what the node publishes (``did.jsonl``, the
parallel ``did.json``) and how it answers resolutions of its own DIDs without a network trip.

The node's own log goes through the same verification as any other (:mod:`vcnode.webvh.log`), so the
node never answers for, or serves, a log that other resolvers would reject without noticing.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from vcnode.clock import SYSTEM_CLOCK, Clock
from vcnode.identity.records import WebvhEntryRecord
from vcnode.identity.webvh import parallel_web_document, to_jsonl
from vcnode.webvh.errors import WebvhError
from vcnode.webvh.identifier import parse_webvh_did
from vcnode.webvh.log import VerifiedLog, verify_log
from vcnode.webvh.versions import Selected, resolve_version

log = logging.getLogger(__name__)


class WebvhLogs:
    """Logs by DID. ``allow_hosts`` are the development hosts (``allow_http_hosts``) a DID may name; ``clock``
    the time logs are verified at."""

    def __init__(self, allow_hosts: frozenset[str] = frozenset(), *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.allow_hosts = allow_hosts
        self._clock = clock
        self._entries: dict[str, list[dict[str, Any]]] = {}
        self._verified: dict[str, VerifiedLog] = {}

    def load(self, records: list[WebvhEntryRecord]) -> None:
        """Replace the logs with the stored entries (ordered by identity and version number)."""
        self._entries = {}
        self._verified = {}
        for record in records:
            self._entries.setdefault(record.identity_did, []).append(orjson.loads(record.entry))

    def entries(self, did: str) -> list[dict[str, Any]]:
        """The entries of ``did``'s log, oldest first ([] for a DID that is not the node's did:webvh)."""
        return list(self._entries.get(did, []))

    def jsonl(self, did: str) -> bytes | None:
        """``did.jsonl`` as published, or None."""
        entries = self._entries.get(did)
        return to_jsonl(entries) if entries else None

    def verify(self, did: str, entries: list[dict[str, Any]] | None = None) -> VerifiedLog:
        """Verify the log of ``did`` (or ``entries`` proposed for it); :class:`WebvhError` if it fails anywhere."""
        candidate = self._entries.get(did, []) if entries is None else entries
        log = verify_log(to_jsonl(candidate), parse_webvh_did(did, allow_hosts=self.allow_hosts),
                         now=self._clock.now(), allow_hosts=self.allow_hosts)
        if log.error is not None:
            raise log.error
        return log

    def resolve(self, did: str, query: dict[str, str]) -> Selected:
        """Resolve one of the node's DIDs, with DID parameters; :class:`WebvhError` as the driver would report."""
        if did not in self._verified:
            self._verified[did] = self.verify(did)
        return resolve_version(self._verified[did], query, allow_hosts=self.allow_hosts)

    def document(self, did: str) -> dict[str, Any] | None:
        """The current DID document (None for a deactivated DID or one that is not the node's)."""
        if did not in self._entries:
            return None
        try:
            return self.resolve(did, {}).document
        except WebvhError as exc:
            log.error("the node's own did:webvh log of %s does not verify: %s", did, exc.message)
            return None

    def web_document(self, did: str) -> dict[str, Any] | None:
        """The parallel did:web document published as ``did.json`` beside the log."""
        document = self.document(did)
        return parallel_web_document(document, did.split(":")[2]) if document is not None else None

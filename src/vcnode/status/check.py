"""The verifier side of status: fetch, verify, cache and read status lists.

Supported entries: ``BitstringStatusListEntry`` (W3C Bitstring Status List v1.0), ``StatusList2021Entry``
(its predecessor) and Open Badges' ``1EdTechRevocationList``; for JWT credentials (SD-JWT VC), the
``status.status_list`` reference of the IETF Token Status List (:meth:`StatusChecker.check_token_status`).
A list is fetched once per URL however many checks wait for it, its credential (or token) is verified
(proof, validity, and the issuer must be the checked credential's issuer), and the decoded bits are cached
for the list's ``ttl`` / ``Cache-Control``. A list that cannot be fetched or is not valid fails the
``status`` check (``statusUnavailable`` / ``statusInvalid``) unless the node is configured to fail open; a
replica too old or known to be behind fails it with ``statusStale`` (see :mod:`vcnode.status.replicas`).

The lists of one credential's entries are fetched at once, and a check waits for them at most until the
deadline its caller gives (one per verification request): an entry whose list has not arrived by then is
``statusUnavailable``, never valid. A credential with more entries than ``max_entries`` is not checked.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import orjson

from vcnode import metrics
from vcnode.clock import SYSTEM_CLOCK, Clock, parse_datetime
from vcnode.credentials.model import as_list, is_url, issuer_id
from vcnode.credentials.report import Report
from vcnode.jose import JoseError, VerifiedJws
from vcnode.status.bitstring import MIN_ENTRIES, BitstringError, decode_list, get_entry
from vcnode.status.replicas import ReplicaBounds
from vcnode.status.token_list import (
    INVALID,
    SUSPENDED,
    StatusReference,
    TokenStatusError,
    TokenStatusList,
    parse_status_claim,
    read_status_list_token,
)


@dataclass(frozen=True)
class FetchedList:
    """A status list document as fetched: its bytes, how long it may be cached (seconds, None if unsaid)
    and where it came from (``source``: self, issuer or replica; anchoring details when anchored)."""

    body: bytes
    max_age: float | None = None
    provenance: dict[str, Any] = field(default_factory=dict)


#: Fetch a status list by URL.
Fetch = Callable[[str], Awaitable[FetchedList]]
#: Verify a list credential (without checking its own status).
VerifyList = Callable[[dict[str, Any]], Awaitable[Report]]
#: Verify a Status List Token's signature (a compact JWS whose kid is a DID verification method); raises
#: :class:`~vcnode.jose.JoseError` when it does not verify.
VerifyToken = Callable[[bytes], Awaitable[VerifiedJws]]

LIST_KINDS = {  # entry type → (list credential type, list subject type, encodedList is multibase)
    "BitstringStatusListEntry": ("BitstringStatusListCredential", "BitstringStatusList", True),
    "StatusList2021Entry": ("StatusList2021Credential", "StatusList2021", False),
}
REVOCATION_LIST = "1EdTechRevocationList"
TOKEN_STATUS_LIST = "TokenStatusList"  # the cache's kind for IETF Status List Tokens
TOKEN_FAILURES = {INVALID: "revoked", SUSPENDED: "suspended"}  # Token Status List values → report codes
FAILING_PURPOSES = {"revocation": "revoked", "suspension": "suspended"}
FAILURE_TTL = 10.0  # a list that failed is retried after this long, not on every check
MAX_CACHE_BYTES = 64 * 1024 * 1024  # decoded lists kept at most (one list may decode to 16 MB)
MAX_CACHE_ENTRIES = 10_000  # lists (and failures) kept at most
MAX_ENTRIES = 16  # credentialStatus entries of one credential checked at most
MAX_MESSAGE = 1_000  # characters of a cached failure's message
_CACHE_SLOT = 200  # bytes a cache slot costs beyond its key and value: the dict entry and the (expires, …) tuple


class StatusListError(Exception):
    """A list that could not be used: ``statusUnavailable`` (fetch) or ``statusInvalid`` (content)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class _Failure:
    """A cached failure: its code and message only. The exception it came from is not kept: its traceback and
    ``__context__`` hold the frames that raised it, with what they had read (a refused GZIP bomb's 16 MiB)."""

    code: str
    message: str

    def error(self) -> StatusListError:
        """A fresh exception for one caller (a raised exception collects that caller's traceback)."""
        return StatusListError(self.code, self.message)


@dataclass(frozen=True)
class StatusList:
    """A fetched and verified list: decoded bits (or revoked ids), its issuer, purposes and expiry."""

    url: str
    issuer: str | None
    purposes: tuple[str, ...]
    bits: bytes = b""
    revoked: frozenset[str] = frozenset()
    valid_until: datetime | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    token: TokenStatusList | None = None  # an IETF Status List Token's list (its bits in its own order)


@dataclass(frozen=True)
class _Entry:
    """A well-formed ``credentialStatus`` entry: which list, and what to read in it."""

    kind: str
    url: str
    purpose: str
    index: int = 0
    size: int = 1
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return self.url, self.kind


_Key = tuple[str, str]
_Cached = tuple[float, "StatusList | _Failure"]


class StatusChecker:
    """Status checks for every credential a node verifies; one instance per node (it holds the cache)."""

    def __init__(self, fetch: Fetch, verify: VerifyList, *, default_ttl: float = 300.0, max_ttl: float = 86_400.0,
                 fail_open: bool = False, witness_threshold: int = 0, max_cache_bytes: int = MAX_CACHE_BYTES,
                 max_cache_entries: int = MAX_CACHE_ENTRIES, max_entries: int = MAX_ENTRIES,
                 replicas: ReplicaBounds | None = None, verify_token: VerifyToken | None = None,
                 fetch_token: Fetch | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self._fetch = fetch
        self._clock = clock  # when a list expires (cache lifetimes themselves are monotonic)
        self._verify = verify
        # Status List Tokens: fetched asking for application/statuslist+jwt, verified against the signer's DID.
        self._fetch_token = fetch_token or fetch
        self._verify_token = verify_token
        self._default_ttl = default_ttl
        self._max_ttl = max_ttl
        self.fail_open = fail_open
        self.witness_threshold = witness_threshold
        self.max_entries = max_entries
        self.replicas = replicas or ReplicaBounds()
        self._max_cache_bytes = max_cache_bytes
        self._max_cache_entries = max_cache_entries
        # Oldest first: when the cache is over its bounds, expired entries go, then the oldest. Each slot keeps
        # the bytes it was counted for, so what is added and what is taken away always agree.
        self._cache: dict[_Key, tuple[float, StatusList | _Failure, int]] = {}
        self._cache_bytes = 0
        self._inflight: dict[_Key, asyncio.Task[_Cached]] = {}

    @property
    def cache_bytes(self) -> int:
        """About how much memory the cached lists and failures take."""
        return self._cache_bytes

    def invalidate(self, url: str | None = None) -> None:
        """Forget a cached list (after this node changed it), or every list. A fetch already under way is
        detached too: whatever it read may predate the change, so it is neither cached nor shared."""
        for key in [k for k in self._cache if url is None or k[0] == url]:
            self._forget(key)
        for key in [k for k in self._inflight if url is None or k[0] == url]:
            del self._inflight[key]

    async def status_list(self, url: str, entry_type: str) -> StatusList:
        """The verified list at ``url`` (cached); :class:`StatusListError` when it cannot be used."""
        key = (url, entry_type)
        result = self._fresh(key)
        if result is None:
            # Shielded: shared by every check waiting for this list, so one caller giving up does not cancel
            # the fetch for the others.
            result = (await asyncio.shield(self._start(key)))[1]
        if isinstance(result, _Failure):
            raise result.error()
        return result

    def prefetch(self, credential: Any) -> None:
        """Start fetching the lists ``credential``'s entries need, without waiting: the credentials of one
        presentation are then fetched at once, not one after another."""
        entries = as_list(credential.get("credentialStatus")) if isinstance(credential, dict) else []
        if len(entries) > self.max_entries:
            return
        for entry in entries:
            parsed = _parse_entry(entry)
            if isinstance(parsed, _Entry) and self._fresh(parsed.key) is None:
                self._start(parsed.key)

    def _fresh(self, key: _Key) -> StatusList | _Failure | None:
        cached = self._cache.get(key)
        return cached[1] if cached is not None and cached[0] > time.monotonic() else None

    def _start(self, key: _Key) -> asyncio.Task[_Cached]:
        """The fetch of ``key`` under way, or a new one (cached when it ends, by the fetch itself)."""
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load(*key))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._settle(key, done))
        return task

    def _settle(self, key: _Key, task: asyncio.Task[_Cached]) -> None:
        # Cached once, by the fetch itself (not by each waiter), unless invalidate() detached it meanwhile.
        if self._inflight.get(key) is not task:
            return
        del self._inflight[key]
        if not task.cancelled() and task.exception() is None:
            self._remember(key, task.result())

    def _remember(self, key: _Key, cached: _Cached) -> None:
        self._forget(key)
        size = _footprint(key, cached[1])
        self._cache[key] = (cached[0], cached[1], size)
        self._cache_bytes += size
        if self._cache_bytes <= self._max_cache_bytes and len(self._cache) <= self._max_cache_entries:
            return
        now = time.monotonic()
        for stale in [k for k, (expires, _, _) in self._cache.items() if expires <= now and k != key]:
            self._forget(stale)
        while (self._cache_bytes > self._max_cache_bytes or len(self._cache) > self._max_cache_entries) \
                and len(self._cache) > 1:
            self._forget(next(iter(self._cache)))

    def _forget(self, key: _Key) -> None:
        cached = self._cache.pop(key, None)
        if cached is not None:
            self._cache_bytes -= cached[2]

    async def _load(self, url: str, entry_type: str) -> _Cached:
        # Failures are returned as plain code and message, never as the exception (see _Failure).
        try:
            fetched = await (self._fetch_token if entry_type == TOKEN_STATUS_LIST else self._fetch)(url)
            body, max_age = fetched.body, fetched.max_age
        except StatusListError as exc:
            metrics.status_fetch("none", exc.code)
            return time.monotonic() + FAILURE_TTL, _Failure(exc.code, exc.message[:MAX_MESSAGE])
        except Exception as exc:  # FetchError and anything else the transport raises
            metrics.status_fetch("none", "statusUnavailable")
            message = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
            return time.monotonic() + FAILURE_TTL, _Failure("statusUnavailable", f"cannot fetch the status list "
                                                            f"{url[:200]}: {message}"[:MAX_MESSAGE])
        source = str(fetched.provenance.get("source", "issuer"))
        try:
            found, ttl = await self._parse(url, entry_type, body)
        except StatusListError as exc:
            metrics.status_fetch(source, exc.code)
            return time.monotonic() + FAILURE_TTL, _Failure(exc.code, exc.message[:MAX_MESSAGE])
        metrics.status_fetch(source, "ok")
        found = replace(found, provenance=fetched.provenance)
        ttl = min(x for x in (ttl, max_age, self._max_ttl) if x is not None)
        if found.valid_until is not None:
            ttl = min(ttl, max(0.0, (found.valid_until - self._clock.now()).total_seconds()))
        return time.monotonic() + ttl, found

    async def _parse(self, url: str, entry_type: str, body: bytes) -> tuple[StatusList, float]:
        if entry_type == TOKEN_STATUS_LIST:
            return await self._parse_token(url, body)
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise StatusListError("statusInvalid", f"the status list at {url[:200]} is not JSON") from None
        if not isinstance(document, dict):
            raise StatusListError("statusInvalid", f"the status list at {url[:200]} is not a JSON object")
        if entry_type == REVOCATION_LIST:
            return _revocation_list(url, document), self._default_ttl
        credential_type, subject_type, multibase = LIST_KINDS[entry_type]
        if credential_type not in as_list(document.get("type")):
            raise StatusListError("statusInvalid", f"{url[:200]} is not a {credential_type}")
        report = await self._verify(document)
        if not report.verified:
            codes = ", ".join(sorted({e.code for e in report.errors})) or "not verified"
            raise StatusListError("statusInvalid", f"the status list credential at {url[:200]} does not verify "
                                  f"({codes})")
        subject = document.get("credentialSubject")
        if not isinstance(subject, dict) or subject_type not in as_list(subject.get("type")):
            raise StatusListError("statusInvalid", f"the status list's credentialSubject is not a {subject_type}")
        try:
            bits = decode_list(subject.get("encodedList"), multibase=multibase)
        except BitstringError as exc:
            raise StatusListError("statusInvalid", f"the status list's encodedList: {exc}") from None
        if len(bits) * 8 < MIN_ENTRIES:
            raise StatusListError("statusInvalid", f"the status list has {len(bits) * 8} bits, fewer than the "
                                  f"{MIN_ENTRIES} the specification requires")
        purposes = tuple(p for p in as_list(subject.get("statusPurpose")) if isinstance(p, str))
        ttl = subject.get("ttl")
        seconds = ttl / 1000 if isinstance(ttl, int | float) and not isinstance(ttl, bool) and ttl >= 0 \
            else self._default_ttl
        valid_until = parse_datetime(document.get("validUntil") or document.get("expirationDate"))
        return StatusList(url, issuer_id(document), purposes, bits=bits, valid_until=valid_until), seconds

    async def _parse_token(self, url: str, body: bytes) -> tuple[StatusList, float]:
        """A Status List Token: its signature (by a key of the DID its kid names), then its claims."""
        if self._verify_token is None:
            raise StatusListError("statusUnsupported", "this verifier does not check Token Status Lists")
        try:
            verified = await self._verify_token(body.strip())
        except JoseError as exc:
            raise StatusListError("statusInvalid", f"the Status List Token at {url[:200]} does not verify: "
                                  f"{exc.code}: {exc.detail}") from None
        try:
            token = read_status_list_token(verified, uri=url, now=int(self._clock.time()))
        except TokenStatusError as exc:
            raise StatusListError(exc.code, f"{url[:200]}: {exc.message}") from None
        valid_until = datetime.fromtimestamp(token.exp, UTC) if token.exp is not None else None
        ttl = float(token.ttl) if token.ttl is not None else self._default_ttl
        return StatusList(url, token.issuer, (), valid_until=valid_until, token=token), ttl

    async def check_token_status(self, status: Any, issuer: str, report: Report, now: datetime, *,
                                 deadline: float | None = None, path: str = "status") -> None:
        """Check a JWT credential's ``status`` claim (an IETF Token Status List reference) into ``report``
        (check ``status``): the Status List Token at its ``uri`` must be signed by ``issuer`` (the credential's
        issuer DID), and entry ``idx`` read 0 (VALID). 1 fails as ``revoked``, 2 as ``suspended``, any other
        value as ``unknownStatus``."""
        try:
            reference = parse_status_claim(status)
        except TokenStatusError as exc:
            report.error("status", exc.code, exc.message, path)
            report.passed("status", entries=[])
            return
        if reference is None:
            report.error("status", "statusUnsupported", "the status claim names no status_list (the only status "
                         "mechanism this node reads for JWT credentials)", path)
            report.passed("status", entries=[])
            return
        key = (reference.uri, TOKEN_STATUS_LIST)
        found = (await self._lists({key}, deadline))[key]
        try:
            result = await self._check_token_entry(reference, issuer, found, now, path, report)
        except StatusListError as exc:
            result = {"type": TOKEN_STATUS_LIST, "uri": reference.uri, "idx": reference.idx, "error": exc.code}
            if self.fail_open and exc.code == "statusUnavailable":
                report.warn("status", exc.code, exc.message + " (the node is configured to fail open)", path)
            else:
                report.error("status", exc.code, exc.message, path)
        report.passed("status", entries=[result])

    async def _check_token_entry(self, reference: StatusReference, issuer: str, found: StatusList | _Failure,
                                 now: datetime, path: str, report: Report) -> dict[str, Any]:
        if isinstance(found, _Failure):
            raise found.error()
        token = found.token
        if token is None:
            raise StatusListError("statusInvalid", f"{reference.uri[:200]} is not a Status List Token")
        if found.issuer != issuer:
            raise StatusListError("statusInvalid", f"the Status List Token is signed by {str(found.issuer)[:120]}, "
                                  "not by the credential's issuer")
        if found.valid_until is not None and found.valid_until < now:
            raise StatusListError("statusInvalid", f"the Status List Token expired at {found.valid_until.isoformat()}")
        try:
            value = token.status(reference.idx)
        except TokenStatusError as exc:
            raise StatusListError("statusInvalid", exc.message) from None
        result: dict[str, Any] = {"type": TOKEN_STATUS_LIST, "uri": reference.uri, "idx": reference.idx,
                                  "bits": token.bits, "status": value}
        if not await self._provenance(found, result, now, path, report):
            return result
        if value in TOKEN_FAILURES:
            code = TOKEN_FAILURES[value]
            report.error("status", code, f"the credential is {code} (Token Status List value {value})", path)
        elif value:
            report.error("status", "unknownStatus", f"the Token Status List gives the credential the status {value}, "
                         "which this node does not know how to read (only 0 is valid)", path)
        return result

    async def check(self, credential: dict[str, Any], report: Report, now: datetime, *,
                    deadline: float | None = None) -> None:
        """Check every ``credentialStatus`` entry of ``credential`` into ``report`` (check ``status``). The
        lists are fetched at once; ``deadline`` (a ``time.monotonic()`` value) is when to stop waiting."""
        declared = credential.get("credentialStatus")
        entries = as_list(declared)
        if not entries:
            return
        if len(entries) > self.max_entries:
            report.error("status", "tooManyStatusEntries", f"the credential has {len(entries)} credentialStatus "
                         f"entries; this node checks at most {self.max_entries}", "credentialStatus")
            report.passed("status", entries=[])
            return
        parsed = [_parse_entry(entry) for entry in entries]
        found = await self._lists({item.key for item in parsed if isinstance(item, _Entry)}, deadline)
        results = []
        for position, (entry, item) in enumerate(zip(entries, parsed, strict=True)):
            path = f"credentialStatus[{position}]" if isinstance(declared, list) else "credentialStatus"
            try:
                if isinstance(item, _Failure):
                    raise item.error()
                results.append(await self._check_entry(credential, item, found[item.key], now, path, report))
            except StatusListError as exc:
                results.append({"type": entry.get("type") if isinstance(entry, dict) else None, "error": exc.code})
                if self.fail_open and exc.code == "statusUnavailable":
                    report.warn("status", exc.code, exc.message + " (the node is configured to fail open)", path)
                else:
                    report.error("status", exc.code, exc.message, path)
        report.passed("status", entries=results)

    async def _lists(self, keys: set[_Key], deadline: float | None) -> dict[_Key, StatusList | _Failure]:
        """The lists for ``keys``: cached ones at once, the others fetched concurrently until ``deadline``."""
        out: dict[_Key, StatusList | _Failure] = {}
        waiting: dict[_Key, asyncio.Task[_Cached]] = {}
        for key in keys:
            cached = self._fresh(key)
            if cached is not None:
                out[key] = cached
                metrics.status_fetch("cache", "ok" if isinstance(cached, StatusList) else cached.code)
            else:
                waiting[key] = self._start(key)
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        if waiting and timeout != 0.0:
            # asyncio.wait neither cancels the shared fetches on a timeout nor when this caller is cancelled.
            await asyncio.wait(waiting.values(), timeout=timeout)
        for key, task in waiting.items():
            if task.done() and not task.cancelled():
                out[key] = task.result()[1]  # an unexpected exception in _load propagates, as it always did
            else:
                out[key] = _Failure("statusUnavailable", f"the status list {key[0][:200]} was not fetched before "
                                    "the deadline of this verification")
        return out

    async def _check_entry(self, credential: dict[str, Any], entry: _Entry, found: StatusList | _Failure,
                           now: datetime, path: str, report: Report) -> dict[str, Any]:
        if isinstance(found, _Failure):
            raise found.error()
        if entry.kind == REVOCATION_LIST:
            return await self._check_revocation_list(credential, entry, found, now, path, report)
        url, purpose, index, size = entry.url, entry.purpose, entry.index, entry.size
        if found.issuer != issuer_id(credential):
            raise StatusListError("statusInvalid", f"the status list is issued by {str(found.issuer)[:120]}, not "
                                  "by the credential's issuer")
        if len(found.bits) * 8 // size < MIN_ENTRIES:  # §3.2 step 9: entries, not bits, must reach the minimum
            raise StatusListError("statusInvalid", f"the status list has {len(found.bits) * 8 // size} entries of "
                                  f"{size} bits, fewer than the {MIN_ENTRIES} the specification requires")
        if found.valid_until is not None and found.valid_until < now:
            raise StatusListError("statusInvalid", f"the status list expired at {found.valid_until.isoformat()}")
        if purpose not in found.purposes:
            raise StatusListError("statusInvalid", f"the status list is for {', '.join(found.purposes)}, not "
                                  f"{purpose[:40]}")
        try:
            value = get_entry(found.bits, index, size)
        except BitstringError as exc:
            raise StatusListError("statusInvalid", str(exc)) from None
        result: dict[str, Any] = {"type": entry.kind, "statusPurpose": purpose, "statusListCredential": url,
                                  "statusListIndex": str(index), "status": value}
        if not await self._provenance(found, result, now, path, report):
            return result
        message = _message(entry.raw, value)
        if message is not None:
            result["message"] = message
        if value and purpose in FAILING_PURPOSES:
            code = FAILING_PURPOSES[purpose]
            report.error("status", code, f"the credential is {code}" + (f": {message}" if message else ""), path)
        return result

    async def _provenance(self, found: StatusList, result: dict[str, Any], now: datetime, path: str,
                          report: Report) -> bool:
        """Say where the list came from; a list whose issuer equivocated, or with too few witnesses, fails.
        False when the list may not vouch for the status at all: a stale replica, failing closed (``status``
        is then left out of ``result``)."""
        provenance = dict(found.provenance)
        if not provenance:
            return True
        anchored = parse_datetime(provenance.get("anchoredAt"))
        if anchored is not None:
            provenance["ageSeconds"] = max(0, int((now - anchored).total_seconds()))
        result["source"] = provenance.pop("source", "issuer")
        if "seq" in provenance:
            result["anchor"] = provenance
        if provenance.get("equivocations"):
            report.error("status", "issuerEquivocated", f"the issuer signed conflicting versions of its anchor log "
                         f"({provenance['equivocations']} proof(s) held): its status lists cannot be trusted", path)
        if self.witness_threshold and provenance.get("witnesses", 0) < self.witness_threshold:
            report.error("status", "insufficientWitnesses", f"the list version was witnessed by "
                         f"{provenance.get('witnesses', 0)} peer(s); this node requires {self.witness_threshold}",
                         path)
        if result["source"] != "replica":
            return True
        stale = await self.replicas.staleness(found.provenance, now)
        if stale is None:
            return True
        result.setdefault("anchor", provenance).update(stale.detail)
        message = f"the replica of the status list {found.url[:200]} may no longer vouch for it: {stale.reason}"
        if self.replicas.fail_open:
            result["stale"] = True
            report.warn("status", "statusStale", message + " (the node is configured to accept stale replicas)",
                        path)
            return True
        result.pop("status", None)
        result["error"] = "statusStale"
        report.error("status", "statusStale", message, path)
        return False

    async def _check_revocation_list(self, credential: dict[str, Any], entry: _Entry, found: StatusList,
                                     now: datetime, path: str, report: Report) -> dict[str, Any]:
        if found.issuer is not None and found.issuer != issuer_id(credential):
            raise StatusListError("statusInvalid", f"the revocation list is issued by {found.issuer[:120]}, not by "
                                  "the credential's issuer")
        credential_id = credential.get("id")
        revoked = isinstance(credential_id, str) and credential_id in found.revoked
        result: dict[str, Any] = {"type": REVOCATION_LIST, "statusPurpose": "revocation", "id": entry.url,
                                  "status": int(revoked)}
        # Where such a list came from is said only for a replica: that is when it can be too old to vouch.
        if found.provenance.get("source") == "replica" and not await self._provenance(found, result, now, path,
                                                                                      report):
            return result
        if revoked:
            report.error("status", "revoked", "the credential is revoked (it is in its issuer's revocation list)",
                         path)
        return result


def _parse_entry(entry: Any) -> _Entry | _Failure:
    """What an entry asks to read, or why it cannot be read (checked before any list is fetched)."""
    if not isinstance(entry, dict):
        return _Failure("statusInvalid", "a credentialStatus entry must be an object")
    kind = _entry_type(entry.get("type"))
    if kind == REVOCATION_LIST:
        url = entry.get("id")
        if not is_url(url):
            return _Failure("statusInvalid", f"{REVOCATION_LIST} needs the list's URL as its id")
        return _Entry(REVOCATION_LIST, url, "revocation", raw=entry)
    if not isinstance(kind, str) or kind not in LIST_KINDS:
        return _Failure("statusUnsupported", f"status type {str(kind)[:60]!r} is not supported (supported: "
                        f"{', '.join([*LIST_KINDS, REVOCATION_LIST])})")
    url, purpose = entry.get("statusListCredential"), entry.get("statusPurpose")
    index, size = _index(entry.get("statusListIndex")), entry.get("statusSize", 1)
    if not is_url(url) or not isinstance(purpose, str) or index is None:
        return _Failure("statusInvalid", f"{kind} needs statusListCredential (a URL), statusPurpose and "
                        "statusListIndex (a non-negative integer as a string)")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 8:
        return _Failure("statusInvalid", "statusSize must be an integer from 1 to 8")
    return _Entry(kind, url, purpose, index, size, entry)


def _footprint(key: _Key, value: StatusList | _Failure) -> int:
    """The bytes a cache slot holds: its key, its value and everything the value refers to."""
    size = _CACHE_SLOT + sys.getsizeof(key) + sys.getsizeof(key[0]) + sys.getsizeof(key[1])
    if isinstance(value, _Failure):
        return size + sys.getsizeof(value) + sys.getsizeof(value.code) + sys.getsizeof(value.message)
    parts: list[Any] = [value, value.__dict__, value.url, value.issuer, value.purposes, *value.purposes, value.bits,
                        value.revoked, *value.revoked]
    if value.token is not None:
        parts += [value.token, value.token.__dict__, value.token.data]
    # The provenance is a small dict of scalars: about twice its JSON length.
    return size + sum(sys.getsizeof(part) for part in parts) + 2 * len(orjson.dumps(value.provenance, default=str))


def _entry_type(value: Any) -> Any:
    """The one supported type an entry names (JSON-LD allows a type array), else the value as given."""
    known = [t for t in as_list(value) if isinstance(t, str) and (t in LIST_KINDS or t == REVOCATION_LIST)]
    return known[0] if len(known) == 1 else value


def _index(value: Any) -> int | None:
    # The spec writes statusListIndex as a string of digits; some issuers (1EdTech samples) use a number.
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 12:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _message(entry: dict[str, Any], value: int) -> str | None:
    for item in as_list(entry.get("statusMessage")):
        if isinstance(item, dict) and isinstance(item.get("status"), str):
            try:
                if int(item["status"], 16) == value:
                    return str(item.get("message"))
            except ValueError:
                continue
    return None


def _revocation_list(url: str, document: dict[str, Any]) -> StatusList:
    """A 1EdTech revocation list: ``{"id", "issuer"?, "revokedCredential": [{"id", "revoked"?}…]}`` (the
    1EdTech validator reads ``revokedCredential``; the plural is accepted too). An item whose ``revoked``
    is false does not count."""
    revoked = document.get("revokedCredential", document.get("revokedCredentials"))
    if not isinstance(revoked, list):
        raise StatusListError("statusInvalid", f"the revocation list at {url[:200]} has no revokedCredential")
    ids = set()
    for item in revoked:  # only string ids count (anything else is unhashable or cannot match a credential)
        if isinstance(item, dict) and item.get("revoked", True) is not False:
            item = item.get("id")
        if isinstance(item, str):
            ids.add(item)
    issuer = issuer_id(document)
    if "issuer" in document and not isinstance(issuer, str):
        raise StatusListError("statusInvalid", f"the revocation list at {url[:200]} names its issuer neither by a "
                              "string nor by an object with a string id")
    return StatusList(url, issuer, ("revocation",), revoked=frozenset(ids))

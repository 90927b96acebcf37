"""The verifier side of status: fetch, verify, cache and read status lists.

Supported entries: ``BitstringStatusListEntry`` (W3C Bitstring Status List v1.0), ``StatusList2021Entry``
(its predecessor) and Open Badges' ``1EdTechRevocationList``. A list is fetched once per URL however many
checks wait for it, its credential is verified (proof, validity, and the issuer must be the checked
credential's issuer), and the decoded bits are cached for the list's ``ttl`` / ``Cache-Control``. A list
that cannot be fetched or is not valid fails the ``status`` check (``statusUnavailable`` /
``statusInvalid``) unless the node is configured to fail open.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import orjson

from vcnode.credentials.model import as_list, is_url, issuer_id
from vcnode.credentials.report import Report
from vcnode.proofs.verify import parse_datetime
from vcnode.status.bitstring import MIN_ENTRIES, BitstringError, decode_list, get_entry


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

LIST_KINDS = {  # entry type → (list credential type, list subject type, encodedList is multibase)
    "BitstringStatusListEntry": ("BitstringStatusListCredential", "BitstringStatusList", True),
    "StatusList2021Entry": ("StatusList2021Credential", "StatusList2021", False),
}
REVOCATION_LIST = "1EdTechRevocationList"
FAILING_PURPOSES = {"revocation": "revoked", "suspension": "suspended"}
FAILURE_TTL = 10.0  # a list that failed is retried after this long, not on every check
MAX_CACHE_BYTES = 64 * 1024 * 1024  # decoded lists kept at most (one list may decode to 16 MB)
MAX_CACHE_ENTRIES = 10_000  # lists (and failures) kept at most


class StatusListError(Exception):
    """A list that could not be used: ``statusUnavailable`` (fetch) or ``statusInvalid`` (content)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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


class StatusChecker:
    """Status checks for every credential a node verifies; one instance per node (it holds the cache)."""

    def __init__(self, fetch: Fetch, verify: VerifyList, *, default_ttl: float = 300.0, max_ttl: float = 86_400.0,
                 fail_open: bool = False, witness_threshold: int = 0, max_cache_bytes: int = MAX_CACHE_BYTES,
                 max_cache_entries: int = MAX_CACHE_ENTRIES) -> None:
        self._fetch = fetch
        self._verify = verify
        self._default_ttl = default_ttl
        self._max_ttl = max_ttl
        self.fail_open = fail_open
        self.witness_threshold = witness_threshold
        self._max_cache_bytes = max_cache_bytes
        self._max_cache_entries = max_cache_entries
        # Oldest first: when the cache is over its bounds, expired entries go, then the oldest.
        self._cache: dict[tuple[str, str], tuple[float, StatusList | StatusListError]] = {}
        self._cache_bytes = 0
        self._inflight: dict[tuple[str, str], asyncio.Task[tuple[float, StatusList | StatusListError]]] = {}

    @property
    def cache_bytes(self) -> int:
        """About how much memory the cached lists take."""
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
        cached = self._cache.get(key)
        if cached is None or cached[0] <= time.monotonic():
            task = self._inflight.get(key)
            if task is None:
                # Shared by every check waiting for this list; shielded so one caller giving up does not
                # cancel the fetch for the others.
                task = asyncio.ensure_future(self._load(url, entry_type))
                self._inflight[key] = task
                task.add_done_callback(functools.partial(self._settle, key))
            cached = await asyncio.shield(task)
        result = cached[1]
        if isinstance(result, StatusListError):
            raise result
        return result

    def _settle(self, key: tuple[str, str], task: asyncio.Task[tuple[float, StatusList | StatusListError]]) -> None:
        # Cached once, by the fetch itself (not by each waiter), unless invalidate() detached it meanwhile.
        if self._inflight.get(key) is not task:
            return
        del self._inflight[key]
        if not task.cancelled() and task.exception() is None:
            self._remember(key, task.result())

    def _remember(self, key: tuple[str, str], cached: tuple[float, StatusList | StatusListError]) -> None:
        self._forget(key)
        self._cache[key] = cached
        self._cache_bytes += _footprint(cached[1])
        if self._cache_bytes <= self._max_cache_bytes and len(self._cache) <= self._max_cache_entries:
            return
        now = time.monotonic()
        for stale in [k for k, (expires, _) in self._cache.items() if expires <= now and k != key]:
            self._forget(stale)
        while (self._cache_bytes > self._max_cache_bytes or len(self._cache) > self._max_cache_entries) \
                and len(self._cache) > 1:
            self._forget(next(iter(self._cache)))

    def _forget(self, key: tuple[str, str]) -> None:
        cached = self._cache.pop(key, None)
        if cached is not None:
            self._cache_bytes -= _footprint(cached[1])

    async def _load(self, url: str, entry_type: str) -> tuple[float, StatusList | StatusListError]:
        try:
            fetched = await self._fetch(url)
            body, max_age = fetched.body, fetched.max_age
        except StatusListError as exc:
            return time.monotonic() + FAILURE_TTL, exc
        except Exception as exc:  # FetchError and anything else the transport raises
            message = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
            return time.monotonic() + FAILURE_TTL, StatusListError("statusUnavailable", f"cannot fetch the status "
                                                                   f"list {url[:200]}: {message}")
        try:
            found, ttl = await self._parse(url, entry_type, body)
        except StatusListError as exc:
            return time.monotonic() + FAILURE_TTL, exc
        found = replace(found, provenance=fetched.provenance)
        ttl = min(x for x in (ttl, max_age, self._max_ttl) if x is not None)
        if found.valid_until is not None:
            ttl = min(ttl, max(0.0, (found.valid_until - datetime.now(found.valid_until.tzinfo)).total_seconds()))
        return time.monotonic() + ttl, found

    async def _parse(self, url: str, entry_type: str, body: bytes) -> tuple[StatusList, float]:
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

    async def check(self, credential: dict[str, Any], report: Report, now: datetime) -> None:
        """Check every ``credentialStatus`` entry of ``credential`` into ``report`` (check ``status``)."""
        entries = as_list(credential.get("credentialStatus"))
        if not entries:
            return
        results = []
        for position, entry in enumerate(entries):
            path = f"credentialStatus[{position}]" if isinstance(credential.get("credentialStatus"), list) \
                else "credentialStatus"
            try:
                results.append(await self._check_entry(credential, entry, now, path, report))
            except StatusListError as exc:
                results.append({"type": entry.get("type") if isinstance(entry, dict) else None, "error": exc.code})
                if self.fail_open and exc.code == "statusUnavailable":
                    report.warn("status", exc.code, exc.message + " (the node is configured to fail open)", path)
                else:
                    report.error("status", exc.code, exc.message, path)
        report.passed("status", entries=results)

    async def _check_entry(self, credential: dict[str, Any], entry: Any, now: datetime, path: str,
                           report: Report) -> dict[str, Any]:
        if not isinstance(entry, dict):
            raise StatusListError("statusInvalid", "a credentialStatus entry must be an object")
        kind = _entry_type(entry.get("type"))
        if kind == REVOCATION_LIST:
            return await self._check_revocation_list(credential, entry, path, report)
        if not isinstance(kind, str) or kind not in LIST_KINDS:
            raise StatusListError("statusUnsupported", f"status type {str(kind)[:60]!r} is not supported (supported: "
                                  f"{', '.join([*LIST_KINDS, REVOCATION_LIST])})")
        url, purpose = entry.get("statusListCredential"), entry.get("statusPurpose")
        index, size = _index(entry.get("statusListIndex")), entry.get("statusSize", 1)
        if not is_url(url) or not isinstance(purpose, str) or index is None:
            raise StatusListError("statusInvalid", f"{kind} needs statusListCredential (a URL), statusPurpose and "
                                  "statusListIndex (a non-negative integer as a string)")
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 8:
            raise StatusListError("statusInvalid", "statusSize must be an integer from 1 to 8")
        found = await self.status_list(url, kind)
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
        result: dict[str, Any] = {"type": kind, "statusPurpose": purpose, "statusListCredential": url,
                                  "statusListIndex": str(index), "status": value}
        self._provenance(found, result, now, path, report)
        message = _message(entry, value)
        if message is not None:
            result["message"] = message
        if value and purpose in FAILING_PURPOSES:
            code = FAILING_PURPOSES[purpose]
            report.error("status", code, f"the credential is {code}" + (f": {message}" if message else ""), path)
        return result

    def _provenance(self, found: StatusList, result: dict[str, Any], now: datetime, path: str,
                    report: Report) -> None:
        """Say where the list came from; a list whose issuer equivocated, or with too few witnesses, fails."""
        provenance = dict(found.provenance)
        if not provenance:
            return
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

    async def _check_revocation_list(self, credential: dict[str, Any], entry: dict[str, Any], path: str,
                                     report: Report) -> dict[str, Any]:
        url = entry.get("id")
        if not is_url(url):
            raise StatusListError("statusInvalid", f"{REVOCATION_LIST} needs the list's URL as its id")
        found = await self.status_list(url, REVOCATION_LIST)
        if found.issuer is not None and found.issuer != issuer_id(credential):
            raise StatusListError("statusInvalid", f"the revocation list is issued by {found.issuer[:120]}, not by "
                                  "the credential's issuer")
        credential_id = credential.get("id")
        revoked = isinstance(credential_id, str) and credential_id in found.revoked
        if revoked:
            report.error("status", "revoked", "the credential is revoked (it is in its issuer's revocation list)",
                         path)
        return {"type": REVOCATION_LIST, "statusPurpose": "revocation", "id": url, "status": int(revoked)}


def _entry_type(value: Any) -> Any:
    """The one supported type an entry names (JSON-LD allows a type array), else the value as given."""
    known = [t for t in as_list(value) if isinstance(t, str) and (t in LIST_KINDS or t == REVOCATION_LIST)]
    return known[0] if len(known) == 1 else value


def _footprint(result: StatusList | StatusListError) -> int:
    """Roughly the bytes a cache entry holds."""
    if isinstance(result, StatusListError):
        return 256 + len(result.message)
    return 256 + len(result.url) + len(result.bits) + sum(64 + len(i) for i in result.revoked)


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

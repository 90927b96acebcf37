"""The issuer side of status lists: entries for new credentials, status changes, and the signed lists.

A change only flips bits and bumps the list's version; the list credential is re-signed when it is next
asked for (``published``), so a thousand revocations cost one signature. A published list is also
re-signed when it was signed longer than ``heartbeat`` ago (and at the latest when half its validity has
passed, so a served list is never close to expiring). Every signing is anchored: the heartbeat keeps the
anchored copies peers replicate young, and a peer lets a replica vouch only while it is young (``statusStale``
after ``replica_max_age``), so it bounds how long an unchanged list stays usable while its issuer is offline.

Signing is background work with one owner per node (:mod:`vcnode.background`): a serving process that does not
own it (``may_sign`` False) never signs nor anchors. It serves the stored signed copy — one behind the list's
latest change with ``max-age=0``, until the owner, woken by the change feed, re-signs it — and answers
:class:`StatusListNotPublished` (503, ``Retry-After``) while no unexpired signed copy exists.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from vcnode.clock import SYSTEM_CLOCK, Clock, format_timestamp, parse_datetime
from vcnode.credentials.issue import issue_credential
from vcnode.credentials.model import VC_V2, as_list
from vcnode.errors import Conflict, InvalidInput, NotFound, VcnodeError
from vcnode.identity.service import IdentityService
from vcnode.keys.signer import SigningKey
from vcnode.proofs import document_suite_for
from vcnode.status.bitstring import encode_list
from vcnode.status.entries import LIST_CREDENTIAL_TYPE, LIST_TYPE
from vcnode.status.records import StatusChange, StatusListRecord, StatusTokenRecord
from vcnode.status.token_list import TokenStatusError, from_bitstring, parse_status_claim, sign_status_list_token

if TYPE_CHECKING:  # the store implements this package's records and ports: it sits above, not below
    from vcnode.status.repository import StatusStore

#: The lists an SD-JWT VC's status may point at: revocation, one bit per entry (a set bit is the token list's
#: 1, INVALID). A suspension would need a 2-bit token list (2 = SUSPENDED); see docs/status.md.
TOKEN_PURPOSE, TOKEN_BITS = "revocation", 1
ENVELOPED_TYPE = "EnvelopedVerifiableCredential"
SD_JWT_DATA_PREFIX = "data:application/dc+sd-jwt,"
#: Seconds a client is asked to wait for a list not signed yet: about the change feed's poll interval, within
#: which the owner of the node's background work hears of the change and signs.
RETRY_AFTER = 2


class StatusListUnsignable(VcnodeError):
    """The issuing identity's key cannot sign status lists: a BLS12-381 G2 (BBS) key signs bbs-2023 base proofs
    only, which verifiers refuse, and no JOSE algorithm (Status List Tokens)."""

    code = "statusListUnsignable"
    status = 400
    title = "This identity cannot sign status lists"


def status_suite_for(key: SigningKey) -> str:
    """The suite the status lists of ``key``'s identity are signed with (:func:`vcnode.proofs.document_suite_for`);
    :class:`StatusListUnsignable` when none signs with its key type. Issuing asks this before it hands out a
    status index, so no credential points at a list that could never be published."""
    suite = document_suite_for(key.key_type)
    if suite is None:
        did = key.verification_method.split("#", 1)[0]
        raise StatusListUnsignable(f"{did[:120]} holds a {key.key_type} key, which signs bbs-2023 credentials only "
                                   "and cannot sign status lists: issue without status entries, or with an "
                                   "Ed25519, P-256 or P-384 identity")
    return suite


class StatusListNotPublished(VcnodeError):
    """No signed copy of the list that could be served yet: it was never signed, or its last copy expired, and
    this process leaves signing to the node's background owner (503, ``Retry-After``)."""

    code = "statusListNotPublished"
    status = 503
    title = "Status list not published yet"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, extra={"retryAfter": RETRY_AFTER})


class StatusEvents(Protocol):
    """What a :class:`StatusService` reports (its port; the node answers it, see ``vcnode.node.NodeEvents``)."""

    def changed(self, url: str) -> None:
        """An entry of the list served at ``url`` changed: a cached copy of it is out of date."""
        ...

    async def published(self, issuer: str, url: str, version: int, document: bytes) -> None:
        """The list at ``url`` was (re-)signed as ``version`` of ``document``: anchor it."""
        ...


@dataclass(frozen=True)
class PublishedList:
    """A signed status list credential ready to serve."""

    document: bytes
    etag: str
    max_age: int
    version: int


@dataclass(frozen=True)
class StatusUpdate:
    """The outcome of a status change."""

    credential_id: str
    purpose: str
    list_url: str
    index: int
    before: int
    after: int

    def to_json(self) -> dict[str, Any]:
        return {"credentialId": self.credential_id, "statusPurpose": self.purpose, "statusListCredential":
                self.list_url, "statusListIndex": str(self.index), "before": self.before, "after": self.after}


class StatusService:
    """Status lists of the identities this node holds."""

    def __init__(self, store: StatusStore, identities: IdentityService, *, base_url: str, ttl: float,
                 validity: float, heartbeat: float | None = None, clock: Clock = SYSTEM_CLOCK,
                 events: StatusEvents | None = None) -> None:
        self._store = store
        self._clock = clock
        self._identities = identities
        self._base_url = base_url.rstrip("/")
        self._ttl = ttl
        self._validity = validity
        self._heartbeat = min(heartbeat if heartbeat is not None else validity / 2, validity / 2)
        #: Told when an entry changed (the node drops its cached copy) and when a list was signed (anchoring).
        self._events = events
        #: Whether this process signs (and so anchors) its lists: True alone or as the owner of the node's
        #: background work; a serving process that is not the owner turns it off (see vcnode.background).
        self.may_sign = True

    def _now(self) -> datetime:
        # Whole seconds: validFrom/validUntil are written to the second, and freshness compares with them.
        return self._clock.now().replace(microsecond=0)

    def list_url(self, list_id: str) -> str:
        """Where the list credential is served."""
        return f"{self._base_url}/status/{list_id}"

    def list_id(self, url: str) -> str | None:
        """The id of one of this node's lists from its URL, else None."""
        prefix = f"{self._base_url}/status/"
        return url[len(prefix):] if url.startswith(prefix) and "/" not in url[len(prefix):] else None

    def token_url(self, list_id: str) -> str:
        """Where the list is served as a Status List Token (the ``uri`` of SD-JWT VCs' ``status_list``)."""
        return f"{self.list_url(list_id)}/token"

    def token_list_id(self, url: str) -> str | None:
        """The id of one of this node's lists from its token URL, else None."""
        return self.list_id(url[:-len("/token")]) if url.endswith("/token") else None

    def _carried(self, document: Any) -> set[tuple[Any, str]]:
        """(list credential URL, index) of each status entry a stored credential carries: its
        ``credentialStatus`` entries, or for an SD-JWT VC (stored enveloped) its ``status.status_list``."""
        if isinstance(document, dict) and ENVELOPED_TYPE in as_list(document.get("type")) \
                and str(document.get("id", "")).startswith(SD_JWT_DATA_PREFIX):
            reference = _sd_jwt_status(document["id"][len(SD_JWT_DATA_PREFIX):])
            list_id = self.token_list_id(reference.uri) if reference is not None else None
            return {(self.list_url(list_id), str(reference.idx))} if list_id and reference else set()
        return {(entry.get("statusListCredential"), str(entry.get("statusListIndex")))
                for entry in as_list(document.get("credentialStatus") if isinstance(document, dict) else None)
                if isinstance(entry, dict)}

    async def update(self, credential_id: str, purpose: str, value: int, *, actor: str,
                     reason: str | None = None) -> StatusUpdate:
        """Set the ``purpose`` entry of a credential this node issued to ``value`` (1 sets the bit) and log
        it. :class:`NotFound` for an unknown credential, :class:`Conflict` when it has no such entry, and
        :class:`Conflict` ``revocationIrreversible`` for clearing a revocation entry that is set."""
        stored = await self._store.get_credential(credential_id)
        if stored is None:
            raise NotFound(f"this node issued no credential {credential_id[:200]!r}")
        # The entries the stored credential carries. Issuing is idempotent by id now, but a store written
        # before may hold indexes of earlier copies under the same id: only those of the copy held are meant.
        carried = self._carried(orjson.loads(stored.document))
        for _, list_id, index in await self._store.status_indexes([credential_id]):
            record = await self._store.get_status_list(list_id)
            if record is None or record.purpose != purpose or (self.list_url(list_id), str(index)) not in carried:
                continue
            if not 0 <= value < (1 << record.status_size):
                raise InvalidInput(f"status {value} does not fit the list's statusSize {record.status_size}")
            # A revocation is irreversible: the store refuses a clear in the transaction that would write it
            # (a check here, before the write, would race concurrent requests and the CLI).
            change = await self._store.change_status(StatusChange(
                at=self._now().isoformat(), actor=actor, credential_id=credential_id, list_id=list_id, index=index,
                purpose=purpose, before=0, after=value, reason=reason), irreversible=purpose == "revocation")
            url = self.list_url(list_id)
            if self._events is not None and change.before != change.after:
                self._events.changed(url)
                self._events.changed(self.token_url(list_id))
            return StatusUpdate(credential_id, purpose, url, index, change.before, change.after)
        raise Conflict(f"credential {credential_id[:200]} was issued without a {purpose[:40]} status entry")

    async def published(self, list_id: str) -> PublishedList:
        """The signed list credential, re-signed first if the list changed or was signed longer than the
        heartbeat ago."""
        record = await self._store.get_status_list(list_id)
        if record is None:
            raise NotFound(f"no status list {list_id[:80]!r}")
        until = parse_datetime(record.published_until) if record.published_until else None
        return await self._serve(record.published, record.published_version, until, record.version,
                                 lambda now: self._sign(record, now), f"status list {list_id[:80]!r}")

    async def _serve(self, document: str | None, signed_version: int | None, until: datetime | None,
                     version: int, sign: Callable[[datetime], Awaitable[str]], what: str) -> PublishedList:
        """A list's (or token's) signed copy: the stored one while it is of the list's version and not near
        its end, else a new signature where this process may sign (the owner), else the stored one as a
        standby may serve it (:func:`_stored`)."""
        now = self._now()
        fresh = (document is not None and signed_version == version
                 and until is not None and (until - now).total_seconds() > self._validity - self._heartbeat)
        if fresh and document:
            return _served(document, self._ttl, version)
        if self.may_sign:
            return _served(await sign(now), self._ttl, version)
        return _stored(document, until, now, self._ttl, signed_version == version, signed_version, what)

    async def _sign(self, record: StatusListRecord, now: datetime) -> str:
        url = self.list_url(record.id)
        # Read after the record: the bits are at least as new as the version they are published under.
        bits = await self._store.status_bits(record.id)
        until = now + timedelta(seconds=self._validity)
        credential = {
            "@context": [VC_V2], "id": url, "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
            "issuer": record.issuer, "validFrom": _stamp(now), "validUntil": _stamp(until),
            "credentialSubject": {"id": f"{url}#list", "type": LIST_TYPE, "statusPurpose": record.purpose,
                                  "encodedList": encode_list(bits), "ttl": int(self._ttl * 1000)},
        }
        key = self._identities.signing_key(record.issuer)
        signed = issue_credential(credential, key, suite=status_suite_for(key), created=_stamp(now))
        document = orjson.dumps(signed).decode()
        await self._store.publish_status_list(record.id, record.version, document, until.isoformat())
        if self._events is not None:
            await self._events.published(record.issuer, url, record.version, document.encode())
        return document

    async def published_token(self, list_id: str) -> PublishedList:
        """The list as a signed Status List Token, re-signed first if the list changed or the token was signed
        longer than the heartbeat ago. :class:`NotFound` unless an SD-JWT VC references the list."""
        record = await self._store.get_status_token(list_id)
        if record is None or not record.tokens:
            raise NotFound(f"no Status List Token {list_id[:80]!r}")
        until = datetime.fromisoformat(record.token_until) if record.token_until else None
        return await self._serve(record.token, record.token_version, until, record.version,
                                 lambda now: self._sign_token(record, now), f"Status List Token {list_id[:80]!r}")

    async def _sign_token(self, record: StatusTokenRecord, now: datetime) -> str:
        url = self.token_url(record.id)
        # Read after the record: the bits are at least as new as the version they are published under. The
        # store keeps them most significant bit first (Bitstring Status List); a token list counts from the least.
        data = from_bitstring(await self._store.status_bits(record.id), record.status_size)
        until = now + timedelta(seconds=self._validity)
        key = self._identities.signing_key(record.issuer)
        status_suite_for(key)  # the same refusal as a list credential's for a key that signs no JOSE
        token = sign_status_list_token(data, record.status_size, key.single_signer, uri=url,
                                       kid=key.verification_method,
                                       iat=int(now.timestamp()), issuer=record.issuer, exp=int(until.timestamp()),
                                       ttl=max(1, int(self._ttl)))
        await self._store.publish_status_token(record.id, record.version, token, until.isoformat())
        if self._events is not None:
            await self._events.published(record.issuer, url, record.version, token.encode())
        return token

    async def publish_changed(self) -> int:
        """Re-sign every list (and Status List Token) that changed since it was last signed, or was signed
        longer than the heartbeat ago (so the change, or the fresh copy, is anchored and gossiped now, not when
        the list is next fetched); returns how many were re-signed. Nothing in a process that may not sign:
        the owner of the node's background work re-signs when the change feed tells it of the change."""
        if not self.may_sign:
            return 0
        count = 0
        due = (self._now() + timedelta(seconds=self._validity - self._heartbeat)).isoformat()
        for list_id in await self._store.changed_status_lists(signed_until_before=due):
            record = await self._store.get_status_list(list_id)
            if record is not None and self._identities.holds(record.issuer):
                await self.published(list_id)
                count += 1
        for list_id in await self._store.changed_status_tokens(signed_until_before=due):
            token = await self._store.get_status_token(list_id)
            if token is not None and self._identities.holds(token.issuer):
                await self.published_token(list_id)
                count += 1
        return count

    async def log(self, credential_id: str | None = None, limit: int = 1000, *,
                  issuers: Sequence[str] | None = None, before: int | None = None) -> list[dict[str, Any]]:
        """The audit log, newest first, as JSON objects; with ``issuers``, only changes to those identities'
        lists; with ``before`` (a change's ``seq``), only older changes (the next page)."""
        return [{"at": c.at, "actor": c.actor, "credentialId": c.credential_id, "statusPurpose": c.purpose,
                 "statusListCredential": self.list_url(c.list_id), "statusListIndex": str(c.index),
                 "before": c.before, "after": c.after, "reason": c.reason, "seq": c.seq}
                for c in await self._store.status_changes(credential_id, limit, issuers=issuers, before=before)]


def _served(document: str, ttl: float, version: int | None) -> PublishedList:
    body = document.encode()
    return PublishedList(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"', int(ttl), version or 0)


def _stored(document: str | None, until: datetime | None, now: datetime, ttl: float, current: bool,
            version: int | None, what: str) -> PublishedList:
    """The stored signed copy, served by a process that may not sign: while it has not expired, and with
    ``max_age`` 0 when the list changed since it was signed (caches ask again, and get the owner's new copy
    soon); else :class:`StatusListNotPublished`."""
    if document is None or until is None:
        raise StatusListNotPublished(f"the {what} has not been signed yet; it will be shortly")
    if until <= now:
        raise StatusListNotPublished(f"the signed copy of the {what} expired; a new one will be signed shortly")
    return _served(document, ttl if current else 0, version)


def _sd_jwt_status(token: str) -> Any:
    """The ``status.status_list`` reference in the payload of a stored SD-JWT VC (this node's own: not
    verified again), or None."""
    try:
        payload = token.split("~", 1)[0].split(".")[1]
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return parse_status_claim(claims.get("status")) if isinstance(claims, dict) and "status" in claims else None
    except (IndexError, ValueError, TokenStatusError):
        return None


def _stamp(moment: datetime) -> str:
    return format_timestamp(moment, timespec="auto", keep_offset=True)

"""The one issuing path: every credential the node issues and keeps goes through :func:`issue_and_store`.

HTTP ``/credentials/issue`` and ``vcnode issue`` (:class:`~vcnode.issuing.service.CredentialService`), claims and
stacked awards (through the same service), CSV batches (:mod:`vcnode.issuing.batch`) and the OpenID4VCI SD-JWT VC
(:mod:`vcnode.oid4vci.sd_jwt_vc`) differ in what they sign and how they word a refusal, not in the rules:

- one store transaction (:meth:`IssuingRepository.issuance`) holds everything: ``within`` (an exchange completing) runs
  first, then the ids already stored are looked up, status indexes are allocated, the credentials are signed
  and stored. Whatever raises rolls all of it back, so an index is never handed out without its credential,
  nor twice, and a batch chunk is stored whole or not at all;
- idempotent by id (see :mod:`vcnode.issuing.idempotency`): an id stored from the same request (same request
  hash) is given back as it was, without new indexes; one stored from another request is refused
  (:class:`~vcnode.issuing.idempotency.CredentialIdInUse`, 409), inside the transaction. The look-up is made
  in the transaction and the store's ids are insert-once, so concurrent requests and other processes store one
  copy.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import orjson

from vcnode.clock import SYSTEM_CLOCK, Clock, format_timestamp
from vcnode.credentials.issue import issue_credential
from vcnode.credentials.records import CredentialRecord
from vcnode.issuing.idempotency import id_in_use
from vcnode.issuing.repository import CredentialIdTaken
from vcnode.keys.signer import SigningKey
from vcnode.status.entries import status_entry, with_status
from vcnode.status.records import StatusAllocation, StatusListSpec

if TYPE_CHECKING:  # the store implements this package's records and ports: it sits above, not below
    from vcnode.issuing.repository import Issuance, IssuingRepository


@dataclass(frozen=True)
class IssueItem:
    """One credential to issue: the id it is stored under, the unsigned credential, and the hash of the request
    it comes from (None: the request cannot be repeated, so any stored copy under the id is a conflict)."""

    record_id: str
    credential: dict[str, Any]
    request_hash: str | None


@dataclass(frozen=True)
class IssueOutcome:
    """What became of one item: the stored record, and whether it was issued now (``created``) or was stored
    before from the same request (a replay). ``signed`` is the document just signed (None for a replay)."""

    record: CredentialRecord
    created: bool
    signed: dict[str, Any] | None = None

    @property
    def document(self) -> dict[str, Any]:
        """The stored document (signed now, or read back from the store for a replay)."""
        if self.signed is not None:
            return self.signed
        document: dict[str, Any] = orjson.loads(self.record.document)
        return document


class CredentialFormat(Protocol):
    """How an unsigned credential and its status indexes become the document stored (signed)."""

    #: The status lists it takes indexes from are served as Status List Tokens (SD-JWT VCs reference those).
    tokens: bool

    def sign(self, credential: dict[str, Any], allocations: Sequence[StatusAllocation]) -> dict[str, Any]:
        """The document to store for ``credential`` carrying ``allocations`` (one per status spec, in order)."""
        ...


@dataclass(frozen=True)
class DataIntegrity:
    """A W3C VC with a Data Integrity proof by ``key`` in ``suite``; each index becomes a ``credentialStatus``
    entry pointing at ``list_url(list_id)`` (the node's status lists)."""

    key: SigningKey
    suite: str
    list_url: Callable[[str], str] | None = None
    #: ecdsa-sd-2023: the JSON pointers every derived proof must reveal (None: the suite's default).
    mandatory_pointers: list[str] | None = None
    tokens: ClassVar[bool] = False

    def sign(self, credential: dict[str, Any], allocations: Sequence[StatusAllocation]) -> dict[str, Any]:
        """``credential`` with its status entries, signed."""
        if allocations:
            if self.list_url is None:
                raise ValueError("status entries need the status lists' URLs")
            credential = with_status(credential, [status_entry(self.list_url(a.list_id), a) for a in allocations])
        return issue_credential(credential, self.key, suite=self.suite, mandatory_pointers=self.mandatory_pointers)


#: Builds the refusal for an item whose id is stored from a different request (raised inside the transaction).
ConflictError = Callable[[IssueItem, CredentialRecord], Exception]


def _id_in_use(item: IssueItem, record: CredentialRecord) -> Exception:
    return id_in_use(record)


def same_request(record: CredentialRecord, request_hash: str | None, *, unrecorded_is_same: bool = False) -> bool:
    """Whether ``record`` was stored from the request whose hash is ``request_hash``. A record stored before
    requests were recorded (no hash) is the same only with ``unrecorded_is_same`` (batches: a row done by an
    earlier run counted as done then); a request without a hash never is."""
    if record.request_hash is None:
        return unrecorded_is_same
    return request_hash is not None and record.request_hash == request_hash


def created_timestamp(clock: Clock = SYSTEM_CLOCK) -> str:
    """When a credential is stored: a dateTimeStamp to the millisecond (the desk lists newest first)."""
    return format_timestamp(clock.now(), timespec="milliseconds")


async def issue_and_store(store: IssuingRepository, items: Sequence[IssueItem], *, issuer: str, form: CredentialFormat,
                          status: Sequence[StatusListSpec] = (),
                          within: Callable[[Issuance], Awaitable[None]] | None = None,
                          conflict: ConflictError = _id_in_use, unrecorded_is_same: bool = False,
                          clock: Clock = SYSTEM_CLOCK) -> list[IssueOutcome]:
    """Issue ``items`` by ``issuer`` in one store transaction (see the module's description); the outcome of
    each, in order. ``status``: the lists each new credential gets an index in (specs with the node's list
    length). ``conflict`` words the refusal of an id stored from another request; ``unrecorded_is_same``: see
    :func:`same_request`. ``clock`` dates the stored records."""
    ids = [item.record_id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError("each credential to issue needs its own id")
    try:
        return await _issue_once(store, items, issuer=issuer, form=form, status=status, within=within,
                                 conflict=conflict, unrecorded_is_same=unrecorded_is_same, clock=clock)
    except CredentialIdTaken:
        pass
    # Another process stored one of these ids between this transaction's look-up and its insert (PostgreSQL
    # runs issuers at once; SQLite's single writer cannot meet this): once more, the look-up now finds it and
    # answers as for any stored id — the same request gets it back, another is refused.
    return await _issue_once(store, items, issuer=issuer, form=form, status=status, within=within,
                             conflict=conflict, unrecorded_is_same=unrecorded_is_same, clock=clock)


async def _issue_once(store: IssuingRepository, items: Sequence[IssueItem], *, issuer: str, form: CredentialFormat,
                      status: Sequence[StatusListSpec], within: Callable[[Issuance], Awaitable[None]] | None,
                      conflict: ConflictError, unrecorded_is_same: bool, clock: Clock) -> list[IssueOutcome]:
    ids = [item.record_id for item in items]
    outcomes: dict[str, IssueOutcome] = {}
    async with store.issuance() as transaction:
        if within is not None:
            await within(transaction)
        stored = await transaction.find_credentials(ids)
        todo = []
        for item in items:
            record = stored.get(item.record_id)
            if record is None:
                todo.append(item)
            elif same_request(record, item.request_hash, unrecorded_is_same=unrecorded_is_same):
                outcomes[item.record_id] = IssueOutcome(record, created=False)
            else:  # raised here, not after the commit: what ``within`` wrote is rolled back too
                raise conflict(item, record)
        if todo:
            allocations: dict[str, list[StatusAllocation]] = {item.record_id: [] for item in todo}
            for spec in status:
                given = await transaction.allocate(issuer, spec, list(allocations))
                for allocation in given:
                    allocations[allocation.credential_id].append(allocation)
                if form.tokens:
                    for list_id in dict.fromkeys(allocation.list_id for allocation in given):
                        await transaction.serve_as_tokens(list_id)
            created = created_timestamp(clock)
            records = []
            for item in todo:
                signed = form.sign(item.credential, allocations[item.record_id])
                record = CredentialRecord(item.record_id, issuer, orjson.dumps(signed).decode(), created,
                                          item.request_hash)
                records.append(record)
                outcomes[item.record_id] = IssueOutcome(record, created=True, signed=signed)
            await transaction.save_credentials(records)
    return [outcomes[record_id] for record_id in ids]

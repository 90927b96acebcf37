"""The store interface. Everything outside ``vcnode.store`` uses this; nothing else writes SQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Literal, Protocol

from vcnode.credentials.records import CredentialRecord
from vcnode.errors import Conflict
from vcnode.identity.records import IdentityRecord, KeyRecord, WebvhEntryRecord
from vcnode.status.records import StatusAllocation, StatusChange, StatusListRecord, StatusListSpec, StatusTokenRecord
from vcnode.store.records import ExchangeRecord, JobRecord, TokenRecord

#: A challenge's state: open (usable), consumed (by this call), never handed out (or purged), past its expiry,
#: already used.
ChallengeState = Literal["open", "consumed", "unknown", "expired", "used"]
#: Why an exchange could (``completed``: by this call) or could not be completed: unknown id, already
#: complete, cancelled or refused (``invalid``), past its expiry.
CompletionState = Literal["completed", "unknown", "complete", "invalid", "expired"]
#: What redeeming an OpenID4VCI pre-authorised code came to: an access token stored (``issued``); a code never
#: minted, past its time or already redeemed; its exchange no longer open; a wrong tx_code (counted); the
#: exchange's tx_code attempts used up (``locked``).
RedeemState = Literal["issued", "unknown", "expired", "used", "exchangeClosed", "wrongTxCode", "locked"]
#: Outcomes of the login page's code check (:meth:`Store.authorize_oid4vci`).
LoginState = Literal["authorized", "exchangeClosed", "wrongTxCode", "locked", "tooMany"]
#: Outcomes of redeeming an authorisation code (:meth:`Store.redeem_oid4vci_auth_code`).
AuthCodeState = Literal["issued", "unknown", "expired", "used", "exchangeClosed", "mismatch"]


class CredentialIdTaken(Conflict):
    """Saving a credential met one stored under its id by a transaction that committed after this one looked
    (409 ``credentialIdInUse``): looking again answers it."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, code="credentialIdInUse")


class Issuance(Protocol):
    """Work done inside one write transaction: status indexes handed out and the credentials that carry
    them are stored together, or neither is."""

    async def allocate(self, issuer: str, spec: StatusListSpec, credential_ids: list[str]) -> list[StatusAllocation]:
        """One unpredictable, never used index per credential in the issuer's open list of this kind (new lists
        as they fill), in the order of ``credential_ids``; the cost does not grow with the list's length or fill."""
        ...

    async def serve_as_tokens(self, list_id: str) -> None:
        """Mark a list as referenced by Status List Tokens (an SD-JWT VC carries one of its entries): from now on
        it is served and kept signed as a token too."""
        ...

    async def find_credentials(self, ids: list[str]) -> dict[str, CredentialRecord]:
        """The stored credentials among ``ids``, by id, read inside the transaction (so what is not found
        cannot appear before it commits)."""
        ...

    async def save_credentials(self, records: list[CredentialRecord]) -> None:
        """Store issued credentials (with their search terms and achievements, :mod:`vcnode.store.search`).
        Ids are insert-once: :class:`~vcnode.errors.Conflict` ``credentialIdInUse`` (and the transaction is
        rolled back) when one is already stored."""
        ...

    async def complete_exchange(self, exchange_id: str, now: float, holder: str | None, result: str) -> CompletionState:
        """Mark a pending or active, unexpired exchange complete with ``holder`` and ``result`` (JSON), a
        compare-and-set inside the transaction: of two wallets racing for one exchange exactly one gets
        ``completed``. Otherwise nothing changes and the state says why; the caller then raises, so that
        what it wrote in the same transaction (an issued credential) is rolled back too."""
        ...


class Store(Protocol):
    """Persistent state of a node. Implementations: SQLite (embedded); PostgreSQL later."""

    async def open(self) -> None:
        """Connect and apply pending schema migrations."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...

    async def ping(self) -> bool:
        """True when the store answers."""
        ...

    async def schema_version(self) -> int:
        """The number of the newest applied migration."""
        ...

    async def get_meta(self, key: str) -> str | None:
        """A node metadata value, or None."""
        ...

    async def set_meta(self, key: str, value: str) -> None:
        """Set a node metadata value."""
        ...

    async def ensure_meta(self, key: str, value: str) -> str:
        """The metadata value of ``key``, set to ``value`` first when it has none (atomically: of processes
        racing to set it, all get the one value stored)."""
        ...

    async def add_identity(self, identity: IdentityRecord, key: KeyRecord,
                           webvh_entry: WebvhEntryRecord | None = None) -> None:
        """Store a new identity with its first (active) key and, for did:webvh, its first log entry, atomically."""
        ...

    async def list_identities(self) -> list[IdentityRecord]:
        """All identities, the default first, then by creation."""
        ...

    async def get_identity(self, did: str) -> IdentityRecord | None:
        """One identity by DID."""
        ...

    async def list_keys(self, identity_did: str | None = None) -> list[KeyRecord]:
        """Keys (of one identity, or all), newest first within an identity."""
        ...

    async def rotate_key(self, identity_did: str, new_key: KeyRecord, at: str,
                         webvh_entry: WebvhEntryRecord | None = None) -> KeyRecord:
        """Retire the active key at ``at`` and make ``new_key`` active (appending the did:webvh log entry that
        publishes it), atomically; returns the retired key. :class:`Conflict` if that entry number exists."""
        ...

    async def list_webvh_entries(self) -> list[WebvhEntryRecord]:
        """Every did:webvh log entry, by identity then version number."""
        ...

    async def add_token(self, token: TokenRecord) -> None:
        """Store a new API token."""
        ...

    async def find_token(self, token_hash: str) -> TokenRecord | None:
        """The token with this hash, revoked or not."""
        ...

    async def list_tokens(self) -> list[TokenRecord]:
        """All tokens, newest first."""
        ...

    async def revoke_token(self, token_id: str, at: str) -> bool:
        """Revoke a token by id; False when there is no such live token."""
        ...

    async def get_credential(self, credential_id: str) -> CredentialRecord | None:
        """An issued credential by id."""
        ...

    async def search_credentials(self, query: str | None = None, *, terms: Sequence[str] = (),
                                 issuers: Sequence[str] | None = None, before: tuple[str, str] | None = None,
                                 limit: int = 50) -> list[CredentialRecord]:
        """Issued credentials, newest first, at most ``limit``: of ``issuers`` (None: every identity's), with a
        search term starting with ``query`` (see :mod:`vcnode.store.search`) or equal to one of ``terms`` (when
        either is given), created before ``before`` = (created, id) of the last one of the previous page.
        Index range scans only: the cost follows the matches and the page, not the number stored."""
        ...

    async def add_credential_terms(self, terms: Sequence[tuple[str, str]]) -> None:
        """Add (term, credential id) pairs to the search index, e.g. the :func:`~vcnode.store.search.email_term`
        of a learner's email, which the credential holds only hashed (a credential not yet issued, such as a
        claim link's, may be named: the term finds it once it is stored)."""
        ...

    async def issued_achievements(self, issuers: Sequence[str] | None = None, *, achievement_id: str | None = None,
                                  limit: int = 200) -> list[tuple[str, str, str]]:
        """(issuer, achievement id, achievement JSON as last issued) of the achievements these identities
        awarded (None: every identity), most recently awarded first; with ``achievement_id``, only that one."""
        ...

    def issuance(self) -> AbstractAsyncContextManager[Issuance]:
        """A write transaction for issuing: committed when the block ends, rolled back if it raises."""
        ...

    async def get_status_list(self, list_id: str) -> StatusListRecord | None:
        """One status list by id."""
        ...

    async def list_status_lists(self, issuer: str | None = None) -> list[StatusListRecord]:
        """Every status list (of one issuer), oldest first."""
        ...

    async def changed_status_lists(self, signed_until_before: str | None = None) -> list[str]:
        """Ids of lists whose bits changed since they were last signed (or never signed), and, with
        ``signed_until_before`` (an ISO time), those whose signed copy is valid until before then."""
        ...

    async def change_status(self, change: StatusChange, *, irreversible: bool = False) -> StatusChange:
        """Set one entry to ``change.after`` and append ``change`` to the audit log, atomically; returns the
        change with ``before`` filled in. Bumps the list's version when the value changes; the cost does not
        grow with the list's length. With ``irreversible`` (revocation entries), an entry that is set is never
        cleared: compared and set in the same transaction, :class:`~vcnode.errors.Conflict`
        ``revocationIrreversible`` otherwise."""
        ...

    async def status_value(self, list_id: str, index: int) -> int:
        """The current value of one entry of a list (reads only the part of the list that holds it)."""
        ...

    async def status_bits(self, list_id: str) -> bytes:
        """A list's whole bitstring, as published (read from one snapshot)."""
        ...

    async def publish_status_list(self, list_id: str, version: int, document: str, until: str) -> None:
        """Keep the signed list credential for ``version`` (ignored if a newer one is already kept)."""
        ...

    async def get_status_token(self, list_id: str) -> StatusTokenRecord | None:
        """A list as a Status List Token (its kind, version and signed token), or None for an unknown list."""
        ...

    async def changed_status_tokens(self, signed_until_before: str) -> list[str]:
        """Lists served as tokens whose token was never signed, is older than the list, or is valid only until
        before ``signed_until_before``."""
        ...

    async def publish_status_token(self, list_id: str, version: int, token: str, until: str) -> None:
        """Store the signed token of ``version``, unless a newer version's is stored already."""
        ...

    async def status_changes(self, credential_id: str | None = None, limit: int = 1000, *,
                             issuers: Sequence[str] | None = None, before: int | None = None) -> list[StatusChange]:
        """The audit log, newest first (of one credential, or all), each change with its ``seq``; with
        ``issuers``, only changes to those identities' lists; with ``before``, only changes older than the one
        numbered so (the next page)."""
        ...

    async def status_indexes(self, credential_ids: list[str]) -> list[tuple[str, str, int]]:
        """(credential id, list id, index) of every index handed out to these credentials."""
        ...

    async def add_exchanges(self, records: list[ExchangeRecord]) -> list[ExchangeRecord]:
        """Store new exchanges in one transaction and return them as stored. Ids are insert-once but creation is
        idempotent: an id already stored with the same ``request_hash`` gives back the stored exchange;
        with another, :class:`~vcnode.errors.Conflict` ``exchangeIdInUse`` and nothing is stored."""
        ...

    async def get_exchange(self, exchange_id: str) -> ExchangeRecord | None:
        """One exchange by id."""
        ...

    async def start_exchange(self, exchange_id: str, now: float) -> ExchangeRecord | None:
        """Move a pending, unexpired exchange to ``active`` (a wallet started it; the sequence goes up) and
        return the exchange as it now is (unchanged when it was not pending); None when unknown."""
        ...

    async def refuse_presentation(self, exchange_id: str, problem: str) -> None:
        """Count a refused presentation of an open exchange and keep its problem (JSON) as ``last_error``."""
        ...

    async def cancel_exchange(self, exchange_id: str, now: float) -> CompletionState:
        """Make a pending or active exchange ``invalid`` (``completed`` when this call did); otherwise why not."""
        ...

    async def prune_exchanges(self, workflow: str, expired_before: float, limit: int = 1000) -> int:
        """Delete up to ``limit`` exchanges of ``workflow`` whose expiry is before ``expired_before``; how many.
        For ``present`` exchanges: a claim's OpenID4VCI rows refer to it (foreign keys), and claims are kept."""
        ...

    async def add_challenge(self, challenge: str, created: float, expires: float, limit: int) -> bool:
        """Store a new challenge (times in Unix seconds), first purging expired ones, in one transaction;
        False (nothing stored) when ``limit`` unexpired challenges are already held."""
        ...

    async def challenge_state(self, challenge: str, now: float) -> ChallengeState:
        """``open`` when the challenge could be consumed now, otherwise why not (nothing changes)."""
        ...

    async def add_oid4vci_code(self, code_hash: str, exchange_id: str, now: float, expires: float,
                               limit: int) -> bool:
        """Store a new pre-authorised code (its hash) for an open exchange, purging expired codes first; False
        (nothing stored) when the exchange is not open or already has ``limit`` unexpired, unused codes."""
        ...

    async def redeem_oid4vci_code(self, code_hash: str, now: float, tx_code_ok: Callable[[str], bool],
                                  max_failures: int, token_hash: str, token_expires: float,
                                  token_details: str | None = None) -> tuple[RedeemState, str | None, int]:
        """In one transaction: check the code (unused, unexpired), its exchange (open), the exchange's tx_code
        failures (under ``max_failures``) and the tx_code (``tx_code_ok(exchange_id)``); a wrong one is
        counted, a right one marks the code used, stores the access token's hash (with its granted
        ``token_details``, JSON) and starts the exchange.
        Returns the outcome, the exchange id (when the code is known) and the tx_code attempts left."""
        ...

    async def authorize_oid4vci(self, exchange_id: str, now: float, code_ok: Callable[[], bool], max_failures: int,
                                code_hash: str, binding: tuple[str, str, str], expires: float, limit: int,
                                details: str | None = None) -> tuple[LoginState, int]:
        """The login page's check, in one transaction: the exchange open, its wrong-code count (shared with the
        pre-authorised flow's tx_code) under ``max_failures``, fewer than ``limit`` unused authorisation codes,
        then ``code_ok()``: a wrong code is counted, a right one stores the authorisation code's hash bound to
        ``binding`` = (client_id, redirect_uri, code_challenge) and the approved ``details`` (JSON). Returns the
        outcome and the attempts left."""
        ...

    async def redeem_oid4vci_auth_code(self, code_hash: str, now: float, binding_ok: Callable[[str, str, str], bool],
                                       token_hash: str, token_expires: float, purge_before: float,
                                       token_details: str | None = None) -> tuple[AuthCodeState, str | None]:
        """In one transaction: an authorisation code (by hash) unused, unexpired, its exchange open and
        ``binding_ok(client_id, redirect_uri, code_challenge)``: stores the access token's hash (with its
        granted ``token_details``, JSON), marks the code
        used and starts the exchange. A code presented again revokes the token it gave; one whose binding does
        not match is spent. Codes that expired before ``purge_before`` are purged first."""
        ...

    async def oid4vci_code_exchange(self, code_hash: str) -> str | None:
        """The exchange a stored pre-authorised code (by hash) was minted for, whatever its state."""
        ...

    async def oid4vci_auth_code_grant(self, code_hash: str) -> tuple[str, str | None] | None:
        """The exchange a stored authorisation code (by hash) was issued for and the authorisation details
        approved with it (JSON, or None), whatever its state; None for an unknown code."""
        ...

    async def oid4vci_token_grant(self, token_hash: str, now: float) -> tuple[str, str | None] | None:
        """The exchange an unexpired access token (by hash) is bound to and the authorisation details it was
        granted with (JSON, or None); None for an unknown or expired token."""
        ...

    async def add_oid4vci_nonce(self, nonce: str, created: float, expires: float, limit: int) -> bool:
        """Store a new c_nonce, purging expired ones, in one transaction; False when ``limit`` are held."""
        ...

    async def consume_oid4vci_nonce(self, nonce: str, now: float) -> ChallengeState:
        """Use a c_nonce once (``consumed``), a compare-and-set in one transaction; otherwise why not."""
        ...

    async def consume_challenge(self, challenge: str, now: float) -> ChallengeState:
        """Mark an open, unexpired challenge used, atomically (of two concurrent calls one gets
        ``consumed``, the other ``used``); otherwise say why not."""
        ...

    async def add_job(self, job: JobRecord, max_active: int) -> bool:
        """Store a new queued job, in one transaction; False (nothing stored) when its owner (token) already
        has ``max_active`` jobs queued or running."""
        ...

    async def get_job(self, job_id: str) -> JobRecord | None:
        """One job by id (without its result; see :meth:`job_result`)."""
        ...

    async def list_jobs(self, identities: list[str] | None = None, limit: int = 50) -> list[JobRecord]:
        """Jobs acting for one of ``identities`` (any when None), newest first; their ``input`` is left empty
        (read one job with :meth:`get_job` for it)."""
        ...

    async def job_result(self, job_id: str) -> bytes | None:
        """A finished job's result (None when it has none)."""
        ...

    async def claim_job(self, owner: str, now: float, lease_until: float, max_attempts: int) -> JobRecord | None:
        """Take the oldest job that is queued, or running with its lease passed (its process died), for the
        process ``owner`` until ``lease_until``: a compare-and-set in one transaction, so one process gets it.
        Jobs whose lease passed after ``max_attempts`` claims are failed (``jobAbandoned``) instead. Returns the
        job as claimed, or None when there is nothing to do."""
        ...

    async def renew_job(self, job_id: str, owner: str, now: float, lease_until: float,
                        progress: tuple[int, int] | None = None) -> bool:
        """Extend ``owner``'s lease of a running job and record its progress (``(done, total)``; ``done`` never
        goes back); False when ``owner`` no longer holds it (another process took it over)."""
        ...

    async def finish_job(self, job_id: str, owner: str, now: float, *, state: str, summary: str | None = None,
                         error: str | None = None, result: bytes | None = None) -> bool:
        """End a running job held by ``owner`` as ``done`` (with its summary and result) or ``failed`` (with its
        error); False when ``owner`` no longer holds it (nothing is written)."""
        ...

    async def release_job(self, job_id: str, owner: str, now: float) -> bool:
        """Give a running job held by ``owner`` back to the queue (its process is stopping); False when
        ``owner`` no longer holds it."""
        ...

    async def purge_jobs(self, finished_before: float) -> int:
        """Delete jobs that finished (done or failed) before ``finished_before``, with their results; how many."""
        ...

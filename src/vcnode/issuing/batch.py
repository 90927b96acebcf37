"""Batch issuance of Open Badges from a CSV of learners: transactional per chunk and resumable.

Every row gets a deterministic credential id (from the issuer, the achievement and the row), so a batch
that is run again — after a crash, SIGKILL or Ctrl-C — skips what is already stored and never issues a
row twice. Each chunk gets its status indexes, is signed and is stored in one transaction (so an index is
never handed out without its credential, nor twice), then written out as files (atomically: temp file +
rename). Which rows are already stored is read inside that transaction, and the store's ids are
insert-once, so two runs at once (or an HTTP request under one of the ids) still store one copy. A row
stored from a different request (another issuer name, suite or status, a changed learner name) is refused
with ``credentialIdInUse`` rather than skipped as done. Every row is checked before the first is issued, and
a run ends by writing ``manifest.csv``: which row became which credential, in which file.
"""

from __future__ import annotations

import csv
import hashlib
import inspect
import io
import os
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vcnode.clock import SYSTEM_CLOCK, Clock, now_timestamp
from vcnode.credentials.model import is_url
from vcnode.credentials.openbadges import build_open_badge
from vcnode.credentials.records import CredentialRecord
from vcnode.errors import InvalidInput
from vcnode.identity.service import IdentityService
from vcnode.issuing.core import DataIntegrity, IssueItem, issue_and_store
from vcnode.issuing.idempotency import CredentialIdInUse, request_hash, status_options
from vcnode.jsonld import canonicalize_jcs
from vcnode.keys.signer import SigningKey
from vcnode.status.records import StatusListSpec
from vcnode.status.service import StatusService, status_suite_for

if TYPE_CHECKING:  # the store implements this package's records and ports: it sits above, not below
    from vcnode.issuing.repository import IssuingRepository

# (row number, credential id, row, request hash)
_Row = tuple[int, str, dict[str, str], str]
#: Told (rows done, rows in all) after each chunk; may return an awaitable, which is awaited.
Progress = Callable[[int, int], Awaitable[None] | None]

CHUNK = 250
_NAMESPACE = uuid.UUID("6b1c4f0e-2f39-4e0c-9d55-4d1f4c7b3a10")


@dataclass
class BatchResult:
    """What a batch run did."""

    total: int
    issued: int
    skipped: int
    seconds: float
    out_dir: str
    manifest: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "issued": self.issued, "skipped": self.skipped,
                "seconds": round(self.seconds, 3), "perSecond": round(self.issued / self.seconds, 1)
                if self.seconds else None, "outDir": self.out_dir, "manifest": self.manifest}


COLUMNS = ("id", "email", "name")
MANIFEST = "manifest.csv"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


@dataclass(frozen=True)
class RowProblem:
    """Why a learners CSV (or one learner) is refused, for callers that word it themselves (the desk's pages
    translate it): the row as a spreadsheet numbers it (the header is row 1), the column(s), a reason code and
    the offending value (or, for the header, the columns it has; for a row with too many values, how many).

    Reasons: ``unreadable`` (not UTF-8 or not CSV), ``headerNeedsEmail`` (claim links), ``headerNeedsIdOrEmail``,
    ``tooManyValues``, ``idWithClaims``, ``emailMissing`` (claim links), ``idOrEmailMissing``, ``idNotUrl``,
    ``emailInvalid``."""

    row: int
    column: str
    reason: str
    value: str = ""

    def message(self, where: str) -> str:
        """The problem in English, ``where`` naming the row (``learners.csv row 3``)."""
        value = self.value[:100]
        texts = {
            "unreadable": f"{where}: cannot read the CSV: {self.value}",
            "headerNeedsEmail": f"{where}: claim links need an 'email' column (where each learner's link is sent), "
                                f"the header has {self.value or 'none'}",
            "headerNeedsIdOrEmail": f"{where}: the header needs an 'id' or an 'email' column, it has "
                                    f"{self.value or 'none'}",
            "tooManyValues": f"{where}: {self.value}",
            "idWithClaims": f"{where}, column 'id': a claim link issues the badge to the DID the learner's wallet "
                            "proves, so the row cannot name one; leave 'id' empty (to issue to known DIDs, sign "
                            "the badges: issue-batch without --claims)",
            "emailMissing": f"{where}, column 'email': each learner needs an email for a claim link (the link is "
                            "sent there; the badge keeps it hashed)",
            "idOrEmailMissing": f"{where}, columns 'id' and 'email': each learner needs an id or an email",
            "idNotUrl": f"{where}, column 'id': {value!r} is not a URL (a DID such as did:example:123, or "
                        "https://…); it becomes credentialSubject.id",
            "emailInvalid": f"{where}, column 'email': {value!r} is not an email address",
        }
        return texts[self.reason]


def read_learners(path: Path, *, claims: bool = False) -> list[dict[str, str]]:
    """Rows of the learners CSV (columns: id and/or email, optional name), every one checked before anything
    is issued. A bad row is refused naming its row (as a spreadsheet numbers it: the header is row 1) and
    column. With ``claims`` (claim links: the wallet proves the learner's DID), rows need an email and may
    not give an id (see :func:`check_learner`)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:  # newline="": quoted line breaks kept
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from None
    rows, problems = learners_from_csv(text, claims=claims)
    if problems:
        problem = problems[0]
        if problem.reason == "unreadable":
            raise InvalidInput(f"cannot read {path}: {problem.value}")
        raise InvalidInput(problem.message(f"{path} row {problem.row}"))
    return rows


def learners_from_csv(text: str, *, claims: bool = False, max_problems: int = 100
                      ) -> tuple[list[dict[str, str]], list[RowProblem]]:
    """The rows of a learners CSV (already decoded) and what is wrong with it: every row is checked (up to
    ``max_problems`` problems are kept); a header without the columns needed is the only problem given."""
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = list(reader)
        header = reader.fieldnames or []
    except csv.Error as exc:
        return [], [RowProblem(0, "", "unreadable", str(exc))]
    names = ", ".join(repr(name) for name in header)
    if claims and "email" not in header:
        return rows, [RowProblem(1, "email", "headerNeedsEmail", names)]
    if "id" not in header and "email" not in header:
        return rows, [RowProblem(1, "id, email", "headerNeedsIdOrEmail", names)]
    problems: list[RowProblem] = []
    for number, row in enumerate(rows, start=2):
        extra = row.get(None)  # DictReader puts the values beyond the header's columns under None
        problem = (RowProblem(number, "", "tooManyValues", f"{len(header) + len(extra)} values, but the header "
                              f"names {len(header)} columns") if extra else learner_problem(number, row, claims=claims))
        if problem is not None:
            problems.append(problem)
            if len(problems) >= max_problems:
                break
    return rows, problems


def learner_problem(number: int, row: dict[Any, Any], *, claims: bool = False) -> RowProblem | None:
    """What is wrong with one learner (row ``number``), or None. See :func:`check_learner`."""
    learner_id, email = (row.get("id") or "").strip(), (row.get("email") or "").strip()
    if claims and learner_id:
        return RowProblem(number, "id", "idWithClaims", learner_id)
    if claims and not email:
        return RowProblem(number, "email", "emailMissing")
    if not learner_id and not email:
        return RowProblem(number, "id, email", "idOrEmailMissing")
    if learner_id and not is_url(learner_id):
        return RowProblem(number, "id", "idNotUrl", learner_id)
    if email and not _EMAIL.fullmatch(email):
        return RowProblem(number, "email", "emailInvalid", email)
    return None


def check_learner(where: str, row: dict[Any, Any], *, claims: bool = False) -> None:
    """Check one learner (a CSV row or an HTTP request's ``learners`` item), naming ``where`` it is and the
    column in the error. With ``claims``, the learner's DID is the one their wallet proves when it claims the
    badge: a row that names an ``id`` is refused rather than ignored (the badge would not go to the DID the
    institution wrote down), and each row needs the email the link is sent to."""
    problem = learner_problem(0, row, claims=claims)
    if problem is not None:
        raise InvalidInput(problem.message(where))


def check_achievement(achievement: Any) -> dict[str, Any]:
    """The achievement of a batch: an object with at least id, name, description and criteria."""
    if not isinstance(achievement, dict):
        raise InvalidInput("the achievement must be a JSON object (id, name, description, criteria, …)")
    for field in ("id", "name", "description", "criteria"):
        if field not in achievement:
            raise InvalidInput(f"the achievement needs '{field}'")
    return achievement


def credential_id_for(issuer: str, achievement: dict[str, Any], row_number: int, row: dict[str, str]) -> str:
    """A stable id for one row of one batch (same input → same id). The whole achievement counts, so a
    corrected achievement file issues new credentials rather than skipping rows as already done."""
    digest = hashlib.sha256(canonicalize_jcs(achievement)).hexdigest()
    key = "|".join((issuer, digest, str(row_number), row.get("id", ""), row.get("email", "")))
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, key)}"


def file_name(credential_id: str) -> str:
    """The file a batch writes a credential to, in its output directory."""
    return f"{credential_id.rsplit(':', 1)[1]}.json"


def write_manifest(out_dir: Path, rows: list[dict[str, str]], ids: list[str]) -> Path:
    """``manifest.csv`` in the output directory: for each CSV row (numbered as in errors: the header is row 1)
    the learner's id and email, the credential's id and its file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["row", "id", "email", "credentialId", "file"])
    for number, (row, credential_id) in enumerate(zip(rows, ids, strict=True), start=2):
        writer.writerow([number, (row.get("id") or "").strip(), (row.get("email") or "").strip(), credential_id,
                         file_name(credential_id)])
    path = out_dir / MANIFEST
    write_atomically(path, buffer.getvalue().encode("utf-8"))
    return path


def row_request_hash(*, issuer: str, profile: dict[str, Any], achievement: dict[str, Any], row: dict[str, str],
                     suite: str, status: Sequence[StatusListSpec]) -> str:
    """What makes a row's request the same again (see :mod:`vcnode.issuing.idempotency`): everything
    that goes into its credential except the time it is issued."""
    learner = {name: (row.get(name) or "").strip() for name in ("id", "email", "name")}
    return request_hash({"issueBatchRow": {"issuer": issuer, "profile": profile, "achievement": achievement,
                                           "learner": learner, "suite": suite,
                                           "credentialStatus": status_options(status)}})


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: a reader (or a crash) never sees half a
    file."""
    temporary = path.with_name(path.name + ".tmp")  # not with_suffix: x.png and x.svg must not share one
    temporary.write_bytes(data)
    os.replace(temporary, path)


async def issue_batch(rows: list[dict[str, str]], *, achievement: dict[str, Any], issuer_did: str,
                      issuer_profile: dict[str, Any], identities: IdentityService, store: IssuingRepository,
                      out_dir: Path,
                      suite: str, status: Sequence[StatusListSpec] = (), status_service: StatusService | None = None,
                      progress: Progress | None = None, chunk_size: int = CHUNK,
                      clock: Clock = SYSTEM_CLOCK) -> BatchResult:
    """Issue one OB 3.0 credential per row, ``chunk_size`` rows per store transaction; see the module docstring for
    the guarantees. ``progress(done, total)`` is called after each chunk (and awaited when it returns an
    awaitable: a background job records its progress in the store). ``clock`` gives ``validFrom`` and dates the
    stored records."""
    check_achievement(achievement)
    out_dir.mkdir(parents=True, exist_ok=True)
    key = identities.signing_key(issuer_did)
    started = time.perf_counter()
    valid_from = now_timestamp(clock)
    if status and status_service is None:
        raise InvalidInput("issuing with status needs the node's status lists")
    if status:
        status_suite_for(key)  # a BBS-only identity's lists could never be signed: refused before any index
    numbered = [(n, credential_id_for(issuer_did, achievement, n, row), row,
                 row_request_hash(issuer=issuer_did, profile=issuer_profile, achievement=achievement, row=row,
                                  suite=suite, status=status)) for n, row in enumerate(rows)]
    issued = skipped = 0
    for start in range(0, len(rows), chunk_size):
        files, done = await _issue_chunk(numbered[start:start + chunk_size], store=store, status=status,
                                         status_service=status_service, key=key, suite=suite, issuer=issuer_did,
                                         profile=issuer_profile, achievement=achievement, valid_from=valid_from,
                                         out_dir=out_dir, clock=clock)
        for path, document in files:
            write_atomically(path, document)
        for record in done:  # stored by an earlier run; its file may not have been written before a crash
            target = _file_for(out_dir, record.id)
            if not target.exists():
                write_atomically(target, record.document.encode())
        issued, skipped = issued + len(files), skipped + len(done)
        if progress:
            await report_progress(progress, min(start + chunk_size, len(rows)), len(rows))
    manifest = write_manifest(out_dir, rows, [credential_id for _, credential_id, _, _ in numbered])
    return BatchResult(len(rows), issued, skipped, time.perf_counter() - started, str(out_dir), str(manifest))


async def report_progress(progress: Progress, done: int, total: int) -> None:
    """Tell ``progress`` how far a batch got (awaiting it when it is a coroutine)."""
    result = progress(done, total)
    if inspect.isawaitable(result):
        await result


def _file_for(out_dir: Path, credential_id: str) -> Path:
    return out_dir / file_name(credential_id)


async def _issue_chunk(chunk: list[_Row], *, store: IssuingRepository, status: Sequence[StatusListSpec],
                       status_service: StatusService | None, key: SigningKey, suite: str, issuer: str,
                       profile: dict[str, Any], achievement: dict[str, Any], valid_from: str,
                       out_dir: Path, clock: Clock = SYSTEM_CLOCK
                       ) -> tuple[list[tuple[Path, bytes]], list[CredentialRecord]]:
    """Issue one chunk through the node's one issuing path (:func:`vcnode.issuing.core.issue_and_store`): in one
    transaction, the chunk's rows already stored are found, the others get status indexes, are signed and
    stored. Returns the files to write and the records of the rows done before."""
    rows = {credential_id: number for number, credential_id, _, _ in chunk}
    items = [IssueItem(credential_id, build_open_badge(
        credential_id=credential_id, issuer={**profile, "id": issuer}, achievement=achievement,
        learner_id=(row.get("id") or "").strip() or None, learner_email=(row.get("email") or "").strip() or None,
        learner_name=(row.get("name") or "").strip() or None, valid_from=valid_from), request)
        for _, credential_id, row, request in chunk]

    def conflict(item: IssueItem, record: CredentialRecord) -> Exception:
        return CredentialIdInUse(f"row {rows[item.record_id] + 2} ({item.record_id}) was already issued from a "
                                 "different request (issuer, issuer name, suite, status or the learner's name "
                                 "changed); run the batch with the inputs it was issued with")

    form = DataIntegrity(key, suite, status_service.list_url if status_service is not None else None)
    # A record from before requests were recorded (NULL) counts as done, as it did then.
    outcomes = await issue_and_store(store, items, issuer=issuer, form=form, status=status, conflict=conflict,
                                     unrecorded_is_same=True, clock=clock)
    files = [(_file_for(out_dir, outcome.record.id), outcome.record.document.encode())
             for outcome in outcomes if outcome.created]
    return files, [outcome.record for outcome in outcomes if not outcome.created]

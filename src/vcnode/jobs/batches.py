"""CSV batches as background jobs: signed credentials (:func:`vcnode.issuing.batch.issue_batch`) or claim
links (:func:`vcnode.exchanges.batch.write_claim_batch`), the same functions ``vcnode issue-batch`` runs.

Both are idempotent (deterministic credential ids and exchange ids from the issuer, the achievement and each
row's position), so a job taken over after its process died, or run twice, issues every row once. A run
writes into a fresh folder of its own under ``<home>/jobs/`` (files from a dead process's run are never
mixed in: rows already stored are written out again from the store), zips it and the zip becomes the job's
result: ``manifest.csv`` and the credential files, or ``manifest.csv`` and the QR codes of the claim links.
"""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import zipfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vcnode.errors import InvalidInput
from vcnode.exchanges.batch import claim_batch, write_claim_batch
from vcnode.exchanges.claim import claimed_credential
from vcnode.issuing.batch import MANIFEST, check_achievement, credential_id_for, issue_batch
from vcnode.issuing.service import select_suite
from vcnode.jobs.model import JobOutcome, JobSettings
from vcnode.jobs.runner import JobContext, JobHandler
from vcnode.private_files import private_dir
from vcnode.status.entries import status_requests

if TYPE_CHECKING:
    from vcnode.node import Node

#: Job kinds: signed credentials (scope ``issue``) and claim links (scope ``exchange``).
SIGNED = "signedBatch"
CLAIMS = "claimBatch"
KINDS = (SIGNED, CLAIMS)
#: The API token scope a kind needs, to create it and to see it.
SCOPES = {SIGNED: "issue", CLAIMS: "exchange"}
JOBS_DIR = "jobs"


@dataclass(frozen=True)
class BatchInput:
    """What a batch job is made from (its ``input``, as JSON): the learners' rows (as in the CSV), the
    achievement, the issuing identity and the name on the badges, the status purposes (signed) and when the
    links expire (claims)."""

    rows: list[dict[str, str]]
    achievement: dict[str, Any]
    issuer: str
    issuer_name: str
    status: tuple[str, ...] = ()
    expires: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The job's input."""
        return {"rows": self.rows, "achievement": self.achievement, "issuer": self.issuer,
                "issuerName": self.issuer_name, "status": list(self.status), "expires": self.expires}

    @classmethod
    def from_json(cls, value: Any) -> BatchInput:
        """A job's input, as :meth:`to_json` wrote it."""
        if not isinstance(value, dict) or not isinstance(value.get("rows"), list):
            raise InvalidInput("a batch job's input needs rows")
        return cls([dict(row) for row in value["rows"]], check_achievement(value.get("achievement")),
                   str(value["issuer"]), str(value.get("issuerName") or ""), tuple(value.get("status") or ()),
                   value.get("expires"))


#: Told ``(credential id, learner email)`` of a batch's rows once it is done (the desk's search keeps a keyed
#: hash of each address, since the badges hold only a salted one); for claim links, the id the credential will
#: have once claimed.
RememberEmails = Callable[[Any, Sequence[tuple[str, str]]], Awaitable[None]]


def handlers(node: Node, settings: JobSettings, *, remember_emails: RememberEmails | None = None
             ) -> dict[str, JobHandler]:
    """The batch job kinds this node runs."""

    async def signed(context: JobContext) -> JobOutcome:
        return await run_signed(node, context, settings, remember_emails)

    async def claims(context: JobContext) -> JobOutcome:
        return await run_claims(node, context, settings, remember_emails)

    return {SIGNED: signed, CLAIMS: claims}


def paced(context: JobContext, settings: JobSettings) -> Callable[[int, int], Awaitable[None]]:
    """The batch's progress callback: record the progress (renewing the lease), then pause ``chunk_pause``
    seconds before the next chunk (a large batch leaves the store's write lock and the process to other
    requests)."""

    async def progress(done: int, total: int) -> None:
        await context.progress(done, total)
        if settings.chunk_pause and done < total:
            await asyncio.sleep(settings.chunk_pause)

    return progress


@contextmanager
def run_folder(node: Node, context: JobContext) -> Iterator[Path]:
    """A folder of this run of the job (``<home>/jobs/<id>-<attempt>``), removed afterwards. What earlier runs
    of the same job left (their processes died, or lost the job) is removed first; never a later run's."""
    root = private_dir(Path(node.config.home) / JOBS_DIR)
    for earlier in root.glob(f"{context.job.id}-*"):
        attempt = earlier.name.rsplit("-", 1)[1]
        if attempt.isdigit() and int(attempt) < context.job.attempts:
            shutil.rmtree(earlier, ignore_errors=True)
    folder = root / f"{context.job.id}-{context.job.attempts}"
    shutil.rmtree(folder, ignore_errors=True)
    private_dir(folder)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def run_signed(node: Node, context: JobContext, settings: JobSettings,
                     remember_emails: RememberEmails | None = None) -> JobOutcome:
    """Sign one credential per row (``issue_batch``), then zip the files and the manifest."""
    batch = BatchInput.from_json(context.input)
    key = node.identities.signing_key(batch.issuer)
    specs = [node.credentials.list_spec(spec) for spec in status_requests({"statusPurpose": list(batch.status)})] \
        if batch.status else []
    await context.progress(0, len(batch.rows))
    with run_folder(node, context) as folder:
        result = await issue_batch(batch.rows, achievement=batch.achievement, issuer_did=batch.issuer,
                                   issuer_profile={"name": batch.issuer_name}, identities=node.identities,
                                   store=node.store, out_dir=folder, suite=select_suite({}, key.key_type),
                                   status=specs, status_service=node.status, progress=paced(context, settings),
                                   chunk_size=settings.batch_chunk)
        if remember_emails is not None:
            await remember_emails(node, [(credential_id_for(batch.issuer, batch.achievement, number, row),
                                          row.get("email") or "") for number, row in enumerate(batch.rows)])
        archive = await asyncio.to_thread(zip_folder, folder)
    return JobOutcome({"total": result.total, "issued": result.issued, "skipped": result.skipped,
                       "seconds": round(result.seconds, 3)}, archive)


async def run_claims(node: Node, context: JobContext, settings: JobSettings,
                     remember_emails: RememberEmails | None = None) -> JobOutcome:
    """Prepare a claim link per row (``write_claim_batch``), then zip the QR codes and the manifest."""
    from vcnode.exchanges.service import ExchangeService

    batch = BatchInput.from_json(context.input)
    options = {"statusPurpose": list(batch.status)} if batch.status else {}
    claims = claim_batch(node, achievement=batch.achievement, issuer=batch.issuer, issuer_name=batch.issuer_name,
                         options=options, expires=batch.expires)
    await context.progress(0, len(batch.rows))
    with run_folder(node, context) as folder:
        result = await write_claim_batch(ExchangeService(node), claims, batch.rows, out_dir=folder,
                                         where=lambda row: f"row {row}", progress=paced(context, settings),
                                         chunk_size=settings.batch_chunk)
        if remember_emails is not None:
            with (folder / MANIFEST).open(newline="", encoding="utf-8") as handle:
                links = list(csv.DictReader(handle))
            await remember_emails(node, [(claimed_credential({}, "did:example:learner", link["exchangeId"])["id"],
                                          link["email"]) for link in links])
        archive = await asyncio.to_thread(zip_folder, folder)
    return JobOutcome({"total": result.total, "created": result.created, "reused": result.reused,
                       "seconds": round(result.seconds, 3)}, archive)


def zip_folder(folder: Path) -> bytes:
    """The files of ``folder`` as a zip (``manifest.csv`` first, then by name; unfinished ``.tmp`` files left
    out)."""
    files = sorted((path for path in folder.rglob("*") if path.is_file() and not path.name.endswith(".tmp")),
                   key=lambda path: (path.name != MANIFEST, str(path.relative_to(folder))))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()

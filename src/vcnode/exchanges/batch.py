"""Claim links in bulk: one ``claim`` exchange per learner, so an institution can email each learner a link (or
print a QR code) that puts their badge into their wallet. Nothing is signed until a learner claims.

Shared by ``vcnode issue-batch --claims`` and ``POST /workflows/claim/batches``: the same learner checks
(:func:`vcnode.issuing.batch.check_learner`) and the same builder as a signed batch
(:func:`vcnode.credentials.openbadges.build_open_badge`). Each exchange's ``variables.credential`` is the badge
the row would have been signed as, without ``credentialSubject.id`` (the DID the wallet proves), ``id`` and
``validFrom`` (both set when the badge is claimed), its email hashed with a salt derived from the row.

Idempotent: a learner's exchange id is derived, with the node's secret, from the issuer, a hash of the
achievement, the learner's position in the batch and their email; so running a batch again gives back the same
exchanges and links (a learner moved to another position, or a corrected achievement, gets a new link). A
learner whose badge would now differ (another name, issuer name, suite or status) is refused with
``exchangeIdInUse`` naming the row. Each chunk of exchanges is created in one store transaction.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from vcnode.credentials.issue import issue_credential
from vcnode.credentials.openbadges import build_open_badge
from vcnode.errors import Conflict, InvalidInput, VcnodeError
from vcnode.exchanges.claim import ClaimWorkflow, claimed_credential
from vcnode.exchanges.links import ExchangeLinks, qr_png, qr_svg
from vcnode.exchanges.model import Exchange, timestamp
from vcnode.issuing.batch import (
    COLUMNS,
    Progress,
    check_achievement,
    check_learner,
    report_progress,
    write_atomically,
)
from vcnode.issuing.service import select_suite
from vcnode.jsonld import canonicalize_jcs

if TYPE_CHECKING:
    from vcnode.exchanges.service import ExchangeService
    from vcnode.node import Node

#: Exchanges created per store transaction.
CHUNK = 250
#: The folder (in the batch's output directory) of the QR codes.
CLAIMS_DIR = "claims"
MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("row", "id", "email", "name", "exchangeId", "state", "expires", "interactionUrl", "lcwLink",
                    "lcwLegacyLink", "exchangeUrl", "oid4vciOffer", "oid4vciTxCode")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class BatchTooLarge(VcnodeError):
    """More learners in one request than ``exchange_batch_max``."""

    code = "batchTooLarge"
    status = 413
    title = "Batch too large"


@dataclass(frozen=True)
class ClaimBatch:
    """What every claim of a batch is made from: the achievement, the issuing identity and the rest of its
    Profile, the VC API issue options (suite, status) and when the links expire (None: the node's
    ``exchange_claim_ttl``)."""

    achievement: dict[str, Any]
    issuer: str
    profile: dict[str, Any]
    options: dict[str, Any]
    expires: str | None = None


@dataclass(frozen=True)
class Claim:
    """One learner's claim link: ``row`` as the caller numbers learners, the learner, the exchange (new, or
    the one made by an earlier run of the batch) and its links."""

    row: int
    learner: Mapping[str, str]
    exchange: Exchange
    links: ExchangeLinks
    created: bool
    #: The OpenID4VCI PIN, for the institution to send by another channel than the links (never in a link).
    tx_code: str = ""

    def to_json(self) -> dict[str, Any]:
        """The claim as ``POST /workflows/claim/batches`` answers it (``holder``: who claimed it, once done)."""
        record = self.exchange.record
        body: dict[str, Any] = {"row": self.row, "email": (self.learner.get("email") or "").strip(),
                                "name": (self.learner.get("name") or "").strip(), "exchangeId": record.id,
                                "state": self.exchange.state, "expires": timestamp(record.expires),
                                **self.links.to_json(), "txCode": self.tx_code}
        if record.holder is not None:
            body["holder"] = record.holder
        return body


def claim_expires(value: Any) -> Any:
    """``expires`` of a batch: a bare date (``2027-01-31``) means the end of that day, UTC; anything else is
    checked when the exchanges are created (an RFC 3339 date-time with a time zone)."""
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        return f"{value.strip()}T23:59:59Z"
    return value


def claim_batch(node: Node, *, achievement: Any, issuer: Any, issuer_name: str | None = None,
                options: Any = None, expires: Any = None) -> ClaimBatch:
    """Check what a batch is made from. ``issuer``: one of the node's DIDs, or a Profile object with its
    ``id`` (the other members go into the badge's issuer Profile); the Profile's name is ``issuer_name``, else
    its own, else the identity's name."""
    check_achievement(achievement)
    profile: dict[str, Any] = {}
    if isinstance(issuer, dict):
        profile = {name: value for name, value in issuer.items() if name not in ("id", "type")}
        issuer = issuer.get("id")
    if not isinstance(issuer, str):
        raise InvalidInput("issuer must be one of this node's DIDs, or a Profile object whose id is one")
    did = node.credentials.issuer_of({"issuer": issuer})  # 422 unknownIssuer naming the node's identities
    if issuer_name:
        profile["name"] = issuer_name
    profile.setdefault("name", node.identities.get(did).name)
    if options is not None and not isinstance(options, dict):
        raise InvalidInput("options must be an object: the VC API issue options (cryptosuite or type, "
                           "credentialStatus or statusPurpose)")
    if expires is not None and not isinstance(expires, str):
        raise InvalidInput("expires must be a date (2027-01-31: the end of that day, UTC) or a date-time")
    batch = ClaimBatch(achievement, did, profile, dict(options or {}), claim_expires(expires))
    _check_signs(node, batch)
    return batch


def _check_signs(node: Node, batch: ClaimBatch) -> None:
    """Sign one learner's badge as a claim would (and throw it away), so that an achievement or issuer Profile
    the signing refuses (a term no context defines, say) stops the batch now, not every learner's claim."""
    learner = {"email": "learner@example.org", "name": "Learner"}
    credential = claimed_credential(claim_template(batch, learner, "check"), "did:example:learner", "check",
                                    timestamp(node.clock.time()))
    key = node.identities.signing_key(batch.issuer)
    issue_credential(credential, key, suite=select_suite(batch.options, key.key_type))


def learner_key(batch: ClaimBatch, index: int, learner: Mapping[str, str]) -> str:
    """What a learner's exchange id is derived from (see the module's description)."""
    digest = hashlib.sha256(canonicalize_jcs(batch.achievement)).hexdigest()
    return "|".join(("claimBatch", batch.issuer, digest, str(index), (learner.get("email") or "").strip()))


def claim_template(batch: ClaimBatch, learner: Mapping[str, str], key: str) -> dict[str, Any]:
    """The unsigned badge of one learner: what a signed batch would issue, less what the claim sets. The
    email's salt is derived from the learner's key, so the same learner gives the same template again (a salt
    need only differ between credentials: it is published beside the hash)."""
    salt = hashlib.sha256(f"emailSalt|{key}".encode()).hexdigest()[:16]
    return build_open_badge(credential_id=None, issuer={**batch.profile, "id": batch.issuer},
                            achievement=batch.achievement, learner_email=(learner.get("email") or "").strip(),
                            learner_name=(learner.get("name") or "").strip() or None, valid_from=None,
                            email_salt=salt)


def read_learner_items(items: Any, limit: int, where: Callable[[int], str]) -> list[dict[str, str]]:
    """The ``learners`` of an HTTP request (``[{email, name?}, …]``), checked as CSV rows are; ``where(row)``
    names a learner in errors. More than ``limit``: :class:`BatchTooLarge` (413)."""
    if not isinstance(items, list) or not items:
        raise InvalidInput("learners must be a non-empty list of learners: [{\"email\", \"name\"?}, …]")
    if len(items) > limit:
        raise BatchTooLarge(f"{len(items)} learners, but one request may prepare at most {limit} claim links "
                            "(exchange_batch_max): split the list")
    learners = []
    for row, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InvalidInput(f"{where(row)}: a learner is an object {{\"email\", \"name\"?}}")
        unknown = sorted(set(item) - set(COLUMNS))
        if unknown:
            raise InvalidInput(f"{where(row)}, column {unknown[0][:60]!r}: unknown; a learner has "
                               + ", ".join(repr(name) for name in COLUMNS))
        wrong = next((name for name, value in item.items() if not isinstance(value, str)), None)
        if wrong is not None:
            raise InvalidInput(f"{where(row)}, column {wrong!r}: must be a string")
        check_learner(where(row), item, claims=True)
        learners.append({name: value.strip() for name, value in item.items()})
    return learners


async def prepare_claims(service: ExchangeService, batch: ClaimBatch, learners: Sequence[Mapping[str, str]], *,
                         first_row: int, where: Callable[[int], str],
                         authorize: Callable[[str | None], None] | None = None,
                         acting_for: str | None = None, chunk_size: int = CHUNK) -> AsyncIterator[list[Claim]]:
    """Create (or find again) the claim exchange of every learner, ``chunk_size`` per store transaction; yields
    each chunk's claims. Learners are numbered from ``first_row``; ``where(row)`` names one in errors."""
    keyed = [(first_row + index, learner, learner_key(batch, index, learner))
             for index, learner in enumerate(learners)]
    for start in range(0, len(keyed), chunk_size):
        chunk = keyed[start:start + chunk_size]
        items = []
        for _, learner, key in chunk:
            body: dict[str, Any] = {"variables": {"credential": claim_template(batch, learner, key),
                                                  "options": batch.options}}
            if batch.expires is not None:
                body["expires"] = batch.expires
            items.append((key, body))
        try:
            # The batch signed one row before anything was created (_check_signs): rows differ in values only.
            exchanges = await service.create_many(ClaimWorkflow.id, items, authorize=authorize,
                                                  acting_for=acting_for, thorough=False)
        except Conflict as exc:
            if exc.code != "exchangeIdInUse":
                raise
            raise await _clash(service, chunk, items, where) from None
        # A new exchange was created at this call's time; one found again keeps the time it was created.
        yield [Claim(row, learner, exchange, service.links(exchange), exchange.record.created == exchange.now,
                     await service.tx_code(exchange.id))
               for (row, learner, _), exchange in zip(chunk, exchanges, strict=True)]


async def _clash(service: ExchangeService, chunk: list[tuple[int, Mapping[str, str], str]],
                 items: list[tuple[str, dict[str, Any]]], where: Callable[[int], str]) -> VcnodeError:
    """The error naming the first learner whose exchange exists with other variables."""
    for (row, _, key), (_, body) in zip(chunk, items, strict=True):
        record = await service.node.store.get_exchange(await service.keyed_id(ClaimWorkflow.id, key))
        if record is not None and orjson.loads(record.variables) != body["variables"]:
            return Conflict(f"{where(row)}: its claim link ({record.id}) was prepared from other inputs (the "
                            "learner's name, the issuer name, the suite or the status changed); prepare the batch "
                            "with the inputs it was made with (a corrected achievement gives new links)",
                            code="exchangeIdInUse")
    return Conflict("another request created some of these claim links at the same time; run the batch again",
                    code="exchangeIdInUse")


def write_qr_codes(out_dir: Path, claims: Sequence[Claim]) -> dict[int, tuple[str, str, str]]:
    """``claims/<row>-<exchangeId>.png`` and ``.svg`` (QR codes of the interaction URL, for any VC API wallet)
    and ``claims/<row>-<exchangeId>-lcw.png`` (of LCW's legacy request link, the flow LCW 2.2.10 stores a
    claimed badge from: docs/exchanges.md) in ``out_dir``, each written atomically, skipping those a previous
    run wrote; their paths (relative to ``out_dir``) by row."""
    folder = out_dir / CLAIMS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for claim in claims:
        stem = f"{claim.row}-{claim.exchange.id}"
        codes = [(f"{stem}.png", qr_png, claim.links.interaction_url),
                 (f"{stem}.svg", qr_svg, claim.links.interaction_url),
                 (f"{stem}-lcw.png", qr_png, claim.links.lcw_legacy or claim.links.interaction_url)]
        for name, render, text in codes:
            path = folder / name
            if not path.exists():
                write_atomically(path, render(text))
        files[claim.row] = tuple(f"{CLAIMS_DIR}/{name}" for name, _, _ in codes)
    return files  # type: ignore[return-value]


def manifest_csv(claims: Sequence[Claim], files: Mapping[int, tuple[str, str, str]] | None = None) -> bytes:
    """The manifest: per learner, the row, the DID that claimed it (``id``, empty until claimed), email, name,
    exchange id, state, expiry and every link; with ``files``, the QR code files (``png``, ``svg``, ``lcwPng``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*MANIFEST_COLUMNS, *(("png", "svg", "lcwPng") if files is not None else ())])
    for claim in claims:
        body = claim.to_json()
        line = [claim.row, body.get("holder", ""), body["email"], body["name"], body["exchangeId"], body["state"],
                body["expires"], body["interactionUrl"], body["links"]["lcw"], body["links"].get("lcwLegacy", ""),
                body["exchangeUrl"], body["links"].get("oid4vci", ""), body["txCode"]]
        writer.writerow([*line, *(files[claim.row] if files is not None else ())])
    return buffer.getvalue().encode("utf-8")


@dataclass
class ClaimBatchResult:
    """What ``vcnode issue-batch --claims`` did."""

    total: int
    created: int
    reused: int
    seconds: float
    out_dir: str
    manifest: str

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "created": self.created, "reused": self.reused,
                "seconds": round(self.seconds, 3), "perSecond": round(self.total / self.seconds, 1)
                if self.seconds else None, "outDir": self.out_dir, "claims": str(Path(self.out_dir) / CLAIMS_DIR),
                "manifest": self.manifest}


async def write_claim_batch(service: ExchangeService, batch: ClaimBatch, rows: Sequence[Mapping[str, str]], *,
                            out_dir: Path, where: Callable[[int], str], progress: Progress | None = None,
                            chunk_size: int = CHUNK) -> ClaimBatchResult:
    """The CLI's (and the desk's) batch: claim exchanges for CSV ``rows`` (numbered as a spreadsheet does: the
    header is row 1), ``chunk_size`` per store transaction, their QR codes, then ``manifest.csv`` in
    ``out_dir``. ``progress(done, total)`` is called (and awaited when it returns an awaitable) after each
    chunk."""
    started = time.perf_counter()
    claims: list[Claim] = []
    files: dict[int, tuple[str, str, str]] = {}
    async for chunk in prepare_claims(service, batch, rows, first_row=2, where=where, chunk_size=chunk_size):
        files.update(write_qr_codes(out_dir, chunk))
        claims.extend(chunk)
        if progress:
            await report_progress(progress, len(claims), len(rows))
    manifest = out_dir / MANIFEST
    out_dir.mkdir(parents=True, exist_ok=True)  # only now: a batch refused at its first chunk leaves nothing
    write_atomically(manifest, manifest_csv(claims, files))
    created = sum(claim.created for claim in claims)
    return ClaimBatchResult(len(claims), created, len(claims) - created, time.perf_counter() - started,
                            str(out_dir), str(manifest))

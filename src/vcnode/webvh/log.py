"""Verify a did:webvh log (``did.jsonl``), entry by entry, as the spec's Read (Resolve) section lists.

Every entry is checked in full: JSON, versionId numbering and entry hash (the hash chain), versionTime
(UTC, strictly increasing, not in the future), parameters, the SCID (first entry), its proofs by an
authorised update key, pre-rotation, the DIDs in ``state`` and portability. Verification stops at the first
entry that fails; the versions before it stay usable for ``versionId``/``versionTime``/``versionNumber``
queries, as the spec allows. Witness approvals are checked afterwards (:func:`apply_witnesses`), once
the caller has fetched ``did-witness.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import orjson

from vcnode.proofs.base import ProofError
from vcnode.webvh import proofs, witness
from vcnode.webvh.errors import WebvhError
from vcnode.webvh.hashing import derive_scid, entry_hash, is_sha256_multihash
from vcnode.webvh.identifier import WebvhDid, parse_webvh_did
from vcnode.webvh.parameters import (
    Parameters,
    WitnessRule,
    apply_parameters,
    signing_keys,
    witness_rule_for_entry,
)

# How far ahead of the resolver's clock a versionTime may be (the spec suggests at most 5 minutes).
FUTURE_TOLERANCE = timedelta(minutes=5)
_VERSION_ID_RE = re.compile(r"(?P<number>[1-9][0-9]{0,8})-(?P<hash>[^-]+)")
_UTC_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|\+00:00)")
_MEMBERS = ("versionId", "versionTime", "parameters", "state", "proof")


@dataclass(frozen=True, slots=True)
class Version:
    """One verified entry: the DID document and the parameters in effect after it."""

    number: int
    version_id: str
    version_time: str
    time: datetime
    state: dict[str, Any]
    state_did: WebvhDid
    parameters: Parameters
    witness_rule: WitnessRule | None  # the witnesses that must approve this version, if any


@dataclass(frozen=True, slots=True)
class VerifiedLog:
    """The verified versions, oldest first, and why verification stopped (None: the whole log is valid)."""

    versions: tuple[Version, ...]
    error: WebvhError | None = None

    @property
    def needs_witnesses(self) -> bool:
        """True when some verified version must be approved by witnesses (``did-witness.json`` is needed)."""
        return any(version.witness_rule is not None for version in self.versions)


def parse_version_time(value: Any) -> datetime | None:
    """A versionTime: ISO 8601 in UTC with an explicit ``Z`` or ``+00:00``; None otherwise."""
    if not isinstance(value, str) or not _UTC_TIME_RE.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def verify_log(text: bytes, did: WebvhDid, *, now: datetime,
               allow_hosts: frozenset[str] = frozenset()) -> VerifiedLog:
    """Verify the log ``text`` (JSON Lines) fetched for ``did``, except witness approvals.

    ``now`` is the resolver's clock (aware, UTC); ``allow_hosts`` relaxes the domain rules for the DIDs in
    ``state`` as for ``did`` itself. Raises :class:`WebvhError` only when no entry at all can be used.
    """
    lines = text.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the newline that ends the last entry
    if not lines:
        raise WebvhError("malformedLog", "the DID log is empty")
    versions: list[Version] = []
    error: WebvhError | None = None
    for number, line in enumerate(lines, start=1):
        try:
            versions.append(_verify_entry(line, number, versions[-1] if versions else None, did, now, allow_hosts))
        except WebvhError as exc:
            error = WebvhError(exc.code, f"entry {number}: {exc.detail}", resolution_error=exc.resolution_error)
            break
    # The log must be this DID's: some verified version must name exactly the DID being resolved.
    if not any(version.state.get("id") == did.did for version in versions):
        if error is not None and not versions:
            raise error
        raise WebvhError("didNotInLog", f"no verified entry has state.id {did.did}"
                         + (f" ({error.message})" if error is not None else ""))
    return VerifiedLog(tuple(versions), error)


def _verify_entry(line: bytes, number: int, previous: Version | None, did: WebvhDid, now: datetime,
                  allow_hosts: frozenset[str]) -> Version:
    try:
        entry = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise WebvhError("malformedLog", "the line is not JSON") from None
    if not isinstance(entry, dict):
        raise WebvhError("malformedLog", "the line is not a JSON object")
    missing = [member for member in _MEMBERS if member not in entry]
    if missing:
        raise WebvhError("invalidProof" if missing == ["proof"] else "malformedLog",
                         f"the entry has no {', '.join(missing)}")
    if previous is not None and previous.parameters.deactivated:
        raise WebvhError("updateAfterDeactivation", "the DID was deactivated by the previous entry")
    version_id, entry_hash_value = _version_id(entry["versionId"], number)
    time = _version_time(entry["versionTime"], previous, now)
    parameters = apply_parameters(previous.parameters if previous else None, entry["parameters"])
    if previous is None:
        _check_scid(entry, parameters.scid, did)
    expected = entry_hash(entry, previous.version_id if previous else parameters.scid)
    if entry_hash_value != expected:
        raise WebvhError("entryHashMismatch", f"versionId {version_id[:80]} does not match the entry's hash "
                         f"{expected} (the entry or its predecessor was changed)")
    _check_proofs(entry, signing_keys(previous.parameters if previous else None, parameters))
    state, state_did = _check_state(entry["state"], parameters.scid, previous, allow_hosts)
    rule = witness_rule_for_entry(previous.parameters if previous else None, parameters)
    return Version(number, version_id, entry["versionTime"], time, state, state_did, parameters, rule)


def _version_id(value: Any, number: int) -> tuple[str, str]:
    match = _VERSION_ID_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise WebvhError("invalidVersionId", f"versionId {str(value)[:80]!r} is not '<number>-<entryHash>'")
    if int(match.group("number")) != number:
        raise WebvhError("invalidVersionId", f"versionId {value[:80]} should start with {number}: versions "
                         "count from 1 without gaps")
    if not is_sha256_multihash(match.group("hash")):
        raise WebvhError("invalidVersionId", f"the entryHash of {value[:80]} is not a base58btc SHA-256 multihash")
    return value, match.group("hash")


def _version_time(value: Any, previous: Version | None, now: datetime) -> datetime:
    time = parse_version_time(value)
    if time is None:
        raise WebvhError("invalidVersionTime", f"versionTime {str(value)[:60]!r} is not an ISO 8601 UTC time "
                         "ending in Z")
    if time > now + FUTURE_TOLERANCE:
        raise WebvhError("versionTimeInFuture", f"versionTime {value} is in the future")
    if previous is not None and time <= previous.time:
        raise WebvhError("versionTimeNotIncreasing", f"versionTime {value} is not after the previous entry's "
                         f"{previous.version_time}")
    return time


def _check_scid(entry: dict[str, Any], scid: str, did: WebvhDid) -> None:
    if not is_sha256_multihash(scid) or derive_scid(entry, scid) != scid:
        raise WebvhError("scidMismatch", f"scid {scid[:60]} is not the hash of the first entry")
    if scid != did.scid:
        raise WebvhError("scidMismatch", f"the log's SCID {scid[:60]} is not the DID's {did.scid}")


def _check_proofs(entry: dict[str, Any], allowed: tuple[str, ...]) -> None:
    items = entry["proof"] if isinstance(entry["proof"], list) else [entry["proof"]]
    if not items:
        raise WebvhError("invalidProof", "the entry has no proof")
    unsecured = {key: value for key, value in entry.items() if key != "proof"}
    for proof in items:
        try:
            signer = proofs.proof_signer(proof)
        except ProofError as exc:
            raise WebvhError("invalidProof", exc.detail) from None
        if signer not in allowed:
            raise WebvhError("unauthorizedKey", f"the proof is by {signer[:60]}, which is not an authorised "
                             "update key for this entry")
        if not proofs.verify(unsecured, proof, signer):
            raise WebvhError("invalidProof", f"the signature by {signer[:60]} does not verify")


def _check_state(state: Any, scid: str, previous: Version | None,
                 allow_hosts: frozenset[str]) -> tuple[dict[str, Any], WebvhDid]:
    if not isinstance(state, dict) or not isinstance(state.get("id"), str):
        raise WebvhError("invalidState", "state must be a DID document with an id")
    try:
        state_did = parse_webvh_did(state["id"], allow_hosts=allow_hosts)
    except WebvhError as exc:
        raise WebvhError("invalidState", f"state.id: {exc.detail}") from None
    if state_did.scid != scid:
        raise WebvhError("scidMismatch", f"state.id {state['id'][:120]} does not carry the SCID {scid}")
    if previous is not None and state_did.location != previous.state_did.location:
        # Moving the DID (portability): allowed only when the first entry made it portable, and the new
        # document must say what it was known as.
        if not previous.parameters.portable:
            raise WebvhError("portabilityViolation", f"the DID moved to {state['id'][:120]} but is not portable")
        also = state.get("alsoKnownAs")
        if not isinstance(also, list) or previous.state["id"] not in also:
            raise WebvhError("portabilityViolation", "a moved DID's document must list its previous DID in "
                             "alsoKnownAs")
    return state, state_did


def apply_witnesses(log: VerifiedLog, witness_file: Any) -> VerifiedLog:
    """Keep the versions approved by their witnesses; the log ends before the first one that is not.

    ``witness_file`` is the parsed ``did-witness.json`` (None when it was not published).
    """
    if not log.needs_witnesses:
        return log
    try:
        highest = witness.approvals([] if witness_file is None else witness_file,
                                    {version.version_id: version.number for version in log.versions})
    except WebvhError as exc:
        highest, problem = {}, exc
    else:
        problem = None
    for index, version in enumerate(log.versions):
        if version.witness_rule is not None and not witness.approved(version.witness_rule, version.number,
                                                                     highest):
            detail = (f"entry {version.number}: fewer than {version.witness_rule.threshold} of its "
                      f"{len(version.witness_rule.witnesses)} witnesses approved it"
                      + (f" ({problem.message})" if problem is not None else ""))
            return replace(log, versions=log.versions[:index], error=WebvhError("witnessThresholdNotMet", detail))
    return log

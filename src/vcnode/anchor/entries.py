"""Anchor log documents: entries, heads and witness statements — their shapes, signing and checking.

An entry says what a node published (``statement``), is numbered (``seq``, from 1), links to the previous
entry by CID (``prev``) and is signed by the log owner's DID (a Data Integrity ``eddsa-jcs-2022`` proof, or
``ecdsa-jcs-2019`` for a P-256 key).
An entry's CID is computed over the whole signed entry, so the chain of ``prev`` links fixes every entry
and its signature. A head names the newest entry; a witness statement is another node's signature over a
head it has verified.
"""

from __future__ import annotations

from typing import Any

from vcnode.anchor.cid import cid_for_json, is_cid
from vcnode.anchor.statements import PUBLISHED
from vcnode.clock import now_timestamp
from vcnode.credentials.issue import sign
from vcnode.keys.signer import SigningKey
from vcnode.proofs import jcs_suite_for

ENTRY = "AnchorEntry"
HEAD = "AnchorHead"
WITNESS = "AnchorWitness"
SUITE = "eddsa-jcs-2022"  # for Ed25519 keys; another key type signs with its own JCS suite (jcs_suite_for)
MAX_SEQ = 2**53 - 1


class AnchorError(ValueError):
    """A document that is not a valid anchor entry, head or witness statement (``code`` says why)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def now_stamp() -> str:
    """The current time as an XML Schema dateTimeStamp (seconds, UTC)."""
    return now_timestamp()


def suite_for(key: SigningKey) -> str:
    """The JCS suite ``key`` signs anchor documents with (an unregistered key type fails when signing)."""
    return jcs_suite_for(key.key_type) or SUITE


def make_entry(key: SigningKey, log: str, seq: int, prev: str | None, statement: dict[str, Any],
               time: str | None = None, created: str | None = None) -> dict[str, Any]:
    """A signed entry of ``log`` (the signer's DID). ``time``: what the entry claims (default: now);
    ``created``: when its proof was made (default: now)."""
    entry = {"type": ENTRY, "log": log, "seq": seq, "prev": prev, "time": time or now_stamp(),
             "statement": statement}
    return _sign(entry, key, created)


def make_head(key: SigningKey, log: str, seq: int, entry_cid: str, time: str | None = None,
              created: str | None = None) -> dict[str, Any]:
    """A signed head: ``log`` has ``seq`` entries, the newest being ``entry_cid`` (``time``, ``created``: as
    for :func:`make_entry`)."""
    return _sign({"type": HEAD, "log": log, "seq": seq, "entry": entry_cid, "time": time or now_stamp()}, key,
                 created)


def make_witness(key: SigningKey, witness: str, log: str, seq: int, entry_cid: str,
                 time: str | None = None) -> dict[str, Any]:
    """``witness`` (the signer) states it has verified ``log`` up to entry ``seq`` = ``entry_cid`` (``time``:
    when, default now; also its proof's creation time)."""
    time = time or now_stamp()
    return _sign({"type": WITNESS, "witness": witness, "log": log, "seq": seq, "entry": entry_cid, "time": time},
                 key, time)


def _sign(document: dict[str, Any], key: SigningKey, created: str | None) -> dict[str, Any]:
    """``document`` signed by ``key``; its proof ``created`` at that time, else now."""
    if created is None:
        return sign(document, key, suite=suite_for(key))
    return sign(document, key, suite=suite_for(key), created=created)


def published_statement(kind: str, url: str, version: int, payload_cid: str, size: int) -> dict[str, Any]:
    """The statement that a document of ``kind`` (one of ``PUBLISHED``) was published under ``url``: its
    version and content. A status list credential at its URL; a did:webvh log at its URL (peers that replicate
    it act as the DID's watchers: the log verifies by itself wherever it comes from); a trust statement under
    its credential id."""
    if kind not in PUBLISHED:
        raise ValueError(f"not a kind of publication: {kind}")
    return {"type": kind, "url": url, "version": version, "payload": payload_cid, "size": size}


def entry_cid(entry: dict[str, Any]) -> str:
    """The CID of a signed entry."""
    return cid_for_json(entry)


def check_entry_shape(entry: Any) -> dict[str, Any]:
    """Structural checks of an entry (no signature); returns it. :class:`AnchorError` when malformed."""
    if not isinstance(entry, dict) or entry.get("type") != ENTRY:
        raise AnchorError("malformedEntry", "an anchor entry must be an object of type AnchorEntry")
    log, seq, prev = entry.get("log"), entry.get("seq"), entry.get("prev")
    if not isinstance(log, str) or not log.startswith("did:"):
        raise AnchorError("malformedEntry", "an anchor entry's log must be its owner's DID")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SEQ:
        raise AnchorError("malformedEntry", "an anchor entry's seq must be a positive integer")
    if (seq == 1) != (prev is None) or (prev is not None and not is_cid(prev)):
        raise AnchorError("brokenLink", "prev must be null for the first entry and the previous entry's CID after")
    if not isinstance(entry.get("time"), str) or not isinstance(entry.get("proof"), dict):
        raise AnchorError("malformedEntry", "an anchor entry needs a time and a proof")
    statement = entry.get("statement")
    if not isinstance(statement, dict) or not isinstance(statement.get("type"), str):
        raise AnchorError("malformedEntry", "an anchor entry needs a typed statement")
    if statement["type"] in PUBLISHED:
        size, version = statement.get("size"), statement.get("version")
        if not (isinstance(statement.get("url"), str) and is_cid(statement.get("payload"))
                and isinstance(size, int) and not isinstance(size, bool) and size >= 0
                and isinstance(version, int) and not isinstance(version, bool)):
            raise AnchorError("malformedEntry", f"a {statement['type']} statement needs url, version, payload (CID) "
                              "and size")
    return entry


def check_head_shape(head: Any, kind: str = HEAD) -> dict[str, Any]:
    """Structural checks of a head or witness statement; returns it."""
    if not isinstance(head, dict) or head.get("type") != kind:
        raise AnchorError("malformedHead", f"expected an object of type {kind}")
    seq = head.get("seq")
    if not isinstance(head.get("log"), str) or isinstance(seq, bool) or not isinstance(seq, int) \
            or not 1 <= seq <= MAX_SEQ or not is_cid(head.get("entry")) or not isinstance(head.get("proof"), dict):
        raise AnchorError("malformedHead", f"a {kind} needs log, seq, entry (a CID) and a proof")
    if kind == WITNESS and not isinstance(head.get("witness"), str):
        raise AnchorError("malformedHead", "a witness statement names its witness")
    return head


def position(document: dict[str, Any]) -> tuple[str, int, str]:
    """(log, seq, entry CID) fixed by a signed head or a signed entry — either marks how far a log goes."""
    if isinstance(document, dict) and document.get("type") == HEAD:
        check_head_shape(document)
        return document["log"], document["seq"], document["entry"]
    check_entry_shape(document)
    return document["log"], document["seq"], entry_cid(document)

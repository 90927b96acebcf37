"""The hashes of did:webvh 1.0: ``base58btc(multihash(sha2-256(…)))`` over JCS or a Multikey (the spec's SCID,
entry hash and pre-rotation key hash sections)."""

from __future__ import annotations

import hashlib
from typing import Any

import base58
import orjson

from vcnode.jsonld import canonicalize_jcs
from vcnode.webvh.identifier import SCID_PLACEHOLDER

# The multihash header of a SHA-256 digest: code 0x12, length 0x20. did:webvh 1.0 allows no other hash.
_SHA256_MULTIHASH = b"\x12\x20"


def multihash_b58(data: bytes) -> str:
    """base58btc of the SHA-256 multihash of ``data`` (``Qm…``, 46 characters)."""
    return base58.b58encode(_SHA256_MULTIHASH + hashlib.sha256(data).digest()).decode("ascii")


def is_sha256_multihash(value: object) -> bool:
    """True when ``value`` is a base58btc SHA-256 multihash, the only hash did:webvh 1.0 permits."""
    if not isinstance(value, str) or not value:
        return False
    try:
        raw = base58.b58decode(value)
    except ValueError:
        return False
    return len(raw) == 34 and raw[:2] == _SHA256_MULTIHASH


def _without_proof(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key != "proof"}


def scid_of(preliminary: dict[str, Any]) -> str:
    """The SCID of a preliminary first entry (``versionId`` ``{SCID}`` and placeholders for the SCID)."""
    return multihash_b58(canonicalize_jcs(_without_proof(preliminary)))


def derive_scid(first_entry: dict[str, Any], scid: str) -> str:
    """Recompute the SCID a published first entry was made from (spec "Verify SCID").

    The proof is dropped, ``versionId`` becomes ``{SCID}``, and every occurrence of ``scid`` in the entry,
    read as text, becomes ``{SCID}`` again, as in the spec; the result is parsed back so JCS sees the same
    structure the controller hashed.
    """
    text = orjson.dumps({**_without_proof(first_entry), "versionId": SCID_PLACEHOLDER}).decode("utf-8")
    return scid_of(orjson.loads(text.replace(scid, SCID_PLACEHOLDER)))


def entry_hash(entry: dict[str, Any], previous_version_id: str) -> str:
    """The entryHash of ``entry``: JCS of the entry without proof, its ``versionId`` set to the predecessor's
    (the SCID for the first entry), which chains every entry to the one before it."""
    return multihash_b58(canonicalize_jcs({**_without_proof(entry), "versionId": previous_version_id}))


def key_hash(public_multikey: str) -> str:
    """The pre-rotation commitment to an update key: the hash of its Multikey string (``nextKeyHashes``)."""
    return multihash_b58(public_multikey.encode("utf-8"))

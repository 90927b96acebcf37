"""Content identifiers (CIDv1, sha2-256, base32) for anchor entries and the payloads they reference.

The CID layout (version, codec and multihash prefixes) comes from ``multiformats``, once per codec; making
a CID is then a SHA-256 and a base32 encoding, which matters when a node verifies thousands of entries
(``multiformats`` builds one in ~0.8 ms). Tests check both give the same CIDs.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import Any

from multiformats import CID, multihash

from vcnode.jsonld.canonical import canonicalize_jcs

JSON_CODEC = "json"  # an anchor entry: its JCS bytes
RAW_CODEC = "raw"    # a payload: its exact bytes (a signed status list credential)


@cache
def _prefix(codec: str) -> bytes:
    digest = multihash.digest(b"", "sha2-256")
    whole = bytes(CID("base32", 1, codec, digest))
    return whole[:len(whole) - len(bytes(digest))] + bytes(digest)[:2]  # version, codec, hash code and length


def cid_for_bytes(data: bytes, codec: str = RAW_CODEC) -> str:
    """The CIDv1 (base32, sha2-256) of ``data`` under ``codec``."""
    raw = _prefix(codec) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode("ascii").lower().rstrip("=")


def cid_for_json(document: Any) -> str:
    """The CIDv1 of a JSON document: sha2-256 over its RFC 8785 canonical form, codec ``json``."""
    return cid_for_bytes(canonicalize_jcs(document), JSON_CODEC)


def is_cid(value: Any) -> bool:
    """True when ``value`` is a CIDv1 string this node could have made (base32, sha2-256)."""
    if not isinstance(value, str) or not value.startswith("b") or len(value) > 100:
        return False
    try:
        parsed = CID.decode(value)
    except Exception:  # multiformats raises several error types for malformed input
        return False
    return parsed.version == 1 and parsed.hashfun.name == "sha2-256" and parsed.codec.name in (JSON_CODEC, RAW_CODEC)

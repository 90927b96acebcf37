"""DIDs that are their key: did:key (a Multikey) and did:jwk (a public JWK). Creation only; the drivers in
``did_methods`` resolve them."""

from __future__ import annotations

from typing import Any

import orjson

from vcnode.keys.jwk import b64url_encode


def did_key_for(public_multikey: str) -> str:
    """The did:key DID of a public Multikey (``did:key:z6Mk…`` Ed25519, ``did:key:zDn…`` P-256)."""
    return f"did:key:{public_multikey}"


def did_jwk_for(jwk: Any) -> str:
    """The did:jwk DID of a public JWK: base64url of its compact JSON with members in lexicographic order, the
    form of the did:jwk specification's examples (and of RFC 7638 thumbprints), so one key gives one DID."""
    return "did:jwk:" + b64url_encode(orjson.dumps(jwk, option=orjson.OPT_SORT_KEYS))

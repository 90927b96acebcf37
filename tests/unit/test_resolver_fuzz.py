"""Arbitrary input never crashes the resolver: every answer is a document or a known error code."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from did_methods.jwk import JwkDriver
from did_methods.key import KeyDriver
from vcnode.did import resolution as r
from vcnode.did.resolver import Resolver

KNOWN = {r.INVALID_DID, r.METHOD_NOT_SUPPORTED, r.UNSUPPORTED_PUBLIC_KEY_TYPE, r.INVALID_PUBLIC_KEY_TYPE,
         r.INVALID_PUBLIC_KEY_LENGTH, r.INVALID_PUBLIC_KEY, None}
resolver = Resolver([KeyDriver(), JwkDriver()])

BASE58ISH = "z6MkLSDn123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz-_.:%"
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
did_like = st.one_of(
    st.text(max_size=300),
    st.builds(lambda m, s: f"did:{m}:{s}", st.sampled_from(["key", "jwk", "web2", "KEY", ""]),
              st.text(alphabet=BASE58ISH, max_size=120)),
    st.builds(lambda b: "did:jwk:" + b, st.text(alphabet=BASE64URL, max_size=200)),
)


@settings(max_examples=400, deadline=None)
@given(did_like)
def test_resolver_never_raises(did: str) -> None:
    result = asyncio.run(resolver.resolve(did))
    assert result.error in KNOWN, result.resolution_metadata
    assert (result.did_document is None) == (result.error is not None)

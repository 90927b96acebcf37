"""IETF Token Status List without a network: the bit order (the spec's 1-bit and 2-bit examples, least significant
bit first, against the Bitstring Status List's most significant bit first), the ZLIB ``lst`` codec and its
refusals, Status List Tokens and the StatusChecker reading a JWT credential's ``status`` claim through them."""

from __future__ import annotations

import base64
import gzip
import time
import zlib
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_methods.jwk import JwkDriver
from did_methods.key import KeyDriver
from vcnode.credentials.report import Report
from vcnode.did.resolver import Resolver
from vcnode.did.self_certifying import did_key_for
from vcnode.jose import sign_compact, verify_with_did
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.p256 import P256KeyPair
from vcnode.keys.signer import KeyPair
from vcnode.status import bitstring
from vcnode.status.bitstring import MAX_LIST_BYTES
from vcnode.status.check import FetchedList, StatusChecker, StatusListError
from vcnode.status.token_list import (
    TokenStatusError,
    decode_status_list,
    encode_status_list,
    from_bitstring,
    get_status,
    new_status_list,
    parse_status_claim,
    read_status_list_token,
    set_status,
    sign_status_list_token,
    status_claim,
    to_bitstring,
)

URI = "https://issuer.example/status/tokens/1"
# The spec's examples (draft-ietf-oauth-status-list, "Status List" and "2-bit Status Values").
ONE_BIT = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
TWO_BITS = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def listed(values: list[int], bits: int) -> bytearray:
    data = new_status_list(len(values), bits)
    for index, value in enumerate(values):
        set_status(data, index, value, bits)
    return data


# --- the bit array ---------------------------------------------------------------------------------------------


def test_the_spec_examples_count_from_the_least_significant_bit() -> None:
    assert bytes(listed(ONE_BIT, 1)) == bytes([0xB9, 0xA3])
    assert bytes(listed(TWO_BITS, 2)) == bytes([0xC9, 0x44, 0xF9])
    assert [get_status(bytes([0xC9, 0x44, 0xF9]), i, 2) for i in range(12)] == TWO_BITS


def test_a_bitstring_status_list_counts_from_the_other_end() -> None:
    """The same entries set in a Bitstring Status List (MSB first) and a Token Status List (LSB first) give
    different bytes; from_bitstring turns one into the other, and back."""
    msb = bitstring.new_bitstring(16)
    for index, value in enumerate(ONE_BIT):
        bitstring.set_entry(msb, index, value)
    assert bytes(msb) == bytes([0b10011101, 0b11000101])  # entry 0 is the top bit of byte 0
    assert bytes(msb) != bytes(listed(ONE_BIT, 1))
    assert from_bitstring(bytes(msb), 1) == bytes([0xB9, 0xA3])
    assert to_bitstring(bytes([0xB9, 0xA3]), 1) == bytes(msb)


@settings(max_examples=60, deadline=None)
@given(bits=st.sampled_from([1, 2, 4, 8]), data=st.data())
def test_conversion_keeps_every_entry(bits: int, data: st.DataObject) -> None:
    values = data.draw(st.lists(st.integers(0, (1 << bits) - 1), min_size=1, max_size=64))
    msb = bitstring.new_bitstring(len(values), bits)
    for index, value in enumerate(values):
        bitstring.set_entry(msb, index, value, bits)
    lsb = from_bitstring(bytes(msb), bits)
    assert [get_status(lsb, i, bits) for i in range(len(values))] == values
    assert lsb == bytes(listed(values, bits))
    assert to_bitstring(lsb, bits) == bytes(msb)


def test_entries_outside_the_list_or_too_wide_are_refused() -> None:
    data = new_status_list(8, 1)
    for call in (lambda: get_status(data, 8), lambda: get_status(data, -1), lambda: set_status(data, 0, 2),
                 lambda: set_status(data, 0, 1, 3), lambda: new_status_list(8, 16), lambda: get_status(data, True)):
        with pytest.raises(TokenStatusError):
            call()


# --- the status_list object ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_encode_and_decode(bits: int) -> None:
    data = new_status_list(1000, bits)
    set_status(data, 999, (1 << bits) - 1, bits)
    encoded = encode_status_list(data, bits)
    assert set(encoded) == {"bits", "lst"} and "=" not in encoded["lst"]
    assert zlib.decompress(base64.urlsafe_b64decode(encoded["lst"] + "==")) == bytes(data)  # ZLIB, not GZIP
    assert decode_status_list(encoded) == (bytes(data), bits)


@pytest.mark.parametrize(("value", "reason"), [
    ({"bits": 3, "lst": b64(zlib.compress(b"\0"))}, "bits"),
    ({"bits": True, "lst": b64(zlib.compress(b"\0"))}, "bits"),
    ({"bits": 1, "lst": "not base64!"}, "base64url"),
    ({"bits": 1, "lst": b64(gzip.compress(b"\0" * 16))}, "ZLIB"),
    ({"bits": 1, "lst": b64(zlib.compress(b"\0", 9, wbits=-15))}, "ZLIB"),  # raw DEFLATE
    ({"bits": 1, "lst": b64(zlib.compress(b"\1" * 100_000)[:20])}, "truncated"),
    ({"bits": 1, "lst": b64(zlib.compress(b"\0" * (MAX_LIST_BYTES + 1)))}, "larger"),
    ({"bits": 1}, "lst"),
    ("lst", "object"),
])
def test_malformed_lists_are_refused(value: Any, reason: str) -> None:
    with pytest.raises(TokenStatusError) as refused:
        decode_status_list(value)
    assert reason in refused.value.message and refused.value.code == "statusInvalid"


def test_status_claims() -> None:
    assert status_claim(7, URI) == {"status_list": {"idx": 7, "uri": URI}}
    assert parse_status_claim(status_claim(7, URI)).idx == 7
    assert parse_status_claim({"other_mechanism": {}}) is None
    for bad in ([], {"status_list": []}, {"status_list": {"idx": -1, "uri": URI}},
                {"status_list": {"idx": "3", "uri": URI}}, {"status_list": {"idx": 1, "uri": "no uri"}}):
        with pytest.raises(TokenStatusError):
            parse_status_claim(bad)


# --- Status List Tokens ----------------------------------------------------------------------------------------


def identity(pair_class: type = P256KeyPair) -> tuple[KeyPair, str, str]:
    pair = pair_class.generate()
    did = did_key_for(pair.public_multikey)
    return pair, did, f"{did}#{pair.public_multikey}"


@pytest.fixture
def resolver() -> Resolver:
    return Resolver([KeyDriver(), JwkDriver()])


@pytest.mark.parametrize("pair_class", [P256KeyPair, Ed25519KeyPair])
async def test_a_status_list_token_signed_and_read(resolver: Resolver, pair_class: type) -> None:
    pair, did, kid = identity(pair_class)
    now = int(time.time())
    token = sign_status_list_token(bytes(listed(TWO_BITS, 2)), 2, pair, uri=URI, kid=kid, iat=now, issuer=did,
                                   exp=now + 3600, ttl=300)
    verified = await verify_with_did(token, resolver)
    assert verified.header == {"alg": pair.alg, "typ": "statuslist+jwt", "kid": kid}
    listed_token = read_status_list_token(verified, uri=URI, now=now)
    assert (listed_token.issuer, listed_token.bits, listed_token.ttl, listed_token.exp) == (did, 2, 300, now + 3600)
    assert [listed_token.status(i) for i in range(12)] == TWO_BITS


async def test_status_list_tokens_that_cannot_be_used(resolver: Resolver) -> None:
    pair, did, kid = identity()
    other, other_did, _ = identity()
    now = int(time.time())
    data = bytes(16)

    async def refusal(claims: dict[str, Any], header: dict[str, Any] | None = None, uri: str = URI) -> str:
        token = sign_compact(claims, pair, kid=kid, header={"typ": "statuslist+jwt", **(header or {})})
        with pytest.raises(TokenStatusError) as refused:
            read_status_list_token(await verify_with_did(token, resolver), uri=uri, now=now)
        return refused.value.message

    good = {"sub": URI, "iat": now, "iss": did, "status_list": encode_status_list(data)}
    assert "typ" in await refusal(good, {"typ": "JWT"})
    assert "sub" in await refusal(good, uri="https://issuer.example/status/tokens/2")
    assert "iat" in await refusal({**good, "iat": None})
    assert "future" in await refusal({**good, "iat": now + 3600})
    assert "expired" in await refusal({**good, "exp": now - 3600})
    assert "ttl" in await refusal({**good, "ttl": 0})
    assert "iss" in await refusal({**good, "iss": other_did})
    assert "status_list" in await refusal({**good, "status_list": None})
    with pytest.raises(TokenStatusError):
        sign_status_list_token(data, 1, other, uri=URI, kid=kid, iat=now, ttl=-5)


# --- the StatusChecker reading a JWT credential's status claim -------------------------------------------------


class Lists:
    """Status List Tokens served by URI (a fetch function for the StatusChecker, with a count of fetches)."""

    def __init__(self) -> None:
        self.served: dict[str, bytes] = {}
        self.fetches = 0

    async def fetch(self, url: str) -> FetchedList:
        self.fetches += 1
        if url not in self.served:
            raise StatusListError("statusUnavailable", f"nothing at {url}")
        return FetchedList(self.served[url])


def token_checker(lists: Lists, resolver: Resolver) -> StatusChecker:
    async def no_credentials(document: dict[str, Any]) -> Report:
        raise AssertionError("a Status List Token is not a credential")

    async def verify_token(token: bytes) -> Any:
        return await verify_with_did(token.decode("ascii"), resolver)

    return StatusChecker(lists.fetch, no_credentials, verify_token=verify_token, fetch_token=lists.fetch)


async def test_the_checker_reads_token_status(resolver: Resolver) -> None:
    pair, did, kid = identity()
    lists = Lists()
    checker = token_checker(lists, resolver)
    now = int(time.time())
    data = listed([0, 1, 2, 3], 2)
    lists.served[URI] = sign_status_list_token(bytes(data), 2, pair, uri=URI, kid=kid, iat=now, issuer=did,
                                               ttl=60).encode()
    outcomes = {}
    for idx in range(4):
        report = Report()
        await checker.check_token_status(status_claim(idx, URI), did, report, datetime.now(UTC))
        outcomes[idx] = [e.code for e in report.errors]
        assert report.results["status"]["entries"][0]["status"] == idx
    assert outcomes == {0: [], 1: ["revoked"], 2: ["suspended"], 3: ["unknownStatus"]}
    assert lists.fetches == 1  # cached for its ttl

    report = Report()  # an index outside the list
    await checker.check_token_status(status_claim(400, URI), did, report, datetime.now(UTC))
    assert [e.code for e in report.errors] == ["statusInvalid"]


async def test_the_checker_refuses_lists_it_cannot_trust(resolver: Resolver) -> None:
    pair, did, kid = identity()
    mallory, _, mallory_kid = identity()
    lists = Lists()
    checker = token_checker(lists, resolver)
    now = int(time.time())
    served = {
        "https://issuer.example/s/by-someone-else": sign_status_list_token(
            bytes(16), 1, mallory, uri="https://issuer.example/s/by-someone-else", kid=mallory_kid, iat=now),
        "https://issuer.example/s/for-another-uri": sign_status_list_token(
            bytes(16), 1, pair, uri="https://issuer.example/s/other", kid=kid, iat=now),
        "https://issuer.example/s/expired": sign_status_list_token(
            bytes(16), 1, pair, uri="https://issuer.example/s/expired", kid=kid, iat=now - 7200, exp=now - 3600),
        "https://issuer.example/s/forged": sign_status_list_token(
            bytes(16), 1, pair, uri="https://issuer.example/s/forged", kid=kid, iat=now)[:-4] + "AAAA",
        "https://issuer.example/s/not-a-jwt": "{}",
    }
    lists.served = {uri: token.encode() for uri, token in served.items()}
    codes = {}
    for uri in [*served, "https://issuer.example/s/missing"]:
        report = Report()
        await checker.check_token_status(status_claim(0, uri), did, report, datetime.now(UTC))
        codes[uri.rsplit("/", 1)[1]] = [e.code for e in report.errors]
    assert codes == {"by-someone-else": ["statusInvalid"], "for-another-uri": ["statusInvalid"],
                     "expired": ["statusInvalid"], "forged": ["statusInvalid"], "not-a-jwt": ["statusInvalid"],
                     "missing": ["statusUnavailable"]}
    report = Report()
    await checker.check_token_status({"status_list": {"idx": "0", "uri": URI}}, did, report, datetime.now(UTC))
    assert [e.code for e in report.errors] == ["statusInvalid"]
    report = Report()
    await checker.check_token_status({"other": {}}, did, report, datetime.now(UTC))
    assert [e.code for e in report.errors] == ["statusUnsupported"]


# --- the node's checker, fetching over HTTP --------------------------------------------------------------------


async def test_a_node_checks_sd_jwt_vc_status_in_a_token_served_over_http(web_node: Any) -> None:
    """The node's StatusChecker (as make_status builds it) fetches a Status List Token from its issuer over HTTP
    asking for application/statuslist+jwt, verifies it through the node's resolver and reads the entry."""
    from aiohttp import web

    from vcnode.sdjwt import SdJwtVcOptions, issue_sd_jwt_vc, verify_sd_jwt_vc

    pair, did, kid = identity()
    data = new_status_list(64, 1)
    accepts: list[str] = []

    async def serve(request: web.Request) -> web.Response:
        accepts.append(request.headers.get("Accept", ""))
        token = sign_status_list_token(bytes(data), 1, pair, uri=str(request.url), kid=kid, issuer=did,
                                       iat=int(time.time()), ttl=60)
        return web.Response(body=token.encode(), content_type="application/statuslist+jwt")

    app = web.Application()
    app.router.add_get("/status/tokens/{id}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        uri = f"http://127.0.0.1:{port}/status/tokens/1"
        token = issue_sd_jwt_vc({"grade": "B"}, pair, issuer=did, kid=kid, vct="urn:test:vc",
                                status=status_claim(3, uri))
        options = SdJwtVcOptions(status=web_node.status_checker)
        first = await verify_sd_jwt_vc(token, web_node.resolver, options)
        assert first.verified, first.report.to_json()
        set_status(data, 3, 1)
        web_node.status_checker.invalidate(uri)
        second = await verify_sd_jwt_vc(token, web_node.resolver, options)
        assert [e.code for e in second.report.errors] == ["revoked"]
        assert accepts == ["application/statuslist+jwt"] * 2
        missing = issue_sd_jwt_vc({"grade": "B"}, pair, issuer=did, kid=kid, vct="urn:test:vc",
                                  status=status_claim(3, f"http://127.0.0.1:{port}/nothing"))
        assert [e.code for e in (await verify_sd_jwt_vc(missing, web_node.resolver, options)).report.errors] == \
            ["statusUnavailable"]
    finally:
        await runner.cleanup()

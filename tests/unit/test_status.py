"""Status lists without a network: the bitstring codec, and the StatusChecker with a fetch function in place
of HTTP (the 1EdTech sample list, caching, sharing, invalidation, bounds, fail-open)."""

from __future__ import annotations

import asyncio
import base64
import gc
import gzip
import json
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_methods.key import KeyDriver
from vcnode.credentials import VerifyOptions, verify_credential
from vcnode.credentials.report import Report
from vcnode.credentials.verify import verify_status_list
from vcnode.did.resolver import Resolver
from vcnode.status.bitstring import (
    MAX_LIST_BYTES,
    MIN_ENTRIES,
    BitstringError,
    decode_list,
    encode_list,
    get_entry,
    new_bitstring,
    set_entry,
)
from vcnode.status.check import FetchedList, StatusChecker, StatusListError

SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
ISSUER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def multibase(raw: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- bitstring.py ------------------------------------------------------------------------------------------------


def test_the_spec_example_is_16384_zero_bytes() -> None:
    bits = decode_list(SPEC_EXAMPLE)
    assert bits == bytes(16_384) and len(bits) * 8 == MIN_ENTRIES


def test_entries_are_read_most_significant_bit_first() -> None:
    bits = bytearray(decode_list(SPEC_EXAMPLE))
    set_entry(bits, 0, 1)
    set_entry(bits, 7, 1)
    set_entry(bits, 8, 1)
    assert bits[:2] == bytes([0b1000_0001, 0b1000_0000])
    bits = new_bitstring(16, 2)
    set_entry(bits, 1, 0b01, 2)  # bits 2-3
    set_entry(bits, 3, 0b10, 2)  # bits 6-7
    assert bits[0] == 0b0001_0010
    bits = new_bitstring(16, 3)
    set_entry(bits, 2, 0b101, 3)  # bits 6-8 straddle the first byte boundary
    assert bits[:2] == bytes([0b0000_0010, 0b1000_0000]) and get_entry(bits, 2, 3) == 0b101
    assert get_entry(bytes([0b0100_0000]), 1) == 1 and get_entry(bytes([0b0100_0000]), 6) == 0


def test_the_1edtech_sample_list_has_index_23_set(vectors: Path) -> None:
    document = json.loads((vectors / "ob3" / "bit-string-list" / "testlist").read_text())
    bits = decode_list(document["credentialSubject"]["encodedList"])
    assert len(bits) == 16_384 and bits[2] == 0b0000_0001  # index 23: the last bit of the third byte
    assert [i for i in range(MIN_ENTRIES) if get_entry(bits, i)] == [23]


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 8), data=st.data())
def test_encoding_round_trips_for_every_status_size(size: int, data: st.DataObject) -> None:
    entries = data.draw(st.integers(1, 4096))
    values = data.draw(st.dictionaries(st.integers(0, entries - 1), st.integers(0, (1 << size) - 1), max_size=40))
    bits = new_bitstring(entries, size)
    for index, value in values.items():
        set_entry(bits, index, value, size)
    encoded = encode_list(bits)
    assert encoded.startswith("u") and "=" not in encoded and encode_list(bits) == encoded  # deterministic
    decoded = decode_list(encoded)
    assert decoded == bytes(bits)
    for index in range(entries):
        assert get_entry(decoded, index, size) == values.get(index, 0)
    plain = encoded[1:]  # StatusList2021: base64url without the multibase prefix
    assert decode_list(plain, multibase=False) == decoded


def test_status_list_2021_accepts_standard_base64_with_padding() -> None:
    raw = gzip.compress(bytes([0xFF]) * 300)
    assert decode_list(base64.b64encode(raw).decode(), multibase=False) == bytes([0xFF]) * 300


def test_entries_outside_the_list_or_values_too_wide_are_refused() -> None:
    bits = new_bitstring(16, 2)
    for index in (-1, 16, 10**9):
        with pytest.raises(BitstringError):
            get_entry(bits, index, 2)
        with pytest.raises(BitstringError):
            set_entry(bits, index, 1, 2)
    with pytest.raises(BitstringError):
        set_entry(bits, 0, 4, 2)


def test_a_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(bytes(MAX_LIST_BYTES + 1), compresslevel=9)
    assert len(bomb) < 64 * 1024
    with pytest.raises(BitstringError, match="larger than"):
        decode_list(multibase(bomb))
    assert len(decode_list(multibase(gzip.compress(bytes(MAX_LIST_BYTES), compresslevel=9)))) == MAX_LIST_BYTES


VALID_GZIP = multibase(gzip.compress(bytes(16)))


@pytest.mark.parametrize("encoded", [
    None, 5, b"uH4sI", "", "u", "H4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",  # no 'u'
    "u!!!!", "u****", "u" + "A" * 5, "uH4sI\u00e9", VALID_GZIP[:20] + " " + VALID_GZIP[20:],
    VALID_GZIP[:10] + "=" + VALID_GZIP[10:], VALID_GZIP[:10] + "." + VALID_GZIP[10:],
    "uQUJD",  # base64 of 'ABC': not GZIP
    VALID_GZIP[:-8], VALID_GZIP[:12],  # a GZIP stream cut short
], ids=repr)
def test_malformed_encoded_lists_are_refused(encoded: Any) -> None:
    with pytest.raises(BitstringError):
        decode_list(encoded)


# --- StatusChecker with a fetch function -------------------------------------------------------------------------


@pytest.fixture
def resolver() -> Resolver:
    return Resolver([KeyDriver()])


@pytest.mark.parametrize("sample", ["credential-status-revoked.json", "credential-status-revoked-blank-nodes.json"])
async def test_the_1edtech_revoked_sample_is_reported_revoked(vectors: Path, resolver: Resolver, sample: str) -> None:
    folder = vectors / "ob3" / "bit-string-list"
    credential = json.loads((folder / sample).read_text())
    listed = (folder / "testlist").read_bytes()
    url = credential["credentialStatus"]["statusListCredential"]
    # The list's id (https://example.com/credentials/status/3) is not the URL it is fetched from: Bitstring
    # Status List v1.0 §3.2 does not ask for them to match, and vcnode does not compare them.
    assert json.loads(listed)["id"] != url
    fetched: list[str] = []

    async def fetch(requested: str) -> FetchedList:
        fetched.append(requested)
        return FetchedList(listed)

    options = VerifyOptions(allow_embedded_keys=True)  # the samples use https://…#z6Mk… keys
    checker = StatusChecker(fetch, lambda document: verify_status_list(document, resolver, options))
    report = await verify_credential(credential, resolver, VerifyOptions(allow_embedded_keys=True, status=checker))
    assert [(e.check, e.code) for e in report.errors] == [("status", "revoked")], report.to_json()
    assert report.results["proof"]["verified"] and report.results["issuer"]["verified"]
    assert report.results["status"]["entries"] == [{
        "type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListCredential": url,
        "statusListIndex": "23", "status": 1}]
    assert fetched == [url]
    # Without embedded keys the list's proof cannot be checked: the list is invalid, not the credential revoked.
    strict = StatusChecker(fetch, lambda document: verify_status_list(document, resolver, VerifyOptions()))
    report = await verify_credential(credential, resolver, VerifyOptions(allow_embedded_keys=True, status=strict))
    assert [(e.check, e.code) for e in report.errors] == [("status", "statusInvalid")]


def list_document(url: str, values: tuple[int, ...] = (), *, entries: int = MIN_ENTRIES, **subject: Any) -> bytes:
    """An (unsigned) list credential; the fake verifier below accepts it."""
    bits = new_bitstring(entries)
    for index in values:
        set_entry(bits, index, 1)
    return orjson.dumps({
        "@context": ["https://www.w3.org/ns/credentials/v2"], "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"], "issuer": ISSUER,
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": encode_list(bits), **subject}})


def credential_for(url: str, index: int = 7, **entry: Any) -> dict[str, Any]:
    return {"id": "urn:uuid:c", "issuer": ISSUER, "credentialStatus": {
        "type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": str(index),
        "statusListCredential": url, **entry}}


class FakeLists:
    """A fetch function over a dict of documents, counting fetches; ``gate`` holds fetches until set."""

    def __init__(self) -> None:
        self.documents: dict[str, bytes] = {}
        self.max_age: float | None = None
        self.fetches: Counter[str] = Counter()
        self.gate = asyncio.Event()
        self.gate.set()

    async def fetch(self, url: str) -> FetchedList:
        self.fetches[url] += 1
        document = self.documents.get(url)  # what the server holds when the request arrives
        await self.gate.wait()
        if document is None:
            raise OSError(f"connection refused: {url}")
        return FetchedList(document, self.max_age)


async def accept(_: dict[str, Any]) -> Report:
    report = Report()
    report.passed("proof")
    return report


def checker_for(lists: FakeLists, **options: Any) -> StatusChecker:
    return StatusChecker(lists.fetch, accept, **options)


async def check(checker: StatusChecker, credential: dict[str, Any]) -> Report:
    report = Report()
    await checker.check(credential, report, NOW)
    return report


def codes(report: Report) -> list[str]:
    return [e.code for e in report.errors]


async def test_a_set_bit_revokes_and_the_list_is_cached() -> None:
    lists = FakeLists()
    lists.documents["https://l.example/1"] = list_document("https://l.example/1", (7,))
    checker = checker_for(lists)
    assert codes(await check(checker, credential_for("https://l.example/1", 7))) == ["revoked"]
    assert codes(await check(checker, credential_for("https://l.example/1", 8))) == []
    assert lists.fetches["https://l.example/1"] == 1


async def test_concurrent_checks_share_one_fetch_and_a_cancelled_one_does_not_stop_it() -> None:
    lists = FakeLists()
    url = "https://l.example/1"
    lists.documents[url] = list_document(url, (3,))
    lists.gate.clear()
    checker = checker_for(lists)
    waiting = [asyncio.ensure_future(check(checker, credential_for(url, n))) for n in range(6)]
    await asyncio.sleep(0.01)
    waiting[0].cancel()
    lists.gate.set()
    results = await asyncio.gather(*waiting[1:])
    assert [codes(r) for r in results] == [[], [], ["revoked"], [], []]
    assert lists.fetches[url] == 1 and waiting[0].cancelled()


async def test_the_list_ttl_is_in_milliseconds_and_max_age_can_shorten_it() -> None:
    lists = FakeLists()
    lists.documents["https://l.example/ttl"] = list_document("https://l.example/ttl", ttl=50)
    lists.documents["https://l.example/long"] = list_document("https://l.example/long", ttl=60_000)
    checker = checker_for(lists)
    for _ in range(2):
        await check(checker, credential_for("https://l.example/ttl"))
        await check(checker, credential_for("https://l.example/long"))
        await asyncio.sleep(0.08)
    assert lists.fetches == {"https://l.example/ttl": 2, "https://l.example/long": 1}
    lists.max_age = 0.0  # Cache-Control: max-age=0 wins over the list's ttl
    checker = checker_for(lists)
    for _ in range(2):
        await check(checker, credential_for("https://l.example/long"))
    assert lists.fetches["https://l.example/long"] == 3


async def test_a_list_is_not_cached_past_its_valid_until() -> None:
    lists = FakeLists()
    url = "https://l.example/soon"
    document = orjson.loads(list_document(url))
    document["validUntil"] = (datetime.now(UTC) + timedelta(milliseconds=50)).isoformat()
    lists.documents[url] = orjson.dumps(document)
    checker = checker_for(lists)
    await check(checker, credential_for(url))
    await asyncio.sleep(0.08)
    await check(checker, credential_for(url))
    assert lists.fetches[url] == 2


async def test_invalidating_during_a_fetch_neither_caches_nor_shares_the_old_list() -> None:
    lists = FakeLists()
    url = "https://l.example/own"
    lists.documents[url] = list_document(url)
    lists.gate.clear()
    checker = checker_for(lists)
    before = asyncio.ensure_future(check(checker, credential_for(url, 7)))
    await asyncio.sleep(0.01)
    lists.documents[url] = list_document(url, (7,))  # the node revokes while the old list is being read
    checker.invalidate(url)
    after = asyncio.ensure_future(check(checker, credential_for(url, 7)))  # must not join the old fetch
    await asyncio.sleep(0.01)
    lists.gate.set()
    assert codes(await before) == []  # began before the change: may see the old list
    assert codes(await after) == ["revoked"]
    assert codes(await check(checker, credential_for(url, 7))) == ["revoked"]  # the old list was not cached
    assert lists.fetches[url] == 2


async def test_the_cache_is_bounded_in_bytes_and_entries() -> None:
    lists = FakeLists()
    urls = [f"https://l.example/{n}" for n in range(12)]
    for url in urls:
        lists.documents[url] = list_document(url, entries=8 * 64 * 1024)  # 64 KB decoded each
    checker = checker_for(lists, max_cache_bytes=300 * 1024)
    for url in urls:
        await check(checker, credential_for(url))
    assert checker.cache_bytes <= 300 * 1024
    await check(checker, credential_for(urls[-1]))  # the newest is still cached, the oldest is not
    await check(checker, credential_for(urls[0]))
    assert lists.fetches[urls[-1]] == 1 and lists.fetches[urls[0]] == 2
    checker = checker_for(lists, max_cache_entries=3)
    for url in urls:
        await check(checker, credential_for(f"https://down.example/{url}"))  # failures are cached too
    for url in urls[-3:]:
        await check(checker, credential_for(f"https://down.example/{url}"))
    assert all(lists.fetches[f"https://down.example/{url}"] == 1 for url in urls[-3:])
    checker.invalidate()
    assert checker.cache_bytes == 0


async def test_status_size_counts_against_the_minimum_number_of_entries() -> None:
    lists = FakeLists()
    url = "https://l.example/m"
    lists.documents[url] = list_document(url, entries=MIN_ENTRIES, statusPurpose="message")
    checker = checker_for(lists)
    messages = [{"status": f"0x{n}", "message": str(n)} for n in range(4)]
    one_bit = credential_for(url, 5, statusPurpose="message")
    two_bits = credential_for(url, 5, statusPurpose="message", statusSize=2, statusMessage=messages)
    assert codes(await check(checker, one_bit)) == []
    report = await check(checker, two_bits)
    assert codes(report) == ["statusInvalid"] and "65536 entries" in report.errors[0].message


@pytest.mark.parametrize(("status", "code"), [
    ("https://l.example/1", "statusInvalid"), (["x"], "statusInvalid"), ({"type": 5}, "statusUnsupported"),
    ({"type": ["BitstringStatusListEntry", "StatusList2021Entry"]}, "statusUnsupported"),
    ({"type": {"a": 1}}, "statusUnsupported"), ({"type": None}, "statusUnsupported"),
    ({"type": "1EdTechRevocationList"}, "statusInvalid"), ({"type": "1EdTechRevocationList", "id": 5},
                                                            "statusInvalid"),
])
async def test_malformed_entries_are_errors_not_crashes(status: Any, code: str) -> None:
    report = await check(checker_for(FakeLists()), {"issuer": ISSUER, "credentialStatus": status})
    assert codes(report) == [code] and not report.verified


async def test_a_type_array_naming_one_supported_type_is_read() -> None:
    lists = FakeLists()
    lists.documents["https://l.example/1"] = list_document("https://l.example/1", (7,))
    credential = credential_for("https://l.example/1", 7, type=["BitstringStatusListEntry"])
    assert codes(await check(checker_for(lists), credential)) == ["revoked"]


async def test_revocation_lists_keep_only_string_ids() -> None:
    lists = FakeLists()
    url = "https://l.example/revoked"
    lists.documents[url] = orjson.dumps({"issuer": {"id": ISSUER}, "revokedCredential": [
        {"id": ["urn:uuid:c"]}, {"id": {"x": 1}}, 5, None, [1], {"id": "urn:uuid:off", "revoked": False},
        "urn:uuid:c"]})
    checker = checker_for(lists)
    entry = {"id": url, "type": "1EdTechRevocationList"}
    assert codes(await check(checker, {"id": "urn:uuid:c", "issuer": ISSUER, "credentialStatus": entry})) == \
        ["revoked"]
    assert codes(await check(checker, {"id": "urn:uuid:off", "issuer": ISSUER, "credentialStatus": entry})) == []
    assert codes(await check(checker, {"id": ["urn:uuid:c"], "issuer": ISSUER, "credentialStatus": entry})) == []


async def test_fail_open_warns_for_an_unreachable_list_only() -> None:
    lists = FakeLists()
    lists.documents["https://l.example/html"] = b"<html>"
    checker = checker_for(lists, fail_open=True)
    report = await check(checker, credential_for("https://l.example/missing"))
    assert report.verified and [w.code for w in report.warnings] == ["statusUnavailable"]
    report = await check(checker, credential_for("https://l.example/html"))
    assert codes(report) == ["statusInvalid"]


async def test_a_fetch_raising_status_list_error_keeps_its_code() -> None:
    async def fetch(url: str) -> FetchedList:
        raise StatusListError("statusUnavailable", "the status list answered HTTP 500")

    report = await check(StatusChecker(fetch, accept), credential_for("https://l.example/1"))
    assert codes(report) == ["statusUnavailable"] and "HTTP 500" in report.errors[0].message


# --- fan-out (issue 11, item 4) and what refused lists leave behind (item 5) ---------------------------------------


def credential_with(urls: list[str]) -> dict[str, Any]:
    return {"id": "urn:uuid:c", "issuer": ISSUER, "credentialStatus": [
        {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "7",
         "statusListCredential": url} for url in urls]}


async def test_entries_are_fetched_at_once_and_waited_for_until_the_deadline_only() -> None:
    lists = FakeLists()
    urls = [f"https://silent.example/{n}" for n in range(6)]
    lists.documents.update({url: list_document(url, (7,)) for url in urls})
    lists.gate.clear()  # a list server that does not answer (for now)
    checker = checker_for(lists)
    started = asyncio.get_running_loop().time()
    report = Report()
    await asyncio.wait_for(checker.check(credential_with(urls), report, NOW, deadline=time.monotonic() + 0.2), 2)
    assert asyncio.get_running_loop().time() - started < 0.5
    assert codes(report) == ["statusUnavailable"] * 6 and "deadline" in report.errors[0].message
    assert [e["error"] for e in report.results["status"]["entries"]] == ["statusUnavailable"] * 6
    assert sorted(lists.fetches) == urls  # all six were asked for at once
    # The fetches go on (shared, not cancelled): when the server answers they are cached for the next check.
    lists.gate.set()
    await asyncio.sleep(0.01)
    report = await check(checker, credential_with(urls))
    assert codes(report) == ["revoked"] * 6 and all(n == 1 for n in lists.fetches.values())


async def test_a_passed_deadline_still_reads_cached_lists() -> None:
    lists = FakeLists()
    url = "https://l.example/1"
    lists.documents[url] = list_document(url, (7,))
    checker = checker_for(lists)
    await check(checker, credential_for(url))
    report = Report()
    await checker.check(credential_with([url, "https://l.example/uncached"]), report, NOW,
                        deadline=time.monotonic() - 1)
    assert codes(report) == ["revoked", "statusUnavailable"] and lists.fetches[url] == 1
    assert "https://l.example/uncached" not in lists.fetches or lists.fetches["https://l.example/uncached"] == 1


async def test_prefetch_starts_the_fetches_a_later_check_waits_for() -> None:
    lists = FakeLists()
    url = "https://l.example/1"
    lists.documents[url] = list_document(url, (7,))
    checker = checker_for(lists)
    checker.prefetch(credential_for(url))
    checker.prefetch({"credentialStatus": [5, {"type": "x"}]})  # malformed: nothing to fetch, no error
    await asyncio.sleep(0.01)
    assert lists.fetches[url] == 1
    assert codes(await check(checker, credential_for(url))) == ["revoked"] and lists.fetches[url] == 1


async def test_a_credential_with_too_many_entries_is_not_checked() -> None:
    lists = FakeLists()
    checker = checker_for(lists, max_entries=3)
    report = await check(checker, credential_with([f"https://l.example/{n}" for n in range(4)]))
    assert codes(report) == ["tooManyStatusEntries"] and not lists.fetches
    checker.prefetch(credential_with([f"https://l.example/{n}" for n in range(4)]))
    assert not lists.fetches


GZIP_BOMB = encode_list(bytes(64 * 1024 * 1024))  # ~64 KiB that inflate to 64 MiB


async def test_refused_gzip_bombs_leave_no_buffers_behind() -> None:
    lists = FakeLists()
    urls = [f"https://bomb.example/{n}" for n in range(8)]
    for url in urls:
        document = orjson.loads(list_document(url))
        document["credentialSubject"]["encodedList"] = GZIP_BOMB
        lists.documents[url] = orjson.dumps(document)
    checker = checker_for(lists)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for url in urls:
            report = await check(checker, credential_for(url))
            assert codes(report) == ["statusInvalid"] and "larger than" in report.errors[0].message
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert retained < 2 * 1024 * 1024, f"{retained / 2**20:.1f} MiB kept after refusing {len(urls)} bombs"
    # What the cache holds for each refusal is counted: at least its URL and message, and far from megabytes.
    assert 8 * 300 < checker.cache_bytes < 64 * 1024
    # The error a caller gets is fresh, chained to nothing, and each caller gets its own.
    errors = []
    for _ in range(2):
        with pytest.raises(StatusListError) as raised:
            await checker.status_list(urls[0], "BitstringStatusListEntry")
        errors.append(raised.value)
    assert errors[0] is not errors[1] and lists.fetches[urls[0]] == 1
    assert all(e.__context__ is None and e.__cause__ is None for e in errors)
    held = [value for _, value, _ in checker._cache.values()]  # what the cache keeps
    assert len(held) == 8 and not any(isinstance(value, BaseException) for value in held)

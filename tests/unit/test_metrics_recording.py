"""What :mod:`vcnode.metrics` records, in memory (issue 12 item 10): nothing until enabled, store operations
of a real SQLite store timed by name (the store keeps its class), background jobs and their failures,
verification suites as a bounded label."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from vcnode import metrics
from vcnode.store import open_store
from vcnode.store.sqlite import SqliteStore


@pytest.fixture
def recording() -> Iterator[None]:
    metrics.enable(None)
    try:
        yield
    finally:
        metrics.disable()


def samples() -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = generate_latest(metrics.collector()).decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_nothing_is_recorded_while_off() -> None:
    assert not metrics.enabled() and metrics.collector() is None
    metrics.http_request("GET", "/health", 200, 0.001)  # a no-op, not an error


async def test_store_operations_are_timed_by_name(tmp_path: Path, recording: None) -> None:
    store = await open_store(tmp_path / "db.sqlite3")
    try:
        metrics.instrument_store(store, "store")
        assert isinstance(store, SqliteStore)
        await store.set_meta("k", "v")
        assert await store.get_meta("k") == "v"
        assert await store.get_meta("k") == "v"
        async with store.transaction() as db:
            await db.execute("SELECT 1")
    finally:
        await store.close()
    seen = samples()
    count = "vcnode_store_operation_duration_seconds_count"
    assert seen[(count, frozenset({("store", "store"), ("operation", "get_meta")}))] == 2
    assert seen[(count, frozenset({("store", "store"), ("operation", "set_meta")}))] == 1
    assert seen[(count, frozenset({("store", "store"), ("operation", "transaction")}))] >= 2  # set_meta's and ours


def test_jobs_and_their_failures(recording: None) -> None:
    with metrics.job("gossip_step"):
        pass
    with pytest.raises(RuntimeError), metrics.job("gossip_step"):
        raise RuntimeError("one bad round")
    seen = samples()
    assert seen[("vcnode_background_job_duration_seconds_count", frozenset({("job", "gossip_step")}))] == 2
    assert seen[("vcnode_background_job_failures_total", frozenset({("job", "gossip_step")}))] == 1


@pytest.mark.parametrize(("document", "suite"), [
    ({"proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022"}}, "eddsa-jcs-2022"),
    ({"proof": [{"type": "Ed25519Signature2020"}, {"type": "x"}]}, "Ed25519Signature2020"),
    ({"proof": {"type": "DataIntegrityProof", "cryptosuite": "made-up-" + "x" * 500}}, "other"),
    ({"proof": {"type": ["DataIntegrityProof"]}}, "other"),
    ({}, "none"), ("not a document", "none"),
])
def test_suite_labels_are_bounded(document: object, suite: str) -> None:
    assert metrics.suite_of(document) == suite


def test_methods_outside_the_standard_ones_share_a_label(recording: None) -> None:
    metrics.http_request("BREW", "unmatched", 405, 0.001)
    assert samples()[("vcnode_http_requests_total", frozenset({("method", "other"), ("route", "unmatched"),
                                                               ("status", "405")}))] == 1

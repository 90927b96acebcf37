"""One home for time (issue 16): the timestamp formatter and parsers of vcnode.clock, and services that read
an injected clock instead of the machine's (so time moves in a test without sleeping)."""

from __future__ import annotations

import shutil
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest

from vcnode.auth.tokens import TokenService
from vcnode.clock import (
    SYSTEM_CLOCK,
    format_timestamp,
    from_unix,
    now_timestamp,
    parse_datetime,
    parse_iso,
)
from vcnode.config import load_config
from vcnode.keys.vault import Vault
from vcnode.node import Node
from vcnode.status.records import StatusListSpec
from vcnode.status.service import StatusService
from vcnode.store import open_store
from vcnode.trust.examples import example_documents

HK = timezone(timedelta(hours=8))


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def time(self) -> float:
        return self.moment.timestamp()


# --- format_timestamp -------------------------------------------------------------------------------------------


def test_a_utc_moment_is_written_with_z_to_the_second() -> None:
    assert format_timestamp(datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)) == "2026-01-02T03:04:05Z"


def test_an_offset_is_converted_to_utc() -> None:
    assert format_timestamp(datetime(2026, 1, 2, 8, 0, tzinfo=HK)) == "2026-01-02T00:00:00Z"


def test_keep_offset_writes_the_moment_as_given() -> None:
    assert format_timestamp(datetime(2026, 1, 2, 8, 0, tzinfo=HK), keep_offset=True) == "2026-01-02T08:00:00+08:00"
    assert format_timestamp(datetime(2026, 1, 2, 8, 0, tzinfo=UTC), keep_offset=True) == "2026-01-02T08:00:00Z"


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        format_timestamp(datetime(2026, 1, 2, 3, 4, 5))


def test_precision_is_chosen_by_timespec() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert format_timestamp(moment, timespec="auto") == "2026-01-02T03:04:05.678901Z"  # kept when present
    assert format_timestamp(moment.replace(microsecond=0), timespec="auto") == "2026-01-02T03:04:05Z"
    assert format_timestamp(moment, timespec="milliseconds") == "2026-01-02T03:04:05.678Z"
    assert format_timestamp(moment.replace(microsecond=0), timespec="milliseconds") == "2026-01-02T03:04:05.000Z"


def test_unix_seconds_and_now() -> None:
    assert from_unix(0) == "1970-01-01T00:00:00Z"
    assert from_unix(1_767_322_245.9) == "2026-01-02T02:50:45Z"  # the fraction is dropped, not rounded
    assert now_timestamp(FixedClock(datetime(2026, 6, 1, 12, 0, 0, 500, tzinfo=UTC))) == "2026-06-01T12:00:00Z"
    stamp = now_timestamp()
    assert stamp.endswith("Z") and len(stamp) == 20
    assert abs(parse_datetime(stamp).timestamp() - time.time()) < 5  # type: ignore[union-attr]


def test_the_system_clock_reads_the_machine() -> None:
    now = SYSTEM_CLOCK.now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert abs(SYSTEM_CLOCK.time() - now.timestamp()) < 5


# --- parsing ----------------------------------------------------------------------------------------------------


def test_parse_datetime_reads_zones_and_refuses_what_is_not_a_datetime_stamp() -> None:
    assert parse_datetime("2026-01-02T03:04:05Z") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_datetime("2026-01-02T03:04:05z") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    parsed = parse_datetime("2026-01-02T11:04:05.25+08:00")
    assert parsed == datetime(2026, 1, 2, 3, 4, 5, 250000, tzinfo=UTC) and parsed.utcoffset() == timedelta(hours=8)
    for bad in ("2026-01-02T03:04:05", "2026-01-02", "not a date", "2026-13-01T00:00:00Z", 20260102, None):
        assert parse_datetime(bad) is None, bad


def test_parse_iso_is_lenient_for_display() -> None:
    assert parse_iso("2026-01-02") == datetime(2026, 1, 2)  # a date: naive, the caller decides
    assert parse_iso("2026-01-02T03:04:05") == datetime(2026, 1, 2, 3, 4, 5)
    assert parse_iso("2026-01-02T03:04:05Z") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_iso("yesterday") is None and parse_iso(None) is None


def test_what_is_written_reads_back() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=HK)
    assert parse_datetime(format_timestamp(moment)) == moment
    assert parse_datetime(format_timestamp(moment, keep_offset=True)) == moment


# --- services on an injected clock ------------------------------------------------------------------------------


async def test_tokens_are_dated_by_the_services_clock(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "db.sqlite3")
    try:
        clock = FixedClock(datetime(2030, 5, 6, 7, 8, 9, 123, tzinfo=UTC))
        tokens = TokenService(store, clock=clock)
        record, _ = await tokens.create(["issue"])
        assert record.created == "2030-05-06T07:08:09Z"
        clock.moment += timedelta(days=1)
        await tokens.revoke(record.id)
        [stored] = await tokens.list()
        assert (stored.created, stored.revoked) == ("2030-05-06T07:08:09Z", "2030-05-07T07:08:09Z")
    finally:
        await store.close()


async def test_a_status_list_is_signed_and_re_signed_by_the_services_clock(web_node: Node) -> None:
    issuer = web_node.identities.default_did
    assert issuer is not None
    async with web_node.store.issuance() as issuance:
        [allocation] = await issuance.allocate(issuer, StatusListSpec("revocation", entries=4096), ["urn:uuid:c1"])
    clock = FixedClock(datetime(2030, 1, 1, 0, 0, 0, 999, tzinfo=UTC))
    status = StatusService(web_node.store, web_node.identities, base_url=web_node.config.base_url, ttl=300,
                           validity=86_400, heartbeat=3600, clock=clock)
    first = orjson.loads((await status.published(allocation.list_id)).document)
    assert (first["validFrom"], first["validUntil"]) == ("2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z")
    clock.moment += timedelta(minutes=30)  # within the heartbeat: the signed copy is served again
    assert orjson.loads((await status.published(allocation.list_id)).document) == first
    clock.moment += timedelta(hours=1)  # past it: re-signed, dated by the clock, not the machine
    again = orjson.loads((await status.published(allocation.list_id)).document)
    assert (again["validFrom"], again["validUntil"]) == ("2030-01-01T01:30:00Z", "2030-01-02T01:30:00Z")


# --- a node opened on a clock ------------------------------------------------------------------------------------


@pytest.fixture
async def clocked_node(tmp_path: Path, node_env: dict[str, str],
                       web_node_template: tuple[Path, Vault]) -> AsyncIterator[tuple[Node, FixedClock]]:
    """``web_node``, opened on a clock set to 2031 (nothing it writes may come from the machine's clock)."""
    template, vault = web_node_template
    home = tmp_path / "node"
    shutil.copytree(template, home)
    clock = FixedClock(datetime(2031, 2, 3, 4, 5, 6, 789, tzinfo=UTC))
    node = await Node.open(load_config(home, environ=node_env), environ=node_env, vault=vault, clock=clock)
    try:
        yield node, clock
    finally:
        await node.close()


async def test_a_node_signs_and_anchors_its_lists_by_its_clock(clocked_node: tuple[Node, FixedClock]) -> None:
    node, _ = clocked_node
    issuer = node.identities.default_did
    assert issuer is not None
    async with node.store.issuance() as issuance:
        [allocation] = await issuance.allocate(issuer, StatusListSpec("revocation", entries=4096), ["urn:uuid:c1"])
    signed = orjson.loads((await node.status.published(allocation.list_id)).document)
    assert (signed["validFrom"], signed["proof"]["created"]) == ("2031-02-03T04:05:06Z", "2031-02-03T04:05:06Z")
    # The signing was anchored (the status service's port, answered by the node) at the clock's time.
    anchor = await node.anchors.store.list_anchor(node.status.list_url(allocation.list_id))
    assert anchor is not None and anchor.time == "2031-02-03T04:05:06Z"
    head = await node.anchors.store.head(issuer)
    assert head is not None and (head["time"], head["proof"]["created"]) == ("2031-02-03T04:05:06Z",) * 2


async def test_a_node_dates_identities_gossip_and_statements_by_its_clock(
        clocked_node: tuple[Node, FixedClock]) -> None:
    node, clock = clocked_node
    clock.moment += timedelta(days=1)
    identity = await node.identities.create("key", name="second")
    assert identity.created == "2031-02-04T04:05:06Z"
    assert node.gossip is not None
    message = node.gossip._message("hello", nonce="n")
    assert (message["time"], message["proof"]["created"]) == ("2031-02-04T04:05:06Z",) * 2
    pathway = example_documents({"eu-provider": node.identities.default_did or ""}, ["pathways"])[0]
    pathway.pop("validFrom", None)
    statement = await node.publish_statement(pathway)
    assert statement["validFrom"] == "2031-02-04T04:05:06Z"
    anchor = await node.anchors.store.head(node.identities.default_did or "")
    assert anchor is not None and anchor["time"] == "2031-02-04T04:05:06Z"

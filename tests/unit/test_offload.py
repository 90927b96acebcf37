"""Proofs checked in worker processes: which documents go there, that the answer is the same, and that a
check past its deadline is cut off (its worker killed) without breaking the checks that follow."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from did_methods.key import KeyDriver
from tests.integration.test_canonicalization_limits import listed_levels, padded_badge, signed_clique
from vcnode.credentials.issue import sign
from vcnode.did.resolver import Resolver
from vcnode.jsonld.rdfc import CanonicalizationLimits, configure_limits, configured_limits
from vcnode.proofs import offload
from vcnode.proofs.verify import ProofExpectations, verify_proofs


@pytest.fixture
def restore_limits() -> Iterator[None]:
    before = configured_limits()
    yield
    offload.uninstall()
    configure_limits(before)


async def check(document: dict) -> tuple[bool, str | None]:
    [result] = await verify_proofs(document, ProofExpectations(), Resolver([KeyDriver()]))
    return result.verified, (result.error or {}).get("code")


async def test_n_degree_work_over_the_inline_budget_is_done_by_a_worker(restore_limits: None) -> None:
    signed = sign(*listed_levels(20))  # 324 N-degree calls
    offload.install(offload.OffloadSettings(min_bytes=10**9, inline_calls=10,
                                            limits=CanonicalizationLimits(max_work_factor=2)))
    # This process alone would refuse the list (after 18 calls), but defers it after 10 to the worker, which
    # has work factor 2.
    configure_limits(CanonicalizationLimits(max_work_factor=1))
    assert await check(signed) == (True, None)
    tampered = {**signed, "credentialSubject": {"levels": [{"code": "x"}] * 20}}
    assert (await check(tampered))[1] in ("invalidSignature", "canonicalizationLimit")
    # Under the inline budget nothing is deferred: this process's own (refusing) limits apply.
    offload.install(offload.OffloadSettings(min_bytes=10**9, inline_calls=10**6))
    configure_limits(CanonicalizationLimits(max_work_factor=1))
    assert await check(signed) == (False, "canonicalizationLimit")


async def test_a_heavy_document_past_the_deadline_is_cut_off_and_the_pool_recovers(restore_limits: None) -> None:
    heavy, signer = padded_badge(600_000)
    heavy["proof"] = {**signed_clique(1)["proof"], "verificationMethod": signer.verification_method}
    small = sign(*padded_badge(2_000))
    workers = offload.install(offload.OffloadSettings(min_bytes=0, deadline=0.5))
    assert await check(small) == (True, None)  # the worker is up
    started = time.perf_counter()
    slow, quick = await asyncio.gather(check(heavy), check(small))
    assert slow == (False, "canonicalizationLimit")
    assert time.perf_counter() - started < 5
    # The check queued behind the killed one was retried on a new pool, or finished before it.
    assert quick[1] in (None, "canonicalizationLimit")
    assert await check(small) == (True, None)
    assert workers.is_heavy(small)


async def test_the_clique_is_refused_in_the_worker_too(restore_limits: None) -> None:
    offload.install(offload.OffloadSettings(min_bytes=0))
    assert await check(signed_clique(8)) == (False, "canonicalizationLimit")

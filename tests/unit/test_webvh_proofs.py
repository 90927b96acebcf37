"""Proofs by did:webvh keys: a key rotated out of the DID document still verifies what it signed while it was
current (the version in effect at proof.created authorises it); later signatures and deactivated DIDs fail."""

from __future__ import annotations

from typing import Any

import pytest

from did_methods.webvh import WebvhDriver
from tests.webvh_builders import LogBuilder, key
from vcnode.did.driver import DriverContext
from vcnode.did.resolver import Resolver
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.net.fetch import FetchResponse
from vcnode.proofs import suite_by_name
from vcnode.proofs.verify import ProofExpectations, verify_proofs
from vcnode.webvh.identifier import parse_webvh_did


class MemoryFetcher:
    """Serves fixed bodies by URL, as the driver's SafeFetcher would (404 for anything else)."""

    allowed_hosts: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []

    async def get(self, url: str, *, accept: str = "application/json") -> FetchResponse:
        self.requests.append(url)
        body = self.files.get(url)
        return FetchResponse(url, 200 if body is not None else 404, {}, body or b"")


def rotated_log() -> LogBuilder:
    """Key 1 from 2025-01-01, key 2 from 2025-02-01 (the builder's day 31)."""
    log = LogBuilder("issuer.example").create(key(1))
    return log.update(key(1), {"updateKeys": [key(2).public_multikey]}, document_key=key(2), day=31)


def setup(log: LogBuilder) -> tuple[Resolver, MemoryFetcher]:
    fetcher = MemoryFetcher()
    fetcher.files[parse_webvh_did(log.did).log_url()] = log.jsonl()
    return Resolver([WebvhDriver(DriverContext(fetcher=fetcher))]), fetcher  # type: ignore[arg-type]


def credential(did: str, signer: Ed25519KeyPair, created: str) -> dict[str, Any]:
    document = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                "issuer": did, "credentialSubject": {"id": "did:example:learner"}}
    options = {"verificationMethod": f"{did}#{signer.public_multikey}", "proofPurpose": "assertionMethod",
               "created": created}
    return {**document, "proof": suite_by_name("eddsa-jcs-2022").create_proof(document, options, signer)}


async def check(document: dict[str, Any], resolver: Resolver) -> dict[str, Any]:
    [result] = await verify_proofs(document, ProofExpectations(controller=document["issuer"]), resolver)
    return result.to_json()


async def test_the_current_key_verifies_without_history() -> None:
    log = rotated_log()
    resolver, fetcher = setup(log)
    result = await check(credential(log.did, key(2), "2025-03-01T00:00:00Z"), resolver)
    assert result["verified"], result
    assert "warnings" not in result and len(fetcher.requests) == 1


@pytest.mark.parametrize("created", ["2025-01-15T10:00:00Z", "2025-01-01T00:00:00Z", "2025-01-31T23:59:59Z",
                                     "2025-01-15T11:00:00+01:00"])
async def test_a_rotated_out_key_verifies_what_it_signed_while_current(created: str) -> None:
    log = rotated_log()
    resolver, _ = setup(log)
    result = await check(credential(log.did, key(1), created), resolver)
    assert result["verified"], result
    assert result["warnings"][0]["code"] == "keyFromEarlierVersion"
    assert log.entries[0]["versionId"] in result["warnings"][0]["message"]


@pytest.mark.parametrize("created", ["2025-02-01T00:00:00Z", "2025-03-01T00:00:00Z", "2024-12-31T00:00:00Z", None])
async def test_a_rotated_out_key_fails_outside_its_version(created: str | None) -> None:
    log = rotated_log()
    resolver, _ = setup(log)
    document = credential(log.did, key(1), created or "2025-01-15T00:00:00Z")
    if created is None:
        del document["proof"]["created"]  # an undated proof cannot be placed in the DID's history
        document["proof"] = suite_by_name("eddsa-jcs-2022").create_proof(
            {k: v for k, v in document.items() if k != "proof"},
            {k: v for k, v in document["proof"].items() if k not in ("type", "cryptosuite", "proofValue")}, key(1))
    result = await check(document, resolver)
    assert not result["verified"] and result["error"]["code"] == "verificationMethodNotFound", result


async def test_a_deactivated_did_verifies_nothing() -> None:
    log = rotated_log().update(key(2), {"deactivated": True}, document_key=key(2), day=59)
    resolver, _ = setup(log)
    for signer, created in ((key(1), "2025-01-15T00:00:00Z"), (key(2), "2025-02-15T00:00:00Z")):
        result = await check(credential(log.did, signer, created), resolver)
        assert not result["verified"] and result["error"]["code"] == "didDeactivated", result


async def test_credentials_from_many_times_fetch_the_log_once() -> None:
    log = rotated_log()
    resolver, fetcher = setup(log)
    for day in range(10, 20):
        result = await check(credential(log.did, key(1), f"2025-01-{day}T00:00:00Z"), resolver)
        assert result["verified"], result
    assert fetcher.requests == [parse_webvh_did(log.did).log_url()]

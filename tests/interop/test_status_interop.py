"""Bitstring Status List interop with Digital Bazaar's @digitalbazaar/vc-bitstring-status-list (npm), both ways.

tests/interop/dbvc.mjs runs their ``checkStatus`` (which verifies the list credential's proof with
@digitalbazaar/vc, checks the list's issuer and purpose, and reads the entry's bit) and their ``createList`` /
``createCredential`` (signed with @digitalbazaar/vc). Their document loader serves vcnode's pinned contexts,
did:key documents and the list credentials each job gives it; nothing is fetched by either side.

Their ``checkStatus`` answers ``verified: true`` for a revoked credential: the bit is each result's ``status``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.builders import badge
from tests.builders import did_key_signer as signer
from tests.interop.harness import run_harness
from vcnode.config import load_config
from vcnode.credentials import VerifyOptions, verify_credential
from vcnode.credentials.model import as_list
from vcnode.credentials.verify import verify_status_list
from vcnode.did.resolver import Resolver
from vcnode.node import Node, initialise
from vcnode.status.bitstring import decode_list, encode_list, get_entry, set_entry
from vcnode.status.check import FetchedList, StatusChecker
from vcnode.status.entries import STATUS_CONTEXT
from vcnode.status.records import StatusListSpec

pytestmark = pytest.mark.interop
PURPOSES = ("revocation", "suspension")
VC_V1, VC_V2 = "https://www.w3.org/2018/credentials/v1", "https://www.w3.org/ns/credentials/v2"
CODES = {"revocation": "revoked", "suspension": "suspended"}  # vcnode's error for a set bit of each purpose


def digital_bazaar(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run jobs through Digital Bazaar's libraries (see dbvc.mjs)."""
    return run_harness("dbvc.mjs", jobs)


def signed(result: dict[str, Any]) -> dict[str, Any]:
    """The document a sign / signStatusList job produced."""
    assert "document" in result, result
    return result["document"]


def entries(credential: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["statusPurpose"]: entry for entry in as_list(credential["credentialStatus"])}


def flipped(list_credential: dict[str, Any], index: int) -> dict[str, Any]:
    """``list_credential`` with entry ``index`` of its encodedList flipped, and not re-signed."""
    bits = bytearray(decode_list(list_credential["credentialSubject"]["encodedList"]))
    set_entry(bits, index, 1 - get_entry(bits, index))
    subject = {**list_credential["credentialSubject"], "encodedList": encode_list(bits)}
    return {**list_credential, "credentialSubject": subject}


@pytest.fixture
async def key_node(tmp_path: Path, node_env: dict[str, str]) -> AsyncIterator[Node]:
    """An in-process node whose identity is a did:key (which Digital Bazaar resolves offline), serving its
    lists under https://issuer.example/status/."""
    config = load_config(tmp_path / "node", environ=node_env, overrides={"public_url": "https://issuer.example"})
    node = await initialise(config, did_method="key", environ=node_env)
    try:
        yield node
    finally:
        await node.close()


# vcnode → Digital Bazaar: credential n of six has these bits set (4 is suspended, then unsuspended).
REVOKED = {1, 3}
SUSPENDED = {2, 3}


async def test_digital_bazaar_reads_the_bits_vcnode_set(key_node: Node) -> None:
    did = key_node.identities.default_did
    assert did is not None and did.startswith("did:key:")
    specs = [StatusListSpec(purpose=purpose) for purpose in PURPOSES]
    issued = [(await key_node.credentials.issue(badge(did, f"urn:uuid:33333333-0000-4000-8000-{n:012d}"),
                                                status=specs)).credential for n in range(6)]
    for n in sorted(REVOKED):
        await key_node.status.update(issued[n]["id"], "revocation", 1, actor="test")
    for n in sorted(SUSPENDED | {4}):
        await key_node.status.update(issued[n]["id"], "suspension", 1, actor="test")
    await key_node.status.update(issued[4]["id"], "suspension", 0, actor="test")
    expected = [{"revocation": int(n in REVOKED), "suspension": int(n in SUSPENDED)} for n in range(6)]

    urls = {entry["statusListCredential"] for credential in issued for entry in entries(credential).values()}
    assert len(urls) == 2  # one list per purpose, shared by the six credentials
    lists = {url: orjson.loads((await key_node.status.published(key_node.status.list_id(url))).document)
             for url in urls}
    ours = [(await key_node.credentials.verify_credential(credential)).to_json() for credential in issued]

    revocation_url = entries(issued[1])["revocation"]["statusListCredential"]
    unrevoked = {**lists, revocation_url: flipped(lists[revocation_url],
                                                  int(entries(issued[1])["revocation"]["statusListIndex"]))}
    results = digital_bazaar(
        [{"op": "verify", "credential": document} for document in lists.values()]
        + [{"op": "checkStatus", "credential": credential, "documents": lists} for credential in issued]
        + [{"op": "checkStatus", "credential": issued[1], "documents": unrevoked}])
    list_results, theirs, tampered = results[:2], results[2:8], results[8]

    assert all(result["verified"] for result in list_results), list_results
    for n, (credential, mine, their) in enumerate(zip(issued, ours, theirs, strict=True)):
        assert their["verified"], (n, their)  # their checkStatus: true however the bits are set
        their_bits = {result["statusPurpose"]: result["status"] for result in their["results"]}
        assert all(isinstance(bit, bool) for bit in their_bits.values()), their
        our_bits = {entry["statusPurpose"]: entry["status"] for entry in mine["results"]["status"]["entries"]}
        assert {purpose: int(bit) for purpose, bit in their_bits.items()} == our_bits == expected[n], n
        assert [result["statusListIndex"] for result in their["results"]] == \
            [entry["statusListIndex"] for entry in as_list(credential["credentialStatus"])]
        assert [e["code"] for e in mine["errors"]] == [CODES[p] for p in PURPOSES if expected[n][p]], n
    # The list with the revoked credential's bit cleared, not re-signed: their proof check refuses it.
    assert not tampered["verified"] and "not verified" in tampered["error"], tampered


# Digital Bazaar → vcnode: the bits set in their lists, and the entries the credentials point at (both
# byte boundaries, the first and the last entry of a 131072-entry list).
LIST_LENGTH = 131_072
THEIR_SET = {"revocation": [0, 8, 1000, LIST_LENGTH - 1], "suspension": [7, LIST_LENGTH - 1]}
CHECKED = [0, 1, 7, 8, 1000, 1001, LIST_LENGTH - 2, LIST_LENGTH - 1]
THEIR_LISTS = {purpose: f"https://status.example/lists/{purpose}-1" for purpose in PURPOSES}


def their_credential(version: str, issuer: str, n: int) -> dict[str, Any]:
    """An unsigned credential for Digital Bazaar to sign, with entry ``n`` of each of their lists."""
    credential_id = f"urn:uuid:44444444-0000-4000-8000-{n:012d}"
    if version == "v2":
        credential = badge(issuer, credential_id)
    else:  # VC 1.1 needs the Bitstring Status List context for the entries
        credential = {"@context": [VC_V1, STATUS_CONTEXT], "id": credential_id, "type": ["VerifiableCredential"],
                      "issuer": issuer, "credentialSubject": {"id": "did:example:learner-7"}}
    return {**credential, "credentialStatus": [
        {"id": f"{url}#{n}", "type": "BitstringStatusListEntry", "statusPurpose": purpose,
         "statusListIndex": str(n), "statusListCredential": url} for purpose, url in THEIR_LISTS.items()]}


def status_checker(documents: dict[str, dict[str, Any]], resolver: Resolver) -> StatusChecker:
    """vcnode's verifier-side status checker, reading ``documents`` instead of the network."""

    async def fetch(url: str) -> FetchedList:
        return FetchedList(orjson.dumps(documents[url]))

    return StatusChecker(fetch, lambda doc: verify_status_list(doc, resolver, VerifyOptions()))


@pytest.mark.parametrize("version", ["v2", "v1.1"])
async def test_vcnode_reads_lists_digital_bazaar_made(resolver: Resolver, version: str) -> None:
    """Their list credentials, VC 2.0 (their default) or VC 1.1 with the status list context."""
    key = signer()
    issuer = key.verification_method.split("#")[0]
    secret = key.key_pair.secret_multikey
    made = digital_bazaar(
        [{"op": "signStatusList", "suite": "eddsa-rdfc-2022", "secretKeyMultibase": secret, "id": url,
          "statusPurpose": purpose, "length": LIST_LENGTH, "set": THEIR_SET[purpose],
          "context": [VC_V2] if version == "v2" else [VC_V1, STATUS_CONTEXT]}
         for purpose, url in THEIR_LISTS.items()]
        + [{"op": "sign", "suite": "eddsa-rdfc-2022", "secretKeyMultibase": secret,
            "credential": their_credential(version, issuer, n)} for n in CHECKED])
    lists = {url: signed(result) for url, result in zip(THEIR_LISTS.values(), made[:2], strict=True)}
    credentials = [signed(result) for result in made[2:]]
    assert all(document["issuer"] == issuer for document in lists.values())
    expected = [{purpose: int(n in THEIR_SET[purpose]) for purpose in PURPOSES} for n in CHECKED]

    # Their own reading of their lists, the reference for vcnode's.
    theirs = digital_bazaar([{"op": "checkStatus", "credential": c, "documents": lists} for c in credentials])
    assert [{r["statusPurpose"]: int(r["status"]) for r in result["results"]} for result in theirs] == expected

    checker = status_checker(lists, resolver)
    for n, credential, bits in zip(CHECKED, credentials, expected, strict=True):
        report = (await verify_credential(credential, resolver, VerifyOptions(status=checker))).to_json()
        assert {e["statusPurpose"]: e["status"] for e in report["results"]["status"]["entries"]} == bits, n
        codes = [CODES[purpose] for purpose in PURPOSES if bits[purpose]]
        assert [e["code"] for e in report["errors"]] == codes, (n, report["errors"])
        assert report["verified"] == (not codes), n

    # One bit of their revocation list flipped without re-signing: vcnode refuses the list.
    tampered = status_checker({**lists, THEIR_LISTS["revocation"]: flipped(lists[THEIR_LISTS["revocation"]], 0)},
                              resolver)
    report = (await verify_credential(credentials[0], resolver, VerifyOptions(status=tampered))).to_json()
    assert not report["verified"]
    assert [e["code"] for e in report["errors"]] == ["statusInvalid"], report["errors"]
    assert "invalidSignature" in report["errors"][0]["message"], report["errors"]

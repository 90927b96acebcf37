"""A node whose own identity is P-256 (``vcnode init --key-type p256``), among Ed25519 did:key nodes on
127.0.0.1: it serves, issues ecdsa-jcs-2019 credentials over the VC API (and refuses the eddsa suites by name),
signs its anchor log, heads, gossip and witness statements with ecdsa-jcs-2019, and its Ed25519 peers
replicate and verify all of it — down to a revocation read from a replica while the P-256 node is offline."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.builders import badge
from tests.cluster import Cluster, node_template

pytestmark = pytest.mark.integration

NAMES = ("p256", "uni", "employer")
CREDENTIAL = "urn:uuid:14141414-0000-4000-8000-000000000001"


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    running = Cluster(tmp_path, NAMES, issuer="p256")
    init = running.cli("p256", "init", "--key-type", "p256")
    running.dids["p256"] = init.split("DID: ", 1)[1].split()[0]
    running.tokens["p256"] = running.cli("p256", "token", "create", "--scope", "issue,status").strip()
    for index, name in enumerate(NAMES[1:], start=1):  # Ed25519 did:key nodes, as `vcnode init` makes them
        template = node_template(index)
        shutil.copytree(template.home, running.root / name)
        running.dids[name], running.tokens[name] = template.did, template.token
    with running.serving():
        yield running


def issue(cluster: Cluster, name: str, credential_id: str, **options: str) -> tuple[int, dict]:
    return cluster.post(name, "/credentials/issue", {
        "credential": badge(cluster.dids[name], credential_id),
        "options": {"statusPurpose": "revocation", **options}}, cluster.tokens[name])


def witnesses_held(cluster: Cluster, name: str, log: str) -> list[dict]:
    """The witness statements about ``log`` a node kept (each verified before it was stored)."""
    with sqlite3.connect(f"file:{cluster.root / name / 'vcnode.sqlite3'}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT document FROM anchor_witnesses WHERE log = ?", (log,)).fetchall()
    return [orjson.loads(document) for (document,) in rows]


def test_a_p256_node_issues_ecdsa_jcs_2019_and_ed25519_peers_replicate_and_verify_its_log(cluster: Cluster) -> None:
    p256, uni = cluster.dids["p256"], cluster.dids["uni"]
    assert p256.startswith("did:key:zDn")

    # The VC API: ecdsa-jcs-2019 for the P-256 identity (also when no suite is named: the default follows the
    # issuer's key type); an eddsa suite asked for a P-256 key is refused by name, and ecdsa-jcs-2019 for an
    # Ed25519 identity.
    status, body = issue(cluster, "p256", CREDENTIAL, cryptosuite="ecdsa-jcs-2019")
    assert status == 201, body
    credential = body["verifiableCredential"]
    assert credential["proof"][0]["cryptosuite"] == "ecdsa-jcs-2019"
    assert credential["proof"][0]["verificationMethod"].startswith(f"{p256}#zDn")
    status, body = issue(cluster, "p256", "urn:uuid:14141414-0000-4000-8000-000000000005")
    assert status == 201 and body["verifiableCredential"]["proof"][0]["cryptosuite"] == "ecdsa-jcs-2019", body
    status, problem = issue(cluster, "p256", "urn:uuid:14141414-0000-4000-8000-000000000002",
                            cryptosuite="eddsa-jcs-2022")
    assert (status, problem.get("code")) == (400, "keyTypeMismatch"), problem
    status, problem = issue(cluster, "uni", "urn:uuid:14141414-0000-4000-8000-000000000003",
                            cryptosuite="ecdsa-jcs-2019")
    assert (status, problem.get("code")) == (400, "keyTypeMismatch"), problem
    status, body = issue(cluster, "uni", "urn:uuid:14141414-0000-4000-8000-000000000004")
    assert status == 201, body

    # The P-256 node's log (entries and heads signed with ecdsa-jcs-2019) reaches both Ed25519 peers through
    # its signed gossip, and it replicates theirs.
    cluster.wait_head(("uni", "employer"), p256, 1)
    cluster.wait_head(("p256", "employer"), uni, 1)
    status, report = cluster.verify("employer", credential)
    assert status == 200, report
    [entry] = report["results"]["status"]["entries"]
    assert entry["source"] == "issuer" and entry["anchor"]["log"] == p256, entry

    cluster.post("p256", "/credentials/status", {
        "credentialId": CREDENTIAL, "credentialStatus": {"type": "BitstringStatusListEntry",
                                                         "statusPurpose": "revocation"}, "status": True},
        cluster.tokens["p256"])
    cluster.wait_head(("uni", "employer"), p256, 2)
    # Witness statements both ways: the P-256 node's about uni's log (ecdsa-jcs-2019) kept by the employer,
    # and the Ed25519 nodes' about the P-256 log.
    deadline = time.monotonic() + 30
    # uni's witness must cover seq 2 (the revocation), which the employer's replica is asked about below; one
    # of seq 1 alone would count no witness for it.
    while not (any(w["witness"] == p256 for w in witnesses_held(cluster, "employer", uni))
               and any(w["witness"] == uni and w["seq"] >= 2 for w in witnesses_held(cluster, "employer", p256))):
        assert time.monotonic() < deadline, (witnesses_held(cluster, "employer", uni),
                                             witnesses_held(cluster, "employer", p256))
        time.sleep(0.2)
    [mine] = [w for w in witnesses_held(cluster, "employer", uni) if w["witness"] == p256][:1]
    assert mine["proof"]["cryptosuite"] == "ecdsa-jcs-2019"

    cluster.stop("p256")
    status, report = cluster.verify("employer", credential)
    assert status == 400 and [e["code"] for e in report["errors"]] == ["revoked"], report
    [entry] = report["results"]["status"]["entries"]
    assert entry["source"] == "replica" and entry["anchor"]["seq"] == 2 and entry["anchor"]["witnesses"] >= 1, entry

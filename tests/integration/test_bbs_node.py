"""bbs-2023 the way a node operator and a holder use it, with a real node on 127.0.0.1: ``vcnode init --key-type
bls12381`` is refused by name (a BBS key cannot sign the node's anchor log, gossip or status lists), a BLS12-381
identity is added with ``vcnode identity create --key-type bls12381``, credentials are issued over the VC API
(``options.cryptosuite: "bbs-2023"``, the default for that identity; other suites, envelopes and status entries
refused by name), the holder derives with ``vcnode derive --presentation-header`` and the node verifies the derived
credential over HTTP and refuses the base proof and a tampered disclosure by name."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import badge
from tests.cluster import Cluster
from tests.integration.test_cli import assert_one_line_error, run
from vcnode.proofs.bbs_2023 import parse_base_proof_value, parse_derived_proof_value

pytestmark = pytest.mark.integration

CREDENTIAL = "urn:uuid:b5b5b5b5-0000-4000-8000-000000000001"
#: What the holder reveals besides the mandatory fields: what an Open Badges verifier needs of the achievement.
REVEAL = ["/name", "/credentialSubject/achievement/description", "/credentialSubject/achievement/criteria"]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    running = Cluster(tmp_path, ("bbs",))
    running.init()  # an Ed25519 node, as `vcnode init` makes it
    did = running.cli("bbs", "identity", "create", "--did-method", "key", "--key-type", "bls12381", "--name",
                      "bbs").strip()
    running.dids["bbs"] = did
    with running.serving():
        yield running


def test_init_refuses_a_bls12381_node_identity_by_name(tmp_path: Path) -> None:
    refused = run(tmp_path / "node", "init", "--key-type", "bls12381")
    assert_one_line_error(refused, "identity create --key-type")
    assert not (tmp_path / "node" / "vcnode.sqlite3").exists()  # refused before anything is written
    jwk = run(tmp_path / "node", "identity", "create", "--did-method", "jwk", "--key-type", "bls12381", "--name", "x")
    assert jwk.returncode != 0 and "Traceback" not in jwk.stderr


def test_a_bls_identity_issues_over_http_the_holder_derives_and_the_node_verifies(cluster: Cluster,
                                                                                  tmp_path: Path) -> None:
    did = cluster.dids["bbs"]
    assert did.startswith("did:key:zUC7")

    def issue(credential_id: str, **options: object) -> tuple[int, dict]:
        return cluster.post("bbs", "/credentials/issue", {"credential": badge(did, credential_id),
                                                          "options": options}, cluster.tokens["bbs"])

    status, body = issue(CREDENTIAL, cryptosuite="bbs-2023",
                         mandatoryPointers=["/issuer", "/credentialSubject/achievement/name"])
    assert status == 201, body
    issued = body["verifiableCredential"]
    [proof] = issued["proof"]
    assert proof["cryptosuite"] == "bbs-2023" and proof["verificationMethod"].startswith(f"{did}#zUC7")
    assert parse_base_proof_value(proof["proofValue"]).mandatory_pointers == [
        "/issuer", "/credentialSubject/achievement/name"]
    # No suite named: bbs-2023, the identity's only suite, with the default mandatory pointers.
    status, body = issue("urn:uuid:b5b5b5b5-0000-4000-8000-000000000002")
    assert status == 201, body
    [proof] = body["verifiableCredential"]["proof"]
    assert proof["cryptosuite"] == "bbs-2023"
    assert parse_base_proof_value(proof["proofValue"]).mandatory_pointers == ["/issuer", "/validFrom"]
    # What a BBS key cannot sign is refused by name, never a 5xx.
    for n, (options, code) in enumerate(((({"cryptosuite": "ecdsa-sd-2023"}), "keyTypeMismatch"),
                                         ({"cryptosuite": "eddsa-rdfc-2022"}, "keyTypeMismatch"),
                                         ({"envelope": "application/vc+jwt"}, "keyTypeMismatch"),
                                         ({"cryptosuite": "bbs-2023", "statusPurpose": "revocation"},
                                          "statusListUnsignable")), start=3):
        status, problem = issue(f"urn:uuid:b5b5b5b5-0000-4000-8000-00000000000{n}", **options)
        assert (status, problem.get("code")) == (400, code), problem

    # The holder derives with the command line (no node, no key), bound to a verifier's nonce.
    base, derived_file = tmp_path / "base.json", tmp_path / "derived.json"
    base.write_text(json.dumps(issued))
    done = run(tmp_path / "holder", "derive", str(base), "--reveal", "/credentialSubject/achievement/description",
               "/credentialSubject/achievement/criteria", "--presentation-header", b"verifier-nonce".hex(),
               "--out", str(derived_file))
    assert done.returncode == 0, done.stderr
    derived = json.loads(derived_file.read_text())
    assert parse_derived_proof_value(derived["proof"]["proofValue"]).presentation_header == b"verifier-nonce"
    achievement = derived["credentialSubject"]["achievement"]
    assert set(achievement) == {"id", "type", "name", "description", "criteria"}  # creditsAvailable hidden
    assert_one_line_error(run(tmp_path / "holder", "derive", str(base), "--presentation-header", "not-hex"),
                          "not hex")

    status, report = cluster.verify("bbs", derived)
    assert status == 200 and report["verified"] is True, report
    status, problem = cluster.verify("bbs", issued)
    assert (status, problem.get("code")) == (400, "baseProofNotVerifiable"), problem
    tampered = copy.deepcopy(derived)
    tampered["credentialSubject"]["achievement"]["description"] = "Machine learning and dashboards."
    status, problem = cluster.verify("bbs", tampered)
    assert (status, problem.get("code")) == (400, "invalidSignature"), problem

    # `vcnode issue --suite bbs-2023` on the same node; status entries refused by name in one line.
    (tmp_path / "unsigned.json").write_text(json.dumps(badge(did, "urn:uuid:b5b5b5b5-0000-4000-8000-000000000010")))
    cli_issued = tmp_path / "cli.json"
    done = run(cluster.root / "bbs", "issue", str(tmp_path / "unsigned.json"), "--suite", "bbs-2023", "--out",
               str(cli_issued), env=cluster.env("bbs"))
    assert done.returncode == 0, done.stderr
    [proof] = json.loads(cli_issued.read_text())["proof"]
    assert proof["cryptosuite"] == "bbs-2023" and parse_base_proof_value(proof["proofValue"]).signature
    (tmp_path / "unsigned.json").write_text(json.dumps(badge(did, "urn:uuid:b5b5b5b5-0000-4000-8000-000000000011")))
    assert_one_line_error(run(cluster.root / "bbs", "issue", str(tmp_path / "unsigned.json"), "--suite", "bbs-2023",
                              "--status", "revocation", env=cluster.env("bbs")), "cannot sign status lists")

    # The VC API holder endpoint derives the same way, with options.presentationHeader (hex).
    status, over_http = cluster.post("bbs", "/credentials/derive", {
        "verifiableCredential": issued, "options": {"selectivePointers": REVEAL,
                                                    "presentationHeader": b"other-nonce".hex()}})
    assert status == 201, over_http
    assert parse_derived_proof_value(over_http["proof"]["proofValue"]).presentation_header == b"other-nonce"
    status, report = cluster.verify("bbs", over_http)
    assert status == 200 and report["verified"] is True, report
    status, problem = cluster.post("bbs", "/credentials/derive", {
        "verifiableCredential": issued, "options": {"selectivePointers": ["/name"], "presentationHeader": "zz"}})
    assert (status, problem.get("code")) == (400, "badRequest"), problem

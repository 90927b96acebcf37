"""Recognition across cities, on four real nodes that gossip: a Hong Kong regulator accredits a Hong Kong
provider; a New Zealand regulator recognises the Hong Kong regulator with a level map; an employer that
trusts only the New Zealand regulator verifies the provider's micro-credential and is told it is recognised,
HKQF 4 ↔ NZQCF 6, credits converted. With the Hong Kong regulator offline the answer comes from replicas;
when it withdraws the accreditation the employer is told so, and why, also while it is offline again.

The statements are the bundled example data (vcnode.trust.examples: examples, not official).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.builders import did_key_signer
from tests.cluster import Cluster
from vcnode.credentials.issue import create_presentation
from vcnode.trust.examples import FRAMEWORKS, example_badge, example_documents

NAMES = ("hk_provider", "hk_regulator", "nz_regulator", "employer")
ROLE = {"hk_provider": "hk-provider", "hk_regulator": "hk-regulator", "nz_regulator": "nz-regulator"}
ACCREDITATION = "https://vcnode.dev/examples/statements/accreditation-hk"
AGREEMENT = "https://vcnode.dev/examples/statements/agreement-nz-hk"
LEARNER_KEY = did_key_signer()
LEARNER = LEARNER_KEY.verification_method.split("#", 1)[0]


class TrustCluster(Cluster):
    """The four parties, with the employer's statuses re-checked every second (so an offline issuer shows)."""

    def env(self, name: str) -> dict[str, str]:
        env = super().env(name)
        env["VCNODE_STATUS_LIST_TTL"] = "1"
        return env

    def get(self, name: str, path: str) -> Any:
        with urllib.request.urlopen(self.url(name) + path, timeout=30) as response:
            return json.loads(response.read())

    def statements_held(self, name: str) -> dict[str, dict[str, Any]]:
        return {s["id"]: s for s in self.get(name, "/trust/statements")["statements"]}

    def wait(self, what: str, check: Callable[[], Any], timeout: float = 40.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            found = check()
            if found:
                return found
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.2)

    def recognition(self, credential: dict[str, Any]) -> dict[str, Any]:
        status, body = self.post("employer", "/credentials/verify",
                                 {"verifiableCredential": credential, "options": {"recognition": True}})
        assert status == 200, body
        assert body["verified"] is True  # proof, status and validity of the badge itself: separate from trust
        return body["recognition"]


@pytest.fixture(params=["sqlite", "postgresql"])
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TrustCluster]:
    """The nodes, each with its store in SQLite or each in its own PostgreSQL database."""
    postgres = request.getfixturevalue("postgres_cluster") if request.param == "postgresql" else None
    running = TrustCluster(tmp_path, NAMES, postgres=postgres)
    running.init()
    running.cli("employer", "trust", "anchors", "add", running.dids["nz_regulator"])
    with running.serving():
        yield running


def _publish_examples(cluster: TrustCluster, tmp_path: Path) -> None:
    dids = {ROLE[name]: cluster.dids[name] for name in ROLE}
    documents = {doc["id"]: doc for doc in example_documents(dids, ("frameworks", "accreditations", "agreements"))}
    # The HK regulator publishes over HTTP; the NZ regulator with the CLI while its server runs.
    for statement_id in ("https://vcnode.dev/examples/statements/framework-hkqf", ACCREDITATION):
        status, body = cluster.post("hk_regulator", "/trust/statements", {"statement": documents[statement_id]},
                                    cluster.tokens["hk_regulator"])
        assert status == 201, body
        assert body["verifiableCredential"]["credentialStatus"]["statusPurpose"] == "revocation"
    for statement_id in ("https://vcnode.dev/examples/statements/framework-nzqcf", AGREEMENT):
        path = tmp_path / (statement_id.rsplit("/", 1)[1] + ".json")
        path.write_text(json.dumps(documents[statement_id]))
        out = cluster.cli("nz_regulator", "trust", "publish", str(path))
        assert f"published {documents[statement_id]['type'][1]} {statement_id}" in out


def _issue_badge(cluster: TrustCluster, key: str, credential_id: str) -> dict[str, Any]:
    unsigned = example_badge(key, issuer=cluster.dids["hk_provider"], learner_id=LEARNER, credential_id=credential_id)
    status, body = cluster.post("hk_provider", "/credentials/issue", {"credential": unsigned},
                                cluster.tokens["hk_provider"])
    assert status == 201, body
    return body["verifiableCredential"]


def test_recognition_across_cities_with_withdrawal_and_an_offline_regulator(cluster: TrustCluster,
                                                                             tmp_path: Path) -> None:
    _publish_examples(cluster, tmp_path)
    held = cluster.wait("the employer to hold the four statements, verified",
                        lambda: len([s for s in cluster.statements_held("employer").values()
                                     if s["proof"] == "verified"]) == 4 and cluster.statements_held("employer"))
    assert held[ACCREDITATION]["issuer"] == cluster.dids["hk_regulator"]
    assert held[ACCREDITATION]["anchor"]["log"] == cluster.dids["hk_regulator"]
    badge = _issue_badge(cluster, "hk-cloud-data", "urn:uuid:5a1e0000-0000-4000-8000-000000000001")

    report = cluster.recognition(badge)
    assert report["recognised"] is True, report
    assert report["anchors"] == [cluster.dids["nz_regulator"]]
    path = report["path"]
    assert path["anchor"] == cluster.dids["nz_regulator"]
    assert [hop["statement"] for hop in path["hops"]] == [AGREEMENT, ACCREDITATION]
    for hop in path["hops"]:
        assert hop["result"] == "ok"
        assert hop["evidence"]["proof"] == "verified" and hop["evidence"]["status"] == "valid"
        assert hop["evidence"]["source"] == "replica" and hop["evidence"]["anchor"]["seq"] >= 1
    assert (report["award"]["frameworkCode"], report["award"]["level"], report["award"]["credits"]) == ("HKQF", "4", 15)
    equivalent = report["equivalent"]
    assert (equivalent["frameworkCode"], equivalent["level"]) == ("NZQCF", "6")
    assert equivalent["levelBasis"] == f"levelMap of {AGREEMENT}"
    assert equivalent["framework"] == FRAMEWORKS["NZQCF"] and equivalent["credits"] == 15
    assert "creditConversion" in equivalent["creditsBasis"]

    # Above the accreditation's scope (HKQF 5 > 4): same provider, not recognised, and exactly why.
    advanced = _issue_badge(cluster, "hk-advanced-analytics", "urn:uuid:5a1e0000-0000-4000-8000-000000000002")
    report = cluster.recognition(advanced)
    assert report["recognised"] is False
    reason = report["reasons"][0]
    assert (reason["code"], reason["aspect"], reason["statement"]) == ("scopeMismatch", "level", ACCREDITATION)

    # The learner presents both: one recognition report per credential, in order.
    presentation = create_presentation([badge, advanced], LEARNER_KEY, challenge="c-1", domain="employer.example")
    status, body = cluster.post("employer", "/presentations/verify", {
        "verifiablePresentation": presentation,
        "options": {"challenge": "c-1", "domain": "employer.example", "recognition": {"framework": "NZQCF"}}})
    assert status == 200 and body["verified"] is True, body
    assert [(r["credential"], r["recognised"]) for r in body["recognition"]] == [(badge["id"], True),
                                                                               (advanced["id"], False)]
    assert body["recognition"][0]["equivalent"]["level"] == "6", body["recognition"][0]["equivalent"]
    # Without options.recognition (and no node default) there is no recognition section.
    status, body = cluster.post("employer", "/credentials/verify", {"verifiableCredential": badge})
    assert status == 200 and "recognition" not in body

    # The HK regulator goes offline: the statements and its status list come from replicas.
    cluster.stop("hk_regulator")
    time.sleep(1.2)  # past the employer's status TTL: the list must be fetched again, and falls back
    report = cluster.recognition(badge)
    assert report["recognised"] is True, report
    accreditation_hop = report["path"]["hops"][1]
    assert accreditation_hop["evidence"]["statusCheck"]["source"] == "replica", accreditation_hop

    # Back online, it withdraws the accreditation; the employer is told, with the reason.
    cluster.start("hk_regulator")
    out = cluster.cli("hk_regulator", "trust", "withdraw", ACCREDITATION, "--reason", "provider closed")
    assert f"withdrew {ACCREDITATION}" in out
    report = cluster.wait("the employer to see the withdrawal",
                          lambda: (r := cluster.recognition(badge))["recognised"] is False and r)
    assert report["reasons"][0]["code"] == "withdrawn"
    assert report["reasons"][0]["statement"] == ACCREDITATION
    assert report["equivalent"]["level"] == "6"  # the equivalence is still reported: trust is what changed

    # Offline again: still not recognised, from the replicated (withdrawn) status.
    cluster.stop("hk_regulator", signal.SIGKILL)
    time.sleep(1.2)
    report = cluster.recognition(badge)
    assert report["recognised"] is False and report["reasons"][0]["code"] == "withdrawn"

    # The CLI explains it as a tree, from the employer's store.
    path_file = tmp_path / "badge.json"
    path_file.write_text(json.dumps(badge))
    result = subprocess.run([sys.executable, "-m", "vcnode", "--home", str(cluster.root / "employer"), "trust",
                             "explain", str(path_file)], env=cluster.env("employer"), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1, result.stderr  # exit 1: not recognised
    assert "recognition: NOT RECOGNISED" in result.stdout
    assert f"└─ {cluster.dids['nz_regulator']}" in result.stdout
    assert "withdrawn" in result.stdout and "NZQCF level 6" in result.stdout


def test_trust_routes_refuse_bad_input_with_problem_json(cluster: TrustCluster) -> None:
    status, body = cluster.post("hk_regulator", "/trust/statements", {"statement": {"type": "nonsense"}},
                                cluster.tokens["hk_regulator"])
    assert status in (400, 422) and body["code"] in ("invalidStatement", "invalidInput"), body
    status, body = cluster.post("hk_regulator", "/trust/statements", {"statement": {}})
    assert status == 401
    status, body = cluster.post("employer", "/credentials/verify",
                                {"verifiableCredential": {}, "options": {"recognition": "yes"}})
    assert status == 400 and "recognition" in body["detail"]
    with pytest.raises(urllib.error.HTTPError) as missing:
        cluster.get("employer", "/trust/statements/nope")
    assert missing.value.code == 404
    assert cluster.get("employer", "/trust/anchors")["anchors"] == [cluster.dids["nz_regulator"]]

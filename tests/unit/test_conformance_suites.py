"""scripts/conformance and its suite table (scripts/conformance_suites.py): each public suite's localConfig.cjs
registers only the node, with the identities it has; tests are sorted into suite x tag rows; the jose-cose
suite runs the adapter from a patched copy, never from a modified checkout, and without the adapter it says
so in its row. (Running the suites themselves needs their npm packages: see docs/operations.md.)"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import io
import json
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import conformance_suites as cs  # noqa: E402


def _script():
    loader = importlib.machinery.SourceFileLoader("conformance_script", str(SCRIPTS / "conformance"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


conformance = _script()

ED_DID = "did:key:z6MkhZ9xaWq1hU52HMHrbsLfq3y7cydwKHK7s8JcykwUGa8Z"
P256_DID = "did:key:zDnaeV7UJjy3BCL6qqrokDxs78ovjE8qZf6MyPvRZQeTYRKpC"


def _node() -> cs.NodeInfo:
    return cs.NodeInfo("https://127.0.0.1:8443", {cs.ED25519: cs.Identity(ED_DID, "t-ed"),
                                                  cs.P256: cs.Identity(P256_DID, "t-p256")},
                       missing={cs.P384: "no p384 key type"})


def _config(name: str) -> dict:
    text = cs.local_config(cs.SUITES[name], _node())
    return json.loads(text.split("module.exports = ", 1)[1].rstrip().rstrip(";"))


@pytest.mark.parametrize(("suite", "file", "title", "row"), [
    ("vc-data-model-2.0-test-suite", "/s/tests/4.13.2-envelopes.js", "Enveloped Verifiable Credentials vcnode x",
     "EnvelopingProof"),
    ("vc-data-model-2.0-test-suite", "/s/tests/4.07-issuer.js", "Issuer vcnode x", "vc2.0"),
    ("vc-di-eddsa-test-suite", "/s/tests/80-algorithms.js", "eddsa-jcs-2022 - Algorithms vcnode x", "eddsa-jcs-2022"),
    ("vc-di-eddsa-test-suite", "/s/tests/80-algorithms.js", "eddsa-rdfc-2022 - Algorithms vcnode x",
     "eddsa-rdfc-2022"),
    ("vc-di-ecdsa-test-suite", "/s/vc-di-ecdsa-test-suite/tests/90-algorithms-sd.js",
     "Algorithms - Create Base Proof (ecdsa-sd-2023) vcnode-P-384 x", "ecdsa-sd-2023 P-384"),
    ("vc-di-ecdsa-test-suite", "/s/vc-di-ecdsa-test-suite/tests/90-algorithms-jcs.js",
     "Algorithms - Verify Proof (ecdsa-jcs-2019) vcnode x", "ecdsa-jcs-2019"),
    ("vc-di-ecdsa-test-suite", "/s/vc-di-ecdsa-test-suite/tests/05-rdfc-di-create.js",
     "Data Integrity (ecdsa-rdfc-2019 issuers) vcnode: P-256 x", "ecdsa-rdfc-2019"),
    ("vc-api-verifier-test-suite", "/s/tests/11-vc-jwt.js", "Verify Credential - JWT vcnode x", "JWT"),
    ("vc-api-issuer-test-suite", "/s/tests/10-issuer.js", "Issue Credential - Data Integrity vcnode x", "vc-api"),
    ("vc-jose-cose-test-suite", "/s/tests/test-runner.js", "SD-JWT Tests vcnode 3. x", "SD-JWT"),
    ("vc-jose-cose-test-suite", "/s/tests/test-runner.js", "COSE Tests vcnode 3. x", "COSE"),
    ("vc-jose-cose-test-suite", "/s/tests/test-runner.js", "JOSE Tests vcnode 3. x", "JOSE"),
])
def test_each_test_goes_to_its_suite_and_tag_row(suite: str, file: str, title: str, row: str) -> None:
    assert cs.SUITES[suite].tag_of(file, title) == row
    assert row in cs.SUITES[suite].rows()


def test_the_ecdsa_suite_gets_an_implementation_per_key_type_and_only_the_issuers_the_node_has() -> None:
    config = _config("vc-di-ecdsa-test-suite")
    assert config["settings"] == {"enableInteropTests": False, "testAllImplementations": False}
    p256, p384 = config["implementations"]
    assert (p256["name"], p384["name"]) == ("vcnode", "vcnode-P-384")
    assert [i["tags"] for i in p256["issuers"]] == [[s] for s in cs.ECDSA_SUITES]
    for issuer, suite in zip(p256["issuers"], cs.ECDSA_SUITES, strict=True):
        assert issuer["id"] == P256_DID and issuer["options"] == {"cryptosuite": suite}
        assert issuer["supportedEcdsaKeyTypes"] == ["P-256"]
        assert issuer["headers"] == {"Authorization": "Bearer t-p256"}
    assert p384["issuers"] == []  # the node has no P-384 identity: no issuer signing with another key
    # ecdsa-sd-2023 is P-256 only (as in Digital Bazaar's library): its verifier says so.
    assert [v["supportedEcdsaKeyTypes"] for v in p256["verifiers"]] == [["P-256", "P-384"], ["P-256", "P-384"],
                                                                         ["P-256"]]


def test_enveloping_jwt_and_resolver_entries() -> None:
    (model,) = _config("vc-data-model-2.0-test-suite")["implementations"]
    assert [(i["tags"], i.get("options")) for i in model["issuers"]] == [
        (["vc2.0"], None), (["EnvelopingProof"], cs.ENVELOPE_OPTIONS)]
    assert model["vpVerifiers"][0]["endpoint"] == "https://127.0.0.1:8443/presentations/verify"
    (issuer,) = _config("vc-api-issuer-test-suite")["implementations"]
    assert [(i["tags"], i.get("options")) for i in issuer["issuers"]] == [
        (["vc-api"], None), (["vc-api", "JWT"], cs.JWT_OPTIONS)]
    (resolver,) = _config("did-resolution-mocha-test-suite")["implementations"][0]["didResolvers"]
    assert resolver["endpoint"] == "https://127.0.0.1:8443/1.0/identifiers"
    assert [d["did"] for d in resolver["supportedDids"]["valid"]] == [ED_DID, P256_DID]
    assert resolver["supportedDids"]["derefUrls"][0]["didUrl"] == f"{ED_DID}#{ED_DID.removeprefix('did:key:')}"
    (jose,) = _config("vc-jose-cose-test-suite")["implementations"]
    assert set(jose["jose-cose"]["features"]) == set(cs.JOSE_COSE_FEATURES)


UTIL = """export async function generateTestResults(impl, testConfig) {
  const command = `docker compose -f ./implementations/compose.yml run --rm ${impl} ${testConfig.fn} \\\\
  --input /tests/input/${testConfig.input_file} \\\\
  --output /tests/output/${testConfig.number}-${impl}.json`;
}
export async function checkTestResults(impl, testConfig) {
  const outputFile = `./tests/output/${testConfig.number}-${impl}.json`;
}
"""
INDEX = "return Array.from(implementationsWithFeatures().values().map((i) => i.settings.name));\n"


def _checkout(root: Path) -> Path:
    path = root / "vc-jose-cose-test-suite"
    for folder in ("tests/input", "tests/output", "implementations", "node_modules/.bin"):
        (path / folder).mkdir(parents=True)
    (path / "package.json").write_text('{"name": "vc-jose-cose-test-suite"}')
    (path / "tests" / "test-util.js").write_text(UTIL)
    (path / "tests" / "output" / "1-vcnode.json").write_text('{"result": "success"}')  # an earlier run's
    (path / "implementations" / "index.js").write_text(INDEX)
    return path


def test_the_jose_cose_suite_runs_the_adapter_from_a_copy(tmp_path: Path) -> None:
    checkout, work = _checkout(tmp_path), tmp_path / "work"
    work.mkdir()
    adapter = tmp_path / "adapter.py"
    adapter.write_text("")
    copy = conformance.jose_cose_copy(checkout, work, Path("/venv/bin/python"), adapter)
    util = (copy / "tests" / "test-util.js").read_text()
    assert "docker" not in util
    assert f"/venv/bin/python {adapter} ${{testConfig.fn}}" in util
    assert "--input ./tests/input/" in util and "--output ./tests/output/" in util
    assert "const outputFile = `./tests/output/" in util  # where the suite reads results: unchanged
    assert "values(), (i) => i.settings.name)" in (copy / "implementations" / "index.js").read_text()
    assert not (copy / "tests" / "output" / "1-vcnode.json").exists()
    assert (copy / "node_modules").resolve() == (checkout / "node_modules").resolve()
    assert (checkout / "tests" / "test-util.js").read_text() == UTIL  # the checkout is left as it was
    assert (checkout / "implementations" / "index.js").read_text() == INDEX


def test_without_the_adapter_the_suite_row_says_so(tmp_path: Path) -> None:
    checkout, work = _checkout(tmp_path), tmp_path / "work"
    work.mkdir()
    with pytest.raises(conformance.SuiteError, match=r"adapter\.py not found"):
        conformance.jose_cose_copy(checkout, work, Path("/venv/bin/python"), conformance.ROOT / "adapter.py")
    out = io.StringIO()
    conformance.print_table([{"suite": "vc-jose-cose-test-suite", "error": "scripts/x.py not found", "notes": [],
                              "rows": {}, "failed": []}], out)
    assert "NOT RUN: scripts/x.py not found" in out.getvalue()
    assert "1 suite(s) not run" in out.getvalue()


def test_a_suite_whose_command_changed_is_not_run_unpatched(tmp_path: Path) -> None:
    checkout, work = _checkout(tmp_path), tmp_path / "work"
    work.mkdir()
    (checkout / "tests" / "test-util.js").write_text("const command = `podman run vc ${impl}`;\n")
    adapter = tmp_path / "adapter.py"
    adapter.write_text("")
    with pytest.raises(conformance.SuiteError, match="no longer runs"):
        conformance.jose_cose_copy(checkout, work, Path("/venv/bin/python"), adapter)


def test_mocha_results_are_counted_per_row() -> None:
    suite = cs.SUITES["vc-data-model-2.0-test-suite"]
    test = lambda file, title: {"file": f"/s/tests/{file}", "fullTitle": title, "err": {"message": "boom\nmore"}}  # noqa: E731
    report = conformance._report(suite, {
        "passes": [test("4.07-issuer.js", "a"), test("4.13.2-envelopes.js", "b")],
        "failures": [test("4.13.2-envelopes.js", "c")], "pending": [test("4.10-status.js", "d")]})
    assert report["rows"] == {"vc2.0": {"passes": 1, "failures": 0, "pending": 1},
                              "EnvelopingProof": {"passes": 1, "failures": 1, "pending": 0}}
    assert report["failed"] == [{"tag": "EnvelopingProof", "title": "c", "error": "boom\nmore"}]

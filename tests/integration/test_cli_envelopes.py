"""``vcnode issue --envelope``: enveloped credentials from the command line, verified by ``vcnode verify``."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cluster import fresh_node
from tests.integration.test_cli import assert_one_line_error, run


def test_issue_enveloped_from_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "node"
    did = fresh_node(home)
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "credentialSubject": {"id": "did:example:learner", "name": "Alice"}}
    (tmp_path / "c.json").write_text(json.dumps(credential))
    out = tmp_path / "vc.json"
    issued = run(home, "issue", str(tmp_path / "c.json"), "--envelope", "vc+jwt", "--out", str(out))
    assert issued.returncode == 0, issued.stderr
    enveloped = json.loads(out.read_text())
    assert enveloped["type"] == "EnvelopedVerifiableCredential"
    assert enveloped["id"].startswith("data:application/vc+jwt,ey")
    verified = run(home, "verify", str(out), "--json")
    assert verified.returncode == 0, verified.stdout
    report = json.loads(verified.stdout)
    assert report["results"]["envelope"] == {"verified": True, "mediaType": "application/vc+jwt",
                                             "verificationMethod": report["results"]["envelope"]["verificationMethod"],
                                             "controller": did}
    # the same credential claimed under another issuer's name: refused (a re-signed envelope would not verify)
    token = enveloped["id"].split(",", 1)[1]
    header, payload, signature = token.split(".")
    (tmp_path / "bad.json").write_text(json.dumps({**enveloped, "id": f"data:application/vc+jwt,{header}.{payload}."
                                                   f"{signature[::-1]}"}))
    rejected = run(home, "verify", str(tmp_path / "bad.json"), "--json")
    assert rejected.returncode == 1 and json.loads(rejected.stdout)["errors"][0]["code"] == "invalidSignature"
    assert_one_line_error(run(home, "issue", str(tmp_path / "c.json"), "--envelope", "vc+nothing"),
                          "vc+nothing")

"""``vcnode issue-batch --claims`` as an institution runs it: a claim link, a PNG and an SVG QR code per learner
and a manifest, nothing signed; the links resolve on the served node and a learner's wallet (the project's own
presentation signing) claims the badge with its name to the wallet's DID; a second run makes nothing new; a
changed row, a row with an id and a junk CSV are one-line errors. Real ``vcnode`` processes."""

from __future__ import annotations

import csv
import json
import signal
import sqlite3
import struct
import subprocess
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.builders import did_key_signer
from tests.integration.test_cli import assert_one_line_error, cli_env, run
from tests.integration.test_cli_credentials import ACHIEVEMENT, node
from tests.integration.test_serve import free_port, wait_for
from vcnode.credentials import create_presentation

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LEARNERS = [("aoife@example.org", "Aoife Byrne"), ("sean.murphy@example.org", "Seán Murphy"),
            ("niamh@example.org", "Niamh Kelly")]
COLUMNS = ["row", "id", "email", "name", "exchangeId", "state", "expires", "interactionUrl", "lcwLink",
           "lcwLegacyLink", "exchangeUrl", "oid4vciOffer", "oid4vciTxCode", "png", "svg", "lcwPng"]


def http(url: str, body: Any = None, accept: str = "application/json") -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Accept": accept, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def write_learners(path: Path, learners: list[tuple[str, str]]) -> Path:
    path.write_text("email,name\n" + "".join(f"{email},{name}\n" for email, name in learners), encoding="utf-8")
    return path


def manifest(out: Path) -> list[dict[str, str]]:
    with (out / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def stored(home: Path, table: str) -> int:
    with sqlite3.connect(home / "vcnode.sqlite3") as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_issue_batch_claims_prepares_links_and_qr_codes_that_a_wallet_claims(tmp_path: Path) -> None:
    home, did = node(tmp_path)
    port = free_port()
    env = {"VCNODE_PORT": str(port)}  # the links name the node's base URL, where it serves below
    base = f"http://127.0.0.1:{port}"
    learners = write_learners(tmp_path / "learners.csv", LEARNERS)
    achievement = tmp_path / "achievement.json"
    achievement.write_text(json.dumps(ACHIEVEMENT))
    out = tmp_path / "out"
    day = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
    command = ["issue-batch", str(learners), "--achievement", str(achievement), "--out", str(out), "--claims",
               "--expires", day, "--issuer-name", "Harbour City Polytechnic"]

    result = run(home, *command, "--json", env=env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["total"], summary["created"], summary["reused"]) == (3, 3, 0)
    assert summary["manifest"] == str(out / "manifest.csv") and summary["claims"] == str(out / "claims")
    rows = manifest(out)
    assert [(r["row"], r["email"], r["name"]) for r in rows] == [
        (str(n), email, name) for n, (email, name) in enumerate(LEARNERS, start=2)]
    for row in rows:
        assert row["id"] == "" and row["state"] == "pending" and row["expires"] == f"{day}T23:59:59Z"
        assert row["interactionUrl"] == f"{base}/interactions/{row['exchangeId']}?iuv=1"
        assert row["exchangeUrl"] == f"{base}/workflows/claim/exchanges/{row['exchangeId']}"
        assert row["lcwLink"].startswith("https://lcw.app/request?request=")
        assert row["lcwLegacyLink"].startswith(f"https://lcw.app/request?issuer={did.replace(':', '%3A')}&")
        assert row["png"] == f"claims/{row['row']}-{row['exchangeId']}.png"
        assert row["svg"] == f"claims/{row['row']}-{row['exchangeId']}.svg"
        png = (out / row["png"]).read_bytes()
        assert png[:8] == PNG_SIGNATURE and png[12:16] == b"IHDR"
        width, height = struct.unpack(">II", png[16:24])
        assert width == height and width >= 150  # 6 px a module, 4 modules of border on each side
        svg = ET.fromstring((out / row["svg"]).read_bytes())
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        assert svg.find("{http://www.w3.org/2000/svg}desc").text == row["interactionUrl"]  # what the code holds
        assert row["lcwPng"] == f"claims/{row['row']}-{row['exchangeId']}-lcw.png"
        assert (out / row["lcwPng"]).read_bytes()[:8] == PNG_SIGNATURE
    assert sorted(p.name for p in (out / "claims").iterdir()) == sorted(
        Path(r[kind]).name for r in rows for kind in ("png", "svg", "lcwPng"))
    assert stored(home, "credentials") == 0 and stored(home, "exchanges") == 3  # nothing signed before a claim
    readable = run(home, *command, env=env)  # again, without --json: the same links, nothing new
    assert readable.returncode == 0, readable.stderr
    assert "prepared 0 claim links, already prepared 3, of 3" in readable.stdout
    assert manifest(out) == rows and stored(home, "exchanges") == 3

    server = subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(home), "serve"], env=cli_env(env),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(f"{base}/health")
        for row in rows:  # every link resolves on the served node
            assert http(row["interactionUrl"]) == (200, {"protocols": {"vcapi": row["exchangeUrl"],
                                                                       "OID4VCI": row["oid4vciOffer"]}})
        chosen = rows[1]
        status, answer = http(chosen["exchangeUrl"], {})
        assert status == 200, answer
        request = answer["verifiablePresentationRequest"]
        learner = did_key_signer()
        presentation = create_presentation([], learner, challenge=request["challenge"], domain=request["domain"],
                                           suite="Ed25519Signature2020")
        del presentation["verifiableCredential"]
        status, answer = http(chosen["exchangeUrl"], {"verifiablePresentation": presentation})
        assert status == 200, answer
        [credential] = answer["verifiablePresentation"]["verifiableCredential"]
        holder = learner.verification_method.split("#")[0]
        assert credential["credentialSubject"]["id"] == holder
        assert credential["credentialSubject"]["name"] == "Seán Murphy"
        assert credential["issuer"] == {"type": ["Profile"], "name": "Harbour City Polytechnic", "id": did}
        assert credential["proof"][0]["verificationMethod"].startswith(did + "#")
        assert http(chosen["exchangeUrl"], {})[1]["code"] == "exchangeComplete"  # a claim link is used once
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert stored(home, "credentials") == 1
    rerun = run(home, *command, "--json", env=env)  # the manifest now says who claimed which link
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["created"] == 0
    after = {r["row"]: r for r in manifest(out)}
    assert after["3"]["state"] == "complete" and after["3"]["id"] == holder
    assert after["2"]["state"] == "pending" and after["2"]["exchangeId"] == rows[0]["exchangeId"]

    # A changed row is refused, naming it; nothing is created.
    changed = write_learners(tmp_path / "learners.csv", [LEARNERS[0], (LEARNERS[1][0], "Sean Murphy"), LEARNERS[2]])
    assert_one_line_error(run(home, *command, env=env), f"{changed} row 3: its claim link ({chosen['exchangeId']}) "
                          "was prepared from other inputs")
    assert stored(home, "exchanges") == 3


def test_issue_batch_claims_refuses_junk_and_rows_with_an_id(tmp_path: Path) -> None:
    home, _ = node(tmp_path)
    achievement = tmp_path / "achievement.json"
    achievement.write_text(json.dumps(ACHIEVEMENT))

    def claims(csv_text: str, *extra: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / "l.csv").write_text(csv_text, encoding="utf-8")
        return run(home, "issue-batch", str(tmp_path / "l.csv"), "--achievement", str(achievement), "--out",
                   str(tmp_path / "out"), "--claims", *extra)

    assert_one_line_error(claims("\x00\x01junk;;\n\"unterminated\n"), "row 1: claim links need an 'email' column")
    assert_one_line_error(claims("id,email,name\ndid:example:1,a@example.org,A\n"),
                          "l.csv row 2, column 'id': a claim link issues the badge to the DID the learner's wallet "
                          "proves")
    assert_one_line_error(claims("email,name\nnot-an-address,A\n"), "l.csv row 2, column 'email'")
    assert_one_line_error(claims("email,name\n,A\n"), "l.csv row 2, column 'email': each learner needs an email")
    assert_one_line_error(claims("email\na@example.org\n", "--expires", "someday"),
                          "expires is not an RFC 3339 date-time")
    assert_one_line_error(run(home, "issue-batch", str(tmp_path / "l.csv"), "--achievement", str(achievement),
                              "--out", str(tmp_path / "out"), "--expires", "2030-01-01"), "add --claims")
    assert stored(home, "exchanges") == 0 and not (tmp_path / "out").exists()

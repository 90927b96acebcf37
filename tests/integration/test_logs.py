"""Logs as an operator reads them (issue 12 item 11): a real ``vcnode serve`` with ``log_format = "json"``
writes one JSON object per stderr line and one access line per request (method, route pattern, status,
duration, bytes, client, request id); the request id is the client's sane ``X-Request-Id`` or a new one, is
sent back as ``X-Request-Id`` and is the ``requestId`` of every problem body. ``-v`` gives DEBUG logs without
aiosqlite's line per query."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import badge
from tests.ops_node import Answer, OpsNode
from vcnode import logs

SECRET_ID = "urn:uuid:do-not-log-me-4b1e"


@pytest.fixture
def node(tmp_path: Path) -> Iterator[OpsNode]:
    served = OpsNode(tmp_path, {"VCNODE_LOG_FORMAT": "json", "VCNODE_LOG_LEVEL": "INFO"})
    served.start()
    try:
        yield served
    finally:
        served.kill()


def test_json_logs_carry_one_access_line_per_request_with_its_request_id(node: OpsNode) -> None:
    token = node.token("issue")
    answers: list[tuple[Answer, str, str]] = []  # answer, method, route pattern

    def call(method: str, path: str, route: str, body: object = None, **headers: str) -> Answer:
        answer = node.call(method, path, body, headers)
        answers.append((answer, method, route))
        return answer

    chosen = call("GET", "/health", "/health", **{"X-Request-Id": "trace-42.a:b_c"})
    assert chosen.status == 200 and chosen.headers["X-Request-Id"] == "trace-42.a:b_c"
    for insane in ("has space", "x" * 129, "semi;colon"):
        replaced = call("GET", "/health", "/health", **{"X-Request-Id": insane})
        assert re.fullmatch(r"[0-9a-f]{24}", replaced.headers["X-Request-Id"]), replaced.headers["X-Request-Id"]
    missing = call("GET", "/no/such/route", "unmatched")
    unauthorised = call("POST", "/credentials/issue", "/credentials/issue", {"credential": badge(node.did)})
    hidden = call("GET", "/credentials/" + SECRET_ID, "/credentials/{id}", Authorization=f"Bearer {token}")
    issued = call("POST", "/credentials/issue", "/credentials/issue", {"credential": badge(node.did)},
                  Authorization=f"Bearer {token}")
    tampered = issued.json()["verifiableCredential"]
    tampered["name"] = "Something else"
    failed = call("POST", "/credentials/verify", "/credentials/verify", {"verifiableCredential": tampered})
    for answer, status in ((missing, 404), (unauthorised, 401), (hidden, 404), (failed, 400)):
        assert answer.status == status
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.json()["requestId"] == answer.headers["X-Request-Id"]  # the body names the same request
    assert failed.json()["verified"] is False  # the report itself is the problem body
    node.stop()

    records = [json.loads(line) for line in node.stderr_lines()]  # every line is one JSON object
    access = [r for r in records if r["logger"] == "vcnode.access"]
    assert len(access) == len(answers) + 1  # + the one successful GET /health that waited for the start
    by_id = {r["requestId"]: r for r in access}
    for answer, method, route in answers:
        line = by_id[answer.headers["X-Request-Id"]]
        assert {k: line[k] for k in ("method", "route", "status", "bytes", "client")} == {
            "method": method, "route": route, "status": answer.status, "bytes": len(answer.body),
            "client": "127.0.0.1"}
        assert line["level"] == "INFO" and 0 < line["durationMs"] < 30_000
        assert line["time"].endswith("Z")
    assert SECRET_ID not in "\n".join(node.stderr_lines())  # routes are patterns: no ids or DIDs in the log
    assert any(r["message"].startswith("vcnode serving") for r in records)


def test_verbose_logs_have_no_aiosqlite_flood(tmp_path: Path) -> None:
    node = OpsNode(tmp_path)
    result = subprocess.run([sys.executable, "-m", "vcnode", "--home", str(node.home), "-v", "token", "list"],
                            env=node.env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert " DEBUG " in result.stderr  # -v still means debug logs
    assert "aiosqlite" not in result.stderr, result.stderr[:2000]


def test_text_lines_name_the_request_of_records_logged_during_it() -> None:
    formatter = logs.TextFormatter()
    record = logging.LogRecord("vcnode.http.middleware", logging.ERROR, __file__, 1, "unhandled error %s", ("x1",),
                               None)
    record.request_id = "req-7"
    assert formatter.format(record).endswith("vcnode.http.middleware: unhandled error x1 [request req-7]")
    line = json.loads(logs.JsonFormatter().format(record))
    assert (line["requestId"], line["message"], line["level"]) == ("req-7", "unhandled error x1", "ERROR")

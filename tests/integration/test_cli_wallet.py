"""``vcnode wallet``: a member of staff claims a badge from a claim link and presents it to a presentation
request, from the command line (a real ``vcnode`` process against the node's real app on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.integration.test_exchanges_http import NODE_DID, unsigned_badge
from vcnode.node import Node
from vcnode.serve.app import SERVER_LIMITS, build_app


async def vcnode(*args: str, cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "vcnode", *args, cwd=cwd,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                   env={**os.environ, "VCNODE_HOME": str(cwd / "no-node")})
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


@pytest.fixture
async def served(web_node: Node) -> AsyncIterator[tuple[TestClient, str]]:
    """The node served on 127.0.0.1 with its public URL where it listens (its links must work)."""
    server = TestServer(build_app(web_node), host="127.0.0.1")
    await server.start_server(**SERVER_LIMITS)
    web_node.config.public_url = str(server.make_url("")).rstrip("/")
    _, token = await web_node.tokens.create(["exchange"])
    async with TestClient(server) as client:
        client.session.headers["Authorization"] = f"Bearer {token}"
        yield client, token


async def create(client: TestClient, workflow: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/workflows/{workflow}/exchanges", json={"variables": variables})
    assert response.status == 201, await response.text()
    return await response.json()


async def test_claim_and_present_from_the_command_line(served: tuple[TestClient, str], tmp_path: Path) -> None:
    client, _ = served
    code, did, err = await vcnode("wallet", "key", cwd=tmp_path)
    assert code == 0, err
    did = did.strip()
    assert did.startswith("did:key:z6Mk") and stat.S_IMODE((tmp_path / "holder.key").stat().st_mode) == 0o600
    offer = await create(client, "claim", {"credential": unsigned_badge()})
    code, out, err = await vcnode("wallet", "claim", offer["interactionUrl"], "--out", "badges", "--json",
                                  cwd=tmp_path)
    assert code == 0, err
    [path] = json.loads(out)["files"]
    badge = json.loads((tmp_path / path).read_text())
    assert badge["credentialSubject"]["id"] == did and badge["issuer"]["id"] == NODE_DID
    # The link works once: a second claim is refused in one line.
    code, out, err = await vcnode("wallet", "claim", offer["links"]["lcw"], cwd=tmp_path)
    assert code != 0 and err.count("\n") == 1 and "already complete" in err, err
    request = await create(client, "present", {"query": {"issuer": NODE_DID}})
    code, out, err = await vcnode("wallet", "present", request["links"]["interaction"], str(tmp_path / path),
                                  cwd=tmp_path)
    assert code == 0, err
    state = await (await client.get(f"/workflows/present/exchanges/{request['id']}")).json()
    assert state["state"] == "complete" and state["result"]["verified"] is True
    assert state["result"]["holder"] == did


async def test_a_missing_key_or_a_bad_link_is_one_line(tmp_path: Path) -> None:
    code, _, err = await vcnode("wallet", "claim", "https://127.0.0.1:1/interactions/x?iuv=1", cwd=tmp_path)
    assert code != 0 and err.count("\n") == 1 and "vcnode wallet key" in err, err
    await vcnode("wallet", "key", cwd=tmp_path)
    code, _, err = await vcnode("wallet", "claim", "not a link", cwd=tmp_path)
    assert code != 0 and err.count("\n") == 1, err

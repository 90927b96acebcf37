"""The node's ``issuer_binding`` over ``POST /credentials/verify``: the W3C vc-di-ecdsa vectors are signed by a
did:key for an illustrative issuer (``https://vc.example/issuers/5678``). By default that is ``issuerMismatch``
(a named 400, though the signature verifies); a node configured ``issuer_binding = "allowMismatch"`` (as the
conformance harness runs the vc-di-ecdsa suite, whose "Verify Proof" tests first expect such a vector to verify)
accepts it with an ``issuerMismatch`` warning, and still refuses a broken signature."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.conftest import clean_env
from tests.integration.test_vcapi import expect_json, expect_problem
from vcnode.config import ConfigError, load_config
from vcnode.node import Node
from vcnode.serve.app import SERVER_LIMITS, build_app

pytestmark = pytest.mark.integration

VECTORS = Path(__file__).resolve().parent.parent / "fixtures" / "vc-di-ecdsa"
SIGNED = ("signedECDSAP256.json", "signedJCSECDSAP256.json")


async def _verify(client: TestClient, document: dict) -> object:
    return await client.post("/credentials/verify", json={"verifiableCredential": document})


@pytest.mark.parametrize("name", SIGNED)
async def test_an_issuer_that_does_not_control_the_key_is_refused_by_default(client: TestClient, name: str) -> None:
    vector = json.loads((VECTORS / name).read_text())
    body = await expect_problem(await _verify(client, vector), 400, "issuerMismatch")
    assert body["results"]["proof"]["verified"] is True


async def test_allow_mismatch_makes_it_a_warning(tmp_path: Path, web_node_template: tuple[Path, object]) -> None:
    template, vault = web_node_template
    home = tmp_path / "node"
    shutil.copytree(template, home)
    env = {**clean_env(), "VCNODE_ISSUER_BINDING": "allowMismatch"}
    node = await Node.open(load_config(home, environ=env), environ=env, vault=vault)
    server = TestServer(build_app(node), host="127.0.0.1")
    await server.start_server(**SERVER_LIMITS)
    try:
        async with TestClient(server) as client:
            for name in SIGNED:
                vector = json.loads((VECTORS / name).read_text())
                report = await expect_json(await _verify(client, vector), 200)
                assert report["verified"] is True, report["errors"]
                assert [w["code"] for w in report["warnings"]] == ["issuerMismatch"]
                assert report["results"]["issuer"]["allowed"] is True
                broken = copy.deepcopy(vector)
                broken["proof"]["proofValue"] = broken["proof"]["proofValue"][:-1]
                assert (await _verify(client, broken)).status == 400
    finally:
        await node.close()


def test_issuer_binding_takes_only_the_two_values(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="issuer_binding"):
        load_config(tmp_path, environ={**clean_env(), "VCNODE_ISSUER_BINDING": "sometimes"})

"""OpenID4VCI from a P-384 issuer identity, to a wallet proving a P-384 key (ES384): the node's real app on
127.0.0.1, a real store and keys. The metadata says ES384 and the ECDSA suites; the ``ldp_vc`` badge is signed with
an ECDSA suite over SHA-384 and the ``dc+sd-jwt`` learning credential with ES384, both verified by the node."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.builders import badge
from tests.integration.test_exchanges_http import Institution
from tests.integration.test_oid4vci import Wallet, access, c_nonce, request_credential
from tests.integration.test_sdjwt_issuance import LDP, SD_JWT, body
from vcnode.did.self_certifying import did_jwk_for
from vcnode.keys.nist import P384KeyPair
from vcnode.node import Node
from vcnode.sdjwt import SdJwtVcOptions, verify_sd_jwt_vc

pytestmark = pytest.mark.integration


class P384Wallet(Wallet):
    """A holder whose key is P-384 (did:jwk): its proofs are ES384."""

    def __init__(self) -> None:
        self.kind = "did:jwk"
        self.pair = P384KeyPair.generate()
        self.did = did_jwk_for(self.pair.public_jwk)
        self.kid = f"{self.did}#0"


@pytest.fixture
async def institution(client: TestClient, web_node: Node) -> Institution:
    _, api_token = await web_node.tokens.create(["exchange"])
    return Institution(client, api_token)


def unsigned(issuer: str) -> dict[str, Any]:
    credential = badge(issuer)
    del credential["id"]
    credential["credentialSubject"].pop("id", None)
    return credential


async def test_metadata_advertises_es384_and_the_ecdsa_suites(client: TestClient, web_node: Node) -> None:
    await web_node.identities.create("web", name="p384", key_type="P-384")
    metadata = await (await client.get("/.well-known/openid-credential-issuer")).json()
    configurations = metadata["credential_configurations_supported"]
    for config in configurations.values():
        assert "ES384" in config["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"]
    assert {"ecdsa-rdfc-2019", "ecdsa-jcs-2019"} <= set(configurations[LDP]["credential_signing_alg_values_supported"])
    assert "ES384" in configurations[SD_JWT]["credential_signing_alg_values_supported"]


@pytest.mark.parametrize("configuration", [LDP, SD_JWT])
async def test_a_p384_identity_issues_to_a_p384_wallet(client: TestClient, web_node: Node, institution: Institution,
                                                       configuration: str) -> None:
    identity = await web_node.identities.create("web", name="p384", key_type="P-384")
    exchange = await institution.create("claim", {"credential": unsigned(identity.did)})
    access_token = await access(client, exchange)
    wallet = P384Wallet()
    proof = wallet.proof(await c_nonce(client))
    assert proof.startswith("eyJhbGciOiJFUzM4NCI")  # {"alg":"ES384"
    response = await request_credential(client, access_token, body(configuration, proof))
    issued = await response.json()
    assert response.status == 200, issued
    [item] = issued["credentials"]
    if configuration == LDP:
        credential = item["credential"]
        assert credential["issuer"]["id"] == identity.did and credential["credentialSubject"]["id"] == wallet.did
        [di_proof] = credential["proof"]
        assert di_proof["cryptosuite"] in ("ecdsa-rdfc-2019", "ecdsa-jcs-2019")
        report = await (await client.post("/credentials/verify", json={"verifiableCredential": credential})).json()
        assert report["verified"] is True, report
    else:
        result = await verify_sd_jwt_vc(item["credential"], web_node.resolver, SdJwtVcOptions())
        assert result.verified, result.to_json()
        assert result.header is not None and result.header["alg"] == "ES384"
        assert result.issuer == identity.did and result.claims is not None
        assert result.claims["cnf"]["jwk"]["crv"] == "P-384"

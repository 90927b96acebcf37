"""SD-JWT VC and Token Status List interop both ways with the OpenWallet Foundation's JavaScript libraries
(tests/interop/sdjwt.mjs: @sd-jwt/sd-jwt-vc, @sd-jwt/jwt-status-list 0.19.0):

- @sd-jwt/sd-jwt-vc verifies the SD-JWT VCs vcnode issues (ES256 and EdDSA issuers and holders), as issued,
  after it selected disclosures itself, with and without a key-binding JWT, and presentations vcnode made;
- vcnode verifies the SD-JWT VCs @sd-jwt issues (nested and array-element disclosures, decoys) and presents;
- tampering is refused: a changed issuer JWT by both; a changed disclosure by vcnode (``tamperedDisclosure``),
  while @sd-jwt drops it (its verifier ignores a disclosure no digest references) and never shows the changed
  value; with key binding, a disclosure changed after the holder signed by both (``sdHashMismatch``);
- Status List Tokens: @sd-jwt/jwt-status-list reads the ones vcnode signs and vcnode reads the ones it makes,
  bit for bit, and each side's SD-JWT VC verifier checks status through the other side's list;
- vcnode's type metadata for the EUDI learning credential passes @sd-jwt/sd-jwt-vc's type metadata schema.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from did_methods.jwk import JwkDriver
from did_methods.key import KeyDriver
from tests.builders import badge
from tests.interop.harness import run_harness
from vcnode.credentials.report import Report
from vcnode.did.resolver import Resolver
from vcnode.did.self_certifying import did_jwk_for, did_key_for
from vcnode.jose import verify_with_did
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.p256 import P256KeyPair
from vcnode.sdjwt import (
    LEARNING_CREDENTIAL_VCT,
    SdJwtVcOptions,
    issue_learning_credential,
    issue_sd_jwt_vc,
    learning_credential_type_metadata,
    present_sd_jwt_vc,
    verify_sd_jwt_vc,
)
from vcnode.status.check import FetchedList, StatusChecker, StatusListError
from vcnode.status.token_list import (
    get_status,
    new_status_list,
    read_status_list_token,
    set_status,
    sign_status_list_token,
    status_claim,
)

pytestmark = pytest.mark.interop

AUD = "decentralized_identifier:did:web:employer.example"
NONCE = "n-0S6_WzA2Mj"
ALGS = {P256KeyPair: "ES256", Ed25519KeyPair: "EdDSA"}
STATUS_URI = "https://issuer.example/status/tokens/7"


def sdjwt(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return run_harness("sdjwt.mjs", jobs)


@pytest.fixture
def dids() -> Resolver:
    return Resolver([KeyDriver(), JwkDriver()])


class Issuer:
    def __init__(self, pair_class: type) -> None:
        self.pair = pair_class.generate()
        self.alg = ALGS[pair_class]
        self.did = did_key_for(self.pair.public_multikey)
        self.kid = f"{self.did}#{self.pair.public_multikey}"


def tamper(token: str, claim: str, value: Any) -> str:
    """``token`` with the disclosure of ``claim`` re-encoded with another value (same salt)."""
    jwt, *rest = token.split("~")
    out = []
    for part in rest[:-1]:
        decoded = json.loads(base64.urlsafe_b64decode(part + "=="))
        if len(decoded) == 3 and decoded[1] == claim:
            part = base64.urlsafe_b64encode(json.dumps([decoded[0], claim, value]).encode()).decode().rstrip("=")
        out.append(part)
    return "~".join([jwt, *out, rest[-1]])


def codes(result: Any) -> list[str]:
    return [error.code for error in result.report.errors]


@pytest.mark.parametrize("issuer_class", [P256KeyPair, Ed25519KeyPair])
@pytest.mark.parametrize("holder_alg", ["ES256", "EdDSA"])
async def test_sd_jwt_vc_verifies_what_vcnode_issues(dids: Resolver, issuer_class: type, holder_alg: str) -> None:
    issuer = Issuer(issuer_class)
    [holder] = sdjwt([{"op": "generate", "alg": holder_alg}])
    token = issue_learning_credential(badge(issuer.did), issuer.pair, issuer=issuer.did, kid=issuer.kid,
                                      holder_jwk=holder["publicJwk"], family_name="Ní Bhriain", given_name="Zoë",
                                      extra={"issuing_country": "IE", "assessment_grade": "B"})
    [presented] = sdjwt([{"op": "present", "token": token, "frame": {"family_name": True, "assessment_grade": True},
                          "kb": {"alg": holder_alg, "privateJwk": holder["privateJwk"], "aud": AUD, "nonce": NONCE}}])
    without_kb = sdjwt([{"op": "present", "token": token, "frame": {"given_name": True}}])[0]["token"]
    issued, bound, unbound, replayed, tampered, tampered_after_kb = sdjwt([
        {"op": "verify", "token": token, "issuerJwk": issuer.pair.public_jwk},
        {"op": "verify", "token": presented["token"], "issuerJwk": issuer.pair.public_jwk, "nonce": NONCE, "aud": AUD},
        {"op": "verify", "token": without_kb, "issuerJwk": issuer.pair.public_jwk},
        {"op": "verify", "token": presented["token"], "issuerJwk": issuer.pair.public_jwk, "nonce": "other",
         "aud": AUD},
        {"op": "verify", "token": tamper(token, "assessment_grade", "A+"), "issuerJwk": issuer.pair.public_jwk},
        {"op": "verify", "token": tamper(presented["token"], "assessment_grade", "A+"),
         "issuerJwk": issuer.pair.public_jwk, "nonce": NONCE, "aud": AUD},
    ])
    assert issued["verified"], issued
    assert issued["header"] == {"alg": issuer.alg, "typ": "dc+sd-jwt", "kid": issuer.kid}
    assert issued["payload"]["vct"] == LEARNING_CREDENTIAL_VCT and issued["payload"]["given_name"] == "Zoë"
    assert issued["payload"]["achievement_title"] == "Data Analytics Fundamentals"
    assert bound["verified"], bound
    assert bound["kb"]["aud"] == AUD and bound["payload"]["family_name"] == "Ní Bhriain"
    assert "given_name" not in bound["payload"] and bound["payload"]["assessment_grade"] == "B"
    assert unbound["verified"] and unbound["payload"]["given_name"] == "Zoë" and "family_name" not in unbound["payload"]
    assert not replayed["verified"] and "Nonce" in replayed["message"]
    # @sd-jwt ignores a disclosure that no digest references: the changed grade is dropped, never shown.
    assert tampered["verified"] and "assessment_grade" not in tampered["payload"]
    assert not tampered_after_kb["verified"] and "sd_hash" in tampered_after_kb["message"]
    # vcnode on the same presentations:
    ours = await verify_sd_jwt_vc(presented["token"], dids, SdJwtVcOptions(audience=AUD, nonce=NONCE))
    assert ours.verified, ours.report.to_json()
    assert ours.claims["assessment_grade"] == "B" and "given_name" not in ours.claims
    assert codes(await verify_sd_jwt_vc(tamper(token, "assessment_grade", "A+"), dids)) == ["tamperedDisclosure"]
    assert codes(await verify_sd_jwt_vc(tamper(presented["token"], "assessment_grade", "A+"), dids,
                                        SdJwtVcOptions(audience=AUD, nonce=NONCE))) == ["tamperedDisclosure"]


@pytest.mark.parametrize("holder_class", [P256KeyPair, Ed25519KeyPair])
def test_sd_jwt_vc_verifies_what_vcnode_presents(holder_class: type) -> None:
    issuer, holder = Issuer(P256KeyPair), holder_class.generate()
    token = issue_sd_jwt_vc({"grade": "B", "name": "Zoë", "address": {"locality": "Cork", "country": "IE"}},
                            issuer.pair, issuer=issuer.did, kid=issuer.kid, vct="urn:test:vc",
                            holder_jwk=holder.public_jwk, decoys=True)
    presented = present_sd_jwt_vc(token, disclose={"grade": True, "address": {"locality": True}}, holder=holder,
                                  aud=AUD, nonce=NONCE)
    removed = presented.split("~")
    good, dropped, wrong_aud = sdjwt([
        {"op": "verify", "token": presented, "issuerJwk": issuer.pair.public_jwk, "nonce": NONCE, "aud": AUD},
        {"op": "verify", "token": "~".join([removed[0], *removed[2:]]), "issuerJwk": issuer.pair.public_jwk,
         "nonce": NONCE, "aud": AUD},
        {"op": "verify", "token": present_sd_jwt_vc(token, holder=holder, aud="x", nonce=NONCE),
         "issuerJwk": issuer.pair.public_jwk, "nonce": NONCE, "aud": AUD},
    ])
    assert good["verified"], good
    assert good["payload"]["address"] == {"locality": "Cork"} and "name" not in good["payload"]
    assert good["kb"]["sd_hash"] and good["kb"]["nonce"] == NONCE
    assert not dropped["verified"] and "sd_hash" in dropped["message"]
    assert not wrong_aud["verified"]


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
async def test_vcnode_verifies_what_sd_jwt_vc_issues(dids: Resolver, alg: str) -> None:
    [issuer, holder] = sdjwt([{"op": "generate", "alg": alg}, {"op": "generate", "alg": "ES256"}])
    did = did_jwk_for(issuer["publicJwk"])
    now = int(time.time())
    claims = {"iss": did, "iat": now, "exp": now + 3600, "vct": "urn:test:diploma", "cnf": {"jwk": holder["publicJwk"]},
              "given_name": "Zoë", "grade": "B", "address": {"locality": "Cork", "country": "IE"},
              "skills": ["welding", "riveting", "painting"]}
    frame = {"_sd": ["given_name", "grade", "address"], "address": {"_sd": ["locality"]}, "skills": {"_sd": [0, 2]},
             "_sd_decoy": 3}
    [issued] = sdjwt([{"op": "issue", "alg": alg, "privateJwk": issuer["privateJwk"], "claims": claims,
                       "disclosureFrame": frame, "header": {"kid": f"{did}#0"}}])
    token = issued["token"]
    [presented] = sdjwt([{"op": "present", "token": token, "frame": {"grade": True, "address": {"locality": True},
                                                                     "skills": {0: True}},
                          "kb": {"alg": "ES256", "privateJwk": holder["privateJwk"], "aud": AUD, "nonce": NONCE}}])
    result = await verify_sd_jwt_vc(token, dids, SdJwtVcOptions(issuer=did, vct=["urn:test:diploma"]))
    assert result.verified, result.report.to_json()
    assert result.claims["address"] == {"locality": "Cork", "country": "IE"}
    assert result.claims["skills"] == ["welding", "riveting", "painting"] and result.claims["given_name"] == "Zoë"
    result = await verify_sd_jwt_vc(presented["token"], dids, SdJwtVcOptions(audience=AUD, nonce=NONCE, issuer=did))
    assert result.verified, result.report.to_json()
    assert result.claims["skills"] == ["welding", "riveting"]  # element 2 undisclosed, element 1 always shown
    assert result.claims["address"] == {"locality": "Cork", "country": "IE"} and "given_name" not in result.claims
    assert result.key_binding["aud"] == AUD
    # Refusals on @sd-jwt's output: a changed disclosure, a replayed KB-JWT, a changed issuer JWT.
    assert codes(await verify_sd_jwt_vc(tamper(token, "grade", "A+"), dids)) == ["tamperedDisclosure"]
    assert codes(await verify_sd_jwt_vc(presented["token"], dids, SdJwtVcOptions(audience=AUD, nonce="other"))) \
        == ["keyBindingNonceMismatch"]
    header, payload, signature = token.split("~")[0].split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged["vct"] = "urn:test:other"
    forged_jwt = ".".join([header, base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("="),
                           signature])
    forged_token = "~".join([forged_jwt, *token.split("~")[1:]])
    assert codes(await verify_sd_jwt_vc(forged_token, dids)) == ["invalidSignature"]
    [js_forged] = sdjwt([{"op": "verify", "token": forged_token, "issuerJwk": issuer["publicJwk"]}])
    assert not js_forged["verified"]


async def test_a_holder_presents_with_vcnode_what_sd_jwt_vc_issued(dids: Resolver) -> None:
    [issuer] = sdjwt([{"op": "generate", "alg": "ES256"}])
    did, holder = did_jwk_for(issuer["publicJwk"]), Ed25519KeyPair.generate()
    claims = {"iss": did, "iat": int(time.time()), "vct": "urn:test:diploma", "cnf": {"jwk": holder.public_jwk},
              "grade": "B", "name": "Zoë"}
    [issued] = sdjwt([{"op": "issue", "alg": "ES256", "privateJwk": issuer["privateJwk"], "claims": claims,
                       "disclosureFrame": {"_sd": ["grade", "name"]}, "header": {"kid": f"{did}#0"}}])
    presented = present_sd_jwt_vc(issued["token"], disclose={"grade": True}, holder=holder, aud=AUD, nonce=NONCE)
    [theirs] = sdjwt([{"op": "verify", "token": presented, "issuerJwk": issuer["publicJwk"], "nonce": NONCE,
                       "aud": AUD}])
    assert theirs["verified"] and theirs["payload"]["grade"] == "B" and "name" not in theirs["payload"]
    assert (await verify_sd_jwt_vc(presented, dids, SdJwtVcOptions(audience=AUD, nonce=NONCE))).verified


# --- Token Status List -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
async def test_status_list_tokens_both_ways(dids: Resolver, bits: int) -> None:
    issuer = Issuer(P256KeyPair)
    values = [(i * 7 + 3) % (1 << bits) for i in range(50)]
    data = new_status_list(len(values), bits)
    for index, value in enumerate(values):
        set_status(data, index, value, bits)
    now = int(time.time())
    ours = sign_status_list_token(bytes(data), bits, issuer.pair, uri=STATUS_URI, kid=issuer.kid, iat=now,
                                  issuer=issuer.did, exp=now + 3600, ttl=300)
    [jwk_issuer] = sdjwt([{"op": "generate", "alg": "EdDSA"}])
    did = did_jwk_for(jwk_issuer["publicJwk"])
    read, made = sdjwt([
        {"op": "readStatusList", "token": ours, "issuerJwk": issuer.pair.public_jwk, "indexes": list(range(50))},
        {"op": "statusListToken", "alg": "EdDSA", "privateJwk": jwk_issuer["privateJwk"], "statuses": values,
         "bits": bits, "payload": {"sub": STATUS_URI, "iat": now, "ttl": 60, "iss": did},
         "header": {"kid": f"{did}#0"}},
    ])
    assert read["verified"], read
    assert read["bits"] == bits and read["statuses"] == values
    assert read["header"]["typ"] == "statuslist+jwt" and read["payload"]["sub"] == STATUS_URI
    token = read_status_list_token(await verify_with_did(made["token"], dids), uri=STATUS_URI, now=now)
    assert token.bits == bits and token.issuer == did and token.ttl == 60
    assert [token.status(i) for i in range(50)] == values
    assert [get_status(token.data, i, bits) for i in range(50)] == values


async def test_status_checked_through_the_other_sides_list(dids: Resolver) -> None:
    # vcnode issues and lists; @sd-jwt/sd-jwt-vc checks the status of vcnode's credential in vcnode's list.
    issuer = Issuer(Ed25519KeyPair)
    data = new_status_list(64, 2)
    set_status(data, 9, 1, 2)
    now = int(time.time())
    listed = sign_status_list_token(bytes(data), 2, issuer.pair, uri=STATUS_URI, kid=issuer.kid, iat=now,
                                    issuer=issuer.did)
    valid = issue_sd_jwt_vc({"grade": "B"}, issuer.pair, issuer=issuer.did, kid=issuer.kid, vct="urn:test:vc",
                            status=status_claim(8, STATUS_URI))
    revoked = issue_sd_jwt_vc({"grade": "B"}, issuer.pair, issuer=issuer.did, kid=issuer.kid, vct="urn:test:vc",
                              status=status_claim(9, STATUS_URI))
    theirs = sdjwt([{"op": "verify", "token": token, "issuerJwk": issuer.pair.public_jwk,
                     "statusLists": {STATUS_URI: listed}} for token in (valid, revoked)])
    assert theirs[0]["verified"], theirs[0]
    assert not theirs[1]["verified"] and "status is 1" in theirs[1]["message"]

    # @sd-jwt issues and lists; vcnode checks the status of its credential in its list.
    [js] = sdjwt([{"op": "generate", "alg": "ES256"}])
    did = did_jwk_for(js["publicJwk"])
    statuses = [0] * 32
    statuses[4] = 2
    made = sdjwt([
        {"op": "statusListToken", "alg": "ES256", "privateJwk": js["privateJwk"], "statuses": statuses, "bits": 2,
         "payload": {"sub": STATUS_URI, "iat": now, "iss": did}, "header": {"kid": f"{did}#0"}},
        *[{"op": "issue", "alg": "ES256", "privateJwk": js["privateJwk"], "header": {"kid": f"{did}#0"},
           "claims": {"iss": did, "iat": now, "vct": "urn:test:vc", "grade": "B",
                      "status": status_claim(idx, STATUS_URI)},
           "disclosureFrame": {"_sd": ["grade"]}} for idx in (3, 4)],
    ])

    async def fetch(url: str) -> FetchedList:
        if url != STATUS_URI:
            raise StatusListError("statusUnavailable", url)
        return FetchedList(made[0]["token"].encode())

    async def verify_token(token: bytes) -> Any:
        return await verify_with_did(token.decode(), dids)

    async def no_credentials(document: dict[str, Any]) -> Report:
        raise AssertionError("not a credential")

    checker = StatusChecker(fetch, no_credentials, verify_token=verify_token)
    results = [await verify_sd_jwt_vc(item["token"], dids, SdJwtVcOptions(status=checker,
                                                                          now=datetime.now(UTC)))
               for item in made[1:]]
    assert results[0].verified, results[0].report.to_json()
    assert codes(results[1]) == ["suspended"]


def test_the_learning_credential_type_metadata_passes_their_schema() -> None:
    document = learning_credential_type_metadata().document
    good, broken = sdjwt([{"op": "typeMetadata", "document": document},
                          {"op": "typeMetadata", "document": {**document, "claims": [{"path": "family_name"}]}}])
    assert good == {"valid": True, "issues": []}
    assert not broken["valid"]  # the oracle can fail

"""Interop with the Digital Credentials Consortium's stack (npm), both ways.

@digitalcredentials/verifier-core is the Learner Credential Wallet's verifier; the DCC forks of the signing
libraries (@digitalcredentials/vc, data-integrity, eddsa-rdfc-2022-cryptosuite, ed25519-signature-2020) sign.
tests/interop/dcc.mjs runs them offline: verifier-core's document loader is replaced by one serving only
vcnode's pinned contexts and did:key documents, it is given no issuer registries, and every other network
request is refused and reported back (``refused``).

What verifier-core reports, and what these tests assert of it:
- ``valid_signature`` and ``expiration`` must be valid; there is no ``revocation_status`` step, as the test
  credentials have no credentialStatus.
- ``registered_issuer`` is excluded: it looks the issuer's DID up in issuer registries (DCC's known-registries
  list, OpenID Federation endpoints) fetched over the network, and a throwaway did:key is in none of them. With
  no registries it is necessarily false; the tests check it is false for that reason only (nothing matched,
  nothing left unchecked).
- The ``schema_check`` (``additionalInformation``, not a verification step) is excluded: it fetches the OB 3.0
  JSON schema from purl.imsglobal.org, which the harness refuses. The tests check that this fetch is the only
  network request verifier-core attempts.
verifier-core checks only eddsa-rdfc-2022 and Ed25519Signature2020 proofs (not eddsa-jcs-2022), and checks a
presentation's proof with issuer semantics (proofPurpose assertionMethod; the challenge is not checked).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.builders import badge
from tests.builders import did_key_signer as signer
from tests.interop.harness import run_harness, tampered
from vcnode.credentials import create_presentation, issue_credential, sign, verify_credential
from vcnode.did.resolver import Resolver
from vcnode.proofs import SUITES

pytestmark = pytest.mark.interop
DCC_SUITES = ["eddsa-rdfc-2022", "Ed25519Signature2020"]  # all verifier-core checks, and all the DCC stack signs
OB3_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
VC_V2 = "https://www.w3.org/ns/credentials/v2"


def dcc(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run jobs through the DCC libraries (see dcc.mjs)."""
    results = run_harness("dcc.mjs", jobs)
    for result in results:
        assert "error" not in result, result["error"]
        assert set(result["refused"]) <= {OB3_SCHEMA}, result["refused"]
    return results


def assert_valid(result: dict[str, Any]) -> None:
    """verifier-core's result for a credential is valid, apart from the registry check (see the module doc)."""
    assert "errors" not in result, result["errors"]
    steps = {entry["id"]: entry for entry in result["log"]}
    assert steps.pop("registered_issuer") == {"id": "registered_issuer", "valid": False, "matchingIssuers": [],
                                              "uncheckedRegistries": []}
    assert steps["valid_signature"]["valid"] is True
    assert steps["expiration"]["valid"] is True
    assert all(step.get("valid") is True for step in steps.values()), result["log"]


def assert_bad_signature(result: dict[str, Any]) -> None:
    """verifier-core rejected the credential's signature (a fatal error: it reports no other check)."""
    assert [e["name"] for e in result.get("errors", [])] == ["invalid_signature"], result
    assert "log" not in result


def test_dcc_loads_the_same_contexts_as_vcnode() -> None:
    """The contexts verifier-core bundles are the ones vcnode pins, so replacing its loader changes nothing."""
    [result] = dcc([{"op": "bundledContexts"}])
    assert result["different"] == [], result
    assert {VC_V2, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            "https://w3id.org/security/suites/ed25519-2020/v1",
            "https://w3id.org/security/data-integrity/v2"} <= set(result["same"])


def test_dcc_verifies_what_vcnode_issued_and_rejects_tampering() -> None:
    key = signer()
    issuer = key.verification_method.split("#")[0]
    issued = [issue_credential(badge(issuer), key, suite=suite) for suite in DCC_SUITES]
    results = dcc([{"op": "verify", "credential": c} for c in issued]
                  + [{"op": "verify", "credential": tampered(c)} for c in issued])
    for suite, result in zip(DCC_SUITES, results[:2], strict=True):
        assert result.get("log"), (suite, result)
        assert_valid(result)
    for suite, result in zip(DCC_SUITES, results[2:], strict=True):
        assert result.get("errors"), (suite, result)
        assert_bad_signature(result)


def test_dcc_verifies_vcnode_presentations_and_rejects_tampering() -> None:
    issuer_key, holder_key = signer(), signer()
    credential = issue_credential(badge(issuer_key.verification_method.split("#")[0]), issuer_key)
    # vcnode's presentations are signed for authentication (create_presentation), as holder proofs should be;
    # verifier-core accepts only assertionMethod proofs on presentations, so the same presentation is also
    # signed with that purpose to cross-check the presentation signature itself.
    for_authentication = create_presentation([credential], holder_key, challenge="ch-1")
    unsigned = {key: value for key, value in for_authentication.items() if key != "proof"}
    presentations = {suite: sign(unsigned, holder_key, suite=suite, purpose="assertionMethod", challenge="ch-1")
                     for suite in DCC_SUITES}
    credential_tampered = copy.deepcopy(presentations["eddsa-rdfc-2022"])
    credential_tampered["verifiableCredential"][0] = tampered(credential)
    holder_tampered = copy.deepcopy(presentations["eddsa-rdfc-2022"])
    holder_tampered["holder"] = signer().verification_method.split("#")[0]

    results = dcc([{"op": "verifyPresentation", "presentation": p, "challenge": "ch-1"}
                   for p in [*presentations.values(), for_authentication, credential_tampered, holder_tampered]])
    signed_valid = results[:2]
    auth, bad_credential, bad_holder = results[2:]
    for suite, result in zip(DCC_SUITES, signed_valid, strict=True):
        assert result["presentationResult"] == {"signature": "valid"}, (suite, result)
        [credential_result] = result["credentialResults"]
        assert_valid(credential_result)
    # The authentication-purpose presentation: its credential verifies; its proof is refused for its purpose
    # (verifier-core's limit, not a bad signature: the same bytes under assertionMethod verify above).
    assert auth["presentationResult"]["signature"] == "invalid"
    assert "purpose" in " ".join(auth["presentationResult"]["errors"]), auth
    assert_valid(auth["credentialResults"][0])
    # A changed credential breaks both signatures; a changed holder breaks only the presentation's.
    assert bad_credential["presentationResult"]["signature"] == "invalid"
    assert_bad_signature(bad_credential["credentialResults"][0])
    assert bad_holder["presentationResult"]["signature"] == "invalid"
    assert_valid(bad_holder["credentialResults"][0])


async def test_vcnode_verifies_what_dcc_signed_and_rejects_tampering(resolver: Resolver) -> None:
    key = signer()
    issuer = key.verification_method.split("#")[0]
    signed = dcc([{"op": "sign", "suite": suite, "secretKeyMultibase": key.key_pair.secret_multikey,
                   "credential": badge(issuer)} for suite in DCC_SUITES])
    for suite, result in zip(DCC_SUITES, signed, strict=True):
        document = result["document"]
        report = (await verify_credential(document, resolver)).to_json()
        assert report["verified"], (suite, report["errors"])
        assert report["results"]["proof"]["proofs"][0]["type"] == SUITES[suite].proof_type
        bad = (await verify_credential(tampered(document), resolver)).to_json()
        assert not bad["verified"]
        assert bad["errors"][0]["code"] == "invalidSignature", (suite, bad["errors"])


def test_same_key_same_document_same_proof_as_dcc() -> None:
    """Ed25519 is deterministic: with the same key, credential and `created`, both produce identical proofs."""
    key = signer()
    issuer = key.verification_method.split("#")[0]
    theirs = dcc([{"op": "sign", "suite": suite, "secretKeyMultibase": key.key_pair.secret_multikey,
                   "credential": badge(issuer)} for suite in DCC_SUITES])
    for suite, result in zip(DCC_SUITES, theirs, strict=True):
        ours = sign(badge(issuer), key, suite=suite, created=result["document"]["proof"]["created"])
        assert json.dumps(ours, sort_keys=True) == json.dumps(result["document"], sort_keys=True), suite

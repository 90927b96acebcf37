"""scripts/vc_jose_cose_adapter.py, run as the vc-jose-cose test suite runs it (a process per call, files in and
out), with a key file in the suite's shape (a JsonWebKey verification method whose kid resolves nowhere)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import ROOT
from vcnode.keys.jwk import b64url_encode

ADAPTER = ROOT / "scripts" / "vc_jose_cose_adapter.py"
CREDENTIAL = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
              "id": "http://university.example/credentials/1872", "type": ["VerifiableCredential"],
              "issuer": "https://example.issuer/vc-jose-cose", "validFrom": "2010-01-01T19:23:24Z",
              "credentialSubject": {"id": "did:example:123", "degree": {"type": "BachelorDegree"}}}


CURVES = {"P-384": (ec.SECP384R1(), 48, "ES384"), "P-521": (ec.SECP521R1(), 66, "ES512")}


def key_file(directory: Path, crv: str = "P-384") -> Path:
    """A key file as the suite writes them (vm-p384.json, vm-p521.json)."""
    curve, size, alg = CURVES[crv]
    private = ec.generate_private_key(curve)
    numbers = private.private_numbers()
    public = {"kty": "EC", "crv": crv, "alg": alg, "kid": "thumbprint-not-a-did",
              "x": b64url_encode(numbers.public_numbers.x.to_bytes(size, "big")),
              "y": b64url_encode(numbers.public_numbers.y.to_bytes(size, "big"))}
    path = directory / f"vm-{crv}.json"
    path.write_text(json.dumps({"id": "https://example.issuer/vc-jose-cose#key-2", "type": "JsonWebKey",
                                "controller": "https://example.issuer/vc-jose-cose", "publicKeyJwk": public,
                                "secretKeyJwk": {**public, "d": b64url_encode(numbers.private_value.to_bytes(size,
                                                                                                             "big"))}}))
    return path


def adapter(directory: Path, command: str, data: str, key: Path, feature: str,
            sd: list[str] | None = None) -> dict[str, Any]:
    source, output = directory / "input", directory / "output.json"
    source.write_text(data)
    subprocess.run([sys.executable, str(ADAPTER), command, "--input", str(source), "--key", str(key),
                    "--feature", feature, *(["--sd", json.dumps(sd)] if sd is not None else []),
                    "--output", str(output)], check=True, capture_output=True, timeout=60)
    return json.loads(output.read_text())


def test_issue_then_verify_with_the_key_file_and_refuse_tampering(tmp_path: Path) -> None:
    key = key_file(tmp_path)
    issued = adapter(tmp_path, "issue", json.dumps(CREDENTIAL), key, "credential_cose")
    assert issued["result"] == "success"
    verified = adapter(tmp_path, "verify", issued["data"], key, "credential_cose")
    assert verified == {"result": "success", "data": CREDENTIAL}
    raw = bytearray(base64.b64decode(issued["data"]))
    raw[-1] ^= 1  # the signature's last byte
    tampered = adapter(tmp_path, "verify", base64.b64encode(raw).decode(), key, "credential_cose")
    assert tampered["result"] == "failure" and tampered["data"]["code"] == "invalidSignature"
    hex_encoded = adapter(tmp_path, "verify", base64.b64decode(issued["data"]).hex(), key, "credential_cose")
    assert hex_encoded["result"] == "failure", hex_encoded
    # a credential envelope presented as a presentation
    assert adapter(tmp_path, "verify", issued["data"], key, "presentation_cose")["data"]["code"] == \
        "mediaTypeMismatch"


def test_p521_keys_sign_and_verify_es512_jose_and_sd_jwt(tmp_path: Path) -> None:
    """The suite's tests 4 (JWT presentation), 18 (SD-JWT nested credential issuance) and 21 (its verification)
    use vm-p521.json: ES512 (RFC 7518) is a JOSE algorithm here as it is for COSE, only with a P-521 key."""
    key = key_file(tmp_path, "P-521")
    presentation = {"@context": CREDENTIAL["@context"], "type": ["VerifiablePresentation"],
                    "holder": "https://example.issuer/vc-jose-cose"}
    issued = adapter(tmp_path, "issue", json.dumps(presentation), key, "presentation_jose")
    assert issued["result"] == "success", issued
    header = json.loads(base64.urlsafe_b64decode(issued["data"].split(".")[0] + "=="))
    assert header["alg"] == "ES512" and header["typ"] == "vp+jwt"
    assert adapter(tmp_path, "verify", issued["data"], key, "presentation_jose")["result"] == "success"
    nested = {**CREDENTIAL, "credentialSubject": {"id": "did:example:123", "address": {"street": "1 Main St",
                                                                                        "city": "Anytown"},
                                                  "phoneNumbers": [{"number": "+1-555"}, {"number": "+1-556"}]}}
    paths = ["credentialSubject.address.street", "credentialSubject.address.city", "credentialSubject.phoneNumbers[0]"]
    issued = adapter(tmp_path, "issue", json.dumps(nested), key, "credential_sdjwt", sd=paths)
    assert issued["result"] == "success", issued
    verified = adapter(tmp_path, "verify", issued["data"], key, "credential_sdjwt")
    assert verified == {"result": "success", "data": nested}
    (tmp_path / "other").mkdir()
    other = key_file(tmp_path / "other", "P-521")  # a different P-521 key does not verify it
    assert adapter(tmp_path, "verify", issued["data"], other, "credential_sdjwt")["result"] == "failure"

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


def key_file(directory: Path) -> Path:
    """A P-384 key file as the suite writes them (vm-p384.json)."""
    private = ec.generate_private_key(ec.SECP384R1())
    numbers = private.private_numbers()
    public = {"kty": "EC", "crv": "P-384", "alg": "ES384", "kid": "thumbprint-not-a-did",
              "x": b64url_encode(numbers.public_numbers.x.to_bytes(48, "big")),
              "y": b64url_encode(numbers.public_numbers.y.to_bytes(48, "big"))}
    path = directory / "vm.json"
    path.write_text(json.dumps({"id": "https://example.issuer/vc-jose-cose#key-2", "type": "JsonWebKey",
                                "controller": "https://example.issuer/vc-jose-cose", "publicKeyJwk": public,
                                "secretKeyJwk": {**public, "d": b64url_encode(numbers.private_value.to_bytes(48,
                                                                                                             "big"))}}))
    return path


def adapter(directory: Path, command: str, data: str, key: Path, feature: str) -> dict[str, Any]:
    source, output = directory / "input", directory / "output.json"
    source.write_text(data)
    subprocess.run([sys.executable, str(ADAPTER), command, "--input", str(source), "--key", str(key),
                    "--feature", feature, "--output", str(output)], check=True, capture_output=True, timeout=60)
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

"""did:webvh identifiers: the method-specific-id rules and the DID-to-HTTPS transformation."""

from __future__ import annotations

import pytest

from vcnode.webvh.errors import WebvhError
from vcnode.webvh.identifier import did_for, parse_webvh_did

SCID = "QmPEQVM1JPTyrvEgBcDXwjK4TeyLGSX1PxjgyeAisdWM1p"


@pytest.mark.parametrize(("did", "log_url"), [
    # The spec's examples of the transformation.
    (f"did:webvh:{SCID}:example.com", "https://example.com/.well-known/did.jsonl"),
    (f"did:webvh:{SCID}:issuer.example.com", "https://issuer.example.com/.well-known/did.jsonl"),
    (f"did:webvh:{SCID}:example.com:dids:issuer", "https://example.com/dids/issuer/did.jsonl"),
    (f"did:webvh:{SCID}:example.com%3A3000:dids:issuer", "https://example.com:3000/dids/issuer/did.jsonl"),
    (f"did:webvh:{SCID}:example.com%3A3000", "https://example.com:3000/.well-known/did.jsonl"),
    # jp納豆.例.jp:用户, percent-encoded as a DID must be.
    (f"did:webvh:{SCID}:jp%E7%B4%8D%E8%B1%86.%E4%BE%8B.jp:%E7%94%A8%E6%88%B7",
     "https://xn--jp-cd2fp15c.xn--fsq.jp/%E7%94%A8%E6%88%B7/did.jsonl"),
    # The ABNF is case-insensitive: %3a is a port separator too.
    (f"did:webvh:{SCID}:example.com%3a8443", "https://example.com:8443/.well-known/did.jsonl"),
])
def test_did_to_https(did: str, log_url: str) -> None:
    parsed = parse_webvh_did(did)
    assert parsed.scid == SCID
    assert parsed.log_url() == log_url
    assert parsed.witness_url() == log_url.replace("did.jsonl", "did-witness.json")


@pytest.mark.parametrize("did", [
    # From didwebvh-test-suite's negative vectors (their SCID is a placeholder that is itself invalid).
    "did:webvh:Qm0000000000000000000000000000000000000000000000:example.com:..:..:admin",
    "did:webvh:Qm0000000000000000000000000000000000000000000000:127.0.0.1#x",
    # The same attacks with a well-formed SCID, so the domain and path rules are what rejects them.
    f"did:webvh:{SCID}:example.com:..:admin",
    f"did:webvh:{SCID}:example.com:%2E%2E:admin",
    f"did:webvh:{SCID}:example.com:%2e%2e:admin",
    f"did:webvh:{SCID}:example.com:a%2Fb",
    f"did:webvh:{SCID}:example.com:a%5Cb",
    f"did:webvh:{SCID}:example.com:a%00b",
    f"did:webvh:{SCID}:example.com:%20a",
    f"did:webvh:{SCID}:example.com::a",
    f"did:webvh:{SCID}:127.0.0.1",
    f"did:webvh:{SCID}:127.0.0.1%3a8080",
    f"did:webvh:{SCID}:127%2E0%2E0%2E1",
    f"did:webvh:{SCID}:169%2E254%2E169%2E254",
    f"did:webvh:{SCID}:0x7f.1",
    f"did:webvh:{SCID}:example.2130706433",
    f"did:webvh:{SCID}:localhost",
    f"did:webvh:{SCID}:example.com%3A0",
    f"did:webvh:{SCID}:example.com%3A65536",
    f"did:webvh:{SCID}:example.com%3A80%3A81",
    f"did:webvh:{SCID}:exa_mple.com",
    f"did:webvh:{SCID}:-example.com",
    f"did:webvh:{SCID}:example..com",
    f"did:webvh:{SCID}:" + "a" * 64 + ".com",
    f"did:webvh:{SCID}:%FF.example.com",
    f"did:webvh:{SCID}",
    f"did:webvh:{SCID}:example.com/path",
    f"did:webvh:{SCID}:example.com?versionId=1",
    "did:webvh:{SCID}:example.com",
    "did:webvh:QmPEQVM1JPTyrvEgBcDXwjK4TeyLGSX1PxjgyeAisdWM1:example.com",
    "did:webvh:QmPEQVM1JPTyrvEgBcDXwjK4TeyLGSX1PxjgyeAisdWM1pl:example.com",
    f"did:web:{SCID}:example.com",
])
def test_invalid_dids_are_rejected(did: str) -> None:
    with pytest.raises(WebvhError) as caught:
        parse_webvh_did(did)
    assert caught.value.code == "invalidDidSyntax"
    assert caught.value.resolution_error == "invalidDid"


def test_development_hosts_are_allowed_only_when_configured() -> None:
    did = f"did:webvh:{SCID}:127.0.0.1%3A8080:dids:a"
    with pytest.raises(WebvhError):
        parse_webvh_did(did)
    parsed = parse_webvh_did(did, allow_hosts=frozenset({"127.0.0.1"}))
    assert parsed.log_url(plain_http=True) == "http://127.0.0.1:8080/dids/a/did.jsonl"
    assert parsed.base_url(plain_http=True) == "http://127.0.0.1:8080/dids/a"


def test_did_for_writes_the_canonical_form() -> None:
    assert did_for("example.com:8443", ("issuers", "a b")) == "did:webvh:{SCID}:example.com%3A8443:issuers:a%20b"
    assert did_for("example.com", scid=SCID) == f"did:webvh:{SCID}:example.com"
    assert parse_webvh_did(did_for("example.com", ("x~y",), SCID)).path == ("x~y",)

"""How the verify page tells apart a compact string it is given (vcnode.web.verify_input): by its JWS header's
``typ`` — VC-JOSE-COSE envelopes, SD-JWT VCs (also under the pre-2025 ``vc+sd-jwt`` typ), VC-JWT 1.1."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest

from vcnode.web.verify_input import classify_compact, data_url_envelope, json_kind


def _b64(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).rstrip(b"=").decode()


def token(header: dict[str, Any], payload: dict[str, Any], tail: str = "") -> str:
    return f"{_b64(header)}.{_b64(payload)}.c2ln{tail}"


CREDENTIAL = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}


@pytest.mark.parametrize(("header", "payload", "tail", "kind", "media_type"), [
    ({"typ": "vc+jwt"}, CREDENTIAL, "", "credential", "application/vc+jwt"),
    ({"typ": "application/vp+jwt"}, CREDENTIAL, "", "presentation", "application/vp+jwt"),
    ({"typ": "vc+sd-jwt"}, CREDENTIAL, "~", "credential", "application/vc+sd-jwt"),
    ({"typ": "dc+sd-jwt"}, {"vct": "x"}, "~", "sd-jwt", None),
    # SD-JWT VC drafts before -06 used vc+sd-jwt: a vct and no @context is one, not a W3C credential
    ({"typ": "vc+sd-jwt"}, {"vct": "x", "iss": "did:example:i"}, "~", "sd-jwt", None),
    ({"typ": "JWT"}, {"vc": CREDENTIAL, "iss": "did:example:i"}, "", "credential", "application/jwt"),
    ({}, {"vp": {"type": ["VerifiablePresentation"]}}, "", "presentation", "application/jwt"),
    ({"typ": "JWT"}, {"iss": "x"}, "", "no-credential", None),
])
def test_a_compact_string_is_classified_by_its_typ(header: dict[str, Any], payload: dict[str, Any], tail: str,
                                                   kind: str, media_type: str | None) -> None:
    found = classify_compact(token({"alg": "EdDSA", **header}, payload, tail))
    assert (found.kind, found.media_type) == (kind, media_type)
    if media_type is not None and media_type != "application/jwt":
        assert found.document["id"].startswith(f"data:{media_type},")
        assert found.document["type"] == ("EnvelopedVerifiablePresentation" if kind == "presentation"
                                          else "EnvelopedVerifiableCredential")


def test_unreadable_header_and_kinds_of_json_and_data_urls() -> None:
    assert classify_compact("bm90IGpzb24.e30.c2ln").kind == "unreadable"
    assert json_kind({"type": "EnvelopedVerifiablePresentation"}) == "presentation"
    assert json_kind({"type": ["EnvelopedVerifiableCredential"]}) == "credential"
    assert data_url_envelope("data:application/vp+jwt,a.b.c", 100)[0] == "presentation"
    assert data_url_envelope("data:application/vc+cose;base64,AAAA", 100)[0] == "credential"

"""The verify page with enveloped credentials (VC-JOSE-COSE and VC-JWT 1.1), over a real node's HTTP app as a
visitor's browser posts the form: a pasted vc+jwt / vc+sd-jwt / VC-JWT 1.1 string, a pasted data: URL, an
uploaded ``EnvelopedVerifiableCredential`` JSON or binary COSE file, an enveloped presentation; each shown with
its claims and how it came sealed. A forged envelope is not verified and says why; garbage gets a clear,
translated error on the form (4xx, never a 500)."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from tests.builders import badge, did_key_signer
from tests.integration.test_verify_page import csrf_token, post_form, visible_text
from vcnode import i18n
from vcnode.envelopes import seal
from vcnode.keys.signer import SigningKey
from vcnode.node import Node

V2 = "https://www.w3.org/ns/credentials/v2"
SEALED = "Sealed in an envelope"


def issuer() -> tuple[SigningKey, str]:
    key = did_key_signer()
    return key, key.verification_method.split("#", 1)[0]


def compact(media_type: str, signer: SigningKey, document: dict[str, Any], kind: str = "credential") -> str:
    """``document`` sealed as ``media_type``: the string inside its data: URL (a JWS, an SD-JWT)."""
    return seal(document, signer, media_type, kind=kind)["id"].split(",", 1)[1]  # type: ignore[arg-type]


def verdict_of(html: str) -> str:
    text = html.split('data-state="', 1)
    return text[1].split('"', 1)[0] if len(text) > 1 else ""


def assert_shown(html: str, media_type: str, did: str) -> None:
    """The page verified the badge, shows its claims, and says it came sealed as ``media_type`` by ``did``."""
    assert verdict_of(html) == "passed", visible_text(html)[:3000]
    text = visible_text(html)
    assert "Data Analytics Fundamentals" in text and "Harbour City Polytechnic" in text
    assert "did:example:learner-7" in text
    assert SEALED in text and media_type in text and f"Signed by: {did}" in text
    assert "signed by Harbour City Polytechnic; the envelope opened and its signature is valid" in text


@pytest.mark.parametrize("media_type", ["application/vc+jwt", "application/vc+sd-jwt"])
async def test_a_pasted_jose_string_is_verified_and_shown(web_node: Node, client: TestClient,
                                                          media_type: str) -> None:
    key, did = issuer()
    token = compact(media_type, key, badge(did))
    assert not token.startswith("data:") and "." in token
    status, html = await post_form(client, token=await csrf_token(client), document=token, way="paste")
    assert status == 200, html
    assert_shown(html, media_type, did)


async def test_a_vc_jwt_1_1_file_is_verified_and_shown(web_node: Node, client: TestClient) -> None:
    key, did = issuer()
    token = compact("application/jwt", key, badge(did))
    status, html = await post_form(client, token=await csrf_token(client), way="file",
                                   file=("badge.jwt", token.encode()))
    assert status == 200, html
    assert_shown(html, "application/jwt", did)
    assert "VC Data Model 1.1" in visible_text(html)


async def test_a_pasted_data_url_is_verified_and_shown(web_node: Node, client: TestClient) -> None:
    key, did = issuer()
    url = seal(badge(did), key, "vc+jwt")["id"]
    status, html = await post_form(client, token=await csrf_token(client), document=url, way="paste")
    assert status == 200, html
    assert_shown(html, "application/vc+jwt", did)


async def test_an_uploaded_cose_envelope_json_and_binary(web_node: Node, client: TestClient) -> None:
    key, did = issuer()
    enveloped = seal(badge(did), key, "vc+cose")
    status, html = await post_form(client, token=await csrf_token(client), way="file",
                                   file=("badge.json", orjson.dumps(enveloped)))
    assert status == 200, html
    assert_shown(html, "application/vc+cose", did)
    # The COSE_Sign1 bytes themselves, as a .cose file.
    raw = base64.b64decode(enveloped["id"].split(",", 1)[1])
    status, html = await post_form(client, token=await csrf_token(client), way="file", file=("badge.cose", raw))
    assert status == 200, html
    assert_shown(html, "application/vc+cose", did)


async def test_an_enveloped_presentation_shows_its_credentials(web_node: Node, client: TestClient) -> None:
    key, did = issuer()
    learner = did_key_signer("P-256")
    learner_did = learner.verification_method.split("#")[0]
    credential = badge(did)
    credential["credentialSubject"]["id"] = learner_did
    vp = {"@context": [V2], "type": ["VerifiablePresentation"], "holder": learner_did,
          "verifiableCredential": [seal(credential, key, "vc+jwt")]}
    enveloped = seal(vp, learner, "vp+jwt", kind="presentation")
    status, html = await post_form(client, token=await csrf_token(client), document=orjson.dumps(enveloped).decode())
    assert status == 200, html
    text = visible_text(html)
    assert "The presentation" in text and "Data Analytics Fundamentals" in text
    assert "The presentation came sealed whole in" in text and "application/vp+jwt" in text
    assert f"Signed by: {learner_did}" in text and "application/vc+jwt" in text
    assert 'id="credential-1"' in html and 'id="credential-2"' not in html
    # The same presentation as a pasted vp+jwt string.
    token = enveloped["id"].split(",", 1)[1]
    status, html = await post_form(client, token=await csrf_token(client), document=token)
    assert status == 200 and "application/vp+jwt" in visible_text(html) and 'id="credential-1"' in html


async def test_a_forged_envelope_is_not_verified_and_says_why(web_node: Node, client: TestClient) -> None:
    _key, did = issuer()
    mallory = did_key_signer()
    forged = compact("application/vc+jwt", mallory, badge(did))  # the issuer's badge, signed by someone else
    status, html = await post_form(client, token=await csrf_token(client), document=forged)
    assert status == 200, html
    assert verdict_of(html) == "failed"
    text = visible_text(html)
    assert SEALED in text and "could not be opened and checked" in text and "application/vc+jwt" in text
    # One character of a genuine one changed.
    key, did = issuer()
    header, payload, signature = compact("application/vc+jwt", key, badge(did)).split(".")
    tampered = f"{header}.{payload[:-4]}AAAA.{signature}"
    status, html = await post_form(client, token=await csrf_token(client), document=tampered)
    assert status == 200 and verdict_of(html) == "failed" and "Data Analytics Fundamentals" not in html


def _b64(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).rstrip(b"=").decode()


@pytest.mark.parametrize(("given", "status", "message"), [
    ("abc.def", 400, "This is not a credential this page reads"),
    ("not json at all", 400, "This is not a credential this page reads"),
    (f"{_b64({'alg': 'EdDSA'})}.{_b64({'iss': 'x'})}.c2ln", 422, "it carries no credential or presentation"),
    ("bm90IGpzb24.e30.c2ln", 422, "its header cannot be read"),
    ("data:text/plain,hello", 422, "does not read credentials of the type text/plain"),
    (f"data:application/vc+unknown,{_b64({'alg': 'EdDSA', 'typ': 'x'})}.e30.c2ln", 422,
     "does not read credentials of the type application/vc+unknown"),
    ("data:nonsense", 400, "This data: URL is malformed"),
    (f"{_b64({'alg': 'EdDSA', 'typ': 'vc+jwt+unknown'})}.e30.c2ln", 422, "it carries no credential"),
])
async def test_unrecognised_text_gets_a_clear_error(web_node: Node, client: TestClient, given: str, status: int,
                                                     message: str) -> None:
    answer, html = await post_form(client, token=await csrf_token(client), document=given, way="paste")
    assert answer == status, html
    assert 'role="alert"' in html and message in html


async def test_binary_garbage_and_the_errors_in_chinese(web_node: Node, client: TestClient) -> None:
    status, html = await post_form(client, token=await csrf_token(client), way="file",
                                   file=("x.bin", b"\xff\xfe\x00garbage\x80"))
    assert status == 400 and 'role="alert"' in html and "a data: URL or a COSE file" in html
    zh = i18n.translations("zh_Hant_HK").gettext
    await client.get("/?lang=zh-Hant-HK")  # the language is kept for the session's next pages
    for given, english in [
        ("abc.def", "This is not a credential this page reads: give JSON, a JWT or SD-JWT, or a data: URL "
                    "(paste the credential itself)."),
        ("data:text/plain,hello", "This node does not read credentials of the type %(media_type)s.")]:
        form_token = await csrf_token(client)
        status, html = await post_form(client, token=form_token, document=given, way="paste")
        assert status in (400, 422)
        translated = zh(english)
        assert translated != english
        assert translated.split("%(")[0] in html, html

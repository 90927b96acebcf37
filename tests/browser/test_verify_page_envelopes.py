"""The verify page in a real browser (Debian Chromium) with an enveloped credential: an HR person pastes a
``vc+jwt`` string (VC-JOSE-COSE) and sees the same clear result as for a Data Integrity badge — the badge's
claims, the verdict, and in plain words that it came sealed as a JSON Web Token and who signed it — in English
and Traditional Chinese (Hong Kong). A forged one is not verified. axe-core finds no WCAG 2 A/AA violation;
screenshots go to artifacts/screenshots/verify-envelope-*.png."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.browser.harness import axe_violations, open_page, screenshot
from tests.browser.test_verify_page import LANGS, paste_and_verify, verdict, watch, words
from tests.builders import badge, did_key_signer
from tests.ops_node import OpsNode
from vcnode.envelopes import seal


@pytest.fixture(scope="module")
def envelope_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpsNode]:
    started = OpsNode(tmp_path_factory.mktemp("verify-envelope"), {})
    started.start()
    try:
        yield started
    finally:
        started.stop()


@pytest.mark.parametrize("lang", LANGS)
def test_a_pasted_vc_jwt_string_is_verified_in_plain_words(browser: Browser, envelope_node: OpsNode, lang: str) -> None:
    _ = words(lang)
    key = did_key_signer()
    did = key.verification_method.split("#", 1)[0]
    token = seal(badge(did), key, "vc+jwt")["id"].removeprefix("data:application/vc+jwt,")
    page = open_page(browser, lang)
    dialogs, _outside = watch(page)
    page.goto(envelope_node.url + "/")
    paste_and_verify(page, token)
    assert verdict(page) == "passed"
    assert _("Verified") in page.locator("#verdict h2").inner_text()
    card = page.locator("article.credential").first
    assert "Data Analytics Fundamentals" in card.locator("h3").inner_text()
    assert card.locator("dd.issuer .party-name").inner_text() == "Harbour City Polytechnic"
    sealed = card.locator("ul.checks > li").filter(has_text=_("Sealed in an envelope"))
    assert sealed.count() == 1 and sealed.locator(".mark").inner_text() == "✓"
    text = sealed.inner_text()
    assert _("a JSON Web Token (JOSE)") in text and "application/vc+jwt" in text
    assert (_("Signed by: %(did)s") % {"did": did}) in text
    assert axe_violations(page) == []
    screenshot(page, f"verify-envelope-{lang}")
    # The same badge signed by someone else: not verified, the envelope says why.
    forged = seal(badge(did), did_key_signer(), "vc+jwt")["id"].removeprefix("data:application/vc+jwt,")
    page.goto(envelope_node.url + "/")
    paste_and_verify(page, forged)
    assert verdict(page) == "failed"
    sealed = page.locator("article.credential ul.checks > li").filter(has_text=_("Sealed in an envelope"))
    assert sealed.count() == 1 and sealed.locator(".mark").inner_text() == "✕"
    assert axe_violations(page) == []
    screenshot(page, f"verify-envelope-forged-{lang}")
    assert dialogs == []

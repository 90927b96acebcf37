"""The verify page in a real browser (Debian Chromium), in English and Traditional Chinese (Hong Kong): a pasted
badge verified with its issuer's name; a tampered file, dropped and chosen, not verified with the reason; a
revoked badge; a recognised Hong Kong badge on a New Zealand employer's node with the path in words and
HKQF 4 ↔ NZQCF 6; an XSS badge whose text shows literally and runs no script; an error state. axe-core finds
no WCAG 2 A/AA violation in any state; screenshots go to artifacts/screenshots/verify-*.png.

One node plays every party (examples, not official): its default identity is the New Zealand regulator and its
trust anchor; the Hong Kong regulator and provider are identities it also holds (one node: few and fast).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.harness import axe_violations, open_page, screenshot
from tests.builders import badge
from tests.ops_node import OpsNode
from vcnode import i18n
from vcnode.trust.examples import example_badge, example_documents

LANGS = ["en", "zh-Hant-HK"]
XSS = '<script>alert("xss")</script><img src=x onerror="alert(1)">'


@dataclass
class World:
    """The node, an issuing token, and the DIDs of the parties it plays."""

    node: OpsNode
    token: str
    dids: dict[str, str]

    def issue(self, credential: dict[str, Any], options: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self.node.call("POST", "/credentials/issue", {"credential": credential, "options": options or {}},
                                {"Authorization": f"Bearer {self.token}"})
        assert answer.status == 201, answer.body
        return answer.json()["verifiableCredential"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    node = OpsNode(tmp_path_factory.mktemp("verify"), {"VCNODE_STATUS_LIST_TTL": "1"})
    dids = {"nz-regulator": node.did}
    for role in ("hk-regulator", "hk-provider"):
        dids[role] = node.cli("identity", "create", "--did-method", "key", "--name", role).strip()
    node.cli("trust", "anchors", "add", node.did)
    token = node.token("issue,status")
    node.start()
    try:
        for document in example_documents(dids, ("frameworks", "accreditations", "agreements")):
            answer = node.call("POST", "/trust/statements", {"statement": document},
                               {"Authorization": f"Bearer {token}"})
            assert answer.status == 201, answer.body
        yield World(node, token, dids)
    finally:
        node.stop()


def words(lang: str) -> Any:
    """The page's words in ``lang`` (what a reader of that language sees)."""
    return i18n.translations("zh_Hant_HK" if lang != "en" else "en").gettext


def watch(page: Page) -> tuple[list[str], list[str]]:
    """Dialogs opened (an alert() that ran) and requests to anywhere but the node."""
    dialogs: list[str] = []
    outside: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return dialogs, outside


def open_verify(browser: Browser, world: World, lang: str) -> tuple[Page, list[str], list[str]]:
    page = open_page(browser, lang)
    dialogs, outside = watch(page)
    page.on("request", lambda request: None if request.url.startswith((world.node.url, "data:"))
            else outside.append(request.url))
    page.goto(world.node.url + "/")
    return page, dialogs, outside


def paste_and_verify(page: Page, document: Any) -> None:
    page.fill("#document", document if isinstance(document, str) else json.dumps(document))
    page.click("#way-paste button[type=submit]")
    page.wait_for_selector("#verdict")


def verdict(page: Page) -> str:
    return page.locator("#verdict").get_attribute("data-state") or ""


def check_state(page: Page, name: str) -> None:
    """No WCAG 2 A/AA violation in this state, and a screenshot of it."""
    assert axe_violations(page) == []
    screenshot(page, name)


@pytest.mark.parametrize("lang", LANGS)
def test_a_pasted_badge_is_verified_with_its_issuers_name(browser: Browser, world: World, lang: str) -> None:
    _ = words(lang)
    signed = world.issue(badge(world.node.did, f"urn:uuid:00000000-0000-4000-8000-0000000b{LANGS.index(lang):04d}"))
    page, dialogs, outside = open_verify(browser, world, lang)
    assert page.locator("html").get_attribute("lang") == lang
    check_state(page, f"verify-form-{lang}")
    paste_and_verify(page, signed)
    assert verdict(page) == "passed"
    assert page.locator("#verdict").get_attribute("role") == "status"
    assert _("Verified") in page.locator("#verdict h2").inner_text()
    card = page.locator("article.credential").first
    assert "Data Analytics Fundamentals" in card.locator("h3").inner_text()
    issuer = card.locator("dd.issuer")
    assert issuer.locator(".party-name").inner_text() == "Harbour City Polytechnic"
    assert issuer.locator("code.did").inner_text() == world.node.did
    assert _("Valid: neither revoked nor suspended.") in card.inner_text() or \
        _("No status list: the issuer has not given itself a way to revoke this credential.") in card.inner_text()
    check_state(page, f"verify-valid-{lang}")
    page.locator("details.report summary").click()
    assert '"verified": true' in page.locator("pre.json").inner_text()
    assert page.locator("#print-result").is_visible()  # the script ran: the Print button is shown
    assert dialogs == [] and outside == []


@pytest.mark.parametrize("lang", LANGS)
def test_a_tampered_file_is_not_verified_with_the_reason(browser: Browser, world: World, lang: str,
                                                         tmp_path: Path) -> None:
    _ = words(lang)
    signed = world.issue(badge(world.node.did, f"urn:uuid:00000000-0000-4000-8000-0000000c{LANGS.index(lang):04d}"))
    signed["credentialSubject"]["achievement"]["name"] = "Advanced Data Science"
    tampered = json.dumps(signed)
    page, dialogs, _outside = open_verify(browser, world, lang)
    # Dropped on the drop zone (the script fills the file input) ...
    page.evaluate("""(text) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([text], "tampered-badge.json", {type: "application/json"}));
        const zone = document.getElementById("drop-zone");
        for (const name of ["dragenter", "dragover", "drop"]) {
            zone.dispatchEvent(new DragEvent(name, {dataTransfer: transfer, bubbles: true, cancelable: true}));
        }
    }""", tampered)
    assert "tampered-badge.json" in page.locator("#file-status").inner_text()
    page.click("#way-file button[type=submit]")
    page.wait_for_selector("#verdict")
    assert verdict(page) == "failed" and _("Not verified") in page.locator("#verdict").inner_text()
    reason = _("The signature does not match: the credential was changed after it was signed, or it was not "
               "signed with the key it names.")
    assert reason in page.locator("article.credential").inner_text()
    check_state(page, f"verify-tampered-{lang}")
    # ... and chosen with the file input, as without the script.
    path = tmp_path / "tampered.json"
    path.write_text(tampered)
    page.goto(world.node.url + "/")
    page.set_input_files("#file", str(path))
    page.click("#way-file button[type=submit]")
    page.wait_for_selector("#verdict")
    assert verdict(page) == "failed" and reason in page.locator("article.credential").inner_text()
    assert dialogs == []


@pytest.mark.parametrize("lang", LANGS)
def test_a_revoked_badge_is_shown_revoked(browser: Browser, world: World, lang: str) -> None:
    _ = words(lang)
    credential_id = f"urn:uuid:00000000-0000-4000-8000-0000000d{LANGS.index(lang):04d}"
    signed = world.issue(badge(world.node.did, credential_id), {"statusPurpose": "revocation"})
    answer = world.node.call("POST", "/credentials/status", {
        "credentialId": credential_id, "credentialStatus": {"type": "BitstringStatusListEntry",
                                                            "statusPurpose": "revocation"}, "status": True},
        {"Authorization": f"Bearer {world.token}"})
    assert answer.status == 200, answer.body
    page, _dialogs, _outside = open_verify(browser, world, lang)
    paste_and_verify(page, signed)
    assert verdict(page) == "failed"
    status = page.locator("article.credential ul.checks > li").filter(has_text=_("Revoked by the issuer."))
    assert status.count() == 1 and status.locator(".mark").inner_text() == "✕"
    assert _("Failed") in status.inner_text()  # the state in words, not colour alone
    check_state(page, f"verify-revoked-{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_a_recognised_hong_kong_badge_on_a_new_zealand_node(browser: Browser, world: World, lang: str) -> None:
    _ = words(lang)
    signed = world.issue(example_badge(
        "hk-cloud-data", issuer=world.dids["hk-provider"], learner_id="did:example:learner-aroha",
        credential_id=f"urn:uuid:00000000-0000-4000-8000-0000000e{LANGS.index(lang):04d}"))
    page, _dialogs, _outside = open_verify(browser, world, lang)
    paste_and_verify(page, signed)
    assert verdict(page) == "passed"
    recognition = page.locator("section.recognition")
    sentence = _("Recognised by %(anchor)s's agreement with %(regulator)s, which accredits %(provider)s for "
                 "%(scope)s.") % {"anchor": "Example New Zealand qualifications authority",
                                  "regulator": "Example Hong Kong qualifications authority",
                                  "provider": "Victoria Harbour Institute (example)", "scope": "HKQF ≤ 4"}
    assert recognition.locator(".path-sentence").inner_text() == sentence
    assert recognition.locator(".equivalence").inner_text() == "HKQF 4 ↔ NZQCF 6"
    assert recognition.locator("ol.steps > li").count() == 2
    for did in world.dids.values():
        assert recognition.locator("code.did", has_text=did).count() >= 1
    check_state(page, f"verify-recognised-{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_an_xss_badge_runs_no_script_and_shows_its_text(browser: Browser, world: World, lang: str) -> None:
    credential = badge(world.node.did)
    credential["issuer"]["name"] = "Issuer " + XSS
    subject = credential["credentialSubject"]
    subject["name"] = "Learner " + XSS
    subject["achievement"].update(name="Badge " + XSS, description="Description " + XSS,
                                  criteria={"narrative": "Criteria " + XSS},
                                  image={"id": "javascript:alert(2)", "type": "Image"})
    page, dialogs, outside = open_verify(browser, world, lang)
    paste_and_verify(page, credential)
    card = page.locator("article.credential")
    assert card.locator("h3").inner_text() == "Badge " + XSS
    for label in ("Issuer", "Learner", "Description", "Criteria"):
        assert card.get_by_text(label + " " + XSS, exact=True).count() >= 1, label
    assert page.locator("article.credential img").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == [] and outside == []
    check_state(page, f"verify-xss-{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_a_refused_address_is_an_error_state(browser: Browser, world: World, lang: str) -> None:
    _ = words(lang)
    page, _dialogs, _outside = open_verify(browser, world, lang)
    page.fill("#url", "https://10.0.0.1/badge.json")
    page.click("#way-url button[type=submit]")
    error = page.locator("#verify-error")
    assert error.get_attribute("role") == "alert"
    assert _("This node does not fetch from that address (it fetches only public https addresses): %(reason)s"
             ).split("%(reason)s")[0] in error.inner_text()
    assert page.locator("#url").input_value() == "https://10.0.0.1/badge.json"
    check_state(page, f"verify-error-{lang}")


def test_the_page_works_without_javascript(browser: Browser, world: World) -> None:
    signed = world.issue(badge(world.node.did, "urn:uuid:00000000-0000-4000-8000-0000000f0001"))
    page = open_page(browser, "en", java_script_enabled=False)
    page.goto(world.node.url + "/")
    page.fill("#document", json.dumps(signed))
    page.click("#way-paste button[type=submit]")
    page.wait_for_selector("#verdict")
    assert page.url == world.node.url + "/verify"  # the form posted: a new page
    assert verdict(page) == "passed"
    assert not page.locator("#print-result").is_visible()  # printing is the browser's own without the script
    # The result page's language links lead back to the form in that language.
    page.click("nav.languages a[hreflang=zh-Hant-HK]")
    assert page.url.startswith(world.node.url + "/") and page.locator("html").get_attribute("lang") == "zh-Hant-HK"
    assert page.locator("#verify-form").is_visible()

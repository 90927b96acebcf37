"""The desk's trust page in a real browser, in both languages: a regulator publishes an accreditation from the
form, sees it listed with its signature verified and in force, withdraws it with a reason and sees it
withdrawn. No WCAG 2 A/AA violation before, after publishing or after withdrawing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser.desk_session import log_in
from tests.browser.harness import axe_violations, open_page, screenshot
from tests.ops_node import OpsNode

PROVIDER = "did:web:harbour-institute.example"


@pytest.mark.parametrize("lang", ["en", "zh-Hant-HK"])
def test_publish_see_verified_withdraw_see_withdrawn(browser: Browser, node: OpsNode, lang: str) -> None:
    token = node.token("issue,status")
    page = open_page(browser, lang)
    log_in(page, node, token, "/desk/trust")
    assert page.url.startswith(node.url + "/desk/trust")
    assert page.locator("article.statement").count() == 0
    assert axe_violations(page) == []
    screenshot(page, f"trust-form-{lang}")

    page.check("#kind-accreditation")
    page.fill("#issuer_name", "Hong Kong Regulator (example)")
    page.fill("#subject", PROVIDER)
    page.fill("#subject_name", "Harbour Institute")
    page.fill("#framework", "https://vcnode.dev/examples/frameworks/hkqf")
    page.fill("#max_level", "4")
    page.fill("#fields", "Information and Communication Technologies (ISCED-F 06)\nBusiness and administration")
    page.fill("#jurisdiction", "HK")
    page.fill("#valid_until", "2030-12-31")
    page.click("#publish-form button[type=submit]")
    page.wait_for_selector("#trust-done")
    statement = page.locator("article.statement", has_text=PROVIDER)
    assert statement.count() == 1
    assert statement.locator('[data-check="proof"]').get_attribute("data-code") == "verified"
    assert statement.locator('[data-check="status"]').get_attribute("data-code") == "valid"
    text = statement.inner_text()
    assert "Harbour Institute" in text and "Hong Kong Regulator (example)" in text
    assert ("Signature verified" if lang == "en" else "簽署已核實") in text
    assert page.locator("#trust-done").get_attribute("role") == "status"
    assert axe_violations(page) == []
    screenshot(page, f"trust-published-{lang}")

    statement.locator("input[name=reason]").fill("The provider closed its ICT school.")
    statement.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "done=withdrawn" in url)
    statement = page.locator("article.statement", has_text=PROVIDER)
    assert statement.locator('[data-check="status"]').get_attribute("data-code") == "withdrawn"
    assert ("Withdrawn by its issuer" if lang == "en" else "已由發出者撤回") in statement.inner_text()
    assert statement.locator("button[type=submit]").count() == 0  # nothing left to withdraw
    assert axe_violations(page) == []
    screenshot(page, f"trust-withdrawn-{lang}")
    log = node.cli("status", "log", "--json")
    assert "The provider closed its ICT school." in log

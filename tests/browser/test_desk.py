"""The institution desk in a real browser, in both languages: log in, issue one badge from the form (after a
refused attempt), find it by searching, suspend then unsuspend it, revoke it with a reason (after the
confirmation), see it in the audit log, and check through the JSON API that it is now revoked; a claim link for
an achievement chosen from those issued before. axe-core finds no WCAG 2 A/AA violation on any page; each page
is saved as a screenshot."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.desk_session import log_in
from tests.browser.harness import axe_violations, open_page, screenshot
from tests.ops_node import OpsNode


def check(page: Page, name: str) -> None:
    """No axe violation on the page as it is now, and a screenshot of it."""
    assert axe_violations(page) == [], name
    screenshot(page, name)


def change_status(page: Page, action: str, reason: str) -> None:
    page.fill("#reason", reason)
    page.click(f"button[name=action][value={action}]")


@pytest.mark.parametrize("lang", ["en", "zh-Hant-HK"])
def test_issue_find_suspend_revoke_and_audit(browser: Browser, node: OpsNode, lang: str) -> None:
    page = open_page(browser, lang)
    log_in(page, node, node.token("issue,status,read,exchange"))
    assert page.locator("html").get_attribute("lang") == lang
    check(page, f"desk-home-{lang}")

    # The form: a first attempt without the achievement's name is refused, naming the field.
    page.click("nav.desk-nav a[href='/desk/issue']")
    check(page, f"desk-issue-{lang}")
    page.fill("#achievement_description", "Can clean, chart and explain a data set.")
    page.fill("#achievement_criteria", "Passed the final project, assessed by two tutors.")
    page.select_option("#achievement_type", "Badge")
    page.fill("#learner_name", "陳大文 Chan Tai Man")
    page.fill("#learner_email", "taiman@example.org")
    page.check("#delivery-sign")
    page.click("form.card button[type=submit]")
    assert page.locator("#form-errors").is_visible()
    assert page.locator("#achievement_name").get_attribute("aria-invalid") == "true"
    check(page, f"desk-issue-errors-{lang}")
    page.fill("#achievement_name", "Data Analysis Basics")
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/desk/issued?**")
    assert page.locator("#issued[role=status]").is_visible()
    credential_id = parse_qs(urlsplit(page.url).query)["id"][0]
    check(page, f"desk-issued-{lang}")

    # Found by searching for part of the learner's name, with its status.
    page.click("nav.desk-nav a[href='/desk/credentials']")
    page.fill("#q", "大文")
    page.click("form.search button[type=submit]")
    assert page.locator("table.credentials tbody tr").count() == 1
    assert page.locator("table.credentials .tag.good").is_visible()
    check(page, f"desk-credentials-{lang}")
    page.click("table.credentials tbody a")
    assert credential_id in page.content()
    check(page, f"desk-credential-{lang}")

    # Suspend, then unsuspend, each with a reason.
    change_status(page, "suspend", "Under review: complaint received")
    assert page.locator("#done[role=status]").is_visible()
    assert page.locator("#current-status .tag.warn").is_visible()
    check(page, f"desk-credential-suspended-{lang}")
    change_status(page, "unsuspend", "Review finished: no issue")
    assert page.locator("#current-status .tag.good").is_visible()

    # Revoke: the confirmation says it cannot be undone; then it is revoked and no action is left.
    change_status(page, "revoke", "Issued to the wrong learner")
    assert page.locator("#irreversible[role=alert]").is_visible()
    check(page, f"desk-revoke-{lang}")
    page.click("#confirm-revoke")
    assert page.locator("#current-status .tag.bad").is_visible()
    assert page.locator("#status-form").count() == 0

    # The audit log: newest first, the revocation with its reason and the token that made it.
    page.click("nav.desk-nav a[href='/desk/audit']")
    rows = page.locator("table.audit tbody tr")
    assert rows.count() == 3
    assert "Issued to the wrong learner" in rows.first.inner_text()
    assert "Review finished: no issue" in rows.nth(1).inner_text()
    check(page, f"desk-audit-{lang}")

    # Through the JSON API: the downloaded badge is now revoked.
    download = page.request.get(node.url + "/desk/credential.json?id=" + credential_id)
    assert download.ok and "attachment" in download.headers["content-disposition"]
    answer = page.request.post(node.url + "/credentials/verify",
                               data={"verifiableCredential": download.json()})
    report = answer.json()
    assert answer.status == 400 and not report["verified"]
    assert [error["code"] for error in report["errors"]] == ["revoked"]

    # A claim link for the achievement issued before, chosen from the list (the typed fields hide).
    page.click("nav.desk-nav a[href='/desk/issue']")
    page.select_option("#achievement_choice", label=page.locator("#achievement_choice option").nth(1).inner_text())
    assert page.locator("#achievement-new").is_hidden()
    page.fill("#learner_name", "Lee Siu Ming")
    page.fill("#learner_email", "siuming@example.org")
    page.check("#delivery-claim")
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/desk/claim?**")
    assert page.locator("#claim-qr").evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.locator("#tx-code").inner_text().isdigit()
    assert "Data Analysis Basics" in page.content()
    check(page, f"desk-claim-{lang}")

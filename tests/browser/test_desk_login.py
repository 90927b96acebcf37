"""The desk's login in a real browser: refused without a session, a bad token or the CSRF token; a good token
opens it; logging out closes it. Both languages; no WCAG 2 A/AA violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser.desk_session import log_in
from tests.browser.harness import axe_violations, open_page, screenshot
from tests.ops_node import OpsNode


@pytest.mark.parametrize("lang", ["en", "zh-Hant-HK"])
def test_login_and_logout(browser: Browser, node: OpsNode, lang: str) -> None:
    token = node.token("issue,status")
    page = open_page(browser, lang)
    page.goto(node.url + "/desk")
    assert "/desk/login?next=%2Fdesk" in page.url
    assert axe_violations(page) == []
    screenshot(page, f"desk-login-{lang}")
    page.fill("#token", "vcn_" + "A" * 43)
    page.click("form.card button[type=submit]")
    assert page.locator("#login-error").is_visible()
    assert page.locator("#token").get_attribute("aria-invalid") == "true"
    log_in(page, node, token)
    assert page.url == node.url + "/desk"
    assert node.did in page.content()
    assert axe_violations(page) == []
    page.click("header form button[type=submit]")  # log out
    page.goto(node.url + "/desk")
    assert "/desk/login" in page.url


def test_forms_need_the_csrf_token(browser: Browser, node: OpsNode) -> None:
    token = node.token("issue")
    page = open_page(browser)
    log_in(page, node, token)
    # The browser's own cookies, a form without the CSRF field: refused, and the session stays.
    answer = page.request.post(node.url + "/desk/logout", form={"x": "1"}, max_redirects=0)
    assert answer.status == 403
    assert "text/html" in answer.headers["content-type"]
    page.goto(node.url + "/desk")
    assert page.url == node.url + "/desk"
    # From another site (an Origin that is not this node): refused even with a token copied from the page.
    csrf = page.locator("header input[name=csrf_token]").get_attribute("value")
    answer = page.request.post(node.url + "/desk/logout", form={"csrf_token": csrf or ""},
                               headers={"Origin": "https://evil.example"}, max_redirects=0)
    assert answer.status == 403


def test_a_revoked_token_ends_the_session(browser: Browser, node: OpsNode) -> None:
    token = node.token("read")
    page = open_page(browser)
    log_in(page, node, token)
    token_id = next(line.split()[0] for line in node.cli("token", "list").splitlines() if "read" in line)
    node.cli("token", "revoke", token_id)
    page.wait_for_timeout(5200)  # a verified token is cached for five seconds
    page.goto(node.url + "/desk")
    assert "/desk/login" in page.url

"""The pages' frame in a real browser: both languages, no outside loads, no WCAG 2 A/AA violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser.harness import axe_violations, open_page, screenshot
from tests.ops_node import OpsNode


@pytest.mark.parametrize("lang", ["en", "zh-Hant-HK"])
def test_frame_in_both_languages(browser: Browser, node: OpsNode, lang: str) -> None:
    page = open_page(browser, lang)
    outside: list[str] = []
    page.on("request", lambda request: None if request.url.startswith(node.url) or request.url.startswith("data:")
            else outside.append(request.url))
    page.goto(node.url + "/")
    assert page.locator("html").get_attribute("lang") == lang
    assert axe_violations(page) == []
    assert outside == []
    screenshot(page, f"smoke-{lang}")

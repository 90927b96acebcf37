"""Logging in to the desk in a browser page (shared by the desk's browser tests)."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.ops_node import OpsNode


def log_in(page: Page, node: OpsNode, token: str, path: str = "/desk") -> None:
    """Open ``path`` (the desk sends the browser to its login page) and log in with ``token``."""
    page.goto(node.url + path)
    page.fill("#token", token)
    page.click("form.card button[type=submit]")
    page.wait_for_url(lambda url: "/desk/login" not in url)

"""Fixtures of the browser tests: one Chromium per test module, real nodes on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.browser.harness import launch
from tests.ops_node import OpsNode


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = launch(playwright)
    yield chromium
    chromium.close()


@pytest.fixture
def node(tmp_path: Path) -> Iterator[OpsNode]:
    """A real node serving on 127.0.0.1 (did:key identity)."""
    served = OpsNode(tmp_path)
    served.start()
    yield served
    served.stop()

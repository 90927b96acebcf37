"""The verify page's camera and "Ask the learner's wallet" in a real browser (Debian Chromium), on a real node.

- Ask the learner's wallet: the employer presses the button, the page shows a QR code and links; the independent
  wallet client (tests/interop/lcw.mjs, a replay of the Learner Credential Wallet with its own signing stack)
  opens the LCW link read from the page and presents the learner's badge; the page shows the verified result
  by itself. Another browser without the page's key cannot read it.
- Scan a QR code: Chromium's fake camera shows a QR code; the page decodes it with the vendored jsQR, verifies
  the badge at the URL it holds, and stops the camera; a code that holds neither a URL nor JSON gets an
  announced message. Without a camera there is no scan button.

Both languages; axe-core finds no WCAG 2 A/AA violation on any page; screenshots are named ``wallet-*``.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright

from tests.browser.harness import axe_violations, launch, open_page, qr_y4m, screenshot
from tests.builders import badge
from tests.interop.harness import run_harness
from tests.ops_node import OpsNode
from vcnode.exchanges.wallet import HolderKey

LEARNER = bytes(range(1, 33))  # the learner's wallet seed (LCW derives its did:key from 32 bytes)
WAIT_PATH = re.compile(r"/verify/wallet/[A-Za-z0-9_-]{22}\?key=[A-Za-z0-9_-]{43}$")
# Records every camera stream the page opens (added through the DevTools protocol, which the page's CSP does not
# govern), so the test can see that each was stopped.
RECORD_STREAMS = """
(() => {
  window.__streams = [];
  const media = navigator.mediaDevices;
  if (!media) { return; }
  const open = media.getUserMedia.bind(media);
  media.getUserMedia = async (constraints) => {
    const stream = await open(constraints);
    window.__streams.push(stream);
    return stream;
  };
})();
"""
CAMERA_STOPPED = "() => window.__streams.length > 0 && window.__streams.every(s => s.getTracks().every(t => " \
                 "t.readyState === 'ended'))"


def issue_badge(node: OpsNode, subject: str) -> dict[str, Any]:
    """An Open Badge the node issues (with a revocation entry) to ``subject``."""
    credential = badge(node.did, f"urn:uuid:{uuid.uuid4()}")
    credential["credentialSubject"]["id"] = subject
    answer = node.call("POST", "/credentials/issue", {"credential": credential,
                                                      "options": {"statusPurpose": "revocation"}},
                       {"Authorization": "Bearer " + node.token("issue")})
    assert answer.status == 201, answer.body
    return answer.json()["verifiableCredential"]


def ask_the_wallet(page: Page, node: OpsNode) -> str:
    """Press "Ask the learner's wallet" on the verify page: the waiting page's URL."""
    page.goto(node.url + "/")
    page.click("#wallet-ask-button")
    page.wait_for_url(WAIT_PATH)
    return page.url


def present_with_lcw(page: Page, credential: dict[str, Any]) -> dict[str, Any]:
    """The independent wallet opens the LCW link shown on the page and presents ``credential``."""
    link = page.locator("#wallet-lcw-link").get_attribute("href")
    assert link is not None and link.startswith("https://lcw.app/request?request=")
    [result] = run_harness("lcw.mjs", [{"op": "present", "link": link, "seed": LEARNER.hex(),
                                       "credentials": [credential]}])
    assert result["refused"] == [], result["refused"]  # the wallet contacted nothing but this node
    assert result["presentation"]["verifiableCredential"] == [credential]
    return result


@pytest.mark.parametrize("lang", ["en", "zh-Hant-HK"])
def test_ask_the_learners_wallet(browser: Browser, node: OpsNode, lang: str) -> None:
    learner = HolderKey.from_seed(LEARNER).did
    credential = issue_badge(node, learner)
    page = open_page(browser, lang)
    page.goto(node.url + "/")
    assert page.locator("#wallet-ask-button").is_visible()
    assert page.locator("#scan-start").is_hidden()  # no camera in this browser: no scan button
    assert axe_violations(page) == []
    screenshot(page, f"wallet-entry-{lang}")

    waiting = ask_the_wallet(page, node)
    assert page.locator("html").get_attribute("lang") == lang
    assert page.evaluate("() => document.getElementById('wallet-qr').naturalWidth") > 0  # the node's QR code
    assert page.locator("#wallet-check").is_hidden()  # the script checks by itself
    assert page.locator("#wallet-interaction-url").inner_text().startswith(node.url + "/interactions/")
    assert page.locator("#wallet-oid4vp-link").inner_text().startswith("openid4vp://")
    assert axe_violations(page) == []
    screenshot(page, f"wallet-waiting-{lang}")

    present_with_lcw(page, credential)
    # The page shows the result by itself (its script polls), in the same tab at the same address.
    page.wait_for_selector("#wallet-result", timeout=15_000)
    assert page.url == waiting
    assert page.locator("#verdict").get_attribute("data-state") == "passed"
    assert page.locator("#card-1-title").inner_text() == "Data Analytics Fundamentals"
    assert learner in page.locator("#credential-1 .learner").inner_text()
    assert "Harbour City Polytechnic" in page.locator("#credential-1 .issuer").inner_text()
    assert page.locator("html").get_attribute("lang") == lang
    assert axe_violations(page) == []
    screenshot(page, f"wallet-result-{lang}")


def test_without_the_key_another_browser_cannot_read_the_result(browser: Browser, node: OpsNode) -> None:
    credential = issue_badge(node, HolderKey.from_seed(LEARNER).did)
    page = open_page(browser)
    waiting = ask_the_wallet(page, node)
    exchange_id = waiting.rsplit("/", 1)[1].split("?", 1)[0]
    present_with_lcw(page, credential)
    page.wait_for_selector("#wallet-result", timeout=15_000)

    other = open_page(browser)  # another browser context: no cookies, no key
    for path in (f"/verify/wallet/{exchange_id}", f"/verify/wallet/{exchange_id}?key=" + "A" * 43,
                 f"/verify/wallet/{exchange_id}/state", f"/verify/wallet/{exchange_id}/state?key=" + "A" * 43):
        answer = other.goto(node.url + path)
        assert answer is not None and answer.status == 404, path
        assert "Data Analytics Fundamentals" not in other.content()
    # Nor through the API without a token.
    assert node.call("GET", f"/workflows/present/exchanges/{exchange_id}").status == 401
    assert axe_violations(other) == []


class _BadgeServer:
    """Serves one document at ``/badge.json`` on 127.0.0.1 (where the QR code points)."""

    def __init__(self, document: dict[str, Any]) -> None:
        body = json.dumps(document).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/badge.json":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/badge.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _BadgeServer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def camera_browser(playwright: Playwright, tmp_path: Path) -> Iterator[Any]:
    """Launch Chromium with a fake camera showing the QR code of a text (one browser per text)."""
    browsers: list[Browser] = []

    def start(text: str) -> Browser:
        chromium = launch(playwright, camera=qr_y4m(text, tmp_path / f"qr-{len(browsers)}.y4m"))
        browsers.append(chromium)
        return chromium

    yield start
    for chromium in browsers:
        chromium.close()


def scan(chromium: Browser, node: OpsNode, lang: str) -> Page:
    """Open the verify page and press "Scan a QR code"."""
    page = open_page(chromium, lang)
    page.add_init_script(RECORD_STREAMS)
    page.goto(node.url + "/")
    page.locator("#scan-start").wait_for(state="visible")  # a camera is there: the button shows
    assert axe_violations(page) == []
    page.click("#scan-start")
    return page


@pytest.mark.parametrize("lang", ["en", "zh-Hant-HK"])
def test_scan_a_qr_code_of_a_badge_url(camera_browser: Any, node: OpsNode, lang: str) -> None:
    credential = issue_badge(node, "did:example:learner-7")
    with _BadgeServer(credential) as served:
        page = scan(camera_browser(served.url), node, lang)
        # Decoded, sent through the page's URL way, fetched by the node and verified (shown in place by the
        # verify page's script).
        page.wait_for_selector("#verdict", timeout=20_000)
        page.wait_for_function(CAMERA_STOPPED)
        assert page.locator("#verdict").get_attribute("data-state") == "passed"
        assert served.url in page.locator("#verdict .source").inner_text()
        assert page.locator("#card-1-title").inner_text() == "Data Analytics Fundamentals"
        assert page.locator("html").get_attribute("lang") == lang
        assert axe_violations(page) == []
        screenshot(page, f"wallet-scanned-{lang}")


def test_a_qr_code_that_is_not_a_credential_is_announced_and_the_camera_stops(camera_browser: Any,
                                                                              node: OpsNode) -> None:
    page = scan(camera_browser("WIFI:S:office;T:WPA;P:secret;;"), node, "en")
    error = page.locator("#scan-error")
    error.wait_for(state="visible", timeout=20_000)
    assert error.get_attribute("role") == "alert"
    assert "neither a web address nor a credential" in error.inner_text()
    assert page.url == node.url + "/"  # nothing was submitted
    page.wait_for_function(CAMERA_STOPPED)
    assert page.locator("#scan-view").is_hidden() and page.locator("#scan-start").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "wallet-scan-refused-en")


def test_scan_a_qr_code_of_the_badge_itself(camera_browser: Any, node: OpsNode) -> None:
    credential = issue_badge(node, "did:example:learner-7")
    page = scan(camera_browser(json.dumps(credential, separators=(",", ":"))), node, "en")
    # Decoded, sent through the page's paste way and verified.
    page.wait_for_selector("#verdict", timeout=20_000)
    assert page.locator("#verdict").get_attribute("data-state") == "passed"
    assert page.locator("#card-1-title").inner_text() == "Data Analytics Fundamentals"


def test_after_an_address_that_cannot_be_fetched_the_scanner_is_offered_again(camera_browser: Any,
                                                                               node: OpsNode) -> None:
    with _BadgeServer({}) as served:
        page = scan(camera_browser(served.url.replace("badge.json", "missing.json")), node, "en")
        # The verify page shows its form again in place with the reason; its scanner works there too.
        page.locator("#verify-error").wait_for(state="visible", timeout=20_000)
        assert "404" in page.locator("#verify-error").inner_text()
        page.locator("#scan-start").wait_for(state="visible")
        page.evaluate("() => document.getElementById('verify-error').id = 'first-error'")
        page.click("#scan-start")  # the same code again: read, sent, refused again
        page.locator("#verify-error").wait_for(state="visible", timeout=20_000)
        assert page.evaluate("() => window.__streams.length") == 2
        page.wait_for_function(CAMERA_STOPPED)
        assert axe_violations(page) == []

"""The desk's CSV batches in a real browser, in both languages: a CSV with mistakes is refused row by row; a
200-row CSV is uploaded, its progress moves on the page (values between none and all are seen), the zip is
downloaded and holds the 200 credentials; one of them, found on the desk by its learner's email, is revoked
there and then verifies as revoked. No WCAG 2 A/AA
violation on the form, the errors, the running job or the finished one."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.desk_session import log_in
from tests.browser.harness import axe_violations, open_page, screenshot
from tests.ops_node import OpsNode

ROWS = 200


@pytest.fixture
def paced_node(tmp_path: Path) -> Iterator[OpsNode]:
    """A node whose batches pause after each chunk of 20 rows, so a person (and this test) sees them move."""
    served = OpsNode(tmp_path, {"VCNODE_JOB_BATCH_CHUNK": "20", "VCNODE_JOB_CHUNK_PAUSE": "0.4"})
    served.start()
    yield served
    served.stop()


def learners(rows: int) -> bytes:
    return ("id,email,name\n" + "".join(f",learner{n}@example.org,Learner {n}\n" for n in range(rows))).encode()


def fill_form(page: Page, csv_bytes: bytes) -> None:
    page.check("#kind-signedBatch")
    page.select_option("#achievement_choice", "new")
    page.fill("#achievement_name", "Safe Data Handling")
    page.fill("#achievement_description", "Handles personal data safely and lawfully.")
    page.fill("#achievement_criteria", "Passed the two-hour practical assessment.")
    page.set_input_files("#file", files=[{"name": "learners.csv", "mimeType": "text/csv", "buffer": csv_bytes}])


@pytest.mark.parametrize("lang", ["en", "zh-Hant-HK"])
def test_a_200_row_batch_with_live_progress_download_and_a_revocation(browser: Browser, paced_node: OpsNode,
                                                                      lang: str) -> None:
    node = paced_node
    token = node.token("issue,status,read")
    page = open_page(browser, lang)
    log_in(page, node, token, "/desk/batches")
    assert page.url.startswith(node.url + "/desk/batches")
    assert axe_violations(page) == []
    screenshot(page, f"batches-form-{lang}")

    # Mistakes are named by row and column, and nothing is started.
    fill_form(page, b"id,email,name\n,good@example.org,Good\nnot-a-did,,Bad\n,nobody@,Bad email\n")
    page.click("#batch-form button[type=submit]")
    page.wait_for_selector("#csv-problems")
    assert page.locator("#csv-problems li").count() == 2
    assert ("Row 3" if lang == "en" else "第 3 行") in page.locator("#csv-problems").inner_text()
    assert page.locator("#file").get_attribute("aria-invalid") == "true"
    assert axe_violations(page) == []
    screenshot(page, f"batches-errors-{lang}")

    fill_form(page, learners(ROWS))
    page.click("#batch-form button[type=submit]")
    page.wait_for_url(lambda url: "/desk/batches/job_" in url)
    job_url = page.url.split("?")[0]
    seen: list[int] = []
    statuses: list[str] = []
    shot = False
    deadline = time.monotonic() + 60
    while not page.locator("#job-download").is_visible():
        assert time.monotonic() < deadline, f"the batch did not finish: {seen[-5:]}"
        seen.append(int(page.locator("#job-progress").get_attribute("value") or 0))
        statuses.append(page.locator("#job-status").inner_text())
        if not shot and 0 < seen[-1] < ROWS:
            assert axe_violations(page) == []  # while it runs, with the bar part-filled
            screenshot(page, f"batches-progress-{lang}")
            shot = True
        page.wait_for_timeout(100)
    assert any(0 < value < ROWS for value in seen), seen  # the bar moved through intermediate values
    assert len(set(statuses)) >= 3, statuses  # and the status line (role=status) said so as it went
    assert page.locator("#job-status").get_attribute("role") == "status"
    assert page.locator("#job-progress").get_attribute("value") == str(ROWS)
    assert axe_violations(page) == []
    screenshot(page, f"batches-done-{lang}")

    with page.expect_download() as download_info:
        page.click("#job-download a")
    archive = zipfile.ZipFile(download_info.value.path())
    manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    files = [name for name in archive.namelist() if name != "manifest.csv"]
    assert len(manifest) == ROWS and len(files) == ROWS
    assert sorted(row["file"] for row in manifest) == sorted(files)

    # Revoke one of them on the desk's credential page (reason, then the confirmation), found by its email.
    credential = json.loads(archive.read(manifest[7]["file"]))
    page.goto(node.url + "/desk/credentials?" + urlencode({"q": "learner7@example.org"}))
    page.click(f'a[href="/desk/credential?{urlencode({"id": credential["id"]})}"]')
    page.fill("#reason", "Issued by mistake")
    page.click("button[name=action][value=revoke]")
    page.click("#confirm-revoke")
    assert page.locator("#current-status .tag.bad").is_visible()
    assert axe_violations(page) == []
    screenshot(page, f"batches-revoked-{lang}")
    verified = node.call("POST", "/credentials/verify", {"verifiableCredential": credential}).json()
    assert verified["verified"] is False and "revoked" in {error["code"] for error in verified["errors"]}
    other = json.loads(archive.read(manifest[8]["file"]))
    assert node.call("POST", "/credentials/verify", {"verifiableCredential": other}).json()["verified"] is True

    # The list of batches shows it done.
    page.goto(node.url + "/desk/batches")
    assert page.locator(f'#batch-list a[href="{job_url.removeprefix(node.url)}"]').count() == 1
    assert page.locator("#batch-list .state-done").count() == 1

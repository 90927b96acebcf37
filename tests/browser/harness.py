"""Browser tests in Debian's headless Chromium, driven by Playwright (its Python client; no browser download).

- :func:`launch` starts ``/usr/bin/chromium`` with the flags that work on this machine kind (see
  ``../shared/notes/ecosystem-facts.md``), optionally with a fake camera showing a ``.y4m`` file.
- :func:`open_page` opens a page in a language (``locale`` and ``Accept-Language``).
- :func:`axe_violations` runs axe-core (installed by ``npm ci`` in tests/interop from the lockfile) in the page
  and returns its WCAG 2 A/AA violations.
- :func:`screenshot` writes a full-page PNG to :data:`SCREENSHOTS` (``artifacts/screenshots`` in the checkout,
  or ``$VCNODE_SCREENSHOTS``) for people to look at.
- :func:`qr_y4m` turns text into a QR code video file for the fake camera.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import segno
from playwright.sync_api import Browser, Page, Playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-quic"]
AXE = ROOT / "tests" / "interop" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("VCNODE_SCREENSHOTS", ROOT / "artifacts" / "screenshots"))
#: The WCAG 2 A and AA rules (2.0, 2.1 and 2.2) axe-core checks.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ACCEPT_LANGUAGE = {"en": "en-GB,en;q=0.9", "zh-Hant-HK": "zh-HK,zh-Hant;q=0.9,zh;q=0.8"}


def require_chromium() -> None:
    """Fail (never skip: scripts/test installs it) when Debian's Chromium is missing."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: scripts/test installs it (apt-get install chromium "
                           "fonts-wqy-microhei); run that, or install them yourself")
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run scripts/test (npm ci in tests/interop)")


def launch(playwright: Playwright, *, camera: Path | None = None) -> Browser:
    """Debian's Chromium, headless; with ``camera``, a fake camera that shows that video file and a fake
    prompt that allows it."""
    require_chromium()
    args = list(FLAGS)
    if camera is not None:
        args += ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 f"--use-file-for-fake-video-capture={camera}"]
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)


def open_page(browser: Browser, lang: str = "en", **options: Any) -> Page:
    """A new page (in its own context: no shared cookies) whose browser prefers ``lang``."""
    context = browser.new_context(locale="zh-HK" if lang != "en" else "en-GB",
                                  extra_http_headers={"Accept-Language": ACCEPT_LANGUAGE[lang]}, **options)
    context.set_default_timeout(20_000)
    return context.new_page()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2 A/AA violations on the page as it is now, each ``{id, impact, help, nodes}``."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern
        # (a <script> tag would be refused, as it should be).
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: "
                           "tags}}); return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, "
                           "nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }", WCAG_TAGS)
    return result


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG of the page under :data:`SCREENSHOTS`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def qr_y4m(text: str, path: Path, *, width: int = 640, height: int = 480, frames: int = 3) -> Path:
    """A YUV4MPEG2 video of the QR code of ``text`` (black on white, centred), for Chromium's fake camera."""
    matrix = [list(row) for row in segno.make(text, error="m").matrix]
    modules = len(matrix) + 8  # with the quiet zone
    scale = max(1, min(width, height) // modules)
    left, top = (width - modules * scale) // 2 + 4 * scale, (height - modules * scale) // 2 + 4 * scale
    luma = bytearray(b"\xeb" * (width * height))  # white (video range)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (top + y * scale + dy) * width + left + x * scale
                    luma[start:start + scale] = b"\x10" * scale
    chroma = b"\x80" * ((width // 2) * (height // 2))
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)
    return path

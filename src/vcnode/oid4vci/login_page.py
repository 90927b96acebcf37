"""The learner's login page of the authorisation code flow: one small HTML form, nothing loaded from elsewhere.

Every string a learner reads is in :data:`TEXT` (issue 15 translates them); the page is filled with
:class:`string.Template`, every value HTML-escaped. The style is inline in a ``<style>`` element allowed by its
hash in the Content-Security-Policy; the page runs no script at all.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Mapping
from string import Template

#: What the page says, in one place.
TEXT = {
    "title": "Collect your credential",
    "intro": "Your institution prepared a credential for you. To send it to your wallet, type the code it "
             "gave you with this offer (by letter, text message or in your student portal).",
    "code_label": "Your code",
    "submit": "Continue",
    "wrong_code": "That code is not right. Attempts left: $left.",
    "expired_form": "This page has expired. Go back to your wallet and start again.",
    "error_title": "This request cannot be completed",
    "closed": "This credential offer is no longer open (already collected, cancelled or expired).",
    "no_login": "This credential offer does not use this page.",
    "unknown_offer": "This link is not one of this issuer's credential offers.",
    "bad_client": "The wallet sent an incomplete or unsafe request: ",
    "forbidden": "This form was not sent from this page. Open the link from your wallet again.",
}

_STYLE = ("body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#222}"
          "label,input,button{display:block;font-size:1.1rem;margin:.5rem 0}"
          "input{padding:.4rem;width:12rem;letter-spacing:.2em}button{padding:.5rem 1.2rem}"
          ".error{color:#a00;font-weight:bold}")
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
#: No script, no frames, no outside resource; the form posts to this node only.
CONTENT_SECURITY_POLICY = (f"default-src 'none'; style-src '{STYLE_HASH}'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Frame-Options": "DENY"}

_PAGE = Template("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title><style>$style</style></head>
<body><h1>$title</h1>
$body
</body></html>
""")
_FORM = Template("""<p>$intro</p>$error
<form method="post" action="$action">
$hidden<label for="login_code">$code_label</label>
<input id="login_code" name="login_code" inputmode="numeric" autocomplete="one-time-code" required autofocus>
<button type="submit">$submit</button>
</form>""")


def _page(title: str, body: str) -> str:
    return _PAGE.substitute(title=html.escape(title), style=_STYLE, body=body)


def login_form(action: str, fields: Mapping[str, str], error: str | None = None) -> str:
    """The login form posting ``fields`` (the authorisation request and the CSRF token) back as hidden inputs."""
    hidden = "".join(f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">\n'
                     for name, value in fields.items())
    shown = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return _page(TEXT["title"], _FORM.substitute(intro=html.escape(TEXT["intro"]), error=shown,
                                                 action=html.escape(action), hidden=hidden,
                                                 code_label=html.escape(TEXT["code_label"]),
                                                 submit=html.escape(TEXT["submit"])))


def error_page(message: str) -> str:
    """A page that says why the request stops here (nothing is redirected to an unchecked address)."""
    return _page(TEXT["error_title"], f'<p class="error">{html.escape(message)}</p>')

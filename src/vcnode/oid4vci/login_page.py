"""The learner's login page of the authorisation code flow: one small HTML form, nothing loaded from elsewhere.

Every string a learner reads is in :data:`TEXT`, translated through the pages' Babel catalogues
(:mod:`vcnode.i18n`, the ``oid4vci.po`` file of each language) into the language the learner's wallet asks
for (``ui_locales``, RFC 6749 / OpenID Connect) or the browser prefers (``Accept-Language``). What stops a
request is a :class:`Message` (a key of :data:`TEXT` and, for a wallet's malformed request, the technical
detail in English), so the domain code never formats text for people. The page is filled with
:class:`string.Template`, every value HTML-escaped. The style is inline in a ``<style>`` element allowed by its
hash in the Content-Security-Policy; the page runs no script at all.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from string import Template

from vcnode import i18n


def N_(text: str) -> str:
    """Mark a string for translation where it is defined (it is translated where it is shown)."""
    return text


#: What the page says, in one place.
TEXT = {
    "title": N_("Collect your credential"),
    "intro": N_("Your institution prepared a credential for you. To send it to your wallet, type the code it "
                "gave you with this offer (by letter, text message or in your student portal)."),
    "code_label": N_("Your code"),
    "submit": N_("Continue"),
    "wrong_code": N_("That code is not right. Attempts left: %(left)s."),
    "expired_form": N_("This page has expired. Go back to your wallet and start again."),
    "error_title": N_("This request cannot be completed"),
    "closed": N_("This credential offer is no longer open (already collected, cancelled or expired)."),
    "no_login": N_("This credential offer does not use this page."),
    "unknown_offer": N_("This link is not one of this issuer's credential offers."),
    "bad_client": N_("The wallet sent an incomplete or unsafe request:"),
    "forbidden": N_("This form was not sent from this page. Open the link from your wallet again."),
}
#: The hidden form field that keeps the page's language from the login form to its answer.
LANGUAGE_FIELD = "ui_lang"


@dataclass(frozen=True)
class Message:
    """What the page tells the learner: a key of :data:`TEXT`, the wallet's technical ``detail`` (English,
    shown after the translated sentence) and the attempts ``left`` for a wrong code."""

    key: str
    detail: str = ""
    left: int | None = None

    def text(self, gettext: Callable[[str], str]) -> str:
        """The message in the language of ``gettext``."""
        sentence = gettext(TEXT[self.key])
        if self.left is not None:
            sentence = sentence % {"left": self.left}
        return f"{sentence} {self.detail}" if self.detail else sentence


def language(ui_locales: str | None, cookie: str | None, accept_language: str | None) -> i18n.Language:
    """The page's language: the first of the wallet's ``ui_locales`` (space-separated tags) offered, then the
    pages' language cookie, then ``Accept-Language``."""
    for tag in (ui_locales or "")[:200].split():
        found = i18n.language(tag) or i18n.from_accept_language(tag)
        if found is not None:
            return found
    return i18n.negotiate(None, cookie, accept_language)

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
<html lang="$lang"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
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


def _page(lang: i18n.Language, title: str, body: str) -> str:
    return _PAGE.substitute(lang=html.escape(lang.tag), title=html.escape(title), style=_STYLE, body=body)


def login_form(action: str, fields: Mapping[str, str], error: Message | None = None, *,
               lang: i18n.Language = i18n.DEFAULT) -> str:
    """The login form, in ``lang``, posting ``fields`` (the authorisation request and the CSRF token) and the
    page's language back as hidden inputs."""
    gettext = i18n.translations(lang.locale).gettext
    hidden = "".join(f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">\n'
                     for name, value in {**fields, LANGUAGE_FIELD: lang.tag}.items())
    shown = f'<p class="error" role="alert">{html.escape(error.text(gettext))}</p>' if error else ""
    return _page(lang, gettext(TEXT["title"]), _FORM.substitute(
        intro=html.escape(gettext(TEXT["intro"])), error=shown, action=html.escape(action), hidden=hidden,
        code_label=html.escape(gettext(TEXT["code_label"])), submit=html.escape(gettext(TEXT["submit"]))))


def error_page(message: Message, *, lang: i18n.Language = i18n.DEFAULT) -> str:
    """A page, in ``lang``, that says why the request stops here (nothing is redirected to an unchecked
    address)."""
    gettext = i18n.translations(lang.locale).gettext
    return _page(lang, gettext(TEXT["error_title"]), f'<p class="error">{html.escape(message.text(gettext))}</p>')

"""The pages' languages: negotiation, and every string of the templates and marked code translated."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from vcnode import i18n

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extracted() -> set[str]:
    """Every msgid babel.cfg's extraction finds (templates, the web package, the OpenID4VCI login page)."""
    method_map = [("src/vcnode/web/**.py", "python"), ("src/vcnode/oid4vci/**.py", "python"),
                  ("src/vcnode/web/templates/**.html", "jinja2")]
    options_map = {"src/vcnode/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found: set[str] = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS):
        for text in message if isinstance(message, tuple) else (message,):
            if text:
                found.add(text)
    return found


@pytest.mark.parametrize("language", [lang for lang in i18n.LANGUAGES if lang is not i18n.DEFAULT],
                         ids=lambda lang: lang.tag)
def test_every_string_is_translated(language: i18n.Language) -> None:
    catalogue = i18n.catalogue(language.locale)
    missing = sorted(text for text in extracted() if catalogue.get(text) is None or not catalogue[text].string)
    assert missing == [], f"{language.tag} lacks {len(missing)} translations (scripts/i18n extract): {missing[:20]}"


def test_extraction_finds_the_frame() -> None:
    assert {"Skip to content", "Verify a credential"} <= extracted()


def test_translations_are_used() -> None:
    assert i18n.translations("zh_Hant_HK").gettext("Verify") == "核實"
    assert i18n.translations("en").gettext("Verify") == "Verify"


@pytest.mark.parametrize(("query", "cookie", "header", "expected"), [
    (None, None, None, "en"),
    ("zh-HK", None, "en", "zh-Hant-HK"),
    ("zh_hant_hk", None, None, "zh-Hant-HK"),
    ("en", "zh-Hant-HK", "zh-HK", "en"),
    ("klingon", "zh-Hant-HK", None, "zh-Hant-HK"),
    (None, None, "zh-HK,zh;q=0.9,en;q=0.8", "zh-Hant-HK"),
    (None, None, "fr-FR,zh-TW;q=0.5,en;q=0.4", "zh-Hant-HK"),
    (None, None, "fr-FR, en-GB;q=0.8", "en"),
    (None, None, "zh-Hant-HK;q=0, en;q=0.1", "en"),
    (None, None, "de, *", "en"),
    (None, None, "zh-CN;q=0.9, en;q=0.8", "zh-Hant-HK"),  # the only Chinese offered; better than English
    (None, None, "x" * 5000, "en"),
])
def test_negotiation(query: str | None, cookie: str | None, header: str | None, expected: str) -> None:
    assert i18n.negotiate(query, cookie, header).tag == expected

"""Languages of the pages: Babel catalogues (gettext ``.po`` files) and negotiation.

Every string a person reads is written in English in the templates and code and translated through gettext.
A language is a folder ``locale/<babel locale>/LC_MESSAGES/`` of ``.po`` files (one per area of the pages, so
areas can be translated separately); they are merged and compiled in memory at start-up, so no compiled
``.mo`` file can go stale. Adding a language: copy a folder, translate, add it to :data:`LANGUAGES`.

The language of a request: ``?lang=`` first (remembered in a cookie), then that cookie, then
``Accept-Language``, else English.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANG_COOKIE = "vcnode_lang"


@dataclass(frozen=True)
class Language:
    """A language the pages are offered in: its BCP 47 tag (``<html lang>``, ``?lang=``), Babel locale
    (catalogue folder) and its own name for itself (the language switcher)."""

    tag: str
    locale: str
    name: str


#: The languages offered, English (the templates' own language) first.
LANGUAGES: tuple[Language, ...] = (
    Language("en", "en", "English"),
    Language("zh-Hant-HK", "zh_Hant_HK", "繁體中文（香港）"),  # noqa: RUF001 (full-width brackets are right in Chinese)
)
DEFAULT = LANGUAGES[0]
_BY_TAG = {language.tag.lower(): language for language in LANGUAGES}
# Other ways people and browsers ask for Traditional Chinese: Hong Kong, Macau and Taiwan use it.
_ALIASES = {"zh-hk": "zh-hant-hk", "zh-mo": "zh-hant-hk", "zh-tw": "zh-hant-hk", "zh-hant": "zh-hant-hk",
            "zh-hant-tw": "zh-hant-hk", "zh-hant-mo": "zh-hant-hk", "zh": "zh-hant-hk"}


def language(tag: str | None) -> Language | None:
    """The offered language for a tag (case-insensitive, ``_`` or ``-``), or None."""
    if not tag:
        return None
    key = tag.strip().replace("_", "-").lower()[:35]
    return _BY_TAG.get(_ALIASES.get(key, key))


def from_accept_language(header: str | None) -> Language | None:
    """The best offered language for an ``Accept-Language`` header (RFC 9110 §12.5.4), or None.

    Each range is tried whole, then without its last subtags (``zh-Hant-HK`` → ``zh-Hant`` → ``zh``), in the
    order of its ``q`` value; ``*`` and ``q=0`` ranges are ignored."""
    ranges: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "")[:1000].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            ranges.append((-quality, position, tag))
    for _, _, tag in sorted(ranges):
        subtags = tag.split("-")
        while subtags:
            found = language("-".join(subtags))
            if found is not None:
                return found
            subtags.pop()
    return None


def negotiate(query_lang: str | None, cookie: str | None, accept_language: str | None) -> Language:
    """The language of a request: ``?lang=``, then the cookie, then ``Accept-Language``, else English."""
    return language(query_lang) or language(cookie) or from_accept_language(accept_language) or DEFAULT


def catalogue(locale: str) -> Catalog:
    """Every ``.po`` file of ``locale`` merged into one catalogue (empty for English)."""
    merged = Catalog(locale=Locale.parse(locale), domain="messages")
    folder = resources.files("vcnode.i18n").joinpath("locale", locale, "LC_MESSAGES")
    if not folder.is_dir():
        return merged
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".po"):
            with entry.open("rb") as handle:
                for message in read_po(handle, locale=locale):
                    if message.id and message.string and not message.fuzzy:
                        merged[message.id] = message
    return merged


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled translations of ``locale`` (English: the strings as written)."""
    if locale == DEFAULT.locale:
        return gettext.NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, catalogue(locale))
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)

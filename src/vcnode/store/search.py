"""What the store indexes of an issued credential for the desk's search, and the achievements it issued.

Pure functions (no SQL, no I/O), used by the store when it saves a credential (and when it indexes those
stored before the index existed). A credential gets *terms*: normalised strings (NFKC, case-folded, spaces
collapsed) from its id, its subjects' ids and names, plain (unhashed) identifiers, its name and its
achievement's name. A search for ``q`` finds the credentials with a term starting with ``normalise(q)``, an
index range scan. So that a search for a word inside a name finds it, each value gives one term per word start
(``"intro to python"`` → ``"intro to python"``, ``"to python"``, ``"python"``), and for scripts written without
spaces (Chinese, Japanese) one per character, so ``"大文"`` finds ``"陳大文"``. Values and their number are
capped: a credential gives at most a few hundred short terms whatever it holds.

A hashed email (OB 3.0 ``IdentityObject``, salted) cannot be indexed from the credential: whoever issues with
the email in hand adds an ``email_term`` for it (:meth:`Store.add_credential_terms`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from typing import Any

#: Longest indexed term, and most terms from one value.
TERM_LENGTH = 80
TERMS_PER_VALUE = 48
#: The first characters of a value that are indexed (a longer name is found by its start).
VALUE_LENGTH = 240
#: Values (subjects, identifiers) looked at per credential.
VALUES = 24
#: Prefix of an email's term (a keyed hash: the index never holds the address). A control character, which
#: :func:`normalise` removes from values and queries, so no search for text can range over these terms.
EMAIL_PREFIX = "\x1femail:"
#: The upper bound of a prefix range: sorts after every string that starts with the prefix.
_TOP = "\U0010ffff"
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """``text`` as terms and queries are compared: NFKC (full-width forms become ASCII), case-folded, control
    characters dropped, spaces collapsed and trimmed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACE.sub(" ", "".join(char for char in folded if char.isprintable() or char.isspace())).strip()


def _unspaced(char: str) -> bool:
    """A character of a script written without spaces between words (CJK, kana, hangul syllables…)."""
    return ord(char) >= 0x2E80 and unicodedata.category(char).startswith("L")


def value_terms(value: Any) -> list[str]:
    """The terms of one value: one per word start (and per character of an unspaced script)."""
    if not isinstance(value, str):
        return []
    text = normalise(value)[:VALUE_LENGTH]
    terms: list[str] = []
    previous = " "
    for position, char in enumerate(text):
        starts = char.isalnum() and (not previous.isalnum() or _unspaced(char))
        if position == 0 or starts:
            terms.append(text[position:position + TERM_LENGTH])
            if len(terms) >= TERMS_PER_VALUE:
                break
        previous = char
    return [term for term in terms if term]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _name(value: Any) -> list[str]:
    """A name as OB 3.0 and VC 2.0 write it: a string, or language maps ``{"@value": …}`` / a list of them."""
    out = []
    for item in _as_list(value)[:VALUES]:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("@value"), str):
            out.append(item["@value"])
    return out


def subjects(document: Any) -> list[dict[str, Any]]:
    """The credential's subjects that are objects."""
    if not isinstance(document, dict):
        return []
    return [s for s in _as_list(document.get("credentialSubject"))[:VALUES] if isinstance(s, dict)]


def achievement(subject: dict[str, Any]) -> dict[str, Any] | None:
    """The subject's OB 3.0 achievement when it is an object with an id."""
    found = subject.get("achievement")
    return found if isinstance(found, dict) and isinstance(found.get("id"), str) else None


def document_terms(credential_id: str, document: Any) -> set[str]:
    """Every term a stored credential is found by (see the module's description)."""
    values: list[Any] = [credential_id]
    if isinstance(document, dict):
        values += _name(document.get("name"))
        for subject in subjects(document):
            values += [subject.get("id"), *_name(subject.get("name"))]
            for identifier in _as_list(subject.get("identifier"))[:VALUES]:
                # Only what the credential itself discloses: a plain identifier, never a hash.
                if isinstance(identifier, dict) and identifier.get("hashed") is False:
                    values.append(identifier.get("identityHash"))
            found = achievement(subject)
            if found is not None:
                values += _name(found.get("name"))
    return {term for value in values[:VALUES] for term in value_terms(value)}


def achievements(document: Any) -> list[tuple[str, dict[str, Any]]]:
    """(id, achievement) of each OB 3.0 achievement the credential awards."""
    return [(found["id"], found) for found in (achievement(s) for s in subjects(document)) if found is not None]


def prefix_range(query: str) -> tuple[str, str]:
    """The term range ``[low, high)`` of terms starting with ``normalise(query)``."""
    low = normalise(query)[:TERM_LENGTH]
    return low, low + _TOP


def email_term(secret: bytes, email: str) -> str:
    """The term of an email address: an HMAC with the node's search secret of the address (trimmed,
    case-folded), so a copy of the index does not list addresses."""
    digest = hmac.new(secret, email.strip().casefold().encode("utf-8"), hashlib.sha256).hexdigest()
    return EMAIL_PREFIX + digest[:48]

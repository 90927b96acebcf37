"""DID and DID URL syntax per the DID Core ABNF (§3.1, §3.2)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

# A generous cap: real DIDs are < 200 characters; did:jwk/did:peer can reach ~1 KB.
MAX_DID_LENGTH = 2048

_IDCHAR = r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})"
_DID = rf"did:(?P<method>[a-z0-9]+):(?P<msid>(?:{_IDCHAR}*:)*{_IDCHAR}+)"
_PCHAR = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})"
DID_RE = re.compile(_DID)
DID_URL_RE = re.compile(
    rf"{_DID}(?P<path>(?:/{_PCHAR}*)*)(?:\?(?P<query>(?:{_PCHAR}|[/?])*))?(?:#(?P<fragment>(?:{_PCHAR}|[/?])*))?"
)


@dataclass(frozen=True, slots=True)
class DidUrl:
    """The parts of a DID URL. ``did`` is the bare DID; the others are None when absent."""

    did: str
    method: str
    method_specific_id: str
    path: str = ""
    query: str | None = None
    fragment: str | None = None


def is_did(value: object) -> bool:
    """True when ``value`` is a syntactically valid bare DID."""
    return isinstance(value, str) and len(value) <= MAX_DID_LENGTH and DID_RE.fullmatch(value) is not None


def parse_did_url(value: object) -> DidUrl | None:
    """Split a DID or DID URL into its parts, or None when it is not valid per the ABNF."""
    if not isinstance(value, str) or len(value) > MAX_DID_LENGTH:
        return None
    return _parse(value)


@lru_cache(maxsize=4096)  # verification method ids repeat across every credential of an issuer
def _parse(value: str) -> DidUrl | None:
    match = DID_URL_RE.fullmatch(value)
    if match is None:
        return None
    method, msid = match.group("method"), match.group("msid")
    return DidUrl(did=f"did:{method}:{msid}", method=method, method_specific_id=msid,
                  path=match.group("path") or "", query=match.group("query"), fragment=match.group("fragment"))


def did_parameters(query: str) -> dict[str, str] | None:
    """The name/value pairs of a DID URL query (``versionTime=2025-01-01T00:00:00Z&…``), percent-decoded,
    or None when a pair has no ``=``, a name is empty or repeated. ``+`` is a plus sign, not a space:
    this is an RFC 3986 query, not a form."""
    parameters: dict[str, str] = {}
    for pair in query.split("&") if query else []:
        name, equals, value = pair.partition("=")
        name, value = unquote(name), unquote(value)
        if not equals or not name or name in parameters:
            return None
        parameters[name] = value
    return parameters

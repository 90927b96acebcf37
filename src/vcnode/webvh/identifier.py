"""did:webvh identifiers: the method-specific-id rules and the DID-to-HTTPS transformation (spec §3.3, §3.4).

``did:webvh:<SCID>:example.com`` → ``https://example.com/.well-known/did.jsonl``;
``did:webvh:<SCID>:example.com%3A3000:dids:issuer`` → ``https://example.com:3000/dids/issuer/did.jsonl``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

import idna

from vcnode.did.syntax import parse_did_url
from vcnode.webvh.errors import WebvhError

PREFIX = "did:webvh:"
SCID_PLACEHOLDER = "{SCID}"
# 46 base58btc characters: a base58btc SHA-256 multihash ("Qm…").
SCID_RE = re.compile(r"[1-9A-HJ-NP-Za-km-z]{46}")
_LABEL_RE = re.compile(r"(?:[A-Za-z0-9-]|%[0-9A-Fa-f]{2})+")
# A trailing "%3A" + 1-5 digits is the port (the ABNF is case-insensitive, so %3a too).
_PORT_RE = re.compile(r"(?P<name>.+)%3[Aa](?P<port>[0-9]{1,5})")
# What the WHATWG URL parser would read as an IPv4 address: the last label is a decimal or 0x-hex number.
_NUMERIC_LABEL_RE = re.compile(r"[0-9]+|0[xX][0-9A-Fa-f]*")
MAX_DOMAIN_LENGTH = 253


def _invalid(detail: str) -> WebvhError:
    return WebvhError("invalidDidSyntax", detail)


@dataclass(frozen=True, slots=True)
class WebvhDid:
    """A parsed did:webvh DID. ``host`` is the ASCII (IDNA) host name; ``path`` the decoded segments."""

    did: str
    scid: str
    host: str
    port: int | None
    path: tuple[str, ...]

    @property
    def location(self) -> str:
        """The DID without its SCID (``example.com%3A3000:dids:issuer``): what portability may change."""
        return self.did[len(PREFIX) + len(self.scid) + 1:]

    def base_url(self, *, plain_http: bool = False) -> str:
        """``https://host[:port][/path]`` with no trailing slash: the implicit ``#files`` endpoint."""
        scheme = "http" if plain_http else "https"
        authority = self.host if self.port is None else f"{self.host}:{self.port}"
        return f"{scheme}://{authority}" + "".join("/" + quote(segment, safe="") for segment in self.path)

    def file_url(self, name: str, *, plain_http: bool = False) -> str:
        """The URL of ``did.jsonl`` or ``did-witness.json``: beside the path, or under ``/.well-known/``."""
        base = self.base_url(plain_http=plain_http)
        return f"{base}/{name}" if self.path else f"{base}/.well-known/{name}"

    def log_url(self, *, plain_http: bool = False) -> str:
        """Where the DID log (``did.jsonl``) is published."""
        return self.file_url("did.jsonl", plain_http=plain_http)

    def witness_url(self, *, plain_http: bool = False) -> str:
        """Where the witness proofs (``did-witness.json``) are published."""
        return self.file_url("did-witness.json", plain_http=plain_http)


def _decode_once(component: str, what: str) -> str:
    try:
        return unquote(component, errors="strict")
    except UnicodeDecodeError:
        raise _invalid(f"the {what} {component[:80]!r} percent-encodes bytes that are not UTF-8") from None


def _host(component: str, allow_hosts: frozenset[str]) -> tuple[str, int | None]:
    port: int | None = None
    match = _PORT_RE.fullmatch(component)
    if match is not None:
        component, port = match.group("name"), int(match.group("port"))
        if not 1 <= port <= 65535:
            raise _invalid(f"port {port} is outside 1-65535")
    labels = component.split(".")
    if not all(_LABEL_RE.fullmatch(label) for label in labels):
        raise _invalid(f"domain {component[:120]!r} must be dot-separated non-empty labels of letters, digits, "
                       "'-' and percent-encoded characters")
    name = _decode_once(component, "domain")
    if ":" in name:
        raise _invalid("the domain may hold one percent-encoded port separator, at its end")
    if name.lower() in allow_hosts:
        # Development and test set-ups (allow_http_hosts): 127.0.0.1 or localhost, which the spec forbids.
        return name.lower(), port
    try:
        host = idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise _invalid(f"domain {name[:120]!r} is not a valid (internationalised) domain name: {exc}") from None
    labels = host.split(".")
    if len(labels) < 2:
        raise _invalid(f"domain {host!r} is not a fully qualified domain name")
    if len(host) > MAX_DOMAIN_LENGTH:
        raise _invalid(f"domain is longer than {MAX_DOMAIN_LENGTH} characters")
    if _NUMERIC_LABEL_RE.fullmatch(labels[-1]):
        raise _invalid(f"domain {host!r} is an IP address (or would be read as one); a domain name is required")
    return host, port


def _segment(component: str) -> str:
    if not component:
        raise _invalid("path segments must not be empty")
    segment = _decode_once(component, "path segment")
    if segment in (".", "..") or any(char in segment for char in "/\\\x00") or segment.strip() != segment:
        raise _invalid(f"path segment {component[:80]!r} is '.', '..', contains '/', '\\' or NUL, "
                       "or starts or ends with whitespace")
    return segment


def parse_webvh_did(value: str, *, allow_hosts: frozenset[str] = frozenset()) -> WebvhDid:
    """Parse a bare did:webvh DID, enforcing every rule of the method-specific identifier.

    ``allow_hosts`` (lower-case host names) relaxes the domain rules for development hosts such as
    127.0.0.1, which the node also fetches over plain HTTP. Raises :class:`WebvhError` (``invalidDidSyntax``).
    """
    parsed = parse_did_url(value)
    if parsed is None or parsed.did != value or parsed.method != "webvh":
        raise _invalid(f"{str(value)[:200]!r} is not a bare did:webvh DID")
    scid, *rest = parsed.method_specific_id.split(":")
    if not SCID_RE.fullmatch(scid):
        raise _invalid(f"SCID {scid[:60]!r} is not a 46-character base58btc multihash")
    if not rest:
        raise _invalid("the DID has no domain after its SCID")
    host, port = _host(rest[0], allow_hosts)
    return WebvhDid(value, scid, host, port, tuple(_segment(component) for component in rest[1:]))


def did_for(domain: str, path: tuple[str, ...] = (), scid: str = SCID_PLACEHOLDER) -> str:
    """The DID for ``domain`` (``host`` or ``host:port``) and path segments, with the SCID placeholder by default.

    The port separator is written ``%3A`` and segments are percent-encoded, as the spec's canonical form asks.
    """
    host, _, port = domain.partition(":")
    encoded = _did_encode(host) + (f"%3A{port}" if port else "")
    return PREFIX + ":".join([scid, encoded, *(_did_encode(segment) for segment in path)])


def check_domain(domain: str, *, allow_hosts: frozenset[str] = frozenset()) -> None:
    """Raise :class:`WebvhError` unless ``domain`` (``host`` or ``host:port``) can locate a did:webvh DID."""
    parse_webvh_did(did_for(domain, scid="Qm" + "1" * 44), allow_hosts=allow_hosts)


def _did_encode(value: str) -> str:
    # quote() leaves '~' alone (unreserved in URLs), but a DID's idchar does not include it.
    return quote(value, safe="").replace("~", "%7E")

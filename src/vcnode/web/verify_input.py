"""What a visitor gives the verify page, told apart before it is verified: a JSON credential or presentation
(Data Integrity or an ``Enveloped...`` object), a ``data:application/vc+…`` URL, a compact JWT / SD-JWT string or
a binary COSE_Sign1 file.

A compact string is classified by its JWS header's ``typ`` (VC-JOSE-COSE §3.1.1, §3.2.1): ``vc+jwt`` / ``vp+jwt``
/ ``vc+sd-jwt`` / ``vp+sd-jwt`` are VC-JOSE-COSE envelopes and become the ``EnvelopedVerifiable...`` object the VC
API verifies (the envelopes registry reads a *bare* string as VC-JWT 1.1 only); ``dc+sd-jwt`` is an SD-JWT VC,
as is a ``vc+sd-jwt`` with a ``vct`` and no ``@context`` (SD-JWT VC drafts before -06 used that ``typ``); any
other JWT carrying a ``vc`` or ``vp`` claim is VC-JWT 1.1 and stays a bare string. Nothing here verifies
anything: it only decides which verifier gets the input.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

import orjson

from vcnode.envelope_formats import cose_sign1
from vcnode.envelopes.base import ENVELOPE_TYPES, V2_CONTEXT, data_url, parse_data_url

#: A compact JWS, optionally followed by SD-JWT disclosures (``~``-separated) and a key-binding JWT.
COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+(~[A-Za-z0-9_~.-]*)?")
VC_JWT_11 = "application/jwt"
_ENVELOPE_TYPS = ("vc+jwt", "vp+jwt", "vc+sd-jwt", "vp+sd-jwt")
_COSE_PRESENTATION = "application/vp+cose"


@dataclass(frozen=True)
class Compact:
    """A classified compact string: ``kind`` (``credential``, ``presentation``, ``sd-jwt``, ``no-credential``
    or ``unreadable``), what to verify, and the envelope's media type (None for an SD-JWT VC)."""

    kind: str
    document: Any = None
    media_type: str | None = None


def _b64_json(segment: str) -> Any:
    """A base64url JSON segment of a JWS, or None when it is not one."""
    try:
        return orjson.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError):
        return None


def _types(document: dict[str, Any]) -> list[Any]:
    types = document.get("type")
    return types if isinstance(types, list) else [types]


def json_kind(document: dict[str, Any]) -> str:
    """``presentation`` for a (possibly enveloped) presentation, else ``credential``."""
    types = _types(document)
    return "presentation" if ("VerifiablePresentation" in types or ENVELOPE_TYPES["presentation"] in types) \
        else "credential"


def envelope_object(kind: str, url: str) -> dict[str, Any]:
    """The ``EnvelopedVerifiableCredential`` (``...Presentation``) whose id is the data: URL ``url``."""
    return {"@context": [V2_CONTEXT], "id": url, "type": ENVELOPE_TYPES[kind]}


def media_type_of(document: dict[str, Any]) -> str:
    """The media type of an enveloped object's data: URL (parsed already once: no size limit here)."""
    return parse_data_url(document.get("id"), max_bytes=len(str(document.get("id")))).media_type


def data_url_envelope(url: str, max_bytes: int) -> tuple[str, dict[str, Any]]:
    """A pasted data: URL as (kind, enveloped object); :class:`~vcnode.envelopes.base.EnvelopeError` when it is
    not one. A ``vp+`` media type is a presentation (the verifier refuses it where a credential goes)."""
    media_type = parse_data_url(url, max_bytes=max_bytes).media_type
    kind = "presentation" if media_type.startswith("application/vp+") else "credential"
    return kind, envelope_object(kind, url)


def classify_compact(compact: str) -> Compact:
    """What a compact JWT / SD-JWT string is, by its header's ``typ`` (see the module's docstring)."""
    jws = compact.split("~", 1)[0]
    header_part, payload_part, _signature = jws.split(".")
    header = _b64_json(header_part)
    if not isinstance(header, dict):
        return Compact("unreadable")
    payload = _b64_json(payload_part)
    payload = payload if isinstance(payload, dict) else {}
    typ = str(header.get("typ", "")).strip().lower().removeprefix("application/")
    if typ == "dc+sd-jwt" or (typ == "vc+sd-jwt" and "vct" in payload and "@context" not in payload):
        return Compact("sd-jwt", compact)
    if typ in _ENVELOPE_TYPS:
        kind = "presentation" if typ.startswith("vp+") else "credential"
        media_type = f"application/{typ}"
        return Compact(kind, envelope_object(kind, data_url(media_type, compact)), media_type)
    if "~" in compact:  # an SD-JWT without a typ the page knows: the SD-JWT VC verifier says what is wrong
        return Compact("sd-jwt", compact)
    if isinstance(payload.get("vp"), dict):
        return Compact("presentation", compact, VC_JWT_11)
    if isinstance(payload.get("vc"), dict):
        return Compact("credential", compact, VC_JWT_11)
    return Compact("no-credential")


def looks_like_cose(raw: bytes) -> bool:
    """True when ``raw`` starts as a COSE_Sign1 does: tag 18 and an array of four, or the bare array."""
    return raw.startswith(b"\xd2\x84") or raw.startswith(b"\x84")


def cose_envelope(raw: bytes) -> tuple[str, dict[str, Any]]:
    """A binary COSE_Sign1 file as (kind, enveloped object): a presentation when its ``typ`` header says
    ``application/vp+cose``, else a credential (the verifier checks the ``typ`` against the media type)."""
    kind = "credential"
    try:
        if cose_sign1.decode(raw, max_bytes=len(raw)).header(cose_sign1.TYP) == _COSE_PRESENTATION:
            kind = "presentation"
    except Exception:  # unreadable: the verifier says why, as a credential
        kind = "credential"
    media_type = _COSE_PRESENTATION if kind == "presentation" else "application/vc+cose"
    return kind, envelope_object(kind, data_url(media_type, base64.b64encode(raw).decode("ascii"), base64=True))

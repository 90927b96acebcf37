"""Enveloped credentials and presentations (VC 2.0 ``EnvelopedVerifiableCredential`` /
``EnvelopedVerifiablePresentation``, W3C "Securing VCs using JOSE and COSE", and VC-JWT 1.1 strings).

Formats are plug-ins (:class:`~vcnode.envelopes.base.EnvelopeFormat`) registered in the entry-point group
``vcnode.credential_formats``, as cryptosuites and DID method drivers are: a format is added by installing a
distribution, without touching the core. This module finds the format for a media type, opens envelopes and
seals documents into them.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

from vcnode.did.resolver import Resolver
from vcnode.envelopes.base import (
    ENVELOPE_TYPES,
    INVALID_ENVELOPE,
    UNSUPPORTED_MEDIA_TYPE,
    V2_CONTEXT,
    EnvelopeError,
    EnvelopeFormat,
    Kind,
    Opened,
    data_url,
    full_media_type,
    parse_data_url,
)
from vcnode.errors import VcnodeError
from vcnode.keys.signer import SigningKey

ENTRY_POINT_GROUP = "vcnode.credential_formats"
#: A bare compact JWT in place of a credential or presentation is VC-JWT 1.1 (VC Data Model 1.1 §6.3.1).
VC_JWT_11 = "application/jwt"
#: Default limit on one envelope's data: URL (bytes); the node's is ``envelope_max_bytes``.
DEFAULT_MAX_BYTES = 256 * 1024

log = logging.getLogger(__name__)


def load_formats(group: str = ENTRY_POINT_GROUP) -> dict[str, Any]:
    """Every format registered in ``group``, keyed by each media type it handles. A format that fails to load
    is logged and left out (a broken plug-in must not stop the node); a media type claimed twice keeps the
    first."""
    formats: dict[str, Any] = {}
    for ep in entry_points(group=group):
        try:
            made = ep.load()()
        except Exception:
            log.exception("credential format %s (%s) failed to load", ep.name, ep.value)
            continue
        # A subclass of EnvelopeFormat, or any class with its members (a plug-in written against the protocol).
        if not isinstance(made, EnvelopeFormat) and not all(callable(getattr(made, name, None))
                                                             for name in ("seal", "open")):
            log.error("credential format %s (%s) is not a vcnode.envelopes.base.EnvelopeFormat; left out",
                      ep.name, ep.value)
            continue
        media_types = getattr(made, "media_types", ())
        if not isinstance(media_types, tuple | list) or not all(isinstance(m, str) for m in media_types):
            log.error("credential format %s (%s) declares no media_types; left out", ep.name, ep.value)
            continue
        for media_type in media_types:
            formats.setdefault(media_type.lower(), made)
    return formats


@lru_cache(maxsize=1)
def formats() -> dict[str, Any]:
    """The installed formats by media type (loaded once, on first use: formats import the verifiers)."""
    return load_formats()


def format_for(media_type: str) -> Any:
    """The format handling ``media_type``; :class:`EnvelopeError` ``unsupportedMediaType`` when none does."""
    found = formats().get(full_media_type(media_type))
    if found is None:
        raise EnvelopeError(f"no credential format for media type {media_type[:80]!r}; this node handles "
                            f"{', '.join(sorted(formats())) or 'none'}", code=UNSUPPORTED_MEDIA_TYPE)
    return found


def is_enveloped(value: Any, kind: Kind) -> bool:
    """True when ``value`` is an enveloped credential/presentation object, or a compact JWT string (VC-JWT 1.1)
    standing for one."""
    if isinstance(value, str):
        return value.count(".") == 2 and not value.startswith("data:")
    if not isinstance(value, dict):
        return False
    types = value.get("type")
    return ENVELOPE_TYPES[kind] in (types if isinstance(types, list) else [types])


def _check_context(value: dict[str, Any], kind: Kind) -> None:
    """VC 2.0 §4.13: the enveloped object's own ``@context`` MUST be present and include a context defining
    ``id``, ``type`` and its ``Enveloped...`` type; the base context is the one this node knows to do so."""
    context = value.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if V2_CONTEXT not in contexts:
        raise EnvelopeError(f"an {ENVELOPE_TYPES[kind]} needs an @context including {V2_CONTEXT} (the context "
                            f"defining its id, type and {ENVELOPE_TYPES[kind]} terms)", code="invalidContext")


async def open_envelope(value: Any, kind: Kind, resolver: Resolver, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Opened:
    """Open an enveloped credential or presentation (see :func:`is_enveloped`): its data: URL is parsed, the
    format for its media type verifies it. :class:`EnvelopeError` (or the format's JOSE/COSE error) when the
    URL is malformed or too large, no format handles the media type, or the envelope does not verify."""
    if isinstance(value, str):
        media_type, data = VC_JWT_11, value
        if len(value) > max_bytes:
            raise EnvelopeError(f"the JWT is longer than {max_bytes} bytes", code="envelopeTooLarge")
    else:
        _check_context(value, kind)
        parsed = parse_data_url(value.get("id"), max_bytes=max_bytes)
        media_type, data = parsed.media_type, parsed.data
        # A presentation's media type where a credential goes (or the reverse) would be verified with the
        # other purpose's keys (authentication for assertionMethod): refused by its name.
        wrong = "application/vp+" if kind == "credential" else "application/vc+"
        if media_type.startswith(wrong):
            raise EnvelopeError(f"{media_type[:80]} does not secure a {kind}", code=INVALID_ENVELOPE)
    found = format_for(media_type)
    try:
        return await found.open(data, media_type, resolver, max_bytes=max_bytes)
    except VcnodeError:
        raise
    except Exception:  # a plug-in's own parser failing on hostile bytes must be a refusal, not a crash
        log.exception("credential format %s failed on an envelope", type(found).__name__)
        raise EnvelopeError(f"the {media_type[:80]} envelope could not be read", code=INVALID_ENVELOPE) from None


async def unwrap(value: Any, kind: Kind, resolver: Resolver, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """What ``value`` secures when it is an envelope that opens, else ``value`` itself; for a presentation,
    the credentials it carries are unwrapped too. For what reads claims beside a verification report
    (recognition): the report says whether and why an envelope did not open."""
    if is_enveloped(value, kind):
        try:
            value = (await open_envelope(value, kind, resolver, max_bytes=max_bytes)).document
        except VcnodeError:
            return value
    if kind == "presentation" and isinstance(value, dict) and "verifiableCredential" in value:
        carried = value["verifiableCredential"]
        items = carried if isinstance(carried, list) else [carried]
        opened = [await unwrap(item, "credential", resolver, max_bytes=max_bytes) for item in items]
        value = {**value, "verifiableCredential": opened if isinstance(carried, list) else opened[0]}
    return value


def envelope(kind: Kind, media_type: str, data: str, *, base64: bool = False) -> dict[str, Any]:
    """The ``EnvelopedVerifiableCredential`` (or ``...Presentation``) object carrying ``data``."""
    return {"@context": [V2_CONTEXT], "id": data_url(media_type, data, base64=base64), "type": ENVELOPE_TYPES[kind]}


def seal(document: dict[str, Any], signing_key: SigningKey, media_type: str, kind: Kind = "credential",
         **options: Any) -> dict[str, Any]:
    """``document`` secured by ``signing_key`` as ``media_type`` (``vc+jwt`` or ``application/vc+jwt``), as an
    enveloped credential/presentation object."""
    media_type = full_media_type(media_type)
    found = format_for(media_type)
    sealed = found.seal(document, signing_key, media_type=media_type, **options)
    # COSE is binary: base64 in the URL (a format predating ``binary`` is known by its +cose suffix).
    binary = bool(getattr(found, "binary", False)) or media_type.endswith("+cose")
    return envelope(kind, media_type, sealed, base64=binary)


__all__ = ["DEFAULT_MAX_BYTES", "ENTRY_POINT_GROUP", "VC_JWT_11", "EnvelopeError", "EnvelopeFormat", "Opened",
           "envelope", "format_for", "formats", "is_enveloped", "load_formats", "open_envelope", "seal", "unwrap"]

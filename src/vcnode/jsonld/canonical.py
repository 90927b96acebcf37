"""Canonical forms: RDFC-1.0 N-Quads for the *-rdfc suites, RFC 8785 JCS for the *-jcs suites."""

from __future__ import annotations

from typing import Any

import jcs
from pyld.jsonld import JsonLdError

from vcnode.errors import VcnodeError
from vcnode.jsonld.contexts import ContextRegistry, UnknownContext, default_registry
from vcnode.jsonld.processor import CachingJsonLdProcessor, SafeJsonLdProcessor, UndefinedTerm, context_resolver


class CanonicalizationError(VcnodeError):
    """The document cannot be canonicalized (invalid JSON-LD)."""

    code = "canonicalizationError"
    status = 422
    title = "Invalid JSON-LD"


def _unwrap(exc: BaseException) -> BaseException | None:
    """pyld wraps loader errors several levels deep (``raise … from cause``); find ours."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, VcnodeError | UndefinedTerm):
            return current
        seen.add(id(current))
        details = getattr(current, "details", None)
        cause = details.get("cause") if isinstance(details, dict) else None
        current = cause if isinstance(cause, BaseException) else (current.__cause__ or current.__context__)
    return None


class UndefinedTermError(CanonicalizationError):
    """Safe mode: a term the contexts do not define (issuing such a document fails with 422)."""

    code = "undefinedTerm"


def canonicalize_rdfc(document: dict[str, Any], registry: ContextRegistry | None = None, *,
                      safe: bool = True) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document, using only pinned contexts.

    ``safe`` (the default, as in Digital Bazaar's libraries) refuses documents with undefined terms or
    relative IRIs, which JSON-LD would otherwise drop silently from what gets signed.
    """
    loader = (registry or default_registry()).document_loader
    processor = SafeJsonLdProcessor() if safe else CachingJsonLdProcessor()
    try:
        return processor.normalize(
            document, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader,
                       "contextResolver": context_resolver(loader)})
    except UndefinedTerm as exc:
        raise UndefinedTermError(str(exc)) from None
    except JsonLdError as exc:
        cause = _unwrap(exc)
        if isinstance(cause, UndefinedTerm):
            raise UndefinedTermError(str(cause)) from None
        if isinstance(cause, UnknownContext):
            raise cause from None
        raise CanonicalizationError(f"invalid JSON-LD: {exc.args[0] if exc.args else exc}") from None


def canonicalize_jcs(document: Any) -> bytes:
    """RFC 8785 canonical JSON (UTF-8)."""
    return jcs.canonicalize(document)

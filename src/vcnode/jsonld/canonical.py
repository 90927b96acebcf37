"""Canonical forms: RDFC-1.0 N-Quads for the *-rdfc suites, RFC 8785 JCS for the *-jcs suites."""

from __future__ import annotations

import re
from typing import Any

import jcs
import orjson
from pyld.jsonld import JsonLdError

from vcnode.errors import VcnodeError
from vcnode.jsonld.contexts import ContextRegistry, UnknownContext, default_registry
from vcnode.jsonld.presentations import composable, presentation_quads
from vcnode.jsonld.processor import CachingJsonLdProcessor, SafeJsonLdProcessor, UndefinedTerm, context_resolver
from vcnode.jsonld.quads import Quad, canonical_nquads


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
                      safe: bool = True, hash_name: str = "sha256") -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document, using only pinned contexts.

    ``safe`` (the default, as in Digital Bazaar's libraries) refuses documents with undefined terms or
    relative IRIs, which JSON-LD would otherwise drop silently from what gets signed. ``hash_name``: RDFC-1.0's
    hash algorithm (``sha256``, its default, or ``sha384``), which decides how blank nodes are labelled.
    """
    return canonical_nquads(document_quads(document, registry, safe=safe), hash_name=hash_name)


def document_quads(document: dict[str, Any], registry: ContextRegistry | None = None, *,
                   safe: bool = True) -> list[Quad]:
    """The RDF dataset of a JSON-LD document as quads, blank nodes as the JSON-LD processor labels them
    (what ecdsa-sd-2023 needs besides the canonical form: the map from these labels to canonical ones).
    Errors as :func:`canonicalize_rdfc`."""
    registry = registry or default_registry()
    loader = registry.document_loader
    processor = SafeJsonLdProcessor() if safe else CachingJsonLdProcessor()
    options = {"documentLoader": loader, "contextResolver": context_resolver(loader), "base": "",
               "produceGeneralizedRdf": False, "processingMode": "json-ld-1.1", "extractAllScripts": True}
    try:
        lenient = CachingJsonLdProcessor()
        templates = registry.templates(safe)

        def quads_of(part: Any) -> list[Quad]:
            return templates.quads(part, lambda doc: processor.to_rdf(doc, dict(options)),
                                   lambda doc: lenient.to_rdf(doc, dict(options)))

        # A presentation's shape rarely repeats, its credentials' do: its dataset is put together from theirs.
        quads = presentation_quads(document, quads_of) if composable(document) else None
        return quads if quads is not None else quads_of(document)
    except UndefinedTerm as exc:
        raise UndefinedTermError(str(exc)) from None
    except JsonLdError as exc:
        cause = _unwrap(exc)
        if isinstance(cause, UndefinedTerm):
            raise UndefinedTermError(str(cause)) from None
        if isinstance(cause, UnknownContext):
            raise cause from None
        raise CanonicalizationError(f"invalid JSON-LD: {exc.args[0] if exc.args else exc}") from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError) as exc:
        # pyld assumes well-formed contexts in places (e.g. {"@vocab": null}); malformed input is the
        # caller's error, never a crash.
        raise CanonicalizationError(f"invalid JSON-LD ({type(exc).__name__})") from None


_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_FLOATS = re.compile(rb"\d[.eE]")  # outside strings: a digit then ".", "e" or "E" is a float
_FOUR_BYTE_UTF8 = re.compile(rb"[\xf0-\xf4]")
# orjson's compact output puts a number at the start or right after ':', ',' or '['; a float there has '.',
# 'e' or 'E' after its digits. Nothing found means no float; a hit may be inside a string, so the exact
# check runs then. (Finding number starts first, then matching at each, is ~8x faster than one search.)
_NUMBER_START = re.compile(rb"[:,\[]-?[0-9]")
_FLOAT_AT = re.compile(rb"-?[0-9]+[.eE]")


def _maybe_float(out: bytes) -> bool:
    if _FLOAT_AT.match(out):
        return True
    return any(_FLOAT_AT.match(out, hit.start() + 1) for hit in _NUMBER_START.finditer(out))


def _orjson_jcs(document: Any) -> bytes | None:
    """Sorted-key orjson output when it is byte-identical to RFC 8785, else None. They differ only for
    floats (JCS uses ECMAScript number formatting), integers beyond ±2^53 (orjson's strict-integer mode
    refuses them) and keys outside the Basic Multilingual Plane (JCS sorts by UTF-16 code units, orjson by
    code points; any 4-byte UTF-8 sequence sends the document to the reference path). Strings are escaped
    alike."""
    try:
        out = orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER)
    except orjson.JSONEncodeError:
        return None
    if not out.isascii() and _FOUR_BYTE_UTF8.search(out):
        return None
    if _maybe_float(out) and _FLOATS.search(_STRINGS.sub(b'""', out)):
        return None
    return out


def canonicalize_jcs(document: Any) -> bytes:
    """RFC 8785 canonical JSON (UTF-8). orjson where its output is provably identical (see above), the
    ``jcs`` package otherwise; tests compare the two on generated documents."""
    fast = _orjson_jcs(document)
    return fast if fast is not None else jcs.canonicalize(document)

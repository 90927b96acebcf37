"""A pyld processor that reuses processed type-scoped contexts across documents.

pyld caches each processed context per active context (keyed by the active context's ``_uuid``). For a
type-scoped context (``propagate: false``) it first clones the active context to record
``previousContext``; the clone gets a new ``_uuid`` every time, so the cache never hits and every
Open Badges document re-processes every scoped context (~80 % of canonicalization time). This subclass
makes that clone once per active context, so the clone — and therefore the processed result — is
shared.

Second, pyld's context resolver keys embedded (scoped) contexts by their JCS serialisation, computed on
every use. Scoped contexts are objects inside cached term definitions — the same objects for every
document — so :class:`IdentityKeyedContextResolver` remembers them by identity (holding a reference, so
an id cannot be reused while cached).

Output is unchanged: tests compare it with stock pyld on every vector.

:class:`SafeJsonLdProcessor` adds JSON-LD "safe mode" (as Digital Bazaar's jsonld.js has): a property that
no context defines, a relative ``@type`` or a relative ``@id`` would be silently dropped from the RDF —
and so from what the signature covers — so it is an error instead.
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

from cachetools import LRUCache
from frozendict import frozendict
from pyld.context_resolver import ContextResolver
from pyld.jsonld import JsonLdProcessor, _is_absolute_iri, _is_keyword, _resolved_context_cache
from pyld.resolved_context import ResolvedContext

# One entry per (active context that type-scoped contexts were applied to): a few dozen in practice.
_NON_PROPAGATING_CLONES: LRUCache[str, dict[str, Any]] = LRUCache(maxsize=4096)


def _declares_propagate(local_ctx: Any) -> bool:
    """True when the local context may carry ``@propagate`` itself (then pyld decides; we do not)."""
    first = local_ctx[0] if isinstance(local_ctx, list) and local_ctx else local_ctx
    return not isinstance(first, dict) or "@propagate" in first


_OBJECT_CONTEXTS: LRUCache[int, tuple[Any, ResolvedContext]] = LRUCache(maxsize=4096)


class IdentityKeyedContextResolver(ContextResolver):
    """pyld's context resolver, with embedded context objects remembered by identity."""

    def resolve(self, active_ctx, context, base, cycles=None):  # type: ignore[no-untyped-def]
        if isinstance(context, dict | frozendict) and "@context" not in context:
            cached = _OBJECT_CONTEXTS.get(id(context))
            if cached is not None and cached[0] is context:
                return [cached[1]]
            resolved = super().resolve(active_ctx, context, base, cycles)
            if len(resolved) == 1:
                _OBJECT_CONTEXTS[id(context)] = (context, resolved[0])
            return resolved
        return super().resolve(active_ctx, context, base, cycles)


def context_resolver(document_loader: Any) -> ContextResolver:
    """A resolver sharing pyld's cache of resolved remote contexts."""
    return IdentityKeyedContextResolver(_resolved_context_cache, document_loader)


class CachingJsonLdProcessor(JsonLdProcessor):
    """pyld's processor with the non-propagating clone shared (see the module docstring)."""

    def _process_context(self, active_ctx, local_ctx, options, override_protected=False, propagate=True,
                         validate_scoped=True, cycles=None):  # type: ignore[no-untyped-def]
        key = active_ctx.get("_uuid")
        if not propagate and key and not active_ctx.get("previousContext") and not _declares_propagate(local_ctx):
            clone = _NON_PROPAGATING_CLONES.get(key)
            if clone is None:
                clone = self._clone_active_context(active_ctx)
                clone["previousContext"] = active_ctx
                clone["_uuid"] = str(uuid.uuid4())
                _NON_PROPAGATING_CLONES[key] = clone
            # The clone already records previousContext, so pyld skips its own (uncacheable) clone.
            active_ctx = clone
        return super()._process_context(active_ctx, local_ctx, options, override_protected, propagate,
                                        validate_scoped, cycles)


class UndefinedTerm(ValueError):
    """Safe mode: the document uses a term or IRI that would be dropped from the signed data."""


# pyld's functions where a document's properties, @type values and @id values are really expanded. Other
# callers only probe keys (e.g. looking for @type before type-scoped contexts apply) and must not raise.
_EXPANDING_CALLERS = frozenset({"_expand_object", "_expand_value"})


_COMPREHENSIONS = frozenset({"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"})


def _called_while_expanding() -> bool:
    """True when the caller of ``_expand_iri`` is one of the expanding functions (comprehension frames,
    which Python 3.11 gives their own frame, are looked through)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_name in _COMPREHENSIONS:
        frame = frame.f_back
    return frame is not None and frame.f_code.co_name in _EXPANDING_CALLERS


def _is_iri_or_keyword(value: Any) -> bool:
    return value is not None and bool(_is_absolute_iri(value) or _is_keyword(value))


class SafeJsonLdProcessor(CachingJsonLdProcessor):
    """:class:`CachingJsonLdProcessor` in safe mode (see the module docstring)."""

    def _expand_iri(self, active_ctx, value, base=None, vocab=False, local_ctx=None, defined=None):  # type: ignore[no-untyped-def]
        expanded = super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
        if local_ctx is not None or defined is not None or not isinstance(value, str):
            return expanded  # context processing, not the document
        # Cheap tests first; the caller is inspected only for values that already look undefined.
        if base is None:
            if vocab and not _is_iri_or_keyword(expanded) and _called_while_expanding():
                raise UndefinedTerm(f"property {value[:100]!r} is not defined by the document's contexts "
                                    "(it would be dropped from the signed data)")
        elif not _is_iri_or_keyword(value) and value not in active_ctx["mappings"] \
                and not _is_iri_or_keyword(super()._expand_iri(active_ctx, value, None, vocab, None, None)) \
                and _called_while_expanding():
            # Only a document-relative reference needs the base: refused, as jsonld.js safe mode does.
            what = "@type" if vocab else "@id"
            raise UndefinedTerm(f"relative {what} reference {value[:100]!r}: use an absolute IRI or a term the "
                                "contexts define")
        return expanded

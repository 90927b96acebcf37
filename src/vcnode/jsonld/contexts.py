"""The pinned JSON-LD contexts shipped with vcnode, and a document loader that serves only them.

The node never fetches a context: a document that names any other context URL fails with
:class:`UnknownContext` (a 422-style input error), whatever the network would have answered.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from vcnode.errors import VcnodeError


class UnknownContext(VcnodeError):
    """A document uses a JSON-LD context that is not pinned in this node."""

    code = "unknownContext"
    status = 422
    title = "Unknown JSON-LD context"


class ContextRegistry:
    """URL → parsed context document. ``extra`` adds contexts (e.g. a deployment's own vocabulary)."""

    def __init__(self, documents: dict[str, Any]) -> None:
        self._documents = dict(documents)
        self._templates: dict[bool, Any] = {}

    def templates(self, safe: bool) -> Any:
        """The shape-template cache for documents processed with these contexts (see jsonld.templates)."""
        if safe not in self._templates:
            from vcnode.jsonld.templates import TemplateCache, context_terms

            self._templates[safe] = TemplateCache(context_terms(self._documents))
        return self._templates[safe]

    @property
    def urls(self) -> list[str]:
        """Every context URL this registry serves."""
        return sorted(self._documents)

    def with_contexts(self, extra: dict[str, Any]) -> ContextRegistry:
        """A registry with ``extra`` contexts added (tests, deployment-specific vocabularies)."""
        return ContextRegistry({**self._documents, **extra})

    def get(self, url: str) -> Any:
        """The context document at ``url``, or :class:`UnknownContext`."""
        try:
            return self._documents[url]
        except (KeyError, TypeError):
            raise UnknownContext(f"unknown JSON-LD context {str(url)[:200]!r}: only pinned contexts are used "
                                 "(vcnode never fetches contexts)") from None

    def __contains__(self, url: object) -> bool:
        return url in self._documents

    def document_loader(self, url: str, options: dict | None = None) -> dict[str, Any]:
        """A pyld document loader serving only this registry.

        ``tag: static`` tells pyld the document never changes, so it caches the resolved context across
        operations; without it every canonicalization re-resolves (and re-serialises) every context.
        """
        return {"contextUrl": None, "documentUrl": url, "document": self.get(url), "tag": "static"}


@cache
def default_registry() -> ContextRegistry:
    """The contexts shipped in ``vcnode/jsonld/contexts`` (see scripts/update_contexts.py)."""
    folder = resources.files("vcnode.jsonld").joinpath("contexts")
    index = json.loads(folder.joinpath("index.json").read_text("utf-8"))
    return ContextRegistry({url: json.loads(folder.joinpath(entry["file"]).read_text("utf-8"))
                            for url, entry in index.items()})

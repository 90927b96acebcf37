"""JSON-LD: pinned contexts (never fetched), RDF Dataset Canonicalization (RDFC-1.0) and JCS (RFC 8785)."""

from vcnode.jsonld.canonical import canonicalize_jcs, canonicalize_rdfc
from vcnode.jsonld.contexts import ContextRegistry, UnknownContext, default_registry

__all__ = ["ContextRegistry", "UnknownContext", "canonicalize_jcs", "canonicalize_rdfc", "default_registry"]

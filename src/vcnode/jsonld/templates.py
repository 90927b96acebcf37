"""Shape templates: skip JSON-LD expansion for documents that differ from a seen one only in values.

JSON-LD processing (context application, expansion, conversion to RDF) is ~80 % of RDFC-1.0 and depends
on a document's structure — keys, types, numbers, which terms are IRIs — but not on the text of string
literals, nor on absolute IRIs that are simply carried into the RDF. So the RDF dataset can be cached per
*shape*, with placeholders where such values go, and reused by substituting the actual values; only RDF
Dataset Canonicalization (URDNA2015, which depends on every value) runs per document. A template is kept
as N-Quads terms (see jsonld.quads), so filling it in is string substitution.

What is a slot is learned, not assumed. A probe run replaces every candidate value with a unique
placeholder (IRI-shaped for values that are absolute IRIs) and keeps, per slot, only clean outcomes: a
whole literal exactly once, or whole IRIs in subject/object positions only. A template is then built with
every other value verbatim (they are part of the cache key), in the caller's mode (safe mode included),
and validated the same way; anything unexpected means the document is processed in full. Tests compare
the results with stock pyld on every vector and on randomised documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cachetools import LRUCache
from pyld.nquads import escape

from vcnode.jsonld.quads import Quad, from_dataset, literal_term, term

_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters: a document containing them is never templated
_VERBATIM_KEYS = frozenset({"type", "@type", "@context", "@language", "@direction", "@vocab", "@base", "@index",
                            "@list", "@set", "@graph", "@json"})
_IRI = re.compile(r"^(did|urn|https?):[^\s\ue000\ue001]+$")
Dataset = dict[str, list[dict[str, Any]]]
ToRdf = Callable[[Any], Dataset]
LITERAL, IRI = "literal", "iri"


class _Walk:
    """One pass over a document: its shape key and its candidate values."""

    __slots__ = ("candidates", "schemes", "shape", "templatable")

    def __init__(self, document: Any, terms: frozenset[str]) -> None:
        self.shape: list[Any] = []
        self.candidates: list[str] = []
        self.schemes: list[str | None] = []
        self.templatable = True
        # The walk runs for every canonicalized document: locals and exact type checks keep it cheap.
        add, candidate, scheme_of, iri = self.shape.append, self.candidates.append, self.schemes.append, _IRI.match

        def visit(value: Any, key: str | None) -> None:
            kind = value.__class__
            if kind is dict:
                add("{")
                for name, item in value.items():
                    add(name)
                    visit(item, "@context" if key == "@context" else name)
                add("}")
            elif kind is list:
                add("[")
                for item in value:
                    visit(item, key)
                add("]")
            elif kind is str:
                if _OPEN in value or _CLOSE in value:
                    self.templatable = False
                if key is None or key in _VERBATIM_KEYS or (key[:1] == "@" and key != "@id"):
                    add(("=", value))
                    return
                match = iri(value)
                scheme = match.group(1) if match and value not in terms else None
                add(("s", scheme))  # a candidate slot; an IRI-shaped one keeps its scheme
                candidate(value)
                scheme_of(scheme)
            elif isinstance(value, dict | list | str):  # a subclass: not worth templating
                self.templatable = False
                add(("?", id(value)))
            else:
                add(("v", kind.__name__, value))

        visit(document, None)


def _placeholder(index: int, scheme: str | None) -> str:
    return f"{scheme}:{_OPEN}{index}{_CLOSE}" if scheme else f"{_OPEN}{index}{_CLOSE}"


def _replace(document: Any, walk: _Walk, keep: frozenset[int]) -> Any:
    """``document`` with candidates replaced by placeholders, except those in ``keep``."""
    counter = iter(range(len(walk.candidates)))

    def rebuild(value: Any, key: str | None) -> Any:
        if isinstance(value, dict):
            return {name: rebuild(item, "@context" if key == "@context" else name) for name, item in value.items()}
        if isinstance(value, list):
            return [rebuild(item, key) for item in value]
        if isinstance(value, str) and not (key is None or key in _VERBATIM_KEYS
                                           or (key.startswith("@") and key != "@id")):
            index = next(counter)
            return value if index in keep else _placeholder(index, walk.schemes[index])
        return value

    return rebuild(document, None)


def _slot_of(text: str) -> int:
    return int(text[text.index(_OPEN) + 1:text.index(_CLOSE)])


def _classify(dataset: Dataset, walk: _Walk) -> dict[int, str | None]:
    """Slot index → LITERAL, IRI, or None (unusable) from where its placeholder appears."""
    literal_counts: dict[int, int] = {}
    outcome: dict[int, str | None] = {}
    for graph in dataset:  # a graph name is not filled in: its value stays part of the template key
        if _OPEN in graph:
            outcome[_slot_of(graph)] = None
    for quads in dataset.values():
        for quad in quads:
            for position, component in quad.items():
                for field in ("value", "datatype"):
                    text = component.get(field) or ""
                    if _OPEN not in text:
                        continue
                    index = _slot_of(text)
                    whole = text == _placeholder(index, walk.schemes[index])
                    if field == "value" and whole and position == "object" and component.get("type") == "literal":
                        literal_counts[index] = literal_counts.get(index, 0) + 1
                        kind: str | None = LITERAL
                    elif field == "value" and whole and position in ("subject", "object") \
                            and component.get("type") == "IRI" and walk.schemes[index]:
                        kind = IRI
                    else:
                        kind = None
                    outcome[index] = kind if outcome.get(index, kind) == kind else None
    for index, count in literal_counts.items():
        if count != 1:
            outcome[index] = None
    return outcome


class TemplateCache:
    """RDF dataset templates per document shape, for one registry of contexts and one processing mode.

    ``terms`` are every term the registry's contexts define: an IRI-looking value equal to a term is kept
    verbatim, since it could expand differently."""

    def __init__(self, terms: frozenset[str] = frozenset(), max_shapes: int = 1024, max_templates: int = 8192) -> None:
        self._terms = terms
        self._slots: LRUCache[tuple, frozenset[int] | None] = LRUCache(max_shapes)
        self._templates: LRUCache[tuple, _Template | None] = LRUCache(max_templates)

    def quads(self, document: Any, to_rdf: ToRdf, probe: ToRdf) -> list[Quad]:
        """The RDF quads of ``document``. ``to_rdf`` is the real conversion (e.g. in safe mode);
        ``probe`` a lenient one used only to learn which values are slots."""
        walk = _Walk(document, self._terms)
        if not walk.templatable or not walk.candidates:
            return from_dataset(to_rdf(document))
        shape = tuple(walk.shape)
        if shape not in self._slots:
            self._slots[shape] = self._learn(document, walk, probe)
        slots = self._slots[shape]
        if not slots:
            return from_dataset(to_rdf(document))
        keep = frozenset(range(len(walk.candidates))) - slots
        key = (shape, tuple(walk.candidates[i] for i in sorted(keep)))
        if key not in self._templates:
            self._templates[key] = self._build(document, walk, keep, slots, to_rdf)
        template = self._templates[key]
        if template is None:
            return from_dataset(to_rdf(document))
        return template.fill(walk.candidates)

    @staticmethod
    def _learn(document: Any, walk: _Walk, probe: ToRdf) -> frozenset[int] | None:
        try:
            dataset = probe(_replace(document, walk, frozenset()))
        except Exception:  # the probe is lenient; anything it still refuses is simply not templated
            return None
        return frozenset(index for index, kind in _classify(dataset, walk).items() if kind is not None)

    @staticmethod
    def _build(document: Any, walk: _Walk, keep: frozenset[int], slots: frozenset[int],
               to_rdf: ToRdf) -> _Template | None:
        try:
            dataset = to_rdf(_replace(document, walk, keep))
        except Exception:
            return None  # the real run reports the error itself when the document is processed in full
        outcome = _classify(dataset, walk)
        if set(outcome) != set(slots) or None in outcome.values():
            return None
        return _Template(dataset)


class _Template:
    """A dataset with slots, as quads of N-Quads terms where a slot is its index (an int)."""

    __slots__ = ("formats", "quads")

    def __init__(self, dataset: Dataset) -> None:
        #: slot index → (text before the value, text after it, whether the value is escaped as a literal)
        self.formats: dict[int, tuple[str, str, bool]] = {}
        self.quads: list[tuple[str | int, ...]] = []
        for graph, triples in dataset.items():
            name = "" if graph == "@default" else graph if graph.startswith("_:") else f"<{graph}>"
            for triple in triples:
                self.quads.append((*(self._term(triple[p]) for p in ("subject", "predicate", "object")), name))

    def _term(self, component: dict[str, Any]) -> str | int:
        text = component["value"]
        if _OPEN not in text:
            return term(component)
        index = _slot_of(text)
        if component["type"] == "literal":
            marker = "\ue002"  # split the literal's N-Quads form around its value
            before, after = literal_term(marker, component["datatype"], component.get("language")).split(marker)
            self.formats[index] = (before, after, True)
        else:
            self.formats[index] = ("<", ">", False)
        return index

    def fill(self, values: list[str]) -> list[Quad]:
        """The quads with every slot's value in place; equal quads collapse (RDF datasets are sets)."""
        rendered = {index: before + (escape(values[index]) if literal else values[index]) + after
                    for index, (before, after, literal) in self.formats.items()}
        unique: dict[Quad, None] = {}
        for s, p, o, g in self.quads:  # only subjects and objects are slots (see _classify)
            unique[(rendered[s] if s.__class__ is int else s, p,  # type: ignore[index]
                    rendered[o] if o.__class__ is int else o, g)] = None  # type: ignore[index]
        return list(unique)


def context_terms(documents: dict[str, Any]) -> frozenset[str]:
    """Every term (key) defined anywhere in the given context documents, scoped contexts included."""
    terms: set[str] = set()

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                terms.add(key)
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(list(documents.values()))
    return frozenset(terms)

"""RDF quads as N-Quads terms, and RDFC-1.0 canonical labelling with a fast path for the common case.

A quad is four strings, each already written in N-Quads syntax: ``<iri>``, ``_:label`` or a literal
(``"escaped"``, ``"…"^^<datatype>``, ``"…"@lang``); the graph is ``""`` for the default graph. Written this
way, a quad is serialized once, and hashing a blank node's first-degree quads is string substitution.

RDFC-1.0 gives blank nodes canonical labels in the order of their first-degree hashes when those hashes
are all distinct, which is the case for credentials (each blank node is an object with its own values).
Only when two blank nodes hash alike does it need the N-degree algorithm: then :mod:`vcnode.jsonld.rdfc`
runs on the same quads, with its work bounded, so the output is RDFC-1.0 either way.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pyld.nquads import RDF_LANGSTRING, XSD_STRING, escape, unescape

from vcnode.jsonld.rdfc import HASH_ALGORITHMS, CanonicalizationLimits, n_degree_labels

Quad = tuple[str, str, str, str]
Dataset = dict[str, list[dict[str, Any]]]


def literal_term(value: str, datatype: str, language: str | None = None) -> str:
    """The N-Quads form of a literal, exactly as pyld serializes it."""
    if datatype == RDF_LANGSTRING:
        return f'"{escape(value)}"@{language}' if language else f'"{escape(value)}"'
    if datatype == XSD_STRING:
        return f'"{escape(value)}"'
    return f'"{escape(value)}"^^<{datatype}>'


def term(component: dict[str, Any]) -> str:
    """The N-Quads form of a pyld RDF term."""
    kind = component["type"]
    if kind == "IRI":
        return f"<{component['value']}>"
    if kind == "blank node":
        return component["value"]
    return literal_term(component["value"], component["datatype"], component.get("language"))


def from_dataset(dataset: Dataset) -> list[Quad]:
    """pyld's RDF dataset (from ``to_rdf``) as quads."""
    quads: list[Quad] = []
    for graph, triples in dataset.items():
        name = "" if graph == "@default" else graph if graph.startswith("_:") else f"<{graph}>"
        for triple in triples:
            quads.append((term(triple["subject"]), term(triple["predicate"]), term(triple["object"]), name))
    return quads


_LITERAL = re.compile(r'"(.*)"(?:\^\^<([^>]*)>|@([a-zA-Z]+(?:-[a-zA-Z0-9]+)*))?', re.DOTALL)


def _component(text: str) -> dict[str, Any]:
    if text.startswith("<"):
        return {"type": "IRI", "value": text[1:-1]}
    if text.startswith("_:"):
        return {"type": "blank node", "value": text}
    match = _LITERAL.fullmatch(text)
    if match is None:  # quads are built by this module; anything else is a programming error
        raise ValueError(f"not an N-Quads term: {text[:60]!r}")
    value, datatype, language = match.groups()
    out = {"type": "literal", "value": unescape(value),
           "datatype": datatype or (RDF_LANGSTRING if language else XSD_STRING)}
    if language:
        out["language"] = language
    return out


def to_dataset(quads: list[Quad]) -> Dataset:
    """Quads back as a pyld RDF dataset (the inverse of ``from_dataset``)."""
    dataset: Dataset = {}
    for s, p, o, g in quads:
        name = "@default" if not g else g if g.startswith("_:") else g[1:-1]
        dataset.setdefault(name, []).append({"subject": _component(s), "predicate": _component(p),
                                             "object": _component(o)})
    return dataset


def _line(s: str, p: str, o: str, g: str) -> str:
    return f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n"


def _first_degree(node: str, quads: list[Quad], digest: Any = hashlib.sha256) -> str:
    """Hash First Degree Quads: ``node`` written ``_:a``, every other blank node ``_:z``."""
    lines = []
    for s, p, o, g in quads:
        if s[:2] == "_:":
            s = "_:a" if s == node else "_:z"
        if o[:2] == "_:":
            o = "_:a" if o == node else "_:z"
        if g[:2] == "_:":
            g = "_:a" if g == node else "_:z"
        lines.append(f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n")
    lines.sort()
    return digest("".join(lines).encode()).hexdigest()


def blank_node_mentions(quads: list[Quad]) -> dict[str, list[Quad]]:
    """Blank node → the quads it appears in (RDFC-1.0's blank node to quads map), each quad once.

    A quad naming the same blank node twice (``_:a <p> _:a``) is listed once for it, as in Digital Bazaar's
    rdf-canonize, which the W3C suites and every Data Integrity verifier in the field use. (pyld lists it once
    per position, which changes that node's hash: a self-referencing credential signed by one would not
    verify with the other.)"""
    mentions: dict[str, list[Quad]] = {}
    for quad in quads:
        s, _, o, g = quad
        if s[:2] == "_:":
            mentions.setdefault(s, []).append(quad)
        if o[:2] == "_:" and o != s:
            mentions.setdefault(o, []).append(quad)
        if g[:2] == "_:" and g != s and g != o:
            mentions.setdefault(g, []).append(quad)
    return mentions


def first_degree_hashes(mentions: dict[str, list[Quad]], hash_name: str = "sha256") -> dict[str, str]:
    """Blank node → its first-degree hash (with RDFC-1.0's hash algorithm ``hash_name``)."""
    digest = HASH_ALGORITHMS[hash_name]
    return {node: _first_degree(node, related, digest) for node, related in mentions.items()}


def relabelled(quads: list[Quad], labels: dict[str, str]) -> str:
    """The quads with their blank nodes renamed by ``labels``, as sorted N-Quads."""
    lines = []
    for s, p, o, g in quads:
        if s[:2] == "_:":
            s = labels[s]
        if o[:2] == "_:":
            o = labels[o]
        if g[:2] == "_:":
            g = labels[g]
        lines.append(f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n")
    lines.sort()
    return "".join(lines)


def canonical_nquads(quads: list[Quad], limits: CanonicalizationLimits | None = None,
                     hash_name: str = "sha256") -> str:
    """RDFC-1.0 canonical N-Quads of the dataset made of ``quads``; :class:`CanonicalizationLimit` when
    its blank nodes need more N-degree work than ``limits`` (the configured ones by default) allow.
    ``hash_name``: RDFC-1.0's hash algorithm (its implementation-specific parameter), SHA-256 by default; the
    ECDSA suites use SHA-384 for P-384 keys (vc-di-ecdsa §2.3), which can order blank nodes differently."""
    labels = canonical_labels(quads, limits, hash_name)
    if not labels:
        return "".join(sorted(_line(*quad) for quad in quads))
    return relabelled(quads, labels)


def canonical_labels(quads: list[Quad], limits: CanonicalizationLimits | None = None,
                     hash_name: str = "sha256") -> dict[str, str]:
    """RDFC-1.0's canonical issuer map: each blank node of ``quads`` (``_:b0``) → its canonical label
    (``_:c14n0``). Selective disclosure (ecdsa-sd-2023) relabels with it; errors as :func:`canonical_nquads`."""
    mentions = blank_node_mentions(quads)
    if not mentions:
        return {}
    hashes = first_degree_hashes(mentions, hash_name)
    if len(set(hashes.values())) < len(hashes):  # a tie: RDFC-1.0 needs the N-degree hashes
        return n_degree_labels(mentions, hashes, limits, hash_name)
    return {node: f"_:c14n{index}" for index, node in enumerate(sorted(hashes, key=hashes.__getitem__))}

"""Shape templates must give exactly what stock pyld gives, whatever the literal values are."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pyld import jsonld

from tests.unit.test_jsonld import vector_documents
from vcnode.jsonld import canonicalize_rdfc, default_registry

TRICKY = ["", "A", "a\nb", 'quote " and \\ backslash', "ünïcødé ✓ \U0001d518", "2026-01-01T00:00:00Z", "did:example:1",
          "https://example.com/x", "_:b0", "@id", "   ", "\t", "<b>html</b>"]


def stock(document: dict[str, Any]) -> str:
    return jsonld.normalize(copy.deepcopy(document), {"algorithm": "URDNA2015", "format": "application/n-quads",
                                                      "documentLoader": default_registry().document_loader})


def strings(value: Any, path: tuple = ()) -> list[tuple]:
    """Paths of every string leaf outside @context."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "@context":
                found += strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += strings(item, (*path, index))
    elif isinstance(value, str):
        found.append(path)
    return found


def put(document: Any, path: tuple, value: str) -> None:
    for step in path[:-1]:
        document = document[step]
    document[path[-1]] = value


def test_mutated_vector_documents_match_stock_pyld(vectors: Path) -> None:
    rng = random.Random(20261123)
    documents = vector_documents(vectors)
    compared = 0
    for _ in range(6):
        for name, document in documents:
            mutated = copy.deepcopy(document)
            paths = strings(mutated)
            for path in rng.sample(paths, k=min(len(paths), 6)):
                put(mutated, path, rng.choice([*TRICKY, str(rng.random())]))
            try:
                expected = stock(mutated)
            except jsonld.JsonLdError:
                continue  # e.g. a mutated "type" that no context defines
            assert canonicalize_rdfc(mutated, safe=False) == expected, name
            compared += 1
    assert compared >= 100, compared


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=4, max_size=4))
def test_equal_literals_collapse_like_rdf_sets(values: list[str]) -> None:
    """Several strings of one property that may be equal: the dataset is a set, as in stock pyld."""
    document = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                "issuer": "did:example:issuer", "name": values[0], "description": values[1],
                "credentialSubject": {"id": "did:example:s", "name": [values[2], values[3], values[2]]}}
    assert canonicalize_rdfc(document, safe=False) == stock(document)


IRIS = st.sampled_from(["did:example:a", "did:example:b", "urn:uuid:1", "https://example.com/x",
                        "https://example.com/x#frag", "did:key:z6Mk"])


@settings(max_examples=150, deadline=None)
@given(IRIS, IRIS, IRIS, IRIS, st.text(max_size=6))
def test_iri_slots_including_equal_ids_match_stock_pyld(a: str, b: str, c: str, d: str, text: str) -> None:
    """Ids and IRI values in slots; equal ids merge nodes in JSON-LD, and the result must still match."""
    document = {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": a, "type": ["VerifiableCredential"],
                "issuer": {"id": b, "name": text}, "credentialSubject": {"id": c, "name": "n", "url": d}}
    assert canonicalize_rdfc(document, safe=False) == stock(document)


def test_empty_keys_and_mapping_subclasses_are_walked_without_error() -> None:
    from collections import OrderedDict

    document = {"@context": {"@vocab": "https://example.com/vocab#"}, "": "empty key", "name": "n",
                "sub": OrderedDict(name="ordered")}
    assert canonicalize_rdfc(document, safe=False) == stock(document)

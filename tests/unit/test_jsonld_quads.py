"""Quads as N-Quads terms and the fast RDFC-1.0 labelling: identical to pyld's URDNA2015 in every case."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyld import jsonld
from pyld.canon import URDNA2015

from tests.unit.test_jsonld import vector_documents
from tests.unit.test_jsonld_templates import stock
from vcnode.jsonld import canonicalize_rdfc, default_registry
from vcnode.jsonld import quads as quads_module
from vcnode.jsonld.quads import canonical_nquads, from_dataset, to_dataset

OPTIONS = {"documentLoader": default_registry().document_loader}


def dataset_of(document: dict[str, Any]) -> dict:
    return jsonld.to_rdf(copy.deepcopy(document), OPTIONS)


def test_quads_round_trip_and_canonicalize_like_pyld_on_every_vector(vectors: Path) -> None:
    for name, document in vector_documents(vectors):
        dataset = dataset_of(document)
        quads = from_dataset(dataset)
        assert from_dataset(to_dataset(quads)) == quads, name
        expected = URDNA2015().main(dataset_of(document), {"format": "application/n-quads"})
        assert canonical_nquads(quads) == expected, name


ALIGNMENT = {"type": ["Alignment"], "targetName": "EQF level 5", "targetUrl": "https://example.eu/eqf/5"}


def badge_with(alignments: list[dict[str, Any]], results: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"], "issuer": {"id": "did:example:i",
                                                                            "type": ["Profile"]},
        "validFrom": "2026-01-01T00:00:00Z", "name": "Badge",
        "credentialSubject": {"type": ["AchievementSubject"], "result": results, "achievement": {
            "id": "https://example.com/a", "type": ["Achievement"], "name": "A", "description": "d",
            "criteria": {"narrative": "n"}, "alignment": alignments}},
    }


def test_blank_nodes_that_hash_alike_take_the_n_degree_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two identical results and two identical alignments: their first-degree hashes tie.
    calls = []
    n_degree = quads_module.n_degree_labels

    def counting(*args: Any) -> dict[str, str]:
        calls.append(1)
        return n_degree(*args)

    monkeypatch.setattr(quads_module, "n_degree_labels", counting)
    document = badge_with([ALIGNMENT, {**ALIGNMENT}], [{"type": ["Result"], "value": "B"},
                                                        {"type": ["Result"], "value": "B"}])
    assert canonicalize_rdfc(document, safe=False) == stock(document)
    assert calls, "the tie should have been resolved by the N-degree algorithm"
    calls.clear()
    assert canonicalize_rdfc(badge_with([ALIGNMENT], []), safe=False) == stock(badge_with([ALIGNMENT], []))
    assert not calls, "distinct first-degree hashes need no N-degree hashing"


TEXT = st.sampled_from(["A", "B", "", "x\ny", 'q"uote'])


@settings(max_examples=120, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=4), st.lists(TEXT, min_size=0, max_size=4))
def test_any_mix_of_equal_and_distinct_blank_nodes_matches_stock_pyld(names: list[str], values: list[str]) -> None:
    alignments = [{**ALIGNMENT, "targetName": name} for name in names]
    results = [{"type": ["Result"], "value": value} for value in values]
    document = badge_with(alignments, results)
    assert canonicalize_rdfc(document, safe=False) == stock(document)


def test_a_named_graph_whose_id_is_also_a_subject_is_not_templated_wrongly() -> None:
    context = {"@context": {"@vocab": "https://example.com/vocab#"}}
    for graph_id in ("urn:uuid:1", "urn:uuid:2"):
        document = {**context, "@id": graph_id, "name": "g", "@graph": [{"@id": "urn:uuid:x", "value": graph_id}]}
        assert canonicalize_rdfc(document, safe=False) == stock(document)

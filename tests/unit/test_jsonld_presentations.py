"""Presentations cost what their credentials cost (issue 12, item 6), byte-identical to pyld.

Two things made a presentation dearer than its credentials:
- its shape (the sequence of its credentials' shapes) rarely repeats, so it missed the shape-template cache and
  was expanded by JSON-LD as a whole; its dataset is now put together from its credentials' (templated per
  credential shape) where VC 2.0 makes that exact (vcnode.jsonld.presentations);
- identical blank nodes in two credentials tie, and the N-degree algorithm tried every permutation of the list of
  a node's related blank nodes, in which the graph holding the node appears once per quad: ``m!`` orders of
  one node repeated ``m`` times, where the references (pyld, rdf-canonize) visit one.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyld import canon

from tests.builders import badge, did_key_signer
from tests.unit.test_jsonld import vector_documents
from tests.unit.test_jsonld_templates import stock
from vcnode.credentials.issue import create_presentation, issue_credential, sign
from vcnode.jsonld import canonical, canonicalize_rdfc, rdfc
from vcnode.jsonld.contexts import default_registry
from vcnode.jsonld.presentations import composable
from vcnode.jsonld.rdfc import _permutations

VC_V2 = "https://www.w3.org/ns/credentials/v2"
DATA_INTEGRITY = "https://w3id.org/security/data-integrity/v2"


def signed_badges(count: int, learner: str | None = None) -> list[dict[str, Any]]:
    signer = did_key_signer()
    issuer = signer.verification_method.split("#")[0]
    out = []
    for n in range(count):
        credential = badge(issuer, f"urn:uuid:00000000-0000-4000-8000-{n:012d}")
        if learner is not None:
            credential["credentialSubject"]["id"] = learner
        if n % 3 == 1:
            credential["credentialSubject"]["result"] = [{"type": ["Result"], "value": "B+"}]
        elif n % 3 == 2:
            credential["credentialSubject"]["achievement"]["alignment"] = [
                {"type": ["Alignment"], "targetName": "EQF level 5", "targetUrl": "https://example.eu/eqf/5"}]
        out.append(issue_credential(credential, signer))
    return out


def unsigned(presentation: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in presentation.items() if key != "proof"}


def test_the_permutations_are_the_references_in_their_order() -> None:
    rng = random.Random(12)
    for _ in range(300):
        nodes = [rng.choice(["_:a", "_:b", "_:c", "_:d", "_:e"]) for _ in range(rng.randint(1, 6))]
        assert [list(p) for p in _permutations(list(nodes))] == [list(p) for p in canon.permutations(list(nodes))]
    # The graph of a node's quads, repeated once per quad: one order, not 8! = 40,320.
    assert len(list(_permutations(["_:g"] * 8))) == 1


def test_same_learner_credentials_with_a_rich_blank_node_are_canonicalized_as_pyld(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Two credentials of one learner whose achievements have no id: the achievements tie, each mentioned by
    # nine quads of its credential's graph. That took 9! orders per N-degree hash, and a canonicalizationLimit
    # refusal after a second, for a 1.5 KB presentation pyld canonicalizes in milliseconds (with a few more
    # properties, hours: the deadline was only checked between N-degree hashes).
    credentials = []
    for n in range(2):
        credential = badge("did:example:issuer", f"urn:uuid:00000000-0000-4000-8000-{n:012d}")
        credential["credentialSubject"]["id"] = "did:example:learner"
        credential["credentialSubject"]["achievement"] = {
            "type": ["Achievement"], "name": "Data Analytics Fundamentals", "description": "Statistics.",
            "criteria": {"narrative": "Pass."}, "humanCode": "DAF", "fieldOfStudy": "Statistics",
            "specialization": "Dashboards", "version": "1"}
        credentials.append(credential)
    presentation = {"@context": [VC_V2], "type": ["VerifiablePresentation"], "verifiableCredential": credentials}
    orders = 0
    permutations = rdfc._permutations

    def counted(nodes: list[str]) -> Iterator[tuple[str, ...]]:
        nonlocal orders
        for order in permutations(nodes):
            orders += 1
            yield order

    monkeypatch.setattr(rdfc, "_permutations", counted)
    assert canonicalize_rdfc(presentation) == stock(presentation)
    assert orders < 50, orders  # was 2 * 9! = 725,760


def counting_to_rdf(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every document JSON-LD processing expands in full (template misses, probes and builds included)."""
    calls: list[Any] = []
    original = canonical.SafeJsonLdProcessor.to_rdf

    def to_rdf(self: Any, document: Any, options: Any) -> Any:
        calls.append(document)
        return original(self, document, options)

    monkeypatch.setattr(canonical.SafeJsonLdProcessor, "to_rdf", to_rdf)
    return calls


def test_a_new_mix_of_known_credentials_is_not_expanded_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = default_registry().with_contexts({})  # its own template caches
    credentials = signed_badges(30)
    holder = did_key_signer()
    warm = unsigned(create_presentation(credentials[:3], holder))
    canonicalize_rdfc(warm, registry)  # every credential shape and the presentation's own shape seen once
    calls = counting_to_rdf(monkeypatch)
    rng = random.Random(6)
    for _ in range(10):  # combinations never seen: the presentation's shape is new every time
        presentation = unsigned(create_presentation(rng.sample(credentials, 7), holder))
        calls.clear()
        assert canonicalize_rdfc(presentation, registry) == stock(presentation)
        assert calls == []


PRESENTATIONS: list[Callable[[list[dict[str, Any]]], dict[str, Any]]] = [
    lambda creds: {"@context": [VC_V2], "type": ["VerifiablePresentation"], "verifiableCredential": creds},
    lambda creds: {"@context": VC_V2, "type": "VerifiablePresentation", "verifiableCredential": creds[0],
                   "holder": "did:example:holder", "id": "urn:uuid:11111111-2222-4333-8444-555555555555"},
    # Not composed (processed whole): another type, another context, a blank node label.
    lambda creds: {"@context": [VC_V2], "type": ["VerifiablePresentation", "ExamplePresentation"],
                   "verifiableCredential": creds},
    lambda creds: {"@context": [VC_V2, DATA_INTEGRITY], "type": ["VerifiablePresentation"],
                   "verifiableCredential": creds},
    lambda creds: {"@context": [VC_V2], "id": "_:vp", "type": ["VerifiablePresentation"],
                   "verifiableCredential": creds},
]


@pytest.mark.parametrize("make", PRESENTATIONS, ids=["v2", "single-with-id", "other-type", "other-context", "blank-id"])
def test_presentations_canonicalize_as_pyld(make: Callable[[list[dict[str, Any]]], dict[str, Any]]) -> None:
    credentials = signed_badges(4, learner="did:example:same-learner")
    credentials[1] = sign(credentials[1], did_key_signer())  # a proof set of two proofs
    presentation = make([*credentials, copy.deepcopy(credentials[2])])  # a credential twice: identical graphs
    for _ in range(2):  # the second run is served from the caches
        assert canonicalize_rdfc(presentation, safe=False) == stock(presentation)


def test_composition_applies_only_where_exact() -> None:
    credentials = signed_badges(2)
    assert composable({"@context": [VC_V2], "type": ["VerifiablePresentation"], "verifiableCredential": credentials})
    for make in PRESENTATIONS[2:]:
        assert not composable(make(credentials))
    assert not composable({"@context": [VC_V2], "type": "VerifiablePresentation", "verifiableCredential": ["x"]})
    assert not composable({"@context": [VC_V2], "type": "VerifiablePresentation", "verifiableCredential": []})


def test_vector_documents_inside_presentations_canonicalize_as_pyld(vectors: Path) -> None:
    documents = [document for _, document in vector_documents(vectors)]
    rng = random.Random(3)
    for _ in range(12):
        chosen = rng.sample(documents, min(3, len(documents)))
        presentation = {"@context": [VC_V2], "type": ["VerifiablePresentation"],
                        "verifiableCredential": copy.deepcopy(chosen)}
        assert canonicalize_rdfc(presentation, safe=False) == stock(presentation)


AWKWARD = st.sampled_from(["", "B+", 'q"uote', "line\nbreak", "did:example:x", "https://example.com/a", "\U0001f600",
                           "_:b0", "@id"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(AWKWARD, AWKWARD), min_size=1, max_size=4))
def test_credentials_with_awkward_values_in_presentations_match_pyld(values: list[tuple[str, str]]) -> None:
    credentials = []
    for n, (name, value) in enumerate(values):
        credential = badge("did:example:issuer", f"urn:uuid:00000000-0000-4000-8000-{n:012d}")
        credential["name"] = name
        credential["credentialSubject"]["result"] = [{"type": ["Result"], "value": value}]
        credentials.append(credential)
    presentation = {"@context": [VC_V2], "type": ["VerifiablePresentation"], "verifiableCredential": credentials}
    assert canonicalize_rdfc(presentation, safe=False) == stock(presentation)

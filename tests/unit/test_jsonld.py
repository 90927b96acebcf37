"""Pinned contexts, RDFC-1.0 and JCS against the official vectors; the caching processor against stock pyld."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from vcnode.jsonld import UnknownContext, canonicalize_jcs, canonicalize_rdfc, default_registry
from vcnode.jsonld.canonical import CanonicalizationError, UndefinedTermError

REQUIRED_CONTEXTS = [
    "https://www.w3.org/2018/credentials/v1", "https://www.w3.org/ns/credentials/v2",
    "https://w3id.org/security/data-integrity/v1", "https://w3id.org/security/data-integrity/v2",
    "https://w3id.org/security/multikey/v1", "https://w3id.org/security/suites/ed25519-2020/v1",
    "https://www.w3.org/ns/did/v1", "https://www.w3.org/ns/credentials/status/v1",
    "https://w3id.org/vc/status-list/2021/v1", "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def test_pinned_contexts_are_shipped() -> None:
    registry = default_registry()
    for url in REQUIRED_CONTEXTS:
        assert url in registry and "@context" in registry.get(url), url


def test_status_list_context_is_the_w3c_document(vectors: Path) -> None:
    w3c = json.loads((vectors / "status-list" / "context-v1.jsonld").read_text())
    assert default_registry().get("https://www.w3.org/ns/credentials/status/v1") == w3c


@pytest.mark.parametrize(("suite", "canon"), [("eddsa-rdfc-2022", "canonDocDataInt.txt"),
                                              ("Ed25519Signature2020", "canonDocEdSig.txt")])
def test_rdfc_reproduces_the_vectors(vectors: Path, test_registry: Any, suite: str, canon: str) -> None:
    unsigned = json.loads((vectors / "vc-di-eddsa" / "unsigned.json").read_text())
    if suite == "Ed25519Signature2020":
        unsigned["@context"].append("https://w3id.org/security/suites/ed25519-2020/v1")
    expected = (vectors / "vc-di-eddsa" / suite / canon).read_text()
    assert canonicalize_rdfc(unsigned, test_registry) == expected


def test_rdfc_proof_configuration_vector(vectors: Path, test_registry: Any) -> None:
    folder = vectors / "vc-di-eddsa" / "eddsa-rdfc-2022"
    config = json.loads((folder / "proofConfigDataInt.json").read_text())
    assert canonicalize_rdfc(config, test_registry) == (folder / "proofCanonDataInt.txt").read_text()


def test_jcs_reproduces_the_vectors(vectors: Path) -> None:
    folder = vectors / "vc-di-eddsa" / "eddsa-jcs-2022"
    unsigned = json.loads((vectors / "vc-di-eddsa" / "unsigned.json").read_text())
    assert canonicalize_jcs(unsigned).decode() == (folder / "canonDocJCS.txt").read_text()
    config = json.loads((folder / "proofConfigJCS.json").read_text())
    assert canonicalize_jcs(config).decode() == (folder / "proofCanonJCS.txt").read_text()


def test_unknown_context_is_refused_without_fetching() -> None:
    document = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/context.json"],
                "type": ["VerifiableCredential"]}
    with pytest.raises(UnknownContext) as refused:
        canonicalize_rdfc(document)
    assert refused.value.status == 422 and "evil.example" in refused.value.detail


def test_invalid_json_ld_is_a_named_error() -> None:
    with pytest.raises(CanonicalizationError):
        canonicalize_rdfc({"@context": {"@version": 2.0}, "a": 1})


def vector_documents(vectors: Path) -> list[tuple[str, dict]]:
    """Every JSON vector document whose contexts are all pinned (proofs removed)."""
    registry = default_registry()
    found = []
    for path in sorted(vectors.rglob("*.json")):
        try:
            document = json.loads(path.read_text())
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        contexts = document.get("@context") if isinstance(document, dict) else None
        if isinstance(contexts, list) and contexts and all(isinstance(c, str) and c in registry for c in contexts):
            document.pop("proof", None)
            found.append((str(path.relative_to(vectors)), document))
    return found


def test_caching_processor_matches_stock_pyld_on_every_vector(vectors: Path) -> None:
    documents = vector_documents(vectors)
    assert len(documents) >= 15
    loader = default_registry().document_loader
    for name, document in documents:
        stock = jsonld.normalize(copy.deepcopy(document), {"algorithm": "URDNA2015",
                                                           "format": "application/n-quads",
                                                           "documentLoader": loader})
        for _ in range(2):  # the second run is served from the caches
            assert canonicalize_rdfc(copy.deepcopy(document), safe=False) == stock, name


def test_cached_contexts_do_not_leak_between_documents(vectors: Path) -> None:
    """Interleave different documents (different scoped contexts): each still matches stock pyld."""
    documents = vector_documents(vectors)
    loader = default_registry().document_loader
    expected = {name: jsonld.normalize(copy.deepcopy(doc), {"algorithm": "URDNA2015",
                                                            "format": "application/n-quads",
                                                            "documentLoader": loader})
                for name, doc in documents}
    for name, document in reversed(documents * 2):
        assert canonicalize_rdfc(copy.deepcopy(document), safe=False) == expected[name], name


V2 = "https://www.w3.org/ns/credentials/v2"


@pytest.mark.parametrize(("document", "fragment"), [
    ({"@context": [V2], "type": ["VerifiableCredential"], "foo": 1}, "property 'foo'"),
    ({"@context": [V2], "type": ["VerifiableCredential", "AlumniCredential"]}, "relative @type"),
    ({"@context": [V2], "id": "123", "type": ["VerifiableCredential"]}, "relative @id"),
    ({"@context": [V2], "type": ["VerifiableCredential"], "issuer": "abc"}, "relative @id"),
    ({"@context": [V2], "type": ["VerifiableCredential"], "credentialSubject": {"nickname": "x"}}, "nickname"),
])
def test_safe_mode_refuses_what_json_ld_would_drop(document: dict, fragment: str) -> None:
    with pytest.raises(UndefinedTermError) as refused:
        canonicalize_rdfc(document)
    assert refused.value.status == 422 and fragment in refused.value.detail
    canonicalize_rdfc(document, safe=False)  # without safe mode the term is silently dropped


def test_safe_mode_accepts_defined_terms_and_blank_nodes() -> None:
    canonicalize_rdfc({"@context": [V2], "type": ["VerifiableCredential"], "issuer": "did:example:1",
                       "credentialSubject": {"id": "_:b1", "name": "x"},
                       "proof": {"type": "DataIntegrityProof", "challenge": "abc"}})


def test_jcs_fast_path_matches_the_reference_implementation() -> None:
    import jcs
    from hypothesis import given, settings
    from hypothesis import strategies as st

    leaves = st.one_of(st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1), st.text(max_size=20),
                       st.floats(allow_nan=False, allow_infinity=False), st.integers())
    documents = st.recursive(leaves, lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)), max_leaves=20)

    @settings(max_examples=400, deadline=None)
    @given(documents)
    def same(document: object) -> None:
        assert canonicalize_jcs(document) == jcs.canonicalize(document)

    same()

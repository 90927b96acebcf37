"""vcnode's bounded RDFC-1.0 against Digital Bazaar's rdf-canonize: for graphs whose blank nodes tie, both
refuse the same inputs at the same work factor and give byte-identical output for the rest. A document that
Digital Bazaar's verifiers canonicalise, vcnode canonicalises too, and the other way round."""

from __future__ import annotations

import random

import pytest

from tests.interop.harness import run_harness
from vcnode.jsonld.quads import Quad, canonical_nquads
from vcnode.jsonld.rdfc import CanonicalizationLimit, CanonicalizationLimits

pytestmark = pytest.mark.interop


def cycle(length: int) -> list[Quad]:
    return [(f"_:n{i}", "<urn:p>", f"_:n{(i + 1) % length}", "") for i in range(length)]


def clique(size: int) -> list[Quad]:
    return [(f"_:n{i}", "<urn:p>", f"_:n{j}", "") for i in range(size) for j in range(size) if i != j]


def random_graph(rng: random.Random) -> list[Quad]:
    nodes = [f"_:n{i}" for i in range(rng.randint(2, 6))]
    quads = set()
    for _ in range(rng.randint(1, 12)):
        target = rng.choice([*nodes, '"v"', '"w"', "<urn:x>"])
        quads.add((rng.choice(nodes), rng.choice(["<urn:p>", "<urn:q>"]), target, rng.choice(["", "", "_:g1"])))
    return sorted(quads)


def graph_ties(properties: int) -> list[Quad]:
    """Two named graphs (two credentials of a presentation) each holding a blank node with ``properties``
    identical statements: the nodes tie, and each is related to its graph once per statement (RDFC-1.0's lists
    of related nodes repeat it; the references visit one order of such a list, not ``properties!``)."""
    quads: list[Quad] = []
    for graph in ("_:g1", "_:g2"):
        quads.append(("<urn:subject>", "<urn:has>", f"{graph}n", graph))
        quads += [(f"{graph}n", f"<urn:p{i}>", f'"{i}"', graph) for i in range(properties)]
        quads.append(("<urn:presentation>", "<urn:credential>", graph, ""))
    return quads


def graphs() -> list[list[Quad]]:
    rng = random.Random(11)
    fixed = [cycle(n) for n in range(2, 7)] + [clique(n) for n in range(2, 9)] + [graph_ties(n) for n in (1, 4, 9)]
    fixed.append(cycle(3) + [(f"_:m{i}", "<urn:p>", f"_:m{(i + 1) % 3}", "") for i in range(3)])
    fixed.append([("_:a", "<urn:p>", '"same"', ""), ("_:b", "<urn:p>", '"same"', "")])  # alike, not linked
    return fixed + [random_graph(rng) for _ in range(200)]


def ours(quads: list[Quad], work_factor: float) -> dict[str, str]:
    try:
        return {"canonical": canonical_nquads(quads, CanonicalizationLimits(max_work_factor=work_factor,
                                                                           deadline=30.0))}
    except CanonicalizationLimit as exc:
        return {"error": exc.detail}


@pytest.mark.parametrize("work_factor", [1, 2])
def test_same_refusals_and_same_output_as_rdf_canonize(work_factor: int) -> None:
    cases = graphs()
    jobs = [{"nquads": "".join(
        f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n" for s, p, o, g in quads), "maxWorkFactor": work_factor}
        for quads in cases]
    theirs = run_harness("rdfc.mjs", jobs)
    refused = 0
    for quads, job, their in zip(cases, jobs, theirs, strict=True):
        mine = ours(quads, work_factor)
        assert ("error" in mine) == ("error" in their), (job["nquads"], mine, their)
        if "error" in their:
            refused += 1
            assert "Maximum deep iterations" in their["error"]
        else:
            assert mine["canonical"] == their["canonical"], job["nquads"]
    assert 0 < refused < len(cases)  # both kinds of case were exercised


def test_the_eight_node_clique_is_refused_by_both_at_the_default_bound() -> None:
    nquads = "".join(f"{s} {p} {o} .\n" for s, p, o, _ in clique(8))
    [their] = run_harness("rdfc.mjs", [{"nquads": nquads}])
    assert "Maximum deep iterations exceeded" in their["error"]
    with pytest.raises(CanonicalizationLimit):
        canonical_nquads(clique(8), CanonicalizationLimits())

"""RDFC-1.0 blank node labelling when first-degree hashes tie, with the work bounded.

:func:`vcnode.jsonld.quads.canonical_nquads` labels blank nodes by their first-degree hashes when those are
all distinct. When two or more tie, RDFC-1.0 needs the N-degree algorithm (§4.8-4.9), which tries every
permutation of tied neighbours and recurses: a graph whose blank nodes are indistinguishable (a clique of
eight costs about a minute in pyld) makes it explode. A verifier canonicalises before it checks a signature,
so that cost is open to anyone who can send a document.

This module is the N-degree algorithm on the string quads of :mod:`vcnode.jsonld.quads` (no deep copies of
pyld's term dictionaries), bounded the way Digital Bazaar's rdf-canonize bounds it: the number of
Hash N-Degree Quads calls for one dataset may not exceed ``(non-unique blank nodes) ** max_work_factor``
(work factor 1 by default, as rdf-canonize), and a wall-clock deadline stops it in any case. Past either
bound it raises :class:`CanonicalizationLimit`. The output is byte-identical to pyld's URDNA2015; tests compare
the two on generated graphs with ties.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from vcnode.errors import VcnodeError

Quad = tuple[str, str, str, str]
_POSITIONS = ("s", None, "o", "g")


class CanonicalizationLimit(VcnodeError):
    """The document's blank nodes need more canonicalisation work than the node allows."""

    code = "canonicalizationLimit"
    status = 422
    title = "Canonicalization limit exceeded"


class CanonicalizationDeferred(Exception):
    """Inside :func:`deferring`: the N-degree work passed the caller's inline budget; redo it elsewhere (in a
    worker process, where only the limits apply)."""


_NO_INLINE_BOUND = (float("inf"), float("inf"))
_INLINE: ContextVar[tuple[float, float]] = ContextVar("rdfc_inline", default=_NO_INLINE_BOUND)


class deferring:  # lower case: used as a function, `with deferring(calls, seconds):`
    """Within the block, N-degree labelling that needs more than ``inline_calls`` calls or ``inline_seconds`` of
    CPU time raises :class:`CanonicalizationDeferred` instead of going on (the event loop uses this to hand such
    documents to a worker rather than spend more than a few milliseconds on them). A class rather than a
    generator-based context manager: it wraps every proof check a serving node makes, so it is kept cheap."""

    __slots__ = ("_bound", "_token")

    def __init__(self, inline_calls: float, inline_seconds: float = float("inf")) -> None:
        self._bound = (inline_calls, inline_seconds)

    def __enter__(self) -> None:
        self._token = _INLINE.set(self._bound)

    def __exit__(self, *exc: object) -> None:
        _INLINE.reset(self._token)


@dataclass(frozen=True)
class CanonicalizationLimits:
    """How much N-degree work one dataset may cost.

    ``max_work_factor``: Hash N-Degree Quads may run at most ``n ** max_work_factor`` times for a dataset
    with ``n`` blank nodes whose first-degree hashes tie (0: never). rdf-canonize's default is 1; vcnode's is 2,
    because an RDF list (``@list``) of ``n`` blank nodes ties ``n - 2`` of them and needs exactly that squared:
    with 1, any list of five or more objects would be refused.
    ``deadline``: seconds of wall-clock time for the N-degree phase, whatever the count.
    """

    max_work_factor: float = 2
    deadline: float = 1.0

    def budget(self, non_unique: int) -> float:
        """The number of N-degree calls allowed for ``non_unique`` tied blank nodes."""
        if self.max_work_factor <= 0:
            return 0
        return float(non_unique) ** self.max_work_factor


class _Issuer:
    """RDFC-1.0's identifier issuer: old label → ``prefix + counter``, remembering the order of issue."""

    __slots__ = ("existing", "order", "prefix")

    def __init__(self, prefix: str, existing: dict[str, str] | None = None, order: list[str] | None = None) -> None:
        self.prefix = prefix
        self.existing = existing if existing is not None else {}
        self.order = order if order is not None else []

    def issue(self, old: str) -> str:
        """The identifier issued for ``old``, issuing the next one if it has none yet."""
        found = self.existing.get(old)
        if found is None:
            found = self.existing[old] = f"{self.prefix}{len(self.order)}"
            self.order.append(old)
        return found

    def copy(self) -> _Issuer:
        return _Issuer(self.prefix, dict(self.existing), list(self.order))


#: RDFC-1.0's hash algorithms by :mod:`hashlib` name (SHA-256 is its default; SHA-384 for P-384 ECDSA proofs).
HASH_ALGORITHMS = {"sha256": hashlib.sha256, "sha384": hashlib.sha384}


class NDegreeLabeller:
    """Canonical labels for a dataset's blank nodes (RDFC-1.0 §4.4 steps 5-6), within ``limits``."""

    def __init__(self, mentions: dict[str, list[Quad]], first_degree: dict[str, str],
                 limits: CanonicalizationLimits, hash_name: str = "sha256") -> None:
        self._digest = HASH_ALGORITHMS[hash_name]
        self._mentions = mentions
        self._first_degree = first_degree
        self._limits = limits
        self._canonical = _Issuer("_:c14n")
        self._remaining = 0.0
        self._budget = 0.0
        self._inline_calls = float("inf")
        self._inline_until = float("inf")
        self._hashes: dict[str, str] = {}
        self._relations: dict[str, list[tuple[str, str]]] = {}
        self._deadline = 0.0

    def labels(self) -> dict[str, str]:
        """Blank node label → canonical label (``_:c14nN``)."""
        groups: dict[str, list[str]] = {}
        for node, first in self._first_degree.items():
            groups.setdefault(first, []).append(node)
        tied: list[list[str]] = []
        for first in sorted(groups):
            nodes = groups[first]
            if len(nodes) == 1:
                self._canonical.issue(nodes[0])
            else:
                tied.append(nodes)
        self._budget = self._remaining = self._limits.budget(sum(len(nodes) for nodes in tied))
        self._inline_calls, inline_seconds = _INLINE.get()
        # The inline bound is CPU time of this thread, so a busy machine does not push work off the loop that
        # costs the loop little; the deadline is wall-clock time, as a caller waits for it.
        self._inline_until = time.thread_time() + inline_seconds
        self._deadline = time.monotonic() + self._limits.deadline
        for nodes in tied:
            results: list[tuple[str, _Issuer]] = []
            for node in nodes:
                if node in self._canonical.existing:
                    continue
                issuer = _Issuer("_:b")
                issuer.issue(node)
                results.append(self._hash_n_degree(node, issuer))
            for _hash, issuer in sorted(results, key=lambda result: result[0]):
                for existing in issuer.order:
                    self._canonical.issue(existing)
        return self._canonical.existing

    def _spend(self) -> None:
        if self._remaining < 1:
            raise CanonicalizationLimit(
                f"the document's blank nodes cannot be told apart within the canonicalization work limit "
                f"({int(self._budget)} deep iterations); such a document is refused before its proof is checked")
        if self._budget - self._remaining >= self._inline_calls:
            raise CanonicalizationDeferred
        self._check_clock()
        self._remaining -= 1

    def _check_clock(self) -> None:
        if time.thread_time() > self._inline_until:
            raise CanonicalizationDeferred
        if time.monotonic() > self._deadline:
            raise CanonicalizationLimit(
                f"canonicalizing the document's blank nodes took longer than {self._limits.deadline:g} s")

    def _related_of(self, node: str) -> list[tuple[str, str]]:
        """(position and predicate as hashed, related blank node) for each blank node ``node``'s quads relate
        it to (§4.9 step 3), computed once per node."""
        found = self._relations.get(node)
        if found is None:
            found = self._relations[node] = []
            for quad in self._mentions[node]:
                for index in (0, 2, 3):
                    component = quad[index]
                    if component[:2] == "_:" and component != node:
                        found.append(("g" if index == 3 else f"{_POSITIONS[index]}{quad[1]}", component))
        return found

    def _hash_to_related(self, node: str, issuer: _Issuer) -> dict[str, list[str]]:
        """Related hash → the related blank nodes with that hash (Hash Related Blank Node, §4.7, for each)."""
        out: dict[str, list[str]] = {}
        canonical, issued, first_degree, hashes = (self._canonical.existing, issuer.existing, self._first_degree,
                                                   self._hashes)
        for prefix, related in self._related_of(node):
            text = prefix + (canonical.get(related) or issued.get(related) or first_degree[related])
            # The same few inputs recur across calls (tied nodes share their first-degree hash): hash each once.
            related_hash = hashes.get(text)
            if related_hash is None:
                related_hash = hashes[text] = self._digest(text.encode("utf-8")).hexdigest()
            out.setdefault(related_hash, []).append(related)
        return out

    def _single_path(self, related: str, issuer: _Issuer) -> tuple[str, _Issuer]:
        """§4.9 step 5 for a related hash with one blank node: its path and the issuer after it. With one
        permutation nothing else needs the issuer as it was, so it is extended in place (the caller passed its
        own copy, or discards it)."""
        label = self._canonical.existing.get(related) or issuer.existing.get(related)
        if label is not None:
            return label, issuer
        label = issuer.issue(related)
        result_hash, issuer = self._hash_n_degree(related, issuer)
        return f"{label}{label}<{result_hash}>", issuer

    def _hash_n_degree(self, node: str, issuer: _Issuer) -> tuple[str, _Issuer]:
        """Hash N-Degree Quads (§4.9): the hash and the issuer the chosen paths left."""
        self._spend()
        data: list[str] = []
        canonical = self._canonical.existing
        for related_hash, blank_nodes in sorted(self._hash_to_related(node, issuer).items()):
            data.append(related_hash)
            if len(blank_nodes) == 1:  # one permutation: the steps below without their bookkeeping
                path, issuer = self._single_path(blank_nodes[0], issuer)
                data.append(path)
                continue
            chosen_path = ""
            chosen_issuer: _Issuer | None = None
            single = len(set(blank_nodes)) == 1
            for count, permutation in enumerate(_permutations(blank_nodes), start=1):
                if not count & 255:  # permutations that end early make no deep call: the clock still runs
                    self._check_clock()
                # With one permutation nothing else needs the issuer as it was, so it is extended in place (the
                # caller passed its own copy, or discards it), saving a copy per related node.
                issuer_copy = issuer if single else issuer.copy()
                path = ""
                recursion: list[str] = []
                skip = False
                for related in permutation:
                    label = canonical.get(related)
                    if label is None:
                        if related not in issuer_copy.existing:
                            recursion.append(related)
                        label = issuer_copy.issue(related)
                    path += label
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion:
                    result_hash, result_issuer = self._hash_n_degree(related, issuer_copy)
                    path += issuer_copy.issue(related)
                    path += f"<{result_hash}>"
                    issuer_copy = result_issuer
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path, chosen_issuer = path, issuer_copy
            data.append(chosen_path)
            assert chosen_issuer is not None  # the first permutation is never skipped
            issuer = chosen_issuer
        return self._digest("".join(data).encode("utf-8")).hexdigest(), issuer


def _permutations(nodes: list[str]) -> Iterator[tuple[str, ...]]:
    """The permutations RDFC-1.0 §4.9.3 step 5.4 visits, in the order Digital Bazaar's rdf-canonize and pyld
    visit them: Steinhaus-Johnson-Trotter from the sorted list, each element's direction kept by its value.

    A blank node can be listed more than once (the same related node through several quads: every quad of a
    named graph relates a node to the graph's name the same way); equal elements are never swapped, so a list
    of one node repeated ``m`` times has one permutation, not ``m!``. Visiting the same permutations in the
    same order keeps the chosen path, and the issuer kept when two paths are equal, those of the references."""
    elements = sorted(nodes)
    if len(elements) < 2 or elements[0] == elements[-1]:
        yield tuple(elements)
        return
    left = dict.fromkeys(elements, True)
    last = len(elements) - 1
    while True:
        yield tuple(elements)
        mobile, position = None, 0
        for index, element in enumerate(elements):
            if (mobile is None or element > mobile) and (
                    (left[element] and index > 0 and element > elements[index - 1])
                    or (not left[element] and index < last and element > elements[index + 1])):
                mobile, position = element, index
        if mobile is None:
            return
        swap = position - 1 if left[mobile] else position + 1
        elements[position], elements[swap] = elements[swap], mobile
        for element in elements:
            if element > mobile:
                left[element] = not left[element]


class _Configured:
    """The node's limits, set once at start-up from its configuration (a setting, not shared state)."""

    limits = CanonicalizationLimits()


def configure_limits(limits: CanonicalizationLimits) -> None:
    """Use ``limits`` for every canonicalisation in this process that is not given its own."""
    _Configured.limits = limits


def configured_limits() -> CanonicalizationLimits:
    """The limits set by :func:`configure_limits` (rdf-canonize's defaults until then)."""
    return _Configured.limits


def n_degree_labels(mentions: dict[str, list[Quad]], first_degree: dict[str, str],
                    limits: CanonicalizationLimits | None = None, hash_name: str = "sha256") -> dict[str, str]:
    """Canonical labels for every blank node of a dataset whose first-degree hashes tie somewhere.

    ``mentions``: blank node → the quads that mention it (once per mention, as RDFC-1.0's blank node to
    quads map); ``first_degree``: blank node → its first-degree hash (made with ``hash_name``, RDFC-1.0's hash
    algorithm, which the N-degree hashes use too). Raises :class:`CanonicalizationLimit`.
    """
    return NDegreeLabeller(mentions, first_degree, limits or _Configured.limits, hash_name).labels()

"""Selective-disclosure functions of Data Integrity (vc-di-ecdsa §3.4, "Selective Disclosure Functions"), as
ecdsa-sd-2023 and bbs-2023 use them: JSON pointers, selecting parts of a JSON-LD document, skolemization,
canonicalization with blank nodes relabelled by a label map (HMAC-derived for the issuer and holder, given for
the verifier), and grouping the canonical statements by the pointers that select them.

Quads are :mod:`vcnode.jsonld.quads` tuples; an N-Quad here is one line of canonical N-Quads with its newline.
The algorithms follow the specification and Digital Bazaar's di-sd-primitives step by step, since derived
proofs must verify across implementations byte for byte.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac as hmac_module
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyld import jsonld
from pyld.jsonld import JsonLdError

from vcnode.errors import VcnodeError
from vcnode.jsonld import ContextRegistry, default_registry
from vcnode.jsonld.canonical import CanonicalizationError, _unwrap, document_quads
from vcnode.jsonld.quads import Quad, canonical_labels
from vcnode.proofs.base import ProofError

SKOLEM_PREFIX = "urn:bnid:"
_HOLE = object()  # a not-yet-selected array element (JavaScript's sparse-array hole)

LabelMapFactory = Callable[[dict[str, str]], dict[str, str]]


def b64url(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of unpadded base64url; ``ValueError`` when malformed."""
    if not isinstance(text, str) or any(c in text for c in "+/="):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_pointer(pointer: Any) -> list[str | int]:
    """The reference tokens of a JSON pointer (RFC 6901); numeric tokens as integers, as di-sd-primitives
    reads them. :class:`ProofError` ``invalidPointer`` when ``pointer`` is not one."""
    if not isinstance(pointer, str) or (pointer and not pointer.startswith("/")):
        raise ProofError(f"{str(pointer)[:100]!r} is not a JSON pointer", code="invalidPointer", status=400)
    tokens: list[str | int] = []
    for token in pointer.split("/")[1:]:
        if "~" in token:
            rest = token.replace("~0", "").replace("~1", "")
            if "~" in rest:
                raise ProofError(f"JSON pointer {pointer[:100]!r} has an invalid escape", code="invalidPointer",
                                 status=400)
            tokens.append(token.replace("~1", "/").replace("~0", "~"))
        elif token.isdigit():
            tokens.append(int(token))
        else:
            tokens.append(token)
    return tokens


def check_pointers(pointers: Any, name: str = "mandatoryPointers") -> list[str]:
    """``pointers`` when a list of JSON pointers; :class:`ProofError` ``invalidPointer`` (400) otherwise."""
    if not isinstance(pointers, list | tuple) or not all(isinstance(p, str) and (p == "" or p.startswith("/"))
                                                          for p in pointers):
        raise ProofError(f"{name} must be a list of JSON pointers", code="invalidPointer", status=400)
    return list(pointers)


def _child(value: Any, token: str | int) -> Any:
    if isinstance(value, dict):
        return value.get(str(token), _HOLE)
    if isinstance(value, list) and isinstance(token, int) and token < len(value):
        return value[token]
    return _HOLE


def _put(parent: Any, token: str | int, value: Any) -> None:
    if isinstance(parent, list):
        assert isinstance(token, int)
        parent.extend([_HOLE] * (token + 1 - len(parent)))
        parent[token] = value
    else:
        parent[str(token)] = value


def _initial_selection(source: dict[str, Any], selection: dict[str, Any] | None = None) -> dict[str, Any]:
    selection = {} if selection is None else selection
    if isinstance(source.get("id"), str) and source["id"] and not source["id"].startswith("_:"):
        selection["id"] = source["id"]
    if source.get("type"):
        selection["type"] = copy.deepcopy(source["type"])
    return selection


def select_json_ld(document: dict[str, Any], pointers: list[str]) -> dict[str, Any] | None:
    """The part of ``document`` the pointers select, with each object on the way keeping its ``id`` (unless a
    blank node) and ``type`` and the document its ``@context``; None for no pointers. :class:`ProofError`
    ``pointerSelectsNothing`` for a pointer that does not match the document."""
    if not pointers:
        return None
    arrays: list[list[Any]] = []
    selection: dict[str, Any] = {"@context": copy.deepcopy(document.get("@context"))}
    _initial_selection(document, selection)
    for pointer in pointers:
        tokens = parse_pointer(pointer)
        if not tokens:
            return copy.deepcopy(document)
        value: Any = document
        selected_parent: Any = selection
        selected: Any = selection
        for token in tokens:
            selected_parent = selected
            value = _child(value, token)
            if value is _HOLE:
                raise ProofError(f"JSON pointer {pointer[:100]!r} selects nothing in the credential",
                                 code="pointerSelectsNothing", status=400)
            selected = _child(selected_parent, token)
            if selected is _HOLE:
                if isinstance(value, list):
                    selected = []
                    arrays.append(selected)
                elif isinstance(value, dict):
                    selected = _initial_selection(value)
                else:
                    selected = None
                _put(selected_parent, token, selected)
        if isinstance(value, dict):
            selected = {**(selected if isinstance(selected, dict) else {}), **copy.deepcopy(value)}
        else:
            selected = copy.deepcopy(value)
        _put(selected_parent, tokens[-1], selected)
    for array in arrays:
        array[:] = [item for item in array if item is not _HOLE]
    return selection


def _skolemize_expanded(expanded: list[Any], label: Callable[[], str]) -> list[Any]:
    out: list[Any] = []
    for element in expanded:
        if not isinstance(element, dict) or "@value" in element:
            out.append(copy.deepcopy(element))
            continue
        # As di-sd-primitives: every object without @value is a node to name (its @list objects too).
        node = {key: _skolemize_expanded(value, label) if isinstance(value, list)
                else _skolemize_expanded([value], label)[0] for key, value in element.items()}
        if "@id" not in node:
            node["@id"] = label()
        elif isinstance(node["@id"], str) and node["@id"].startswith("_:"):
            node["@id"] = SKOLEM_PREFIX + node["@id"][2:]
        out.append(node)
    return out


def skolemize_compact(document: dict[str, Any], registry: ContextRegistry) -> tuple[list[Any], dict[str, Any]]:
    """The document expanded with every blank node named ``urn:bnid:…``, and compacted back with its own
    context: pointers select from the compact form and the selection keeps the names, so its statements are
    the document's own."""
    options = {"documentLoader": registry.document_loader, "base": "", "processingMode": "json-ld-1.1"}
    prefix, count = f"{SKOLEM_PREFIX}_{uuid.uuid4()}_", iter(range(1 << 62))
    try:
        expanded = jsonld.expand(copy.deepcopy(document), dict(options))
        skolemized = _skolemize_expanded(expanded, lambda: f"{prefix}{next(count)}")
        compact = jsonld.compact(skolemized, document.get("@context"), dict(options))
    except JsonLdError as exc:
        cause = _unwrap(exc)
        if isinstance(cause, VcnodeError):  # an unknown context, as when canonicalizing
            raise cause from None
        raise CanonicalizationError(f"invalid JSON-LD: {exc.args[0] if exc.args else exc}") from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError) as exc:
        # as canonicalize_rdfc: pyld assumes well-formed contexts in places; malformed input is the caller's error
        raise CanonicalizationError(f"invalid JSON-LD ({type(exc).__name__})") from None
    return skolemized, compact


def deskolemize(quads: list[Quad]) -> list[Quad]:
    """``<urn:bnid:X>`` back to the blank node ``_:X``."""
    def term(text: str) -> str:
        return "_:" + text[len(SKOLEM_PREFIX) + 1:-1] if text.startswith("<" + SKOLEM_PREFIX) else text
    return [(term(s), p, term(o), term(g)) for s, p, o, g in quads]


def _line(quad: Quad, labels: dict[str, str] | None = None) -> str:
    s, p, o, g = quad
    if labels is not None:
        s, o, g = (("_:" + labels[t[2:]]) if t[:2] == "_:" else t for t in (s, o, g))
    return f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n"


def canonical_id_map(quads: list[Quad]) -> dict[str, str]:
    """RDFC-1.0's map from the quads' blank node labels to canonical ones, both without ``_:``."""
    return {node[2:]: label[2:] for node, label in canonical_labels(quads).items()}


def hmac_label_map_factory(key: bytes) -> LabelMapFactory:
    """The issuer's and holder's label map: each canonical label → ``u`` + base64url(HMAC-SHA-256(label))."""
    def factory(canonical: dict[str, str]) -> dict[str, str]:
        return {node: "u" + b64url(hmac_module.new(key, label.encode(), hashlib.sha256).digest())
                for node, label in canonical.items()}
    return factory


def given_label_map_factory(label_map: dict[str, str]) -> LabelMapFactory:
    """The verifier's label map: canonical label → the label the derived proof gives it."""
    def factory(canonical: dict[str, str]) -> dict[str, str]:
        try:
            return {node: label_map[label] for node, label in canonical.items()}
        except KeyError:
            raise ProofError("the derived proof's label map does not cover the disclosed blank nodes",
                             code="invalidLabelMap") from None
    return factory


def label_replacement_canonicalize(quads: list[Quad], factory: LabelMapFactory) -> tuple[list[str], dict[str, str]]:
    """Canonical N-Quads of ``quads`` with blank nodes relabelled by the map ``factory`` makes from the canonical
    labels, sorted; and that map (input label → new label)."""
    label_map = factory(canonical_id_map(quads))
    return sorted(_line(quad, label_map) for quad in quads), label_map


@dataclass
class Group:
    """The canonical N-Quads a group of pointers selects (``matching``, by index) and the rest."""

    matching: dict[int, str]
    non_matching: dict[int, str]
    deskolemized: list[Quad]


Grouped = tuple[dict[str, Group], dict[str, str], list[str]]


def canonicalize_and_group(document: dict[str, Any], factory: LabelMapFactory, groups: dict[str, list[str]],
                           registry: ContextRegistry | None = None) -> Grouped:
    """The groups of canonical N-Quads selected by each list of pointers, the label map and all the document's
    relabelled canonical N-Quads (vc-di-ecdsa "canonicalizeAndGroup")."""
    registry = registry or default_registry()
    # Safe mode first, as every suite signs: plain expansion would drop an undefined term silently, and the
    # issuer would sign less than the credential says.
    document_quads(document, registry)
    _expanded, compact = skolemize_compact(document, registry)
    quads = deskolemize(document_quads(compact, registry))
    nquads, label_map = label_replacement_canonicalize(quads, factory)
    out: dict[str, Group] = {}
    for name, pointers in groups.items():
        selection = select_json_ld(compact, pointers)
        selected = deskolemize(document_quads(selection, registry)) if selection is not None else []
        lines = {_line(quad, label_map) for quad in selected}
        matching = {i: nq for i, nq in enumerate(nquads) if nq in lines}
        non_matching = {i: nq for i, nq in enumerate(nquads) if nq not in lines}
        out[name] = Group(matching, non_matching, selected)
    return out, label_map, nquads


def hash_mandatory(mandatory: list[str]) -> bytes:
    """SHA-256 of the mandatory N-Quads, concatenated."""
    return hashlib.sha256("".join(mandatory).encode()).digest()

"""DCQL (OID4VP 1.0 section 6): the query a ``present`` exchange sends, and whether a presented credential
satisfies it.

The node asks for one credential (query id :data:`CREDENTIAL_ID`): an ``ldp_vc`` of a type (an Open Badge by
default; ``meta.type_values`` lists the type as its expanded IRI and as the compact term, either suffices), or a
``dc+sd-jwt`` of given ``vct`` values; the issuer, the achievement and the exchange's ``claims`` become claims
queries. Matching follows the claims path pointer rules of section 7 and is checked against the ``dcql`` npm
package on a set of queries and credentials (tests/interop/test_oid4vp.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vcnode.exchanges.query import DEFAULT_TYPE, CredentialQuery

CREDENTIAL_ID = "credential"
#: Open Badges 3.0 terms and the IRIs the OB context expands them to (what DCQL's type_values name).
OB_VOCAB = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
_OB_TERMS = ("OpenBadgeCredential", "AchievementCredential")
_MISSING = object()


def expanded_type(term: str) -> str | None:
    """The IRI an Open Badges 3.0 credential type term expands to (None for other terms)."""
    return OB_VOCAB + term if term in _OB_TERMS else None


def dcql_query(query: CredentialQuery) -> dict[str, Any]:
    """The DCQL query of a ``present`` exchange's ``variables.query``."""
    claims: list[dict[str, Any]] = []
    if query.format == "dc+sd-jwt":
        entry: dict[str, Any] = {"id": CREDENTIAL_ID, "format": "dc+sd-jwt", "meta": {"vct_values": list(query.vct)}}
        if query.issuer is not None:
            claims.append({"path": ["iss"], "values": [query.issuer]})
    else:
        alternatives = [[query.type]]
        iri = expanded_type(query.type)
        if iri is not None:
            alternatives.insert(0, [iri])
        entry = {"id": CREDENTIAL_ID, "format": "ldp_vc", "meta": {"type_values": alternatives}}
        if query.issuer is not None:
            claims.append({"path": ["issuer", "id"], "values": [query.issuer]})
        if query.achievement is not None:
            claims.append({"path": ["credentialSubject", "achievement", "id"], "values": [query.achievement]})
    for path, values in query.claims:
        claims.append({"path": list(path), **({"values": list(values)} if values is not None else {})})
    if claims:
        entry["claims"] = claims
    return {"credentials": [entry]}


def _select(value: Any, path: Iterable[str | int | None]) -> list[Any] | None:
    """The claims a path points to (section 7.1); None when a step meets the wrong kind of value."""
    selected = [value]
    for step in path:
        out: list[Any] = []
        for item in selected:
            if isinstance(step, str):
                if not isinstance(item, dict):
                    return None
                if step in item:
                    out.append(item[step])
            elif step is None:
                if not isinstance(item, list):
                    return None
                out.extend(item)
            else:
                if not isinstance(item, list):
                    return None
                if step < len(item):
                    out.append(item[step])
        if not out:
            return None
        selected = out
    return selected


def _same(a: Any, b: Any) -> bool:
    """JSON equality of scalars: 5 and 5.0 are one number (as in JavaScript); booleans are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def claim_problems(claims: dict[str, Any], queries: Iterable[dict[str, Any]]) -> list[str]:
    """Why ``claims`` fail the claims queries (empty when every one is satisfied)."""
    problems = []
    for claim in queries:
        path = claim["path"]
        selected = _select(claims, path)
        if selected is None:
            problems.append(f"no claim at {path}")
        elif "values" in claim and not any(_same(have, want) for have in selected for want in claim["values"]):
            problems.append(f"the claim at {path} is not one of {claim['values']}")
    return problems


def match_problems(query: dict[str, Any], fmt: str, claims: dict[str, Any], *, holder_binding: bool) -> list[str]:
    """Why a presented credential of ``fmt`` (its claims: an SD-JWT VC's disclosed claims, a W3C credential's
    JSON) does not satisfy the exchange's one DCQL credential query; empty when it does."""
    entry = query["credentials"][0]
    problems = []
    if fmt != entry["format"]:
        return [f"the query asks for {entry['format']}, not {fmt}"]
    meta = entry.get("meta", {})
    if fmt == "dc+sd-jwt":
        if claims.get("vct") not in meta.get("vct_values", []):
            problems.append(f"vct {str(claims.get('vct'))[:200]!r} is not one of {meta.get('vct_values')}")
    else:
        types = claims.get("type")
        types = [types] if isinstance(types, str) else types if isinstance(types, list) else []
        have = {t for t in types if isinstance(t, str)}
        have |= {iri for t in have if (iri := expanded_type(t)) is not None}
        if not any(set(alternative) <= have for alternative in meta.get("type_values", [[DEFAULT_TYPE]])):
            problems.append(f"the credential's type is none of {meta.get('type_values')}")
    if entry.get("require_cryptographic_holder_binding", True) and not holder_binding:
        problems.append("the query requires holder binding; the credential has none")
    return problems + claim_problems(claims, entry.get("claims", []))

"""Query by Example (W3C CCG VP Request spec): what a ``present`` exchange asks a wallet for, and whether a
presented credential is what was asked.

Matching follows the Learner Credential Wallet's rules (``credentialMatching.ts``), so the node judges a
credential the way the wallet chose it: each member of the example must match the credential's member at the
same path; an array matches when the credential's array contains every listed value, an object matches
member by member (recursively), anything else must be equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from vcnode.errors import InvalidInput

DEFAULT_TYPE = "OpenBadgeCredential"
MAX_TEXT = 2048
#: Credential formats a ``present`` exchange can ask for (``dc+sd-jwt`` only over OpenID4VP).
FORMATS = ("ldp_vc", "dc+sd-jwt")
#: Most ``vct`` values and claim queries one query may list, and the longest claim path.
MAX_VCT = 16
MAX_CLAIMS = 32
MAX_PATH = 16
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_MEMBERS = {"type", "issuer", "achievement", "reason", "format", "vct", "claims"}


def _claim_query(value: Any, where: str) -> tuple[tuple[str | int | None, ...], tuple[str | int | bool, ...] | None]:
    """One DCQL claims query ``{path, values?}`` (OID4VP 1.0 section 6.3): a path of member names, array
    indexes and null (every element), and the values one of which the claim must have."""
    if not isinstance(value, dict) or "path" not in value or set(value) - {"path", "values"}:
        raise InvalidInput(f"{where} must be {{\"path\": [...], \"values\"?: [...]}}")
    path = value["path"]
    if not (isinstance(path, list) and 0 < len(path) <= MAX_PATH and all(
            (isinstance(p, str) and 0 < len(p) <= 256) or p is None
            or (isinstance(p, int) and not isinstance(p, bool) and 0 <= p < 2 ** 31) for p in path)):
        raise InvalidInput(f"{where}.path must be 1-{MAX_PATH} member names, array indexes or null")
    values = value.get("values")
    if values is not None and not (isinstance(values, list) and 0 < len(values) <= MAX_VCT and all(
            (isinstance(v, str) and len(v) <= MAX_TEXT) or isinstance(v, bool)
            or (isinstance(v, int) and abs(v) < 2 ** 53) for v in values)):
        raise InvalidInput(f"{where}.values must be 1-{MAX_VCT} strings, integers or booleans")
    return tuple(path), tuple(values) if values is not None else None


@dataclass(frozen=True)
class CredentialQuery:
    """What an employer asks for: a credential type (an Open Badge by default), optionally from one issuer
    and for one achievement; or (``format`` ``dc+sd-jwt``, over OpenID4VP) an SD-JWT VC of one of the
    ``vct`` types. ``claims`` (DCQL claims queries) are asked of either format over OpenID4VP."""

    type: str = DEFAULT_TYPE
    issuer: str | None = None
    achievement: str | None = None
    reason: str | None = None
    format: str = "ldp_vc"
    vct: tuple[str, ...] = ()
    claims: tuple[tuple[tuple[str | int | None, ...], tuple[str | int | bool, ...] | None], ...] = ()

    @classmethod
    def from_json(cls, value: Any) -> CredentialQuery:
        """``variables.query`` of a ``present`` exchange; :class:`InvalidInput` naming the bad member."""
        if value is None:
            return cls()
        if not isinstance(value, dict):
            raise InvalidInput("variables.query must be an object: {type?, issuer?, achievement?, reason?, "
                               "format?, vct?, claims?}")
        unknown = sorted(set(value) - _MEMBERS)
        if unknown:
            raise InvalidInput(f"variables.query has unknown members: {', '.join(unknown)[:200]}")
        for name in ("type", "issuer", "achievement", "reason"):
            member = value.get(name)
            if member is not None and not (isinstance(member, str) and 0 < len(member) <= MAX_TEXT):
                raise InvalidInput(f"variables.query.{name} must be a non-empty string of at most {MAX_TEXT} "
                                   "characters")
        fmt = value.get("format", "ldp_vc")
        if fmt not in FORMATS:
            raise InvalidInput(f"variables.query.format must be one of {', '.join(FORMATS)}")
        vct = value.get("vct")
        vct = [vct] if isinstance(vct, str) else vct
        if fmt == "dc+sd-jwt":
            if not (isinstance(vct, list) and 0 < len(vct) <= MAX_VCT
                    and all(isinstance(v, str) and 0 < len(v) <= MAX_TEXT for v in vct)):
                raise InvalidInput(f"variables.query.vct must be the SD-JWT VC type (or 1-{MAX_VCT} types) asked "
                                   "for, when format is dc+sd-jwt")
            wrong = [name for name in ("type", "achievement") if value.get(name) is not None]
            if wrong:
                raise InvalidInput(f"variables.query.{wrong[0]} is for ldp_vc; ask an SD-JWT VC by vct and claims")
        elif vct is not None:
            raise InvalidInput("variables.query.vct is for format dc+sd-jwt")
        claims = value.get("claims", [])
        if not isinstance(claims, list) or len(claims) > MAX_CLAIMS:
            raise InvalidInput(f"variables.query.claims must be a list of at most {MAX_CLAIMS} claims queries")
        parsed = tuple(_claim_query(c, f"variables.query.claims[{i}]") for i, c in enumerate(claims))
        return cls(value.get("type") or DEFAULT_TYPE, value.get("issuer"), value.get("achievement"),
                   value.get("reason"), fmt, tuple(vct or ()), parsed)

    def example(self) -> dict[str, Any]:
        """The ``credentialQuery.example`` a wallet matches its credentials against."""
        example: dict[str, Any] = {"type": [self.type]}
        if self.issuer is not None:
            example["issuer"] = {"id": self.issuer}
        if self.achievement is not None:
            example["credentialSubject"] = {"achievement": {"id": self.achievement}}
        return example

    def request(self) -> dict[str, Any]:
        """The ``QueryByExample`` entry of a verifiable presentation request."""
        what = "an Open Badge" if self.type == DEFAULT_TYPE else f"a {self.type}"
        reason = self.reason or (f"Please present {what}"
                                 + (f" for the achievement {self.achievement}" if self.achievement else "")
                                 + (f" issued by {self.issuer}" if self.issuer else "") + ".")
        return {"type": "QueryByExample", "credentialQuery": {"reason": reason, "example": self.example()}}


class _Missing:
    """JavaScript's ``undefined``: what a path that leads nowhere yields."""


_MISSING = _Missing()


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness for JSON values."""
    if value is None or isinstance(value, _Missing):
        return False
    if isinstance(value, bool | int | float | str):
        return bool(value)
    return True  # objects and arrays, even empty


def _own(value: Any, key: str) -> Any:
    """``value[key]`` when it is an own property in JavaScript's sense (jsonpath-plus follows only those)."""
    if not js_truthy(value):
        return _MISSING
    if isinstance(value, dict):
        return value.get(key, _MISSING)
    if isinstance(value, list | str):
        if key == "length":
            return len(value)
        if _ARRAY_INDEX.fullmatch(key) and int(key) < len(value):
            return value[int(key)]
    return _MISSING


def _same(a: Any, b: Any) -> bool:
    """JavaScript's ``===`` on JSON values: objects and arrays are never equal (they would be the same
    object); booleans are not numbers."""
    if isinstance(a, dict | list | _Missing) or isinstance(b, dict | list | _Missing):
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _entries(value: Any) -> list[tuple[str, Any]]:
    """``Object.entries``."""
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list | str):
        return [(str(i), item) for i, item in enumerate(value)]
    return []


def _matches(example: Any, credential: Any, path: tuple[str, ...]) -> bool:
    results: list[bool] = []
    for key, wanted in _entries(example):
        sub = (*path, key)
        scope: Any = credential
        for step in sub:
            scope = _own(scope, step)
        if isinstance(wanted, list):
            # Every value asked for must be among the credential's (which must be an array at least as long).
            if not isinstance(scope, list) or len(scope) < len(wanted):
                return False
            results.append(all(any(_same(item, have) for have in scope) for item in wanted))
        elif isinstance(wanted, dict):
            results.append(_matches(wanted, credential, sub))
        else:
            results.append(_same(scope, wanted))
    return all(results)


def credential_matches_example(example: Any, credential: Any) -> bool:
    """LCW's ``credentialMatchesVprExampleQuery``: each key of ``example`` is looked up at the same path in
    ``credential``; an array value matches an array that contains every one of its (literal) values, an object
    value matches recursively (an empty object matches anything), any other value must be equal (``===``)."""
    return _matches(example, credential, ())


#: The name the node uses; the same rules as the wallet's.
matches_example = credential_matches_example

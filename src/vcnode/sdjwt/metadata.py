"""SD-JWT VC type metadata (draft-ietf-oauth-sd-jwt-vc, "Type Metadata"): which claims a credential type has, how
wallets label them, and which may, must or must not be selectively disclosable (``sd``).

The issuer reads a type's ``sd`` rules to decide what to disclose by default: a claim whose rule is ``never`` is
written in the clear, every other claim as a disclosure (``always`` and ``allowed`` alike: disclosing less is
the holder's choice). Array elements are disclosable one by one only where the rule for ``[..., null]`` says
``always``; otherwise an array is disclosed whole.

The documents vcnode issues with live in ``vcnode/sdjwt/types/`` (see docs/sd-jwt.md for where each comes from).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from vcnode.errors import InvalidInput

SD_RULES = ("always", "allowed", "never")
#: Claims SD-JWT VC forbids to be selectively disclosable (and that the issuer sets itself).
NEVER_DISCLOSABLE = ("iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status")
LEARNING_CREDENTIAL_VCT = "urn:eu.europa.ec.eudi:learning:credential:1"
_BUNDLED = {LEARNING_CREDENTIAL_VCT: "eudi-learning-credential-1.json"}

Path = tuple[str | int | None, ...]


@dataclass(frozen=True)
class TypeMetadata:
    """A type metadata document and its ``sd`` rules by claim path (``None`` in a path: every array element)."""

    vct: str
    document: dict[str, Any] = field(compare=False, repr=False)
    rules: dict[Path, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_document(cls, document: Any) -> TypeMetadata:
        """Read a type metadata document; :class:`InvalidInput` when it has no ``vct`` or a malformed claim."""
        if not isinstance(document, dict) or not isinstance(document.get("vct"), str) or not document["vct"]:
            raise InvalidInput("type metadata needs a vct (a string)")
        rules: dict[Path, str] = {}
        claims = document.get("claims", [])
        if not isinstance(claims, list):
            raise InvalidInput("type metadata claims must be a list")
        for position, claim in enumerate(claims):
            path = claim.get("path") if isinstance(claim, dict) else None
            if not isinstance(path, list) or not path or not all(
                    element is None or isinstance(element, str) or (isinstance(element, int)
                                                                     and not isinstance(element, bool)
                                                                     and element >= 0) for element in path):
                raise InvalidInput(f"type metadata claims[{position}].path must be a non-empty list of names, "
                                   "indexes and nulls")
            rule = claim.get("sd", "allowed")
            if rule not in SD_RULES:
                raise InvalidInput(f"type metadata claims[{position}].sd must be one of {', '.join(SD_RULES)}")
            rules[tuple(path)] = rule
        return cls(document["vct"], document, rules)

    def sd(self, path: Path) -> str:
        """The ``sd`` rule for ``path`` (``allowed`` when the type says nothing). The claims SD-JWT VC forbids to
        disclose selectively are ``never`` whatever the document says."""
        if len(path) == 1 and path[0] in NEVER_DISCLOSABLE:
            return "never"
        return self.rules.get(path, "allowed")

    def claim_names(self) -> frozenset[str]:
        """The top-level claims the type describes."""
        return frozenset(path[0] for path in self.rules if isinstance(path[0], str))


@lru_cache(maxsize=8)
def bundled_type_metadata(vct: str) -> TypeMetadata:
    """The type metadata vcnode ships for ``vct``; :class:`InvalidInput` for a type it has none for."""
    name = _BUNDLED.get(vct)
    if name is None:
        raise InvalidInput(f"vcnode has no type metadata for vct {vct[:120]!r}")
    text = resources.files("vcnode.sdjwt").joinpath("types", name).read_text("utf-8")
    return TypeMetadata.from_document(json.loads(text))


def learning_credential_type_metadata() -> TypeMetadata:
    """vcnode's type metadata for the EUDI learning credential (``urn:eu.europa.ec.eudi:learning:credential:1``)."""
    return bundled_type_metadata(LEARNING_CREDENTIAL_VCT)

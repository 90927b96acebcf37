"""Query by Example (W3C CCG VP Request spec): what a ``present`` exchange asks a wallet for, and whether a
presented credential is what was asked.

Matching follows the Learner Credential Wallet's rules (``credentialMatching.ts``), so the node judges a
credential the way the wallet chose it: each member of the example must match the credential's member at the
same path; an array matches when the credential's array contains every listed value, an object matches
member by member (recursively), anything else must be equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vcnode.errors import InvalidInput

DEFAULT_TYPE = "OpenBadgeCredential"
MAX_TEXT = 2048


@dataclass(frozen=True)
class CredentialQuery:
    """What an employer asks for: a credential type (an Open Badge by default), optionally from one issuer
    and for one achievement."""

    type: str = DEFAULT_TYPE
    issuer: str | None = None
    achievement: str | None = None
    reason: str | None = None

    @classmethod
    def from_json(cls, value: Any) -> CredentialQuery:
        """``variables.query`` of a ``present`` exchange; :class:`InvalidInput` naming the bad member."""
        if value is None:
            return cls()
        if not isinstance(value, dict):
            raise InvalidInput("variables.query must be an object: {type?, issuer?, achievement?, reason?}")
        unknown = sorted(set(value) - {"type", "issuer", "achievement", "reason"})
        if unknown:
            raise InvalidInput(f"variables.query has unknown members: {', '.join(unknown)[:200]}")
        for name in ("type", "issuer", "achievement", "reason"):
            member = value.get(name)
            if member is not None and not (isinstance(member, str) and 0 < len(member) <= MAX_TEXT):
                raise InvalidInput(f"variables.query.{name} must be a non-empty string of at most {MAX_TEXT} "
                                   "characters")
        return cls(value.get("type") or DEFAULT_TYPE, value.get("issuer"), value.get("achievement"),
                   value.get("reason"))

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


def matches_example(example: Any, value: Any) -> bool:
    """Whether ``value`` (a credential, or a member of one) matches the Query by Example ``example``."""
    if not isinstance(example, dict):
        return False
    if not isinstance(value, dict):
        return False
    for name, wanted in example.items():
        found = value.get(name)
        if isinstance(wanted, list):
            if not isinstance(found, list) or not all(_contains(found, item) for item in wanted):
                return False
        elif isinstance(wanted, dict):
            if not matches_example(wanted, found):
                return False
        elif found != wanted or isinstance(found, bool) != isinstance(wanted, bool):
            return False
    return True


def _contains(values: list[Any], item: Any) -> bool:
    # JavaScript's Array.includes compares by identity for objects: only literal values can be found.
    return not isinstance(item, (dict, list)) and any(v == item and type(v) is type(item) for v in values)

"""Example trust data for Hong Kong, New Zealand and an EU member state (Ireland): EXAMPLES, NOT OFFICIAL.

The JSON files beside this module hold unsigned statements and achievements written with placeholder DIDs
``did:example:<role>``; the functions here put real DIDs in their place and sign. The parties, level maps
and numbers are illustrative (see each file's ``_note``); the demo and the tests use them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from vcnode.credentials.issue import issue_credential
from vcnode.credentials.openbadges import build_open_badge
from vcnode.keys.signer import SigningKey
from vcnode.proofs import DEFAULT_SUITE

#: The parties of the examples.
ROLES = ("hk-regulator", "hk-provider", "nz-regulator", "eu-regulator", "eu-provider")
#: The example frameworks' ids, by code.
FRAMEWORKS = {code: f"https://vcnode.dev/examples/frameworks/{code.lower()}"
              for code in ("HKQF", "NZQCF", "EQF", "ECTS")}
KINDS = ("frameworks", "accreditations", "agreements", "pathways")
PLACEHOLDER = "did:example:"


@cache
def _load(name: str) -> dict[str, Any]:
    return json.loads(resources.files(__name__).joinpath(f"{name}.json").read_text("utf-8"))


def _fill(value: Any, dids: Mapping[str, str]) -> Any:
    if isinstance(value, str) and value.startswith(PLACEHOLDER):
        return dids.get(value.removeprefix(PLACEHOLDER), value)
    if isinstance(value, list):
        return [_fill(item, dids) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, dids) for key, item in value.items()}
    return value


def _issuer(document: dict[str, Any]) -> str:
    issuer = document["issuer"]
    return issuer["id"] if isinstance(issuer, dict) else issuer


def example_documents(dids: Mapping[str, str], kinds: Iterable[str] = KINDS) -> list[dict[str, Any]]:
    """The unsigned example statements of ``kinds`` with ``dids`` (role → DID) filled in. Statements whose
    issuer's role is not in ``dids`` are left out (give only the parties a scenario needs)."""
    out = []
    for kind in kinds:
        for document in _load(kind)["statements"]:
            if _issuer(document).removeprefix(PLACEHOLDER) in dids:
                out.append(_fill(copy.deepcopy(document), dids))
    return out


def example_statements(signers: Mapping[str, SigningKey], kinds: Iterable[str] = KINDS, *,
                       suite: str = DEFAULT_SUITE) -> list[dict[str, Any]]:
    """The example statements signed by the keys of their issuers (``signers``: role → key; a key's DID
    plays that role). Statements of roles without a key are left out."""
    dids = {role: key.verification_method.split("#", 1)[0] for role, key in signers.items()}
    by_did = {dids[role]: key for role, key in signers.items()}
    return [issue_credential(document, by_did[_issuer(document)], suite=suite)
            for document in example_documents(dids, kinds)]


def example_achievement(key: str) -> tuple[str, dict[str, Any]]:
    """(the provider role that awards it, the Achievement) for an example achievement key."""
    entry = _load("achievements")["achievements"][key]
    return entry["provider"], copy.deepcopy(entry["achievement"])


def example_achievement_keys() -> list[str]:
    """The keys of the example achievements."""
    return list(_load("achievements")["achievements"])


def example_badge(key: str, *, issuer: str, learner_id: str, credential_id: str,
                  valid_from: str = "2026-03-01T00:00:00Z", credits_earned: float | None = None) -> dict[str, Any]:
    """An unsigned Open Badges 3.0 micro-credential for example achievement ``key``, issued by ``issuer``
    (the DID playing the achievement's provider role), with the provider's name and address."""
    entry = _load("achievements")["achievements"][key]
    profile = {"id": issuer, "name": entry["providerName"], "address": copy.deepcopy(entry["address"])}
    badge = build_open_badge(credential_id=credential_id, issuer=profile, achievement=copy.deepcopy(
        entry["achievement"]), learner_id=learner_id, valid_from=valid_from)
    if credits_earned is not None:
        badge["credentialSubject"]["creditsEarned"] = credits_earned
    return badge

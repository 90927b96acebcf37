"""OpenID4VCI authorisation details (RFC 9396, type ``openid_credential``; OID4VCI 1.0 sections 5.1.1, 6.2).

A wallet may ask for credentials by ``authorization_details`` at ``/authorize`` or at ``/token`` (both grants).
The token response then echoes what was granted, each configuration with ``credential_identifiers``, and the
wallet must name one of those (``credential_identifier``) in its credential request instead of a
``credential_configuration_id``. The granted details are stored with the access token.

A claim exchange issues one credential (one Credential Dataset) per configuration, so each granted
configuration gets one identifier: ``<configuration id>.<exchange id>.<tag>``, the tag an HMAC of the other two
under the node's exchange secret. The credential endpoint can so tell an identifier this issuer never gave
(``unknown_credential_identifier``) from a genuine one the presented access token was not issued for.
"""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

OPENID_CREDENTIAL = "openid_credential"
_LABEL = "oid4vci credential_identifier"
#: Most authorisation details objects read from one request (a claim offers two configurations).
MAX_DETAILS = 8
_MAX_IDENTIFIER = 512

Mac = Callable[[str, str], Awaitable[bytes]]


class DetailsRefused(ValueError):
    """The request's ``authorization_details`` cannot be granted (``invalid_authorization_details``)."""


def requested_configurations(raw: str, offered: Sequence[str], issuer_url: str) -> list[str]:
    """The configuration ids an ``authorization_details`` parameter (a JSON array) asks for, each once, in
    order; :class:`DetailsRefused` unless every object is of type ``openid_credential`` naming one of
    ``offered``, with ``locations`` (when given) naming this issuer."""
    try:
        details = json.loads(raw)
    except ValueError:
        raise DetailsRefused("authorization_details must be a JSON array") from None
    if not isinstance(details, list) or not details or len(details) > MAX_DETAILS:
        raise DetailsRefused(f"authorization_details must be a JSON array of 1 to {MAX_DETAILS} objects")
    wanted: list[str] = []
    for item in details:
        if not isinstance(item, dict) or item.get("type") != OPENID_CREDENTIAL:
            raise DetailsRefused("authorization_details objects must be of type openid_credential")
        ident = item.get("credential_configuration_id")
        if not isinstance(ident, str) or ident not in offered:
            raise DetailsRefused("authorization_details must name credential configurations offered for this claim")
        locations = item.get("locations")
        if locations is not None and (not isinstance(locations, list) or issuer_url not in locations):
            raise DetailsRefused("authorization_details locations must name this credential issuer")
        if ident not in wanted:
            wanted.append(ident)
    return wanted


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


async def credential_identifier(mac: Mac, configuration_id: str, exchange_id: str) -> str:
    """The credential identifier of a claim's credential in one configuration."""
    tag = _b64((await mac(_LABEL, f"{configuration_id}\n{exchange_id}"))[:12])
    return f"{configuration_id}.{exchange_id}.{tag}"


async def genuine(mac: Mac, identifier: str) -> bool:
    """Whether ``identifier`` is one this issuer gives (for any claim, to any access token)."""
    if len(identifier) > _MAX_IDENTIFIER:
        return False
    parts = identifier.rsplit(".", 2)
    if len(parts) != 3 or not all(parts):
        return False
    expected = await credential_identifier(mac, parts[0], parts[1])
    return hmac.compare_digest(expected.encode(), identifier.encode())


async def granted(mac: Mac, exchange_id: str, configurations: Sequence[str], issuer_url: str) -> list[dict[str, Any]]:
    """The token response's ``authorization_details``: one ``openid_credential`` object per configuration, with
    its ``credential_identifiers`` (one: a claim is one credential)."""
    return [{"type": OPENID_CREDENTIAL, "credential_configuration_id": ident, "locations": [issuer_url],
             "credential_identifiers": [await credential_identifier(mac, ident, exchange_id)]}
            for ident in configurations]


def identifiers(details: list[dict[str, Any]]) -> dict[str, str]:
    """Credential identifier → configuration id, from stored granted details."""
    return {identifier: item["credential_configuration_id"] for item in details
            for identifier in item["credential_identifiers"]}


def token_answer(access: str, ttl: float, granted: list[dict[str, Any]] | None) -> dict[str, Any]:
    """A successful token response (either grant): the access token and, when the wallet asked by
    ``authorization_details``, those granted with their ``credential_identifiers``."""
    answer: dict[str, Any] = {"access_token": access, "token_type": "Bearer", "expires_in": int(ttl)}
    if granted is not None:
        answer["authorization_details"] = granted
    return answer

"""The OpenID4VP authorisation request of a ``present`` exchange (OID4VP 1.0 sections 5 and 13).

Everything is derived from the stored exchange, so any process answers any step: the ``nonce`` is the
exchange's stored random challenge (a Data Integrity presentation signs it as its ``challenge``, with the
client id as its ``domain``: a presentation made for the VC API exchange, whose domain is the node's origin,
is not accepted here), the ``state`` a digest of it, and the DCQL query comes from ``variables.query``.

Two client identifier forms:

- ``decentralized_identifier:<node DID>`` (the default): the request is passed by reference
  (``request_uri``) as a JAR (``typ oauth-authz-req+jwt``) signed by the node's identity key, ``kid`` its
  verification method, so the wallet checks it against the node's DID document;
- ``redirect_uri:<response_uri>`` (testing; ``variables.openid4vp.clientIdPrefix`` and the node's
  ``oid4vp_allow_redirect_uri``): the spec forbids signing it, so the whole request is in the link.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import quote

import orjson

from vcnode.exchanges.model import Exchange
from vcnode.exchanges.present import client_id_prefix
from vcnode.exchanges.query import CredentialQuery
from vcnode.jose import sign_compact
from vcnode.keys.signer import Signer
from vcnode.oid4vp.dcql import dcql_query
from vcnode.proofs import SUITES

REQUEST_TYP = "oauth-authz-req+jwt"
#: The audience of a request object the wallet is not named in (OID4VP 1.0 section 5.8, static discovery).
SELF_ISSUED = "https://self-issued.me/v2"
#: How long a signed request object is valid (a wallet fetches it right after reading the link).
REQUEST_TTL = 600
#: Algorithms the node accepts for SD-JWT VC issuer signatures and key-binding JWTs.
JWS_ALGORITHMS = ["ES256", "EdDSA"]


def exchange_url(base_url: str, exchange: Exchange) -> str:
    """The exchange's VC API URL."""
    return f"{base_url.rstrip('/')}/workflows/{quote(exchange.workflow, safe='')}/exchanges/" \
           f"{quote(exchange.id, safe='')}"


def request_uri(base_url: str, exchange: Exchange) -> str:
    """Where the wallet fetches the signed request object."""
    return exchange_url(base_url, exchange) + "/openid4vp/request"


def response_uri(base_url: str, exchange: Exchange) -> str:
    """Where the wallet posts its authorisation response (``direct_post``)."""
    return exchange_url(base_url, exchange) + "/openid4vp/response"


def client_id(base_url: str, did: str, exchange: Exchange) -> str:
    """The exchange's client identifier: ``decentralized_identifier:<did>`` or ``redirect_uri:<response_uri>``."""
    if client_id_prefix(exchange.variables) == "redirect_uri":
        return "redirect_uri:" + response_uri(base_url, exchange)
    return "decentralized_identifier:" + did


def nonce(exchange: Exchange) -> str:
    """The request's nonce: the exchange's stored challenge."""
    return exchange.record.challenge


def state(exchange: Exchange) -> str:
    """The request's state: a digest of the challenge, so it names this exchange and no other."""
    digest = hashlib.sha256(f"vcnode openid4vp state\n{exchange.record.challenge}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode("ascii").rstrip("=")


def client_metadata() -> dict[str, Any]:
    """What the node verifies (``vp_formats_supported``, OID4VP 1.0 section 11.1)."""
    return {"vp_formats_supported": {
        "dc+sd-jwt": {"sd-jwt_alg_values": JWS_ALGORITHMS, "kb-jwt_alg_values": JWS_ALGORITHMS},
        "ldp_vc": {"proof_type_values": ["DataIntegrityProof", "Ed25519Signature2020"],
                   "cryptosuite_values": [s for s in SUITES if s != "Ed25519Signature2020"]}}}


def authorization_request(base_url: str, did: str, exchange: Exchange) -> dict[str, Any]:
    """The authorisation request's parameters (the request object's claims, without ``iat``/``exp``)."""
    query = CredentialQuery.from_json(exchange.variables.get("query"))
    return {"client_id": client_id(base_url, did, exchange), "response_type": "vp_token",
            "response_mode": "direct_post", "response_uri": response_uri(base_url, exchange),
            "nonce": nonce(exchange), "state": state(exchange), "dcql_query": dcql_query(query),
            "client_metadata": client_metadata()}


def link_parameters(base_url: str, did: str, exchange: Exchange) -> dict[str, str]:
    """The query of the exchange's ``openid4vp://`` link: ``client_id`` and ``request_uri``, or (the unsigned
    ``redirect_uri`` form) the whole request, objects as JSON."""
    request = authorization_request(base_url, did, exchange)
    if client_id_prefix(exchange.variables) == "redirect_uri":
        return {name: value if isinstance(value, str) else orjson.dumps(value).decode()
                for name, value in request.items()}
    return {"client_id": request["client_id"], "request_uri": request_uri(base_url, exchange)}


def request_object(base_url: str, did: str, verification_method: str, signer: Signer, exchange: Exchange,
                   now: float) -> str:
    """The signed request object (JAR, RFC 9101) of a ``decentralized_identifier`` exchange."""
    claims = {**authorization_request(base_url, did, exchange), "iss": did, "aud": SELF_ISSUED, "iat": int(now),
              "exp": int(min(now + REQUEST_TTL, exchange.record.expires))}
    return sign_compact(claims, signer, kid=verification_method, header={"typ": REQUEST_TYP})

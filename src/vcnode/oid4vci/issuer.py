"""The OID4VCI issuer over claim exchanges: credential offers, the token, nonce and credential endpoints.

Everything lives in the store (migration 0012), so any process on the database answers any step:

- **offer** (``GET <exchange URL>/credential-offer``): each fetch mints a fresh pre-authorised code (random,
  stored as its SHA-256, single use, ``oid4vci_code_ttl``), bound to the exchange;
- **token** (``POST /token``): the code and the claim's ``tx_code`` for an access token (random, hashed,
  ``oid4vci_token_ttl``), in one transaction that also counts wrong tx_codes per exchange (at most
  ``oid4vci_tx_code_attempts``, whatever code they come with) and starts the exchange; ``authorization_details``
  in the request are granted with credential identifiers, stored with the token (:mod:`.details`);
- **nonce** (``POST /nonce``): a c_nonce (single use, ``oid4vci_nonce_ttl``);
- **credential** (``POST /credential``): the access token, a configuration id (or, for a token granted
  authorisation details, one of its credential identifiers) and one key proof (its nonce
  consumed by a compare-and-set); the credential is issued and the exchange completed in one transaction,
  by the claim workflow's own issue path.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from vcnode.errors import VcnodeError
from vcnode.exchanges.claim import AUTHORIZATION_CODE, PRE_AUTHORIZED, ClaimWorkflow, oid4vci_grants
from vcnode.exchanges.model import Exchange, ExchangeNotFound, closed
from vcnode.exchanges.service import ExchangeService
from vcnode.keys.jwk import multikey_to_jwk
from vcnode.oid4vci import details as authorization_details
from vcnode.oid4vci.authorize import AuthorizationCodeFlow
from vcnode.oid4vci.errors import (
    CREDENTIAL_REQUEST_DENIED,
    INVALID_AUTHORIZATION_DETAILS,
    INVALID_CREDENTIAL_REQUEST,
    INVALID_GRANT,
    INVALID_NONCE,
    INVALID_REQUEST,
    UNKNOWN_CREDENTIAL_CONFIGURATION,
    UNKNOWN_CREDENTIAL_IDENTIFIER,
    UNSUPPORTED_GRANT_TYPE,
    OAuthError,
    invalid_token,
)
from vcnode.oid4vci.formats import FORMATS, CredentialFormat
from vcnode.oid4vci.proof import verify_proof

if TYPE_CHECKING:
    from vcnode.node import Node

log = logging.getLogger(__name__)

_JOSE_ALG = {"Ed25519": "EdDSA", "P-256": "ES256", "P-384": "ES384"}
PRE_AUTHORIZED_GRANT = PRE_AUTHORIZED
#: Unused codes one exchange may hold at once (each offer fetch mints one): bounds what a link's holder can
#: make the node store.
MAX_OPEN_CODES = 16
_MAX_FIELD = 512  # longest code, tx_code or token read (ours are 43 characters)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class OpenIdIssuer:
    """The node's OID4VCI credential issuer. ``clock`` gives Unix seconds."""

    def __init__(self, node: Node, exchanges: ExchangeService, *, clock: Callable[[], float] | None = None,
                 formats: Mapping[str, CredentialFormat] = FORMATS) -> None:
        self.node = node
        self.exchanges = exchanges
        self.clock = clock or node.clock.time  # Unix seconds; the node's clock unless a test moves its own
        self.formats = dict(formats)
        self.authorization = AuthorizationCodeFlow(self)

    @property
    def issuer_url(self) -> str:
        """The ``credential_issuer`` identifier: the node's base URL."""
        return self.node.config.base_url

    @property
    def claims(self) -> ClaimWorkflow:
        workflow = self.exchanges.workflow(ClaimWorkflow.id)
        assert isinstance(workflow, ClaimWorkflow)
        return workflow

    # -- metadata -----------------------------------------------------------------------------------------

    def issuer_metadata(self) -> dict[str, Any]:
        """Credential issuer metadata (OID4VCI 1.0 section 12.2)."""
        base = self.issuer_url
        return {"credential_issuer": base, "credential_endpoint": f"{base}/credential",
                "nonce_endpoint": f"{base}/nonce", "authorization_servers": [base],
                "display": [{"name": self.node.config.domain or base, "locale": "en"}],
                "credential_configurations_supported": {
                    ident: fmt.configuration(self.node) for ident, fmt in self.formats.items()}}

    def authorization_server_metadata(self) -> dict[str, Any]:
        """OAuth authorisation server metadata (RFC 8414): the pre-authorised code flow and the authorisation
        code flow with PKCE S256 (public clients only), ``iss`` in the authorisation response (RFC 9207)."""
        base = self.issuer_url
        return {"issuer": base, "token_endpoint": f"{base}/token", "authorization_endpoint": f"{base}/authorize",
                "response_types_supported": ["code"], "response_modes_supported": ["query"],
                "code_challenge_methods_supported": ["S256"],
                "grant_types_supported": [AUTHORIZATION_CODE, PRE_AUTHORIZED_GRANT],
                "scopes_supported": sorted({fmt.configuration(self.node)["scope"] for fmt in self.formats.values()
                                            if "scope" in fmt.configuration(self.node)}),
                "token_endpoint_auth_methods_supported": ["none"],
                "authorization_details_types_supported": [authorization_details.OPENID_CREDENTIAL],
                "authorization_response_iss_parameter_supported": True,
                "pre-authorized_grant_anonymous_access_supported": True}

    def offered_configurations(self, credential: Any) -> list[str]:
        """The configuration ids a claim's unsigned credential can be issued in."""
        if not isinstance(credential, dict):
            return []
        return [ident for ident, fmt in self.formats.items() if fmt.offers(credential)]

    def jwt_vc_issuer_metadata(self) -> dict[str, Any]:
        """JWT VC Issuer Metadata (SD-JWT VC, ``/.well-known/jwt-vc-issuer``): ``issuer`` = the node's base URL
        and ``jwks`` = the public keys of every identity it holds (retired ones too, for credentials they
        signed), each with ``kid`` = its verification method, the ``kid`` the SD-JWT VCs carry."""
        keys = []
        for record in self.node.identities.keys(None):
            jwk = multikey_to_jwk(record.public_multikey)
            keys.append({**jwk, "kid": record.id, "alg": _JOSE_ALG.get(record.key_type, "EdDSA"), "use": "sig"})
        return {"issuer": self.issuer_url, "jwks": {"keys": keys}}

    # -- offer --------------------------------------------------------------------------------------------

    async def offer(self, exchange_id: str) -> dict[str, Any]:
        """The credential offer of an open claim exchange with the grants the claim asks for: a new
        pre-authorised code, and/or the ``issuer_state`` of the authorisation code flow; problems (404, 409,
        410) as for the exchange itself."""
        exchange = await self.exchanges.get(ClaimWorkflow.id, exchange_id)
        if exchange.state not in ("pending", "active"):
            raise closed(exchange.id, exchange.state)
        offered = self.offered_configurations(exchange.variables.get("credential", {}))
        if not offered:
            raise ExchangeNotFound(f"the claim {exchange.id} has no OpenID4VCI credential offer: its credential "
                                   "is of no configuration this issuer offers")
        grants: dict[str, Any] = {}
        allowed = oid4vci_grants(exchange.variables)
        if AUTHORIZATION_CODE in allowed:  # the learner logs in on /authorize with the claim's code first
            grants[AUTHORIZATION_CODE] = {"issuer_state": await self.authorization.issuer_state(exchange.id),
                                          "authorization_server": self.issuer_url}
        if PRE_AUTHORIZED_GRANT in allowed:
            grants[PRE_AUTHORIZED_GRANT] = await self._pre_authorized_grant(exchange_id, exchange)
        return {"credential_issuer": self.issuer_url, "credential_configuration_ids": offered, "grants": grants}

    async def _pre_authorized_grant(self, exchange_id: str, exchange: Exchange) -> dict[str, Any]:
        code = secrets.token_urlsafe(32)
        now = self.clock()
        if not await self.node.store.add_oid4vci_code(_hash(code), exchange.id, now,
                                                      now + self.node.config.oid4vci_code_ttl, MAX_OPEN_CODES):
            current = await self.exchanges.get(ClaimWorkflow.id, exchange_id)
            if current.state not in ("pending", "active"):
                raise closed(current.id, current.state)
            raise VcnodeError(f"this offer was fetched {MAX_OPEN_CODES} times in the last "
                              f"{self.node.config.oid4vci_code_ttl:g} seconds without being redeemed; "
                              "try again later", code="tooManyOffers", status=429)
        length = self.node.config.oid4vci_tx_code_length
        grant = {"pre-authorized_code": code,
                 "tx_code": {"input_mode": "numeric", "length": length,
                             "description": f"The {length}-digit PIN the issuer sent you with this offer, "
                                            "by another message"}}
        return grant

    # -- token --------------------------------------------------------------------------------------------

    async def token(self, form: Mapping[str, str], authorization: str | None = None) -> dict[str, Any]:
        """The token endpoint: a form with ``grant_type`` and either ``pre-authorized_code`` and ``tx_code``, or
        (``authorization_code``) ``code``, ``redirect_uri``, ``code_verifier``; ``authorization`` is the
        request's Authorization header (client authentication, which this server does not do)."""
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError(INVALID_REQUEST, "grant_type is missing")
        if grant_type == AUTHORIZATION_CODE:
            return await self.authorization.token(form, authorization)
        if grant_type != PRE_AUTHORIZED_GRANT:
            raise OAuthError(UNSUPPORTED_GRANT_TYPE,
                             f"this issuer offers {PRE_AUTHORIZED_GRANT} and {AUTHORIZATION_CODE} only")
        code = form.get("pre-authorized_code")
        if not code or len(code) > _MAX_FIELD:
            raise OAuthError(INVALID_REQUEST, "pre-authorized_code is missing")
        tx_code = form.get("tx_code")
        if not tx_code or len(tx_code) > _MAX_FIELD:
            raise OAuthError(INVALID_REQUEST, "tx_code is missing: every offer of this issuer needs its PIN")
        # The expected PIN is derived before the transaction (an HMAC with the node's secret); the store compares
        # inside it, so counting a wrong one and redeeming a right one cannot interleave across processes.
        minted_for = await self.node.store.oid4vci_code_exchange(_hash(code))
        expected = (await self.exchanges.tx_code(minted_for)).encode() if minted_for is not None else None

        def tx_code_ok(exchange_id: str) -> bool:
            return expected is not None and exchange_id == minted_for and \
                hmac.compare_digest(expected, tx_code.encode("utf-8"))

        granted = await self._granted_details(minted_for, form.get("authorization_details"))
        access = secrets.token_urlsafe(32)
        now = self.clock()
        config = self.node.config
        state, exchange_id, left = await self.node.store.redeem_oid4vci_code(
            _hash(code), now, tx_code_ok,
            config.oid4vci_tx_code_attempts, _hash(access), now + config.oid4vci_token_ttl,
            json.dumps(granted) if granted is not None else None)
        if state == "issued":
            return authorization_details.token_answer(access, config.oid4vci_token_ttl, granted)
        reasons = {"unknown": "the pre-authorized_code is not one this issuer gave",
                   "expired": "the pre-authorized_code has expired: fetch the offer again",
                   "used": "the pre-authorized_code was already used",
                   "exchangeClosed": "the claim is no longer open (already claimed, cancelled or expired)",
                   "wrongTxCode": f"wrong tx_code; {left} attempt(s) left",
                   "locked": "too many wrong tx_codes: this offer is locked; ask the issuer for a new one"}
        if state in ("wrongTxCode", "locked"):
            log.warning("OpenID4VCI: %s for exchange %s", state, exchange_id)
        raise OAuthError(INVALID_GRANT, reasons[state])

    async def _granted_details(self, exchange_id: str | None, requested: str | None) -> list[dict[str, Any]] | None:
        """The pre-authorised token request's ``authorization_details`` as granted (configurations the claim
        offers), or None when it has none or its code is unknown (the redeeming transaction refuses that)."""
        if requested is None or exchange_id is None:
            return None
        record = await self.node.store.get_exchange(exchange_id)
        offered = self.offered_configurations(Exchange(record, self.clock()).variables.get("credential", {})) \
            if record is not None else []
        try:
            wanted = authorization_details.requested_configurations(requested, offered, self.issuer_url)
        except authorization_details.DetailsRefused as exc:
            raise OAuthError(INVALID_AUTHORIZATION_DETAILS, str(exc)) from None
        return await authorization_details.granted(self.exchanges.mac, exchange_id, wanted, self.issuer_url)

    # -- nonce --------------------------------------------------------------------------------------------

    async def nonce(self) -> dict[str, str]:
        """A new c_nonce."""
        value = secrets.token_urlsafe(24)
        now = self.clock()
        config = self.node.config
        if not await self.node.store.add_oid4vci_nonce(value, now, now + config.oid4vci_nonce_ttl,
                                                       config.oid4vci_nonce_max):
            raise VcnodeError("too many open c_nonces; retry shortly", code="tooManyNonces", status=503)
        return {"c_nonce": value}

    # -- credential ---------------------------------------------------------------------------------------

    async def check_token(self, authorization: str | None) -> None:
        """:class:`OAuthError` ``invalid_token`` unless ``authorization`` carries a current access token."""
        await self._authorised_exchange(authorization)

    async def _authorised_exchange(self, authorization: str | None) -> tuple[Exchange, dict[str, str] | None]:
        """The exchange an access token is for and, when it was granted authorisation details, its credential
        identifiers (identifier → configuration id)."""
        if not authorization:
            raise invalid_token("an access token is needed (Authorization: Bearer …)")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > _MAX_FIELD:
            raise invalid_token("the Authorization header must be Bearer <access token>")
        grant = await self.node.store.oid4vci_token_grant(_hash(token), self.clock())
        record = await self.node.store.get_exchange(grant[0]) if grant is not None else None
        if grant is None or record is None:
            raise invalid_token("the access token is unknown or has expired")
        granted = authorization_details.identifiers(json.loads(grant[1])) if grant[1] is not None else None
        return Exchange(record, self.clock()), granted

    async def credential(self, authorization: str | None, body: Any) -> dict[str, Any]:
        """The credential endpoint: ``{credential_configuration_id, proofs: {jwt: [one JWT]}}`` (or the
        draft-era ``proof: {proof_type: "jwt", jwt}``; ``credential_identifier`` instead of the configuration
        id for a token granted authorisation details) → ``{"credentials": [{"credential": …}]}``."""
        exchange, granted = await self._authorised_exchange(authorization)
        if not isinstance(body, dict):
            raise OAuthError(INVALID_CREDENTIAL_REQUEST, "the body must be a JSON object")
        ident = await self._configuration_asked(body, granted)
        fmt = self.formats.get(ident)
        if fmt is None or not fmt.offers(exchange.variables.get("credential", {})):
            raise OAuthError(UNKNOWN_CREDENTIAL_CONFIGURATION,
                             f"{ident[:80]!r} is not a configuration offered for this claim")
        jwt = _one_proof(body)
        proof = await verify_proof(jwt, self.node.resolver, audience=self.issuer_url, now=exchange.now,
                                   max_age=self.node.config.oid4vci_proof_max_age)
        if len(proof.nonce) > _MAX_FIELD or \
                await self.node.store.consume_oid4vci_nonce(proof.nonce, exchange.now) != "consumed":
            raise OAuthError(INVALID_NONCE, "the proof's nonce is not a current c_nonce of this issuer (unknown, "
                             "used or expired): get a new one from the nonce endpoint")
        try:
            credential = await fmt.issue(self.claims, exchange, proof.holder)
        except VcnodeError as exc:
            if exc.status >= 500:
                raise
            raise OAuthError(CREDENTIAL_REQUEST_DENIED, f"{exc.code}: {exc.detail}") from None
        return {"credentials": [{"credential": credential}]}


    async def _configuration_asked(self, body: dict[str, Any], granted: dict[str, str] | None) -> str:
        """The configuration id a credential request names (OID4VCI 1.0 section 8.2): a ``credential_identifier``
        the access token was granted when it was issued with authorisation details, otherwise a
        ``credential_configuration_id``; never both."""
        if "credential_identifier" in body and "credential_configuration_id" in body:
            raise OAuthError(INVALID_CREDENTIAL_REQUEST, "send credential_identifier or credential_configuration_id, "
                             "not both")
        if granted is None:
            if "credential_identifier" in body:
                raise OAuthError(INVALID_CREDENTIAL_REQUEST, "credential_identifier is not used: this access token "
                                 "was granted no authorization_details; send credential_configuration_id")
            ident = body.get("credential_configuration_id")
            if not isinstance(ident, str):
                raise OAuthError(INVALID_CREDENTIAL_REQUEST, "credential_configuration_id is missing")
            return ident
        if "credential_configuration_id" in body:
            raise OAuthError(INVALID_CREDENTIAL_REQUEST, "this access token was granted authorization_details: send "
                             "one of its credential_identifiers, not credential_configuration_id")
        identifier = body.get("credential_identifier")
        if not isinstance(identifier, str):
            raise OAuthError(INVALID_CREDENTIAL_REQUEST, "credential_identifier is missing")
        if identifier in granted:
            return granted[identifier]
        if await authorization_details.genuine(self.exchanges.mac, identifier):
            raise OAuthError(INVALID_CREDENTIAL_REQUEST, "the credential_identifier is not one this access token "
                             "was issued for")
        raise OAuthError(UNKNOWN_CREDENTIAL_IDENTIFIER, "the credential_identifier is not one this issuer gave")


def _one_proof(body: dict[str, Any]) -> Any:
    """The one JWT proof of a request: ``proofs.jwt`` (OID4VCI 1.0) or the draft-era ``proof`` (warned)."""
    proofs, proof = body.get("proofs"), body.get("proof")
    if proofs is not None and proof is not None:
        raise OAuthError(INVALID_CREDENTIAL_REQUEST, "send proofs or proof, not both")
    if proofs is not None:
        if not isinstance(proofs, dict) or set(proofs) != {"jwt"}:
            raise OAuthError(INVALID_CREDENTIAL_REQUEST, "proofs must be {\"jwt\": [one proof JWT]}")
        jwts = proofs["jwt"]
        if not isinstance(jwts, list) or len(jwts) != 1:
            raise OAuthError(INVALID_CREDENTIAL_REQUEST, "proofs.jwt must hold exactly one proof JWT: this "
                             "issuer issues one credential per claim")
        return jwts[0]
    if proof is not None:
        if not isinstance(proof, dict) or proof.get("proof_type") != "jwt":
            raise OAuthError(INVALID_CREDENTIAL_REQUEST, "proof must be {\"proof_type\": \"jwt\", \"jwt\": …}")
        log.warning("OpenID4VCI: a wallet sent the draft-era singular 'proof'; OID4VCI 1.0 uses 'proofs'")
        return proof.get("jwt")
    raise OAuthError(INVALID_CREDENTIAL_REQUEST, "a key proof is needed: proofs.jwt with one proof JWT")


"""The node's OpenID4VP verifier over ``present`` exchanges: the signed request object and the response endpoint
(``direct_post``).

The response's ``vp_token`` is a JSON object keyed by the DCQL credential query id, each value one presentation
(or a list of one): an SD-JWT VC with its key-binding JWT, or a Data Integrity presentation (``ldp_vp``). What the
wallet proves about itself is checked first and refuses the response when wrong (``invalid_request``; the exchange
stays open and counts the attempt, like a VC API presentation): the KB-JWT's ``aud`` (the full client id),
``nonce`` (the exchange's), ``sd_hash`` and freshness, and everything checked before it (an SD-JWT VC whose issuer
signature or disclosures fail binds no holder); a Data Integrity presentation's proof with challenge = nonce and
domain = client id. What a bound credential is (validity, Token Status List status, whether it satisfies the DCQL
query) is reported, not refused: the report becomes the exchange's result through the ``present`` workflow's own
compare-and-set, so a replayed response finds the exchange complete."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from vcnode.did.self_certifying import did_jwk_for
from vcnode.did.syntax import parse_did_url
from vcnode.errors import VcnodeError
from vcnode.exchanges.model import Exchange
from vcnode.exchanges.pathways import PresentationRejected
from vcnode.exchanges.present import PresentWorkflow, client_id_prefix, summarise
from vcnode.exchanges.query import CredentialQuery
from vcnode.exchanges.service import MAX_ID_LENGTH, ExchangeService
from vcnode.exchanges.workflows import UnsupportedDidMethod, authenticate
from vcnode.oid4vci.errors import INVALID_REQUEST, OAuthError
from vcnode.oid4vp import request as oid4vp_request
from vcnode.oid4vp.dcql import CREDENTIAL_ID, dcql_query, match_problems
from vcnode.sdjwt.verify import SdJwtVcOptions, SdJwtVcResult, verify_sd_jwt_vc
from vcnode.trust.service import recognition_request

if TYPE_CHECKING:
    from vcnode.node import Node

VP_FORMATS_NOT_SUPPORTED = "vp_formats_not_supported"
INVALID_REQUEST_URI = "invalid_request_uri"
#: Largest vp_token read (an SD-JWT VC with an embedded image, or a presentation of a few badges).
MAX_VP_TOKEN = 512 * 1024
_OPEN = ("pending", "active")


class OpenIdVerifier:
    """The OID4VP verifier. ``clock`` gives Unix seconds."""

    def __init__(self, node: Node, exchanges: ExchangeService, *,
                 clock: Callable[[], float] | None = None) -> None:
        self.node = node
        self.exchanges = exchanges
        self.clock = clock or node.clock.time  # Unix seconds; the node's clock unless a test moves its own

    @property
    def workflow(self) -> PresentWorkflow:
        workflow = self.exchanges.workflow(PresentWorkflow.id)
        assert isinstance(workflow, PresentWorkflow)
        return workflow

    @property
    def did(self) -> str:
        did = self.node.identities.default_did
        if did is None:
            raise OAuthError(INVALID_REQUEST, "this node has no identity to sign requests with yet")
        return did

    async def _exchange(self, exchange_id: str, error: str = INVALID_REQUEST) -> Exchange:
        record = await self.node.store.get_exchange(exchange_id) if len(exchange_id) <= MAX_ID_LENGTH else None
        if record is None or record.workflow != PresentWorkflow.id:
            raise OAuthError(error, f"no presentation request {exchange_id[:120]}: the link is wrong or was never "
                             "made here")
        exchange = Exchange(record, self.clock())
        if exchange.state not in _OPEN:
            raise OAuthError(error, f"this presentation request is {exchange.state}"
                             + (": it was already answered" if exchange.state == "complete" else ""))
        return exchange

    async def request_object(self, exchange_id: str) -> str:
        """The signed request object of an open exchange (starting it, as a VC API wallet's ``{}`` does)."""
        exchange = await self._exchange(exchange_id, INVALID_REQUEST_URI)
        if client_id_prefix(exchange.variables) == "redirect_uri":
            raise OAuthError(INVALID_REQUEST_URI, "this request uses the redirect_uri client id: it is unsigned "
                             "and passed by value in its link, never by reference")
        if exchange.state == "pending":
            record = await self.node.store.start_exchange(exchange.id, exchange.now)
            exchange = Exchange(record or exchange.record, exchange.now)
        did = self.did
        key = self.node.identities.signing_key(did)
        return oid4vp_request.request_object(self.node.config.base_url, did, key.verification_method, key.single_signer,
                                             exchange, exchange.now)

    async def respond(self, exchange_id: str, form: Mapping[str, str]) -> dict[str, Any]:
        """The response endpoint: ``vp_token`` and ``state`` (or the wallet's ``error``) → ``{}`` or
        ``{"redirect_uri"}``; :class:`OAuthError` when refused."""
        exchange = await self._exchange(exchange_id)
        if form.get("state") != oid4vp_request.state(exchange):
            raise OAuthError(INVALID_REQUEST, "state is missing or is not this request's state")
        if "error" in form:  # the wallet declined or failed (OID4VP 1.0 section 8.5): noted, not an attempt
            await self.exchanges.refuse(exchange, "walletError", f"{form['error'][:80]}: "
                                        f"{form.get('error_description', '')[:200]}", 400)
            return {}
        token = _vp_token(form.get("vp_token"))
        did = self.did
        audience = oid4vp_request.client_id(self.node.config.base_url, did, exchange)
        presented = token[CREDENTIAL_ID]
        try:
            if isinstance(presented, str):
                holder, result = await self._sd_jwt(exchange, presented, audience)
            else:
                holder, result = await self._ldp_vp(exchange, presented, audience)
        except (PresentationRejected, UnsupportedDidMethod) as exc:
            await self.exchanges.refuse(exchange, exc.code, exc.detail, exc.status)
            raise OAuthError(INVALID_REQUEST, f"{exc.code}: {exc.detail}") from None
        try:
            reply = await self.workflow.complete(exchange, holder, result)
        except VcnodeError as exc:  # another response completed it first, or it expired meanwhile
            if exc.status >= 500:
                raise
            raise OAuthError(INVALID_REQUEST, f"{exc.code}: {exc.detail}") from None
        return {"redirect_uri": reply.body["redirectUrl"]} if "redirectUrl" in reply.body else {}

    async def _sd_jwt(self, exchange: Exchange, token: str, audience: str) -> tuple[str | None, dict[str, Any]]:
        variables = exchange.variables
        query = CredentialQuery.from_json(variables.get("query"))
        config = self.node.config
        verified = await verify_sd_jwt_vc(token, self.node.resolver, SdJwtVcOptions(
            audience=audience, nonce=oid4vp_request.nonce(exchange), key_binding="required",
            max_key_binding_age=config.oid4vp_key_binding_max_age, status=self.node.status_checker,
            # A time.monotonic() deadline, not the configured duration (which would read as long past).
            status_deadline=time.monotonic() + config.status_deadline))
        errors = verified.report.errors
        own = [e for e in errors if e.check == "keyBinding"]
        if not own and verified.report.results.get("keyBinding", {}).get("verified") is not True:
            # Verification stopped before the key binding (junk, a forged signature, a changed disclosure):
            # nothing shows the sender holds the credential, so it may not complete the learner's exchange.
            own = errors[:1]
        if own:  # the presentation's own proof: wrong aud or nonce, stale, no KB-JWT, changed after signing
            raise PresentationRejected(own[0].message, code=own[0].code, extra=verified.to_json())
        holder = _holder_did(verified)
        summary = sd_jwt_summary(verified, query)
        result = summarise(holder, [summary])
        result["report"] = verified.report.to_json()
        recognition = recognition_request({"recognition": variables.get("recognition", False)}, False)
        if recognition is not None:
            result["recognition"] = await self._recognition(verified, recognition)
        if variables.get("pathways") is not None:
            result["pathways"] = {"evaluated": False, "code": "pathwaysUnavailable",
                                  "message": "pathways are evaluated on Open Badges (ldp_vc), not SD-JWT VCs"}
        return holder, result

    async def _recognition(self, verified: SdJwtVcResult, request: Any) -> list[dict[str, Any]]:
        """Recognition of an SD-JWT VC's issuer: its ``iss`` read as an Open Badge's issuer (the EUDI claims
        are not mapped back to an achievement, so alignments and credits are not read)."""
        if verified.issuer is None or not verified.verified:
            return [{"credential": None, "code": "recognitionUnavailable",
                     "message": "the credential did not verify: its issuer is not evaluated"}]
        report = await self.node.trust.recognise({"issuer": {"id": verified.issuer}, "credentialSubject": {}},
                                                 verifier_framework=request.verifier_framework)
        return [{"credential": None, "basis": "issuer", **report.to_json()}]

    async def _ldp_vp(self, exchange: Exchange, presentation: Any, audience: str) -> tuple[str, dict[str, Any]]:
        if not isinstance(presentation, dict):
            raise OAuthError(VP_FORMATS_NOT_SUPPORTED, "a presentation is an SD-JWT VC (a string) or a Data "
                             "Integrity presentation (an object)")
        holder, report = await authenticate(self.node, exchange, presentation, domain=audience)
        query = dcql_query(CredentialQuery.from_json(exchange.variables.get("query")))

        def matches(credential: Any) -> bool:
            return not match_problems(query, "ldp_vc", credential, holder_binding=True)

        return holder, await self.workflow.result(presentation, exchange.variables, holder, report, matches)


def _vp_token(raw: str | None) -> dict[str, Any]:
    """The form's ``vp_token``: a JSON object with one presentation for the query's credential id."""
    if not raw:
        raise OAuthError(INVALID_REQUEST, "vp_token is missing")
    if len(raw) > MAX_VP_TOKEN:
        raise OAuthError(INVALID_REQUEST, f"vp_token is over {MAX_VP_TOKEN} bytes")
    try:
        token = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise OAuthError(INVALID_REQUEST, "vp_token must be a JSON object keyed by the DCQL credential query "
                         "ids") from None
    if not isinstance(token, dict) or set(token) != {CREDENTIAL_ID}:
        raise OAuthError(INVALID_REQUEST, f"vp_token must be a JSON object with exactly the DCQL credential query "
                         f"id {CREDENTIAL_ID!r}")
    value = token[CREDENTIAL_ID]
    if isinstance(value, list):
        if len(value) != 1:
            raise OAuthError(INVALID_REQUEST, f"vp_token.{CREDENTIAL_ID} must hold exactly one presentation")
        value = value[0]
    if isinstance(value, str) and "~" not in value:
        raise OAuthError(VP_FORMATS_NOT_SUPPORTED, "a string presentation must be an SD-JWT VC (dc+sd-jwt); "
                         "this verifier takes dc+sd-jwt and ldp_vc")
    if not isinstance(value, str | dict):
        raise OAuthError(VP_FORMATS_NOT_SUPPORTED, "a presentation is an SD-JWT VC (a string) or a Data "
                         "Integrity presentation (an object)")
    return {CREDENTIAL_ID: value}


def _holder_did(verified: SdJwtVcResult) -> str | None:
    """The holder an SD-JWT VC binds to: the DID of ``cnf.kid``, or the did:jwk of ``cnf.jwk``."""
    cnf = (verified.claims or {}).get("cnf")
    if not isinstance(cnf, dict):
        return None
    if isinstance(cnf.get("kid"), str):
        parsed = parse_did_url(cnf["kid"])
        return parsed.did if parsed is not None else None
    if verified.holder_key is not None:
        return did_jwk_for(verified.holder_key.jwk)
    return None


def sd_jwt_summary(verified: SdJwtVcResult, query: CredentialQuery) -> dict[str, Any]:
    """The result's line for a presented SD-JWT VC: as for a Data Integrity credential, with its ``vct`` and
    disclosed claims, and why it does not satisfy the DCQL query (``queryMismatch`` errors)."""
    report = verified.report
    claims = verified.claims or {}
    problems = match_problems(dcql_query(query), "dc+sd-jwt", claims,
                              holder_binding=verified.holder_key is not None) if verified.claims is not None \
        else ["the credential could not be read"]
    errors = report.to_json()["errors"]
    errors += [{"code": "queryMismatch", "message": problem, "check": "query"} for problem in problems]
    bound = report.results.get("keyBinding", {}).get("verified") is True
    return {"id": claims.get("jti") if isinstance(claims.get("jti"), str) else None, "format": "dc+sd-jwt",
            "type": [claims["vct"]] if isinstance(claims.get("vct"), str) else [], "vct": claims.get("vct"),
            "issuer": verified.issuer, "verified": report.verified and not problems,
            "proofVerified": report.verified, "holderBinding": "passed" if bound else "failed",
            "matchesQuery": not problems, "claims": claims if verified.claims is not None else None,
            "disclosed": verified.disclosed, "errors": errors}

"""The ``present`` workflow: an employer (or another institution's node) asks a learner's wallet for
credentials and gets one verified report.

The wallet is asked for credentials matching a Query by Example (an Open Badge, optionally of one issuer or
achievement) together with DID Authentication, so that its presentation proves who presents. Every carried
credential is verified (proof, status, validity) and bound to the presenter (``holderBinding``: a credential
about someone else fails); optionally the issuers' recognition is reported and pathways are evaluated. The
report becomes the exchange's ``result``, read by the exchange's creator with ``GET``. A presentation whose
own proof fails (wrong challenge or domain, a key the holder does not control) is refused and the exchange
stays open; credentials that fail are reported, not refused: that is the answer the employer asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from vcnode.credentials.model import as_list, issuer_id
from vcnode.credentials.report import Report
from vcnode.errors import InvalidInput
from vcnode.exchanges.links import ExchangeLinks
from vcnode.exchanges.model import Exchange, closed
from vcnode.exchanges.pathways import MAX_PATHWAY_IDS, PathwayExchange, held_credentials
from vcnode.exchanges.query import CredentialQuery, matches_example
from vcnode.exchanges.workflows import Prepared, Reply, authenticate, did_authentication, presentation_request
from vcnode.trust.service import recognition_request

if TYPE_CHECKING:
    from vcnode.node import Node

VARIABLES = {"query", "recognition", "pathways", "redirectUrl", "openid4vp", "keepPresentation"}
#: OpenID4VP client identifier prefixes an exchange may ask for (``redirect_uri`` only where configured).
CLIENT_ID_PREFIXES = ("decentralized_identifier", "redirect_uri")


def client_id_prefix(variables: dict[str, Any]) -> str:
    """The OpenID4VP client identifier prefix of a ``present`` exchange (``variables.openid4vp``)."""
    options = variables.get("openid4vp") or {}
    return options.get("clientIdPrefix", "decentralized_identifier") if isinstance(options, dict) \
        else "decentralized_identifier"



def credential_summary(credential: Any, report: dict[str, Any], query: CredentialQuery,
                       matches: Callable[[Any], bool] | None = None) -> dict[str, Any]:
    """One line of the result per presented credential: what it is, whether it verified, whether it is the
    presenter's, whether it is what was asked for (``matches``: by default the query's example), and why
    not."""
    results = report.get("results", {})
    binding = results.get("holderBinding", {})
    # Whether the credential itself verified (proof, status, validity…), whoever presents it: the employer
    # tells a forged or revoked badge from a genuine one presented by someone it is not about.
    own_checks = [result for check, result in results.items() if check != "holderBinding"]
    genuine = bool(own_checks) and all(result.get("verified", True) is not False for result in own_checks) \
        and all(finding.get("check") == "holderBinding" for finding in report.get("errors", []))
    types = [t for t in as_list(credential.get("type")) if isinstance(t, str)] if isinstance(credential, dict) else []
    issuer = issuer_id(credential) if isinstance(credential, dict) else None
    matched = isinstance(credential, dict) and (matches(credential) if matches is not None
                                                else matches_example(query.example(), credential))
    return {"id": credential.get("id") if isinstance(credential, dict) else None, "type": types, "issuer": issuer,
            "verified": bool(report.get("verified")) and matched, "proofVerified": genuine,
            "holderBinding": binding.get("outcome", "notApplicable"), "matchesQuery": matched,
            "errors": report.get("errors", [])}


class PresentWorkflow:
    """Ask for credentials, verify them, keep the report (see the module's description)."""

    id = "present"
    answers_when_complete = False

    def __init__(self, node: Node) -> None:
        self.node = node

    def prepare(self, variables: dict[str, Any], *, thorough: bool = True) -> Prepared:
        """``variables.query`` (what to ask for), ``recognition`` (as in ``/credentials/verify``),
        ``pathways`` (ids to evaluate; ``[]`` for every pathway the node knows), ``redirectUrl``,
        ``keepPresentation`` (the result keeps the wallet's presentation, to show or verify again)."""
        unknown = sorted(set(variables) - VARIABLES)
        if unknown:
            raise InvalidInput(f"variables has unknown members: {', '.join(unknown)[:200]}")
        CredentialQuery.from_json(variables.get("query"))
        recognition_request({"recognition": variables.get("recognition", False)}, False)
        pathways = variables.get("pathways")
        if pathways is not None and not (isinstance(pathways, list) and len(pathways) <= MAX_PATHWAY_IDS
                                         and all(isinstance(p, str) and 0 < len(p) <= 2048 for p in pathways)):
            raise InvalidInput(f"variables.pathways must be a list of at most {MAX_PATHWAY_IDS} pathway ids "
                               "([] evaluates every pathway the node knows)")
        if not isinstance(variables.get("keepPresentation", False), bool):
            raise InvalidInput("variables.keepPresentation must be true or false")
        options = variables.get("openid4vp")
        if options is not None and not (isinstance(options, dict) and set(options) <= {"clientIdPrefix"}
                                        and options.get("clientIdPrefix", CLIENT_ID_PREFIXES[0]) in CLIENT_ID_PREFIXES):
            raise InvalidInput("variables.openid4vp must be {\"clientIdPrefix\": \"decentralized_identifier\" or "
                               "\"redirect_uri\"}")
        if client_id_prefix(variables) == "redirect_uri" and not self.node.config.oid4vp_allow_redirect_uri:
            raise InvalidInput("variables.openid4vp.clientIdPrefix redirect_uri (an unsigned request, for testing) "
                               "needs oid4vp_allow_redirect_uri = true in the node's configuration")
        return Prepared(owner=None, ttl=self.node.config.exchange_present_ttl)

    def request(self, exchange: Exchange, links: ExchangeLinks) -> dict[str, Any]:
        """The credentials asked for, and DID Authentication (so the presentation proves its holder)."""
        query = CredentialQuery.from_json(exchange.variables.get("query"))
        return presentation_request([query.request(), did_authentication(self.node)], exchange, links)

    async def accept(self, exchange: Exchange, presentation: Any, *, legacy: bool = False) -> Reply:
        """Verify, evaluate, and complete with the report as the result."""
        variables = exchange.variables
        holder, report = await authenticate(self.node, exchange, presentation)
        return await self.complete(exchange, holder, await self.result(presentation, variables, holder, report))

    async def complete(self, exchange: Exchange, holder: str | None, result: dict[str, Any]) -> Reply:
        """Complete the exchange with ``result`` (a compare-and-set: 409/410 when another wallet completed it
        first, or it was cancelled or expired); the reply names the exchange's ``redirectUrl``."""
        variables = exchange.variables
        async with self.node.store.issuance() as transaction:
            state = await transaction.complete_exchange(exchange.id, exchange.now, holder,
                                                        orjson.dumps(result).decode())
            if state != "completed":
                raise closed(exchange.id, state)
        body: dict[str, Any] = {}
        if isinstance(variables.get("redirectUrl"), str):
            body["redirectUrl"] = variables["redirectUrl"]
        return Reply(body)

    async def result(self, presentation: dict[str, Any], variables: dict[str, Any], holder: str,
                     report: Report, matches: Callable[[Any], bool] | None = None) -> dict[str, Any]:
        """The exchange's result for a verified presentation: a summary per credential (``matches`` judges
        whether one is what was asked for), the report, and recognition and pathways when asked."""
        query = CredentialQuery.from_json(variables.get("query"))
        carried = as_list(presentation.get("verifiableCredential"))
        reports = report.results.get("credentials", {}).get("credentials", [])
        credentials = [credential_summary(c, r, query, matches) for c, r in zip(carried, reports, strict=False)]
        result = summarise(holder, credentials)
        result["report"] = report.to_json()
        if variables.get("keepPresentation") is True:  # e.g. the verify page, which shows the badges themselves
            result["presentation"] = presentation
        recognition = recognition_request({"recognition": variables.get("recognition", False)}, False)
        if recognition is not None:
            result["recognition"] = await self.node.trust.section(presentation, recognition, presentation=True)
        if variables.get("pathways") is not None:
            pathways = variables["pathways"] or None
            evaluation = await PathwayExchange(self.node).evaluate_held(
                holder, held_credentials(presentation, report), pathways, now=self.node.clock.now())
            result["pathways"] = evaluation.to_json()
        return result


def summarise(holder: str | None, credentials: list[dict[str, Any]]) -> dict[str, Any]:
    """The head of an exchange's result: verified when something was presented and every credential verified."""
    result: dict[str, Any] = {"verified": bool(credentials) and all(c["verified"] for c in credentials),
                              "holder": holder, "credentials": credentials}
    if not credentials:
        result["errors"] = [{"code": "nothingPresented", "message": "the wallet presented no credential"}]
    return result

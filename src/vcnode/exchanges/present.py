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

from datetime import UTC, datetime
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

VARIABLES = {"query", "recognition", "pathways", "redirectUrl"}


def credential_summary(credential: Any, report: dict[str, Any], query: CredentialQuery) -> dict[str, Any]:
    """One line of the result per presented credential: what it is, whether it verified, whether it is the
    presenter's, whether it is what was asked for, and why not."""
    results = report.get("results", {})
    binding = results.get("holderBinding", {})
    # Whether the credential itself verified (proof, status, validity…), whoever presents it: the employer
    # tells a forged or revoked badge from a genuine one presented by someone it is not about.
    own_checks = [result for check, result in results.items() if check != "holderBinding"]
    genuine = bool(own_checks) and all(result.get("verified", True) is not False for result in own_checks) \
        and all(finding.get("check") == "holderBinding" for finding in report.get("errors", []))
    types = [t for t in as_list(credential.get("type")) if isinstance(t, str)] if isinstance(credential, dict) else []
    issuer = issuer_id(credential) if isinstance(credential, dict) else None
    matches = isinstance(credential, dict) and matches_example(query.example(), credential)
    return {"id": credential.get("id") if isinstance(credential, dict) else None, "type": types, "issuer": issuer,
            "verified": bool(report.get("verified")) and matches, "proofVerified": genuine,
            "holderBinding": binding.get("outcome", "notApplicable"), "matchesQuery": matches,
            "errors": report.get("errors", [])}


class PresentWorkflow:
    """Ask for credentials, verify them, keep the report (see the module's description)."""

    id = "present"
    answers_when_complete = False

    def __init__(self, node: Node) -> None:
        self.node = node

    def prepare(self, variables: dict[str, Any], *, thorough: bool = True) -> Prepared:
        """``variables.query`` (what to ask for), ``recognition`` (as in ``/credentials/verify``),
        ``pathways`` (ids to evaluate; ``[]`` for every pathway the node knows), ``redirectUrl``."""
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
        return Prepared(owner=None, ttl=self.node.config.exchange_present_ttl)

    def request(self, exchange: Exchange, links: ExchangeLinks) -> dict[str, Any]:
        """The credentials asked for, and DID Authentication (so the presentation proves its holder)."""
        query = CredentialQuery.from_json(exchange.variables.get("query"))
        return presentation_request([query.request(), did_authentication(self.node)], exchange, links)

    async def accept(self, exchange: Exchange, presentation: Any, *, legacy: bool = False) -> Reply:
        """Verify, evaluate, and complete with the report as the result."""
        variables = exchange.variables
        holder, report = await authenticate(self.node, exchange, presentation)
        result = await self._result(presentation, variables, holder, report)
        async with self.node.store.issuance() as transaction:
            state = await transaction.complete_exchange(exchange.id, exchange.now, holder,
                                                        orjson.dumps(result).decode())
            if state != "completed":
                raise closed(exchange.id, state)
        body: dict[str, Any] = {}
        if isinstance(variables.get("redirectUrl"), str):
            body["redirectUrl"] = variables["redirectUrl"]
        return Reply(body)

    async def _result(self, presentation: dict[str, Any], variables: dict[str, Any], holder: str,
                      report: Report) -> dict[str, Any]:
        query = CredentialQuery.from_json(variables.get("query"))
        carried = as_list(presentation.get("verifiableCredential"))
        reports = report.results.get("credentials", {}).get("credentials", [])
        credentials = [credential_summary(c, r, query) for c, r in zip(carried, reports, strict=False)]
        result: dict[str, Any] = {
            "verified": bool(credentials) and all(c["verified"] for c in credentials),
            "holder": holder, "credentials": credentials, "report": report.to_json()}
        if not credentials:
            result["errors"] = [{"code": "nothingPresented", "message": "the wallet presented no credential"}]
        recognition = recognition_request({"recognition": variables.get("recognition", False)}, False)
        if recognition is not None:
            result["recognition"] = await self.node.trust.section(presentation, recognition, presentation=True)
        if variables.get("pathways") is not None:
            pathways = variables["pathways"] or None
            evaluation = await PathwayExchange(self.node).evaluate_held(
                holder, held_credentials(presentation, report), pathways, now=datetime.now(UTC))
            result["pathways"] = evaluation.to_json()
        return result

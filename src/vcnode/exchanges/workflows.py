"""What every workflow shares: the DID Authentication step and how a workflow plugs into the service.

A workflow is a kind of exchange the node offers (its id is in the URL: ``/workflows/<id>/exchanges``). It
checks the variables an exchange is created with, says what the wallet is asked for, and accepts the wallet's
presentation. The two built in are ``claim`` (:mod:`vcnode.exchanges.claim`) and ``present``
(:mod:`vcnode.exchanges.present`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from vcnode.credentials.report import Report
from vcnode.did.syntax import parse_did_url
from vcnode.errors import VcnodeError
from vcnode.exchanges.links import ExchangeLinks
from vcnode.exchanges.model import Exchange
from vcnode.exchanges.pathways import proven_holder
from vcnode.proofs import SUITES

if TYPE_CHECKING:  # the node wires the workflows; no import cycle at runtime
    from vcnode.node import Node


@dataclass(frozen=True)
class Prepared:
    """What a new exchange stores besides its variables: the identity it acts for (None for any) and its
    lifetime in seconds."""

    owner: str | None
    ttl: float


@dataclass(frozen=True)
class Reply:
    """The answer to a wallet's presentation: the body for the wallet and the exchange's stored result."""

    body: dict[str, Any]


class Workflow(Protocol):
    """A kind of exchange."""

    id: str
    #: Whether a complete exchange still takes a presentation (a claim re-delivers to its own holder).
    answers_when_complete: bool

    def prepare(self, variables: dict[str, Any], *, thorough: bool = True) -> Prepared:
        """Check the variables of a new exchange (:class:`~vcnode.errors.InvalidInput` naming the member);
        ``thorough`` adds the costly checks (a trial signature) a batch makes once for all its rows."""
        ...

    def request(self, exchange: Exchange, links: ExchangeLinks) -> dict[str, Any]:
        """The ``verifiablePresentationRequest`` a wallet gets when it starts the exchange."""
        ...

    async def accept(self, exchange: Exchange, presentation: Any, *, legacy: bool = False) -> Reply:
        """Verify the wallet's presentation and complete the exchange (in one store transaction with what
        it issues); a :class:`~vcnode.errors.VcnodeError` when the presentation is refused."""
        ...


class UnsupportedDidMethod(VcnodeError):
    """The wallet authenticated with a DID method the node does not resolve."""

    code = "unsupportedDidMethod"
    status = 400
    title = "DID method not accepted"


def did_authentication(node: Node) -> dict[str, Any]:
    """The ``DIDAuthentication`` query: the DID methods and proof suites this node verifies."""
    return {"type": "DIDAuthentication",
            "acceptedMethods": [{"method": method} for method in node.resolver.methods],
            "acceptedCryptosuites": [{"cryptosuite": name} for name in SUITES]}


def presentation_request(query: list[dict[str, Any]], exchange: Exchange, links: ExchangeLinks) -> dict[str, Any]:
    """A verifiable presentation request for ``query`` bound to the exchange's challenge and domain, with the
    exchange URL as where to answer (``interact.service``)."""
    return {"query": query, "challenge": exchange.record.challenge, "domain": exchange.record.domain,
            "interact": {"service": [{"type": "VerifiableCredentialApiExchangeService",
                                      "serviceEndpoint": links.exchange_url}]}}


def _names_a_domain(presentation: Any) -> bool:
    proofs = presentation.get("proof") if isinstance(presentation, dict) else None
    return any(isinstance(proof, dict) and "domain" in proof
               for proof in (proofs if isinstance(proofs, list) else [proofs]))


async def authenticate(node: Node, exchange: Exchange, presentation: Any, *, legacy: bool = False,
                       domain: str | None = None) -> tuple[str, Report]:
    """Verify the wallet's presentation for this exchange: an ``authentication`` proof by its holder with the
    exchange's challenge and its domain (in LCW's legacy flow, which signs none, only when the proof names
    one; ``domain`` instead of the exchange's: OpenID4VP's client id), by a DID whose method the node resolves.
    Returns the proven holder and the report (with one report
    per carried credential, each with its ``holderBinding``);
    :class:`~vcnode.exchanges.pathways.PresentationRejected` (400, the first problem's code:
    ``challengeMismatch``, ``domainMismatch``, ``noProof``…) otherwise."""
    holder = presentation.get("holder") if isinstance(presentation, dict) else None
    holder = holder.get("id") if isinstance(holder, dict) else holder
    if isinstance(holder, str):
        parsed = parse_did_url(holder)
        if parsed is None or parsed.method not in node.resolver.methods:
            raise UnsupportedDidMethod(f"the holder {holder[:120]} is not a DID of a method this node resolves ("
                                       + ", ".join(node.resolver.methods) + ")")
    options: dict[str, Any] = {"challenge": exchange.record.challenge}
    if not legacy or _names_a_domain(presentation):
        # LCW's legacy flow signs without a domain; one signed for a domain was meant for that verifier
        options["domain"] = domain or exchange.record.domain
    report = await node.credentials.verify_presentation(presentation, options)
    return proven_holder(presentation, report), report

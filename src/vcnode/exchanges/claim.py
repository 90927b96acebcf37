"""The ``claim`` workflow: a prepared credential is issued to whoever proves control of a DID.

An institution creates the exchange with the unsigned credential (``variables.credential``) and sends the
learner its link. The learner's wallet starts the exchange, is asked for DID Authentication, and answers
with a presentation signed by its DID for the exchange's challenge and domain. The credential is then
issued with that DID as ``credentialSubject.id``, with its status entries, and stored like any other. The
exchange completes in the same store transaction that stores the credential (a compare-and-set on its
state), so of any number of wallets racing for one link exactly one gets the credential, and a crash leaves
either both or neither. Nothing is signed before the claim.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import orjson

from vcnode.credentials.issue import issue_credential, prepare_credential
from vcnode.credentials.model import VC_V2, as_list, issuer_id, version
from vcnode.errors import InvalidInput
from vcnode.exchanges.links import ExchangeLinks
from vcnode.exchanges.model import Exchange, ExchangeClosed, closed, timestamp
from vcnode.exchanges.records import ExchangeRecord
from vcnode.exchanges.workflows import Prepared, Reply, authenticate, did_authentication, presentation_request
from vcnode.issuing.repository import Issuance
from vcnode.issuing.service import select_suite
from vcnode.status.entries import status_requests
from vcnode.status.records import StatusListSpec

if TYPE_CHECKING:
    from vcnode.node import Node

#: The namespace of the ids given to claimed credentials that have none (uuid5 of the exchange id).
CLAIM_NAMESPACE = uuid.UUID("0f9a2c7e-5b1d-4e63-8f0a-3c6d2e9b7a41")
#: Until the claim, the subject is this placeholder (only to check the credential when the exchange is made).
_PLACEHOLDER_SUBJECT = "did:example:learner"
#: A claim's status entries unless ``variables.options`` asks for others: revocable, like every badge.
DEFAULT_STATUS = {"statusPurpose": "revocation"}


def claimed_credential(template: dict[str, Any], holder: str, exchange_id: str,
                       valid_from: str | None = None) -> dict[str, Any]:
    """The credential to issue: ``template`` with every subject's ``id`` set to the holder's DID, an id
    (``urn:uuid`` derived from the exchange) when the template has none and, for a VC 2.0 template without
    ``validFrom``, ``valid_from`` (the time of the claim: a template prepared in bulk leaves it out, so that
    preparing the batch again gives the same template)."""
    credential = orjson.loads(orjson.dumps(template))  # a copy: the template is JSON (~6x faster than deepcopy)
    if valid_from is not None and version(credential) == 2 and "validFrom" not in credential:
        credential["validFrom"] = valid_from
    subjects = as_list(credential.get("credentialSubject"))
    for subject in subjects:
        if isinstance(subject, dict):
            subject["id"] = holder
    if not isinstance(credential.get("id"), str):
        credential["id"] = f"urn:uuid:{uuid.uuid5(CLAIM_NAMESPACE, exchange_id)}"
    return credential


#: OpenID4VCI grants a claim may offer (``variables.oid4vci.grants``): the pre-authorised code with its PIN,
#: and the authorisation code flow, where the learner logs in on the node's page with the same code first.
PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
AUTHORIZATION_CODE = "authorization_code"
DEFAULT_GRANTS = (PRE_AUTHORIZED,)


def oid4vci_grants(variables: dict[str, Any]) -> tuple[str, ...]:
    """The OpenID4VCI grants of a claim: ``variables.oid4vci.grants`` (a non-empty list of
    ``urn:ietf:params:oauth:grant-type:pre-authorized_code`` and ``authorization_code``), else the
    pre-authorised code only; :class:`InvalidInput` for anything else."""
    settings = variables.get("oid4vci")
    if settings is None:
        return DEFAULT_GRANTS
    if not isinstance(settings, dict) or set(settings) - {"grants"}:
        raise InvalidInput("variables.oid4vci must be {\"grants\": [...]}")
    grants = settings.get("grants", list(DEFAULT_GRANTS))
    allowed = (PRE_AUTHORIZED, AUTHORIZATION_CODE)
    if not isinstance(grants, list) or not grants or len(set(map(str, grants))) != len(grants) \
            or any(grant not in allowed for grant in grants):
        raise InvalidInput(f"variables.oid4vci.grants must be a non-empty list of distinct grants among "
                           f"{', '.join(allowed)}")
    return tuple(grant for grant in allowed if grant in grants)


class ClaimWorkflow:
    """Issue a prepared credential to the DID a wallet proves (see the module's description)."""

    id = "claim"
    #: A complete claim still hears its own holder's retry (see :meth:`accept`).
    answers_when_complete = True

    def __init__(self, node: Node) -> None:
        self.node = node

    def _options(self, variables: dict[str, Any]) -> dict[str, Any]:
        options = variables.get("options")
        if options is None:
            return dict(DEFAULT_STATUS)
        if not isinstance(options, dict):
            raise InvalidInput("variables.options must be an object (the VC API issue options)")
        if options.get("credentialStatus") is None and options.get("statusPurpose") is None:
            return {**options, **DEFAULT_STATUS}
        return options

    def status_specs(self, variables: dict[str, Any]) -> list[StatusListSpec]:
        """The status entries the claim's credential gets (``variables.options``, else revocation)."""
        return status_requests(self._options(variables))

    def prepare(self, variables: dict[str, Any], *, thorough: bool = True) -> Prepared:
        """``variables.credential`` must be a credential one of the node's identities can issue once the
        subject is known; ``variables.options`` are the VC API issue options (cryptosuite, status). With
        ``thorough`` the credential is signed once, as it will be when claimed (with a placeholder subject) and
        thrown away: a term no context defines is refused now (``undefinedTerm``), not at every learner's
        claim. A batch signs one row this way and creates the others without (their rows differ in values,
        never in terms)."""
        template = variables.get("credential")
        if not isinstance(template, dict):
            raise InvalidInput("a claim needs variables.credential: the unsigned credential to issue (its "
                               "credentialSubject.id becomes the DID the learner's wallet proves)")
        unknown = sorted(set(variables) - {"credential", "options", "redirectUrl", "oid4vci"})
        if unknown:
            raise InvalidInput(f"variables has unknown members: {', '.join(unknown)[:200]}")
        oid4vci_grants(variables)
        if not as_list(template.get("credentialSubject")):
            raise InvalidInput("variables.credential needs a credentialSubject")
        issuer = self.node.credentials.issuer_of(template)
        options = self._options(variables)
        select_suite(options)
        status_requests(options)
        trial = claimed_credential(template, _PLACEHOLDER_SUBJECT, "check")
        if thorough:
            key = self.node.identities.signing_key(issuer)
            issue_credential(trial, key, suite=select_suite(options, key.key_type))
        else:
            prepare_credential(trial)
        return Prepared(owner=issuer, ttl=self.node.config.exchange_claim_ttl)

    def request(self, exchange: Exchange, links: ExchangeLinks) -> dict[str, Any]:
        """DID Authentication only: the wallet proves the DID the credential will be about."""
        return presentation_request([did_authentication(self.node)], exchange, links)

    async def accept(self, exchange: Exchange, presentation: Any, *, legacy: bool = False) -> Reply:
        """Authenticate the holder, then issue and complete in one transaction; the reply carries the
        credential in a presentation (or bare, in LCW's legacy flow). A wallet whose answer was lost (a
        dropped connection, a node killed after the commit) and that sends its presentation again is the
        holder the claim completed for: it gets the credential issued to it, again, and nothing new is
        issued. Anyone else gets 409 ``exchangeComplete``."""
        holder, _ = await authenticate(self.node, exchange, presentation, legacy=legacy)
        return self._reply(await self.issue_to(exchange, holder), exchange.variables, legacy)

    async def issue_to(self, exchange: Exchange, holder: str) -> dict[str, Any]:
        """Issue the claim's credential about ``holder`` (a DID its wallet proved, by a presentation here or a
        proof JWT in OpenID4VCI) and complete the exchange in the same store transaction; the signed
        credential. A complete claim gives its own holder the credential it issued, again (nothing new is
        issued); anyone else gets 409 ``exchangeComplete``."""
        if exchange.state == "complete":
            return await self._again(exchange.record, holder)
        variables = exchange.variables
        options = self._options(variables)
        credential = claimed_credential(variables["credential"], holder, exchange.id, timestamp(exchange.now))
        result = orjson.dumps({"credentialId": credential["id"], "holder": holder}).decode()

        async def complete(transaction: Issuance) -> None:
            state = await transaction.complete_exchange(exchange.id, exchange.now, holder, result)
            if state != "completed":
                raise closed(exchange.id, state)

        try:
            suite = select_suite(options, self.node.credentials.key_type_of(issuer_id(credential)))
            issued = await self.node.credentials.issue(credential, suite=suite, status=status_requests(options),
                                                       within=complete)
        except ExchangeClosed:  # another request completed it first: the same wallet's retry, or someone else
            record = await self.node.store.get_exchange(exchange.id)
            if record is None or record.state != "complete":
                raise
            return await self._again(record, holder)
        return issued.credential

    async def _again(self, record: ExchangeRecord, holder: str) -> dict[str, Any]:
        """The credential a complete claim issued, for its holder only."""
        # A claim completed in another format (an SD-JWT VC over OpenID4VCI) is not given again as this one.
        if record.holder != holder or record.result is None or "format" in orjson.loads(record.result):
            raise closed(record.id, "complete")
        return await self.node.credentials.get(orjson.loads(record.result)["credentialId"])

    @staticmethod
    def _reply(credential: dict[str, Any], variables: dict[str, Any], legacy: bool) -> Reply:
        if legacy:
            return Reply(credential)
        body: dict[str, Any] = {"verifiablePresentation": {"@context": [VC_V2], "type": ["VerifiablePresentation"],
                                                           "verifiableCredential": [credential]}}
        if isinstance(variables.get("redirectUrl"), str):
            body["redirectUrl"] = variables["redirectUrl"]
        return Reply(body)

"""``EUDILearningCredential_dc+sd-jwt``: a claim's Open Badges 3.0 credential issued as the EUDI learning
credential, an SD-JWT VC (``vct`` ``urn:eu.europa.ec.eudi:learning:credential:1``).

One claim yields one credential, in the format the learner's wallet asks for: the exchange completes in the
transaction that stores it, whichever configuration it was. So the SD-JWT VC is stored under the id the
Open Badges credential would have had (the template's ``id``, else the ``urn:uuid`` derived from the
exchange), and ``vcnode revoke <id>`` / ``POST /credentials/status`` reach it the same way. The store keeps it
as a VC 2.0 ``EnvelopedVerifiableCredential`` (``id`` = ``data:application/dc+sd-jwt,<SD-JWT>``), so
``GET /credentials/{id}`` still answers a JSON object.

The credential:

- ``iss`` = the issuer identity's DID, ``kid`` = its verification method (the key is in the DID document,
  and listed at ``/.well-known/jwt-vc-issuer``), signed by the identity's signer (ES256, ES384 or EdDSA);
- ``cnf.jwk`` = the key of the wallet's proof JWT;
- ``status.status_list`` = an entry of the issuer's revocation list, allocated in the issuing transaction and
  served as a Status List Token at ``/status/{id}/token`` (the claim's other status purposes, such as
  suspension, have no place in a 1-bit token list and are not given to an SD-JWT VC);
- every claim selectively disclosable except those the type metadata marks ``sd: never``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from vcnode.credentials.model import VC_V2, as_list
from vcnode.exchanges.claim import ClaimWorkflow, claimed_credential
from vcnode.exchanges.model import Exchange, ExchangeClosed, closed, timestamp
from vcnode.issuing.core import IssueItem, issue_and_store
from vcnode.issuing.repository import Issuance
from vcnode.keys.signer import SigningKey
from vcnode.oid4vci.binding import CREDENTIAL_ALGORITHMS, PROOF_ALGORITHMS, Holder
from vcnode.sdjwt.learning import issue_learning_credential, learning_credential_claims
from vcnode.sdjwt.metadata import LEARNING_CREDENTIAL_VCT, NEVER_DISCLOSABLE, learning_credential_type_metadata
from vcnode.status.entries import status_requests
from vcnode.status.records import StatusAllocation
from vcnode.status.service import ENVELOPED_TYPE, SD_JWT_DATA_PREFIX, TOKEN_BITS, TOKEN_PURPOSE
from vcnode.status.token_list import status_claim

if TYPE_CHECKING:
    from vcnode.node import Node

FORMAT = "dc+sd-jwt"
#: Where the node serves a type's metadata: ``<base URL>/.well-known/vct/<vct>`` (a ``urn:`` vct cannot be
#: fetched itself; see docs/sd-jwt.md).
VCT_PATH = "/.well-known/vct/"
#: The JWT's own claims, which a wallet does not display as the credential's.
_REGISTERED = frozenset({"iat", *NEVER_DISCLOSABLE})


def enveloped(sd_jwt: str) -> dict[str, Any]:
    """The VC 2.0 envelope an SD-JWT VC is stored in."""
    return {"@context": [VC_V2], "id": SD_JWT_DATA_PREFIX + sd_jwt, "type": [ENVELOPED_TYPE]}


def unenveloped(document: Any) -> str | None:
    """The SD-JWT VC of a stored envelope, else None."""
    if isinstance(document, dict) and ENVELOPED_TYPE in as_list(document.get("type")) \
            and isinstance(document.get("id"), str) and document["id"].startswith(SD_JWT_DATA_PREFIX):
        return str(document["id"][len(SD_JWT_DATA_PREFIX):])
    return None


@dataclass(frozen=True)
class SdJwtFormat:
    """The issuing core's format (:mod:`vcnode.issuing.core`) for the learning credential: signed as an SD-JWT VC
    bound to ``holder_jwk`` and stored in its VC 2.0 envelope; a revocation index becomes ``status.status_list``
    pointing at ``token_url(list_id)``, and its list is served as a Status List Token."""

    key: SigningKey
    issuer: str
    holder_jwk: dict[str, Any]
    iat: int
    token_url: Callable[[str], str] | None = None
    tokens: ClassVar[bool] = True

    def sign(self, credential: dict[str, Any], allocations: Sequence[StatusAllocation]) -> dict[str, Any]:
        """The enveloped SD-JWT VC of ``credential`` (at most one allocation: the revocation entry)."""
        claim = None
        if allocations:
            if self.token_url is None:
                raise ValueError("a status entry needs the Status List Token's URL")
            [allocation] = allocations
            claim = status_claim(allocation.index, self.token_url(allocation.list_id))
        return enveloped(issue_learning_credential(credential, self.key.single_signer, issuer=self.issuer,
                                                   kid=self.key.verification_method, holder_jwk=self.holder_jwk,
                                                   status=claim, iat=self.iat))


class SdJwtLearningCredential:
    """``EUDILearningCredential_dc+sd-jwt`` (see the module's description)."""

    configuration_id = "EUDILearningCredential_dc+sd-jwt"

    def configuration(self, node: Node) -> dict[str, Any]:
        """Format ``dc+sd-jwt``, the learning credential's ``vct``, JWK binding, JWT proofs, display and claims
        from the type metadata."""
        metadata = learning_credential_type_metadata().document
        claims = [{"path": claim["path"], "display": [{"name": item.get("label"), "locale": item.get("locale")}
                                                       for item in claim.get("display", [])]}
                  for claim in metadata.get("claims", []) if claim["path"][0] not in _REGISTERED]
        display = [{"name": "Learning credential", "locale": "en",
                    "description": "A learning achievement as an EUDI learning credential (SD-JWT VC)"}]
        return {
            "format": FORMAT,
            "scope": "EUDILearningCredential",
            "vct": LEARNING_CREDENTIAL_VCT,
            "cryptographic_binding_methods_supported": ["jwk"],
            "credential_signing_alg_values_supported": list(CREDENTIAL_ALGORITHMS),
            "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)}},
            "credential_metadata": {"display": display, "claims": claims},
            "display": display,
        }

    def offers(self, credential: dict[str, Any]) -> bool:
        """An Open Badges credential with a named achievement (the learning credential's mandatory title)."""
        types = as_list(credential.get("type"))
        if "OpenBadgeCredential" not in types and "AchievementCredential" not in types:
            return False
        try:
            learning_credential_claims(credential)
        except ValueError:
            return False
        return True

    async def issue(self, claims: ClaimWorkflow, exchange: Exchange, holder: Holder) -> str:
        """The SD-JWT VC for ``holder``: allocated, signed and stored, and the exchange completed, in one
        transaction. A complete claim gives its own holder the SD-JWT VC it issued, again; anyone else (or a
        claim completed in another format) gets 409 ``exchangeComplete``."""
        if exchange.state == "complete":
            return await self._again(claims.node, exchange.id, holder.did)
        node = claims.node
        variables = exchange.variables
        credential = claimed_credential(variables["credential"], holder.did, exchange.id, timestamp(exchange.now))
        issuer = node.credentials.issuer_of(credential)
        key = node.identities.signing_key(issuer)
        revocable = any(spec.purpose == TOKEN_PURPOSE and spec.status_size == TOKEN_BITS
                        for spec in claims.status_specs(variables))
        record_id = credential["id"]
        result = orjson.dumps({"credentialId": record_id, "holder": holder.did, "format": FORMAT}).decode()
        status = [node.credentials.list_spec(status_requests({"statusPurpose": TOKEN_PURPOSE})[0])] \
            if revocable else []
        form = SdJwtFormat(key, issuer, holder.key.jwk, int(exchange.now),
                           node.credentials.status_service.token_url if revocable else None)

        async def complete(transaction: Issuance) -> None:
            state = await transaction.complete_exchange(exchange.id, exchange.now, holder.did, result)
            if state != "completed":
                raise closed(exchange.id, state)

        try:
            # No request hash: one claim completes once (``within``), so a credential already stored under the
            # id came from another claim, and is refused (credentialIdInUse) with the completion rolled back.
            [outcome] = await issue_and_store(node.store, [IssueItem(record_id, credential, None)], issuer=issuer,
                                              form=form, status=status, within=complete)
        except ExchangeClosed:  # another request completed it first: the same wallet's retry, or someone else
            return await self._again(node, exchange.id, holder.did)
        return str(outcome.document["id"]).removeprefix(SD_JWT_DATA_PREFIX)  # SdJwtFormat stores the envelope

    @staticmethod
    async def _again(node: Node, exchange_id: str, holder: str) -> str:
        """The SD-JWT VC a complete claim issued, for its holder only."""
        record = await node.store.get_exchange(exchange_id)
        if record is None or record.state != "complete":
            raise closed(exchange_id, record.state if record is not None else "unknown")
        result = orjson.loads(record.result) if record.result else {}
        if record.holder != holder or result.get("format") != FORMAT:
            raise closed(record.id, "complete")
        stored = await node.store.get_credential(result["credentialId"])
        sd_jwt = unenveloped(orjson.loads(stored.document)) if stored is not None else None
        if sd_jwt is None:
            raise closed(record.id, "complete")
        return sd_jwt

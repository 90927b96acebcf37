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
  and listed at ``/.well-known/jwt-vc-issuer``), signed by the identity's signer (ES256 or EdDSA);
- ``cnf.jwk`` = the key of the wallet's proof JWT;
- ``status.status_list`` = an entry of the issuer's revocation list, allocated in the issuing transaction and
  served as a Status List Token at ``/status/{id}/token`` (the claim's other status purposes, such as
  suspension, have no place in a 1-bit token list and are not given to an SD-JWT VC);
- every claim selectively disclosable except those the type metadata marks ``sd: never``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from vcnode.credentials.model import VC_V2, as_list
from vcnode.credentials.records import CredentialRecord
from vcnode.exchanges.claim import ClaimWorkflow, claimed_credential
from vcnode.exchanges.model import Exchange, ExchangeClosed, closed, timestamp
from vcnode.oid4vci.binding import PROOF_ALGORITHMS, Holder
from vcnode.sdjwt.learning import issue_learning_credential, learning_credential_claims
from vcnode.sdjwt.metadata import LEARNING_CREDENTIAL_VCT, NEVER_DISCLOSABLE, learning_credential_type_metadata
from vcnode.status.entries import status_requests
from vcnode.status.service import ENVELOPED_TYPE, SD_JWT_DATA_PREFIX, TOKEN_BITS, TOKEN_PURPOSE
from vcnode.status.token_list import status_claim
from vcnode.store.base import Issuance

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
            "credential_signing_alg_values_supported": ["ES256", "EdDSA"],
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
        status = node.credentials.status_service if revocable else None
        try:
            async with node.store.issuance() as transaction:
                state = await transaction.complete_exchange(exchange.id, exchange.now, holder.did, result)
                if state != "completed":
                    raise closed(exchange.id, state)
                claim = await self._status(transaction, node, issuer, record_id) if status is not None else None
                sd_jwt = issue_learning_credential(credential, key.signer, issuer=issuer,
                                                   kid=key.verification_method, holder_jwk=holder.key.jwk,
                                                   status=claim, iat=int(exchange.now))
                created = datetime.fromtimestamp(exchange.now, UTC).isoformat()  # the exchange's clock, as iat
                await transaction.save_credentials([CredentialRecord(
                    record_id, issuer, orjson.dumps(enveloped(sd_jwt)).decode(), created, None)])
        except ExchangeClosed:  # another request completed it first: the same wallet's retry, or someone else
            return await self._again(node, exchange.id, holder.did)
        return sd_jwt

    @staticmethod
    async def _status(transaction: Issuance, node: Node, issuer: str, record_id: str) -> dict[str, Any]:
        """A revocation entry for the credential, in a list marked to be served as a Status List Token."""
        credentials = node.credentials
        spec = credentials.list_spec(status_requests({"statusPurpose": TOKEN_PURPOSE})[0])
        [allocation] = await transaction.allocate(issuer, spec, [record_id])
        await transaction.serve_as_tokens(allocation.list_id)
        return status_claim(allocation.index, credentials.status_service.token_url(allocation.list_id))

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

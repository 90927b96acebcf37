"""Credential configurations (OID4VCI 1.0 section 12.2.4) and how each issues from a claim exchange.

A format turns one claim exchange and the holder's proven key into a credential. ``ldp_vc`` issues the claim's
Open Badges 3.0 credential with Data Integrity through :meth:`ClaimWorkflow.issue_to` (the same issue path and
compare-and-set as a VC API claim), with the holder's DID as ``credentialSubject.id``. ``dc+sd-jwt``
(:mod:`vcnode.oid4vci.sd_jwt_vc`) issues the same claim as the EUDI learning credential, an SD-JWT VC bound to
the holder's key (``cnf``). A claim completes once: the wallet picks one of the configurations its offer lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from vcnode.credentials.model import VC_V2, as_list
from vcnode.exchanges.claim import ClaimWorkflow
from vcnode.exchanges.model import Exchange
from vcnode.oid4vci.binding import BINDING_METHODS, PROOF_ALGORITHMS, Holder
from vcnode.oid4vci.sd_jwt_vc import SdJwtLearningCredential
from vcnode.proofs import SUITES

if TYPE_CHECKING:
    from vcnode.node import Node

OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


class CredentialFormat(Protocol):
    """One credential configuration the issuer offers."""

    configuration_id: str

    def configuration(self, node: Node) -> dict[str, Any]:
        """Its entry in ``credential_configurations_supported``."""
        ...

    def offers(self, credential: dict[str, Any]) -> bool:
        """Whether a claim's unsigned credential can be issued in this configuration."""
        ...

    async def issue(self, claims: ClaimWorkflow, exchange: Exchange, holder: Holder) -> Any:
        """The signed credential for ``holder``, completing the exchange in the issuing transaction."""
        ...


class LdpVcOpenBadge:
    """``OpenBadgeCredential_ldp_vc``: the Open Badges 3.0 credential with a Data Integrity proof."""

    configuration_id = "OpenBadgeCredential_ldp_vc"

    def configuration(self, node: Node) -> dict[str, Any]:
        """Format ``ldp_vc`` with the VC 2.0 and OB 3.0 contexts, did:key/did:jwk binding, JWT proofs."""
        return {
            "format": "ldp_vc",
            "scope": "OpenBadgeCredential",
            "credential_definition": {"@context": [VC_V2, OB_CONTEXT],
                                      "type": ["VerifiableCredential", "OpenBadgeCredential"]},
            "cryptographic_binding_methods_supported": list(BINDING_METHODS),
            "credential_signing_alg_values_supported": list(SUITES),
            "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)}},
            "credential_metadata": {"display": [{"name": "Open Badge", "locale": "en",
                                                 "description": "An Open Badges 3.0 achievement credential"}]},
            "display": [{"name": "Open Badge", "locale": "en"}],
        }

    def offers(self, credential: dict[str, Any]) -> bool:
        """An OpenBadgeCredential (or AchievementCredential, its alias)."""
        types = as_list(credential.get("type"))
        return "OpenBadgeCredential" in types or "AchievementCredential" in types

    async def issue(self, claims: ClaimWorkflow, exchange: Exchange, holder: Holder) -> Any:
        """Issued exactly as a VC API claim by ``holder.did``."""
        return await claims.issue_to(exchange, holder.did)


#: The configurations offered, by id.
FORMATS: dict[str, CredentialFormat] = {LdpVcOpenBadge.configuration_id: LdpVcOpenBadge(),
                                        SdJwtLearningCredential.configuration_id: SdJwtLearningCredential()}

__all__ = ["BINDING_METHODS", "FORMATS", "PROOF_ALGORITHMS", "CredentialFormat", "Holder", "LdpVcOpenBadge",
           "SdJwtLearningCredential"]

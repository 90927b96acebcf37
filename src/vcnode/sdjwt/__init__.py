"""SD-JWT VC (draft-ietf-oauth-sd-jwt-vc over RFC 9901 SD-JWT): issuing, presenting and verifying selectively
disclosable JWT credentials, their type metadata, and the EUDI learning credential made from Open Badges 3.0.

Signatures go through :mod:`vcnode.jose` (the identity's signer, DID-resolved keys); disclosures and digests are
made by the OWF reference library ``sd-jwt``; verification is vcnode's own and never raises (a report)."""

from __future__ import annotations

from vcnode.sdjwt.issue import LEGACY_TYP, SD_JWT_VC_TYP, issue_sd_jwt_vc
from vcnode.sdjwt.learning import CALLER_CLAIMS, issue_learning_credential, learning_credential_claims
from vcnode.sdjwt.metadata import (
    LEARNING_CREDENTIAL_VCT,
    TypeMetadata,
    bundled_type_metadata,
    learning_credential_type_metadata,
)
from vcnode.sdjwt.present import key_binding_jwt, present_sd_jwt_vc, sd_hash, select_disclosures
from vcnode.sdjwt.verify import KB_TYP, SdJwtVcOptions, SdJwtVcResult, split_sd_jwt, verify_sd_jwt_vc

__all__ = ["CALLER_CLAIMS", "KB_TYP", "LEARNING_CREDENTIAL_VCT", "LEGACY_TYP", "SD_JWT_VC_TYP", "SdJwtVcOptions",
           "SdJwtVcResult", "TypeMetadata", "bundled_type_metadata", "issue_learning_credential",
           "issue_sd_jwt_vc", "key_binding_jwt", "learning_credential_claims", "learning_credential_type_metadata",
           "present_sd_jwt_vc", "sd_hash", "select_disclosures", "split_sd_jwt", "verify_sd_jwt_vc"]

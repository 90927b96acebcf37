"""The names trust statements use: their JSON-LD context and credential types (see docs/trust.md)."""

from __future__ import annotations

#: The pinned context defining the terms below (src/vcnode/jsonld/contexts/vcnode.dev_ns_trust_v1.jsonld).
TRUST_CONTEXT = "https://vcnode.dev/ns/trust/v1"

FRAMEWORK_CREDENTIAL = "FrameworkDescriptorCredential"
ACCREDITATION_CREDENTIAL = "AccreditationCredential"
AGREEMENT_CREDENTIAL = "RecognitionAgreementCredential"
PATHWAY_CREDENTIAL = "PathwayCredential"
#: Open Badges 3.0 endorsements are read as a weaker quality signal (they carry no scope).
ENDORSEMENT_CREDENTIAL = "EndorsementCredential"

# The types of the credential subjects and of the objects nested in them.
FRAMEWORK_SUBJECT = "QualificationsFramework"
LEVEL = "FrameworkLevel"
CREDIT_UNIT = "CreditUnit"
PROVIDER_SUBJECT = "AccreditedProvider"
AUTHORITY_SUBJECT = "RecognisedAuthority"
SCOPE = "TrustScope"
LEVEL_MAP = "LevelMap"
CREDIT_CONVERSION = "CreditConversion"
PATHWAY_SUBJECT = "Pathway"
PATHWAY_AWARD = "PathwayAward"

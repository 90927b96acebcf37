"""OpenID for Verifiable Credential Issuance 1.0 (OID4VCI): the issuer side of the pre-authorised code flow,
carried by the node's stored ``claim`` exchanges. See docs/exchanges.md, "OpenID4VCI"."""

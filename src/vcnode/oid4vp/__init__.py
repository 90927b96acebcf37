"""OpenID for Verifiable Presentations 1.0 (OID4VP) with DCQL: the verifier side, carried by the node's stored
``present`` exchanges. See docs/exchanges.md, "OpenID4VP"."""

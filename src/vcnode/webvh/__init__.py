"""did:webvh 1.0 (https://identity.foundation/didwebvh/v1.0/): pure functions, no I/O.

``identifier`` parses the DID and maps it to HTTPS URLs; ``hashing`` computes SCIDs, entry hashes and
pre-rotation key hashes; ``parameters`` validates and merges log parameters; ``proofs`` makes and checks
the eddsa-jcs-2022 proofs by did:key; ``log`` verifies a DID log entry by entry; ``witness`` makes and
counts witness proofs; ``approve`` is the witness's check of a candidate entry; ``versions`` picks the
version a resolution asks for and shapes the result; ``errors`` names every failure. The driver
(``did_methods/webvh.py``) and the node's own identities
(``vcnode.identity.webvh``) both build on these.
"""

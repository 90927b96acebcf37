-- OpenID for Verifiable Credential Issuance (vcnode.oid4vci): the pre-authorised code flow over a claim
-- exchange. Times are Unix seconds. Codes and access tokens are stored as SHA-256 hashes only (a copy of the
-- database does not hand out credentials); c_nonces are not secrets and are kept as given.
-- A pre-authorised code: minted each time a wallet fetches the exchange's credential offer, single use.
CREATE TABLE oid4vci_codes (
    code_hash    TEXT PRIMARY KEY,
    exchange_id  TEXT NOT NULL REFERENCES exchanges (id),
    created      REAL NOT NULL,
    expires      REAL NOT NULL,
    used         REAL                      -- when exchanged for an access token; NULL while open
);
CREATE INDEX oid4vci_codes_by_expiry ON oid4vci_codes (expires);
-- Wrong tx_code (PIN) attempts per exchange, whichever code they came with: the limit holds across codes.
CREATE TABLE oid4vci_tx_failures (
    exchange_id  TEXT PRIMARY KEY REFERENCES exchanges (id),
    failures     INTEGER NOT NULL DEFAULT 0,
    last_at      REAL NOT NULL
);
-- Access tokens (opaque, short lived), bound to one exchange.
CREATE TABLE oid4vci_tokens (
    token_hash   TEXT PRIMARY KEY,
    exchange_id  TEXT NOT NULL REFERENCES exchanges (id),
    created      REAL NOT NULL,
    expires      REAL NOT NULL
);
CREATE INDEX oid4vci_tokens_by_expiry ON oid4vci_tokens (expires);
-- c_nonces (POST /nonce): single use, short lived; a used one is kept until it expires, then purged.
CREATE TABLE oid4vci_nonces (
    nonce        TEXT PRIMARY KEY,
    created      REAL NOT NULL,
    expires      REAL NOT NULL,
    used         REAL
);
CREATE INDEX oid4vci_nonces_by_expiry ON oid4vci_nonces (expires);

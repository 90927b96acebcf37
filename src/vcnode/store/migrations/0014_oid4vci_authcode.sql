-- OpenID4VCI authorisation code flow (vcnode.oid4vci.authorize): an authorisation code is issued by the login
-- page (GET/POST /authorize) once the learner typed the claim's code, and redeemed once at POST /token with
-- the PKCE verifier. Stored as a SHA-256 hash, bound to the client, its redirect URI, the S256 code challenge
-- and the exchange. token_hash: the access token it was redeemed for, revoked if the code is presented again
-- (RFC 6749 section 4.1.2). Wrong login codes count in oid4vci_tx_failures, with the pre-authorised flow's.
CREATE TABLE oid4vci_auth_codes (
    code_hash       TEXT PRIMARY KEY,
    exchange_id     TEXT NOT NULL REFERENCES exchanges (id),
    client_id       TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    created         REAL NOT NULL,
    expires         REAL NOT NULL,
    used            REAL,
    token_hash      TEXT
);
CREATE INDEX oid4vci_auth_codes_by_expiry ON oid4vci_auth_codes (expires);
CREATE INDEX oid4vci_auth_codes_by_exchange ON oid4vci_auth_codes (exchange_id);

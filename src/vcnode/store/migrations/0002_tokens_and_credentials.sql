-- API bearer tokens: only a SHA-256 of each token is stored (tokens are 256-bit random, so no KDF needed).
CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,            -- short public id, for listing and revoking
    token_hash  TEXT NOT NULL UNIQUE,
    scopes      TEXT NOT NULL,               -- comma-separated: issue, status, read, admin
    identity    TEXT,                        -- DID the token may act for; NULL = every identity
    created     TEXT NOT NULL,
    revoked     TEXT
);

-- Credentials this node issued.
CREATE TABLE credentials (
    id          TEXT PRIMARY KEY,            -- the credential's id, or a urn:uuid the node assigned
    issuer      TEXT NOT NULL,
    document    TEXT NOT NULL,               -- the signed credential (JSON)
    created     TEXT NOT NULL
);
CREATE INDEX credentials_by_issuer ON credentials (issuer, created);

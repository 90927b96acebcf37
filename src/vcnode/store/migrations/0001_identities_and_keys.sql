-- Node metadata (key vault parameters, node settings that must not change after init).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Issuer identities held by this node: its own, faculties, small providers it hosts.
CREATE TABLE identities (
    did        TEXT PRIMARY KEY,
    method     TEXT NOT NULL,
    name       TEXT NOT NULL UNIQUE,
    web_path   TEXT,                       -- for did:web served by this node: '' (root) or 'a/b'
    is_default INTEGER NOT NULL DEFAULT 0,
    created    TEXT NOT NULL
);
CREATE UNIQUE INDEX identities_one_default ON identities (is_default) WHERE is_default = 1;
CREATE UNIQUE INDEX identities_web_path ON identities (web_path) WHERE web_path IS NOT NULL;

-- Signing keys. Exactly one active key per identity; retired keys stay for verification.
CREATE TABLE keys (
    id              TEXT PRIMARY KEY,      -- verification method id (a DID URL)
    identity_did    TEXT NOT NULL REFERENCES identities (did),
    key_type        TEXT NOT NULL,
    public_multikey TEXT NOT NULL,
    sealed_secret   BLOB NOT NULL,         -- encrypted by the key vault
    valid_from      TEXT NOT NULL,
    valid_until     TEXT,
    active          INTEGER NOT NULL
);
CREATE UNIQUE INDEX keys_one_active ON keys (identity_did) WHERE active = 1;
CREATE INDEX keys_by_identity ON keys (identity_did, valid_from);

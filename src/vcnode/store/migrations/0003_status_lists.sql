-- Bitstring status lists this node publishes. bits is the raw (uncompressed) bitstring; version counts
-- changes to it, and published is the signed list credential for published_version (re-signed lazily).
CREATE TABLE status_lists (
    id                 TEXT PRIMARY KEY,     -- random; the list is served at /status/{id}
    issuer             TEXT NOT NULL,
    purpose            TEXT NOT NULL,        -- revocation, suspension, message, …
    status_size        INTEGER NOT NULL,     -- bits per entry
    messages           TEXT,                 -- JSON statusMessages of a message list, else NULL
    entries            INTEGER NOT NULL,
    allocated          INTEGER NOT NULL,
    bits               BLOB NOT NULL,
    version            INTEGER NOT NULL,
    published          TEXT,
    published_version  INTEGER,
    published_until    TEXT,
    created            TEXT NOT NULL
);
CREATE INDEX status_lists_open ON status_lists (issuer, purpose, status_size, created);

-- Every index ever handed out: the primary key makes a second allocation of one index impossible.
CREATE TABLE status_entries (
    list_id        TEXT NOT NULL REFERENCES status_lists (id),
    idx            INTEGER NOT NULL,
    credential_id  TEXT NOT NULL,
    PRIMARY KEY (list_id, idx)
);
CREATE INDEX status_entries_by_credential ON status_entries (credential_id);

-- The audit log of status changes: who, when, why, and the entry's value before and after.
CREATE TABLE status_changes (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT NOT NULL,
    actor          TEXT NOT NULL,
    credential_id  TEXT NOT NULL,
    list_id        TEXT NOT NULL,
    idx            INTEGER NOT NULL,
    purpose        TEXT NOT NULL,
    before         INTEGER NOT NULL,
    after          INTEGER NOT NULL,
    reason         TEXT
);
CREATE INDEX status_changes_by_credential ON status_changes (credential_id, seq);

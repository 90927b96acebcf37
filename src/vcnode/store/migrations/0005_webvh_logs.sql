-- did:webvh logs of the node's own identities: one row per entry, the JSON line exactly as published in
-- did.jsonl. Entries are only ever appended (key rotation), in the same transaction as the key change.
CREATE TABLE webvh_entries (
    identity_did   TEXT NOT NULL REFERENCES identities (did),
    version_number INTEGER NOT NULL,
    version_id     TEXT NOT NULL UNIQUE,
    version_time   TEXT NOT NULL,
    entry          TEXT NOT NULL,
    PRIMARY KEY (identity_did, version_number)
);

-- Heads of held logs that peers announced beyond the entries held (not pulled yet): while one is here, the
-- node knows its replicas from that log may be behind, and a status check does not let them vouch.
CREATE TABLE anchor_announced (
    log         TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL,
    first_seen  TEXT NOT NULL
);

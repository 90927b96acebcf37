-- The change feed (vcnode.feed): one row per change the caches of a node's processes must follow, written in
-- the transaction of the change. ``origin`` names the connection that wrote it (its own caches saw it).
-- Old rows are pruned by the background owner; the highest pruned seq is kept in meta (change_events_pruned).
CREATE TABLE change_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    origin TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX change_events_at ON change_events (at);

-- Trust statements this node signed whose anchoring is not yet known to have finished (vcnode.trust.service),
-- one row each. They replace the `trust_pending` meta key, a JSON list rewritten whole, with which two processes
-- publishing at once could drop each other's note. A row is added before its statement is signed; anchoring the
-- statement in its issuer's log deletes the row in the same transaction as the entry (vcnode.store.anchors).
-- `noted` is in Unix seconds: a row whose statement was never signed (the process stopped first) is forgotten
-- only once it is older than a publication still running in another process could be.
CREATE TABLE IF NOT EXISTS trust_pending (
    statement_id  TEXT PRIMARY KEY,
    issuer        TEXT NOT NULL,
    noted         REAL NOT NULL
);
-- Notes kept under the meta key move to rows (issuer unknown: they are settled when recovery anchors them).
INSERT OR IGNORE INTO trust_pending (statement_id, issuer, noted)
    SELECT json_each.value, '', 0 FROM meta, json_each(meta.value)
    WHERE meta.key = 'trust_pending' AND json_valid(meta.value) AND json_each.type = 'text';
DELETE FROM meta WHERE key = 'trust_pending';

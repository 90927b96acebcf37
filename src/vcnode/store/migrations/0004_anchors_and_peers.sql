-- Anchor logs: this node's own and the verified copies of other nodes' logs.
CREATE TABLE anchor_entries (
    log       TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    cid       TEXT NOT NULL,
    document  TEXT NOT NULL,                 -- the signed entry (JSON)
    PRIMARY KEY (log, seq)
);

-- How far each log is held: the signed head (or the last signed entry) marking it.
CREATE TABLE anchor_heads (
    log       TEXT PRIMARY KEY,
    seq       INTEGER NOT NULL,
    document  TEXT NOT NULL
);

-- Payloads referenced by entries (signed status list credentials), by CID.
CREATE TABLE anchor_blobs (
    cid       TEXT PRIMARY KEY,
    log       TEXT NOT NULL,
    data      BLOB NOT NULL
);
CREATE INDEX anchor_blobs_by_log ON anchor_blobs (log);

-- The newest anchored publication of each status list URL.
CREATE TABLE anchor_lists (
    url       TEXT PRIMARY KEY,
    log       TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    version   INTEGER NOT NULL,
    payload   TEXT NOT NULL,
    time      TEXT NOT NULL
);

-- Witness statements: the newest per (log, witness).
CREATE TABLE anchor_witnesses (
    log       TEXT NOT NULL,
    witness   TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    document  TEXT NOT NULL,
    PRIMARY KEY (log, witness)
);

-- Proofs that a log's owner signed two different entries for one position.
CREATE TABLE anchor_equivocations (
    log       TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    document  TEXT NOT NULL,
    found     TEXT NOT NULL,
    PRIMARY KEY (log, seq)
);

-- The peer table survives restarts.
CREATE TABLE peers (
    url           TEXT PRIMARY KEY,
    did           TEXT,
    source        TEXT NOT NULL,
    score         INTEGER NOT NULL DEFAULT 0,
    banned_until  REAL NOT NULL DEFAULT 0,
    last_seen     TEXT
);

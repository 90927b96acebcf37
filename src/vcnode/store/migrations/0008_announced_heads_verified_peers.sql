-- Heads peers announced beyond what this node holds and it has not pulled (yet): newest per (log, announcer).
-- A row goes when the node's head reaches it, or when the announcer could not serve it.
CREATE TABLE anchor_announced (
    log        TEXT NOT NULL,
    announcer  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    entry      TEXT NOT NULL,
    seen       TEXT NOT NULL,
    PRIMARY KEY (log, announcer)
);

-- Peers saved before URLs were verified (the node reached the URL and the DID was proved there) are not
-- trusted again: they load as candidates and are asked first.
ALTER TABLE peers ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;

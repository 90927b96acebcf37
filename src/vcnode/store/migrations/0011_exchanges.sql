-- VC API exchanges (vcnode.exchanges): one run of a workflow (claim, present) with a wallet. Everything an
-- exchange is lives here, so any process on the database can continue any exchange. Times are Unix seconds.
-- An exchange past `expires` that is not complete or invalid is expired (derived when read; no sweeper).
-- `challenge` is the exchange's own: unique, so a presentation made for one exchange never fits another.
-- `request_hash` makes creation idempotent by id (a batch run again reuses its exchanges).
-- Completion is a compare-and-set on `state` inside the transaction that issues the credential.
CREATE TABLE exchanges (
    id            TEXT PRIMARY KEY,
    workflow      TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'active', 'complete', 'invalid')),
    sequence      INTEGER NOT NULL DEFAULT 0,
    created       REAL NOT NULL,
    expires       REAL NOT NULL,
    challenge     TEXT NOT NULL UNIQUE,
    domain        TEXT NOT NULL,
    owner         TEXT,                      -- the identity it acts for (a claim's issuer), NULL for any
    variables     TEXT NOT NULL,             -- JSON, as created
    request_hash  TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0, -- presentations refused
    last_error    TEXT,                      -- JSON problem of the last refused presentation
    holder        TEXT,                      -- the DID the wallet proved (complete)
    result        TEXT,                      -- JSON (complete): what was issued or the verification report
    completed     REAL
);
CREATE INDEX exchanges_by_expiry ON exchanges (expires);

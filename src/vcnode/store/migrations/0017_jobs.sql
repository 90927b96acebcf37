-- Background jobs (vcnode.jobs): work that outlives the request that asked for it (the desk's CSV batches).
-- Everything a job is lives here, so any serving process on the database can run it, show it or take it over.
-- Times are Unix seconds. `state`: queued -> running -> done | failed. A running job is held by `lease_owner`
-- (one process) until `lease_until`, which that process renews while it works (and with each progress step);
-- a running job whose lease has passed (its process died) is claimed again by another process, which is safe
-- because the job kinds are idempotent. Claiming, progress, finishing and releasing are compare-and-set
-- updates on (state, lease_owner) inside a store transaction, so a job is run by one process at a time.
-- `attempts` counts claims: a job whose processes keep dying is failed after `job_max_attempts`.
CREATE TABLE IF NOT EXISTS jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    owner        TEXT NOT NULL,              -- id of the API token that created it
    identity     TEXT NOT NULL,              -- the DID it acts for: tokens that may act for it may see it
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    input        TEXT NOT NULL,              -- JSON, as created
    total        INTEGER NOT NULL DEFAULT 0,
    done         INTEGER NOT NULL DEFAULT 0, -- never goes back (a takeover re-counts rows already done)
    error        TEXT,                       -- JSON {code, detail} of a failed job
    summary      TEXT,                       -- JSON: what a finished job did
    result       BLOB,                       -- the result to download (a zip), at most job_result_max_bytes
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_owner  TEXT,
    lease_until  REAL NOT NULL DEFAULT 0,
    created      REAL NOT NULL,
    updated      REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, created);
CREATE INDEX IF NOT EXISTS jobs_by_identity ON jobs (identity, created);

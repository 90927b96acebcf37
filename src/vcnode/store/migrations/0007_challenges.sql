-- Challenges handed out to holders (POST /challenges): single use, short lived. Times are Unix seconds.
-- A used challenge is kept until it expires (a replay is answered challengeUsed), then purged.
CREATE TABLE challenges (
    challenge   TEXT PRIMARY KEY,
    created     REAL NOT NULL,
    expires     REAL NOT NULL,
    used        REAL                          -- when a presentation with it was accepted; NULL while open
);
CREATE INDEX challenges_by_expiry ON challenges (expires);

-- Status lists at any length and fill (issue 12, item 5).
--
-- Allocation: a list's n-th allocation gets position permute(n), a Feistel permutation keyed by perm_key
-- (vcnode.status.permutation), so handing out positions is a counter increment (next_seq) instead of a
-- search among the free ones. A list that held allocations before this migration (random positions) has
-- converted = 1: its counter skips positions already in status_entries, which costs 1 / (1 - fill) look-ups
-- per allocation for the fill it had here; a list more than 90 % full is closed instead (next_seq = entries),
-- so that stays under ten.
--
-- Bits: kept in chunks of 32,768 entries (4 KiB per bit of statusSize), one row each, absent while all zero,
-- so a status change rewrites one chunk instead of the whole list (2 MiB for 16M entries).
ALTER TABLE status_lists ADD COLUMN perm_key BLOB;
ALTER TABLE status_lists ADD COLUMN next_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE status_lists ADD COLUMN converted INTEGER NOT NULL DEFAULT 0;

CREATE TABLE status_chunks (
    list_id  TEXT NOT NULL REFERENCES status_lists (id),
    chunk    INTEGER NOT NULL,      -- entries chunk * 32768 … chunk * 32768 + 32767
    bits     BLOB NOT NULL,         -- 4096 * status_size bytes (the last chunk of a list may be shorter)
    PRIMARY KEY (list_id, chunk)
) WITHOUT ROWID;

-- Every non-zero chunk of every existing list. A list is at most 16 MiB of bits: 4,096 chunks of 4 KiB. Each
-- chunk is cut once (MATERIALIZED: substr reads the whole blob, so it is not repeated in the filter).
INSERT INTO status_chunks (list_id, chunk, bits)
    WITH RECURSIVE numbers (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM numbers WHERE n < 4095),
    parts (list_id, chunk, bits) AS MATERIALIZED (
        SELECT l.id, numbers.n, substr(l.bits, numbers.n * 4096 * l.status_size + 1, 4096 * l.status_size)
        FROM status_lists AS l JOIN numbers ON numbers.n * 4096 * l.status_size < length(l.bits))
    SELECT list_id, chunk, bits FROM parts WHERE bits != zeroblob(length(bits));

UPDATE status_lists SET perm_key = randomblob(16), converted = (allocated > 0),
    next_seq = CASE WHEN allocated * 10 > entries * 9 THEN entries ELSE 0 END;

ALTER TABLE status_lists DROP COLUMN bits;

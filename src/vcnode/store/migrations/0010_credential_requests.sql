-- Issuing is idempotent by credential id: the id stays the primary key (insert-once: a second insert under
-- it fails, nothing replaces an issued credential), and each credential keeps a SHA-256 of the canonical
-- request it was issued from (JCS of issuer, unsigned credential and options), so a retry of the same
-- request gets the stored credential back and a different request under a used id is refused.
-- Credentials issued before this migration have none (NULL).
ALTER TABLE credentials ADD COLUMN request_hash TEXT;

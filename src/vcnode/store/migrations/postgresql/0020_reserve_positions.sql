-- Status positions reserved in one statement (vcnode.store.postgres.PostgresIssuance._reserve): under an
-- advisory lock per (issuer, kind of list), find the issuer's open list of this kind or open a new one, and
-- move its counter on by up to p_count positions. The lock is held only while the statement runs on the
-- server, never across a round trip to a busy client, so issuers in other processes barely wait.
CREATE FUNCTION vcnode_reserve_positions(p_issuer TEXT, p_purpose TEXT, p_size BIGINT, p_messages TEXT,
                                         p_count BIGINT, p_entries BIGINT, p_new_id TEXT, p_new_key BYTEA,
                                         p_now TEXT)
RETURNS TABLE (list_id TEXT, list_key BYTEA, list_entries BIGINT, first_seq BIGINT, end_seq BIGINT,
               list_converted BIGINT, list_created BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
    chosen RECORD;
    made BOOLEAN := FALSE;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('vcnode.status:' || p_issuer || E'\n' || p_purpose || E'\n'
                                                   || p_size::TEXT || E'\n' || COALESCE(p_messages, ''), 0));
    SELECT l.id, l.perm_key, l.entries, l.next_seq, l.converted INTO chosen FROM status_lists AS l
     WHERE l.issuer = p_issuer AND l.purpose = p_purpose AND l.status_size = p_size
       AND l.messages IS NOT DISTINCT FROM p_messages AND l.allocated < l.entries AND l.next_seq < l.entries
     ORDER BY l.created, l.id LIMIT 1 FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        INSERT INTO status_lists (id, issuer, purpose, status_size, messages, entries, allocated, version,
                                  published, published_version, published_until, created, perm_key, next_seq,
                                  converted)
        VALUES (p_new_id, p_issuer, p_purpose, p_size, p_messages, p_entries, 0, 1, NULL, NULL, NULL, p_now,
                p_new_key, 0, 0);
        SELECT p_new_id AS id, p_new_key AS perm_key, p_entries AS entries, 0::BIGINT AS next_seq,
               0::BIGINT AS converted INTO chosen;
        made := TRUE;
    END IF;
    UPDATE status_lists AS l SET next_seq = LEAST(l.entries, l.next_seq + p_count),
                                 allocated = l.allocated + (LEAST(l.entries, l.next_seq + p_count) - l.next_seq)
     WHERE l.id = chosen.id;
    RETURN QUERY SELECT chosen.id, chosen.perm_key, chosen.entries, chosen.next_seq,
                        LEAST(chosen.entries, chosen.next_seq + p_count), chosen.converted, made;
END
$$;

-- No foreign keys from a list's entries and chunks to the list: each check takes a KEY SHARE lock on the list's
-- row until the transaction ends, and with many issuing transactions open at once every reservation (an
-- UPDATE of that row) then rewrites a multixact of all their locks — measured here as the bottleneck of
-- issuing from two workers. Entries are only written for positions the function above handed out, of a
-- list that exists, and lists are never deleted.
ALTER TABLE status_entries DROP CONSTRAINT status_entries_list_id_fkey;
ALTER TABLE status_chunks DROP CONSTRAINT status_chunks_list_id_fkey;

-- Anchored publications are kept per (url, log): a log may not displace another log's document published
-- under the same URL (trust statements are looked up by log), and each row says what kind of document it is.
CREATE TABLE anchor_published (
    url       TEXT NOT NULL,
    log       TEXT NOT NULL,
    kind      TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    version   INTEGER NOT NULL,
    payload   TEXT NOT NULL,
    time      TEXT NOT NULL,
    PRIMARY KEY (url, log)
);
INSERT INTO anchor_published (url, log, kind, seq, version, payload, time)
    SELECT l.url, l.log, COALESCE(json_extract(e.document, '$.statement.type'), 'StatusListPublished'), l.seq,
           l.version, l.payload, l.time
    FROM anchor_lists l LEFT JOIN anchor_entries e ON e.log = l.log AND e.seq = l.seq;
DROP TABLE anchor_lists;
CREATE INDEX anchor_published_by_kind ON anchor_published (kind, log);

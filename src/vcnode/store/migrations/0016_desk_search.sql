-- The desk's search of issued credentials (vcnode.store.search): each credential's terms (normalised words of
-- its id, learner and achievement names; keyed hashes of learners' emails), found by prefix in the primary key.
CREATE TABLE credential_terms (
    term           TEXT NOT NULL,
    credential_id  TEXT NOT NULL,
    PRIMARY KEY (term, credential_id)
) WITHOUT ROWID;
CREATE INDEX credential_terms_by_credential ON credential_terms (credential_id);

-- The achievements each identity awarded (the desk offers them again): the newest copy of each, by id.
CREATE TABLE issued_achievements (
    issuer       TEXT NOT NULL,
    id           TEXT NOT NULL,
    achievement  TEXT NOT NULL,              -- JSON, as the newest credential carried it
    last_issued  TEXT NOT NULL,
    PRIMARY KEY (issuer, id)
);
CREATE INDEX issued_achievements_recent ON issued_achievements (issuer, last_issued);

-- Newest first across every identity (the desk's list for a token that acts for all of them).
CREATE INDEX credentials_by_created ON credentials (created, id);

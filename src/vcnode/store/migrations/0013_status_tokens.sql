-- Status lists also served as IETF Status List Tokens (SD-JWT VCs' status, vcnode.status.token_list): the same
-- bits as the list credential, least significant bit first, signed as a statuslist+jwt at /status/{id}/token.
-- tokens = 1 once an SD-JWT VC referenced the list (set in its issuing transaction); only such lists are served
-- and kept signed as tokens. token_version is the list version the signed token holds (re-signed lazily).
ALTER TABLE status_lists ADD COLUMN tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE status_lists ADD COLUMN token_published TEXT;
ALTER TABLE status_lists ADD COLUMN token_version INTEGER;
ALTER TABLE status_lists ADD COLUMN token_until TEXT;
CREATE INDEX status_lists_tokens ON status_lists (tokens) WHERE tokens = 1;

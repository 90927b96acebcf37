-- OpenID4VCI authorisation details (RFC 9396, vcnode.oid4vci.details). On an authorisation code: the JSON array
-- of credential configuration ids the learner approved at /authorize (NULL when the request used none). On an
-- access token: the JSON authorization_details the token response granted, with their credential_identifiers
-- (NULL when neither request used any: the wallet then names a credential_configuration_id).
ALTER TABLE oid4vci_auth_codes ADD COLUMN authorization_details TEXT;
ALTER TABLE oid4vci_tokens ADD COLUMN authorization_details TEXT;

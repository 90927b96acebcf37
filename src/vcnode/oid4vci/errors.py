"""OAuth 2.0 errors (RFC 6749 section 5.2, RFC 6750 section 3.1, RFC 9396, OID4VCI 1.0 sections 8.3.1 and 7.3.2): the
token, nonce and credential endpoints answer ``{"error", "error_description"}``, never problem+json, because
that is what every OAuth client (the wallet) parses."""

from __future__ import annotations

INVALID_REQUEST = "invalid_request"
INVALID_GRANT = "invalid_grant"
INVALID_CLIENT = "invalid_client"
UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
INVALID_AUTHORIZATION_DETAILS = "invalid_authorization_details"  # RFC 9396 section 5
INVALID_TOKEN = "invalid_token"
INVALID_CREDENTIAL_REQUEST = "invalid_credential_request"
UNKNOWN_CREDENTIAL_CONFIGURATION = "unknown_credential_configuration"
UNKNOWN_CREDENTIAL_IDENTIFIER = "unknown_credential_identifier"
INVALID_PROOF = "invalid_proof"
INVALID_NONCE = "invalid_nonce"
CREDENTIAL_REQUEST_DENIED = "credential_request_denied"


class OAuthError(Exception):
    """An OAuth error answer: ``error`` (one of this module's codes), a description for people, the HTTP
    status (400, or 401 for a bad access token) and extra headers (``WWW-Authenticate``)."""

    def __init__(self, error: str, description: str, *, status: int = 400,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description[:300]
        self.status = status
        self.headers = headers or {}

    def body(self) -> dict[str, str]:
        """The JSON body."""
        return {"error": self.error, "error_description": self.description}


def invalid_token(description: str) -> OAuthError:
    """401 ``invalid_token`` with the RFC 6750 challenge."""
    return OAuthError(INVALID_TOKEN, description, status=401,
                      headers={"WWW-Authenticate": f'Bearer error="{INVALID_TOKEN}"'})

"""The desk's session: a signed cookie, and CSRF tokens bound to it.

A session is ``v1.<payload>.<mac>``: the payload (base64url JSON) holds a random session id, the SHA-256 of
the API token the person logged in with (never the token itself), and the expiry; the MAC is HMAC-SHA256 with
the node's session secret, kept in the store (``ensure_meta``, insert-once) so every serving process on the
database accepts every other's sessions. Nothing about a session is kept server-side: the token behind it is
looked up on each request, so revoking the token (``vcnode token revoke``) ends every session made with it.

The cookie is ``HttpOnly``, ``SameSite=Strict``, ``Path=/`` and ``Secure`` when the node's public URL is
https. A CSRF token is an HMAC of the session id: each form carries it, and a POST without the right one
is refused, as is one whose ``Origin`` is another site's. A person who is not logged in still gets an
anonymous session, so the login form is protected too (no login CSRF), and logging in starts a new session
id (no session fixation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import orjson

SESSION_COOKIE = "vcnode_session"
SECRET_META = "web_session_secret"
CSRF_FIELD = "csrf_token"
#: How long a login lasts.
SESSION_SECONDS = 8 * 3600
_VERSION = "v1"


@dataclass(frozen=True)
class Session:
    """A verified session: ``token_hash`` is None while nobody is logged in."""

    id: str
    token_hash: str | None
    expires: float

    @property
    def logged_in(self) -> bool:
        return self.token_hash is not None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Makes and checks session cookies and CSRF tokens with one secret."""

    def __init__(self, secret: bytes, *, clock=time.time) -> None:
        self._secret = secret
        self._clock = clock

    def _mac(self, label: str, message: str) -> str:
        return _b64(hmac.new(self._secret, f"{label}\n{message}".encode(), hashlib.sha256).digest())

    def mac(self, label: str, message: str) -> str:
        """A MAC of ``message`` for one purpose (``label``, e.g. the verify page's image URLs)."""
        return self._mac(label, message)

    def new(self, token_hash: str | None = None, seconds: float = SESSION_SECONDS) -> Session:
        """A new session (a new random id), logged in when ``token_hash`` is given."""
        return Session(secrets.token_urlsafe(16), token_hash, self._clock() + seconds)

    def encode(self, session: Session) -> str:
        """The cookie value of ``session``."""
        payload = _b64(orjson.dumps({"sid": session.id, "tok": session.token_hash, "exp": int(session.expires)}))
        return f"{_VERSION}.{payload}.{self._mac('session', payload)}"

    def decode(self, value: str | None) -> Session | None:
        """The session in a cookie value, or None when it is missing, forged, malformed or expired."""
        if not value or len(value) > 1024:
            return None
        version, _, rest = value.partition(".")
        payload, _, mac = rest.partition(".")
        if version != _VERSION or not hmac.compare_digest(mac, self._mac("session", payload)):
            return None
        try:
            data = orjson.loads(_unb64(payload))
            session = Session(str(data["sid"]), data["tok"] if isinstance(data["tok"], str) else None,
                              float(data["exp"]))
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > self._clock() else None

    def csrf_token(self, session: Session) -> str:
        """The CSRF token of ``session``'s forms."""
        return self._mac("csrf", session.id)

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        """Whether a form's ``token`` belongs to ``session``."""
        return bool(token) and hmac.compare_digest(str(token), self.csrf_token(session))

"""The OpenID4VCI authorisation code flow (RFC 6749 section 4.1 with PKCE S256, RFC 7636) over claim exchanges.

A claim whose ``variables.oid4vci.grants`` lists ``authorization_code`` offers
``grants.authorization_code.issuer_state``: the exchange id with an HMAC of it under the node's secret (nothing
stored, unforgeable, valid while the claim is open). The wallet sends the learner's browser to
``GET /authorize``; the node is not an identity provider and has no learner accounts, so the learner proves
they are the one the claim was made for the same way as in the pre-authorised flow: by typing the claim's code
(its ``tx_code``), which the institution sent by another channel than the offer. Wrong codes are counted per
claim in the store together with the pre-authorised flow's wrong PINs, so the two flows never add up to more
guesses than ``oid4vci_tx_code_attempts``.

``POST /authorize`` checks a CSRF token (a double submit: a random cookie, and an HMAC of that cookie, the
form's authorisation request and an expiry in a hidden field, so a form from another site or with changed
parameters is refused), then the code; it redirects to the wallet's ``redirect_uri`` with ``code``, ``state``
and ``iss`` (RFC 9207). The authorisation code is random, single use, ``oid4vci_auth_code_ttl`` long, stored
as a hash bound to the client, redirect URI, code challenge and exchange; ``POST /token`` with
``grant_type=authorization_code`` redeems it with the PKCE verifier for the same kind of access token as the
pre-authorised flow. Configurations asked for by ``authorization_details`` are bound to the code and granted,
with their credential identifiers, in the token response (:mod:`vcnode.oid4vci.details`). A request is only
ever redirected once its ``redirect_uri`` is well formed and its
``issuer_state`` genuine: anything else gets a 400 page (RFC 6749 section 4.1.2.1), so the node is no open
redirector for strangers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from vcnode.exchanges.claim import AUTHORIZATION_CODE, ClaimWorkflow, oid4vci_grants
from vcnode.exchanges.model import Exchange
from vcnode.oid4vci import details as authorization_details
from vcnode.oid4vci.errors import (
    INVALID_AUTHORIZATION_DETAILS,
    INVALID_CLIENT,
    INVALID_GRANT,
    INVALID_REQUEST,
    OAuthError,
)
from vcnode.oid4vci.login_page import Message

if TYPE_CHECKING:
    from vcnode.oid4vci.issuer import OpenIdIssuer

log = logging.getLogger(__name__)

#: The authorisation request's parameters, carried through the login form unchanged.
PARAMETERS = ("response_type", "client_id", "redirect_uri", "code_challenge", "code_challenge_method", "state",
              "issuer_state", "scope", "authorization_details", "resource")
CSRF_COOKIE = "vcnode_login"
_ISSUER_STATE_LABEL = "oid4vci issuer_state"
_CSRF_LABEL = "oid4vci login form"
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256 digest, unpadded
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 section 4.1
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
_PRINTABLE = re.compile(r"[\x21-\x7e]+")
#: Schemes a browser would run or read locally rather than hand to a wallet app: never redirected to.
_UNSAFE_SCHEMES = {"javascript", "data", "vbscript", "file", "blob", "about", "filesystem", "view-source", "ws",
                   "wss", "ftp", "mailto", "tel", "sms", "intent", "chrome", "resource"}
_MAX_VALUE = 2048
#: Unredeemed authorisation codes one claim may hold at once (each successful login mints one).
MAX_OPEN_AUTH_CODES = 16


class LoginRefused(Exception):
    """The request stops on a page of the node (status 400 or 403): it cannot be redirected safely."""

    def __init__(self, key: str, detail: str = "", status: int = 400) -> None:
        self.message = Message(key, detail)
        super().__init__(self.message.text(str))
        self.status = status


class Redirect(Exception):
    """Answer with a redirect to the wallet (a code, or an OAuth error once the redirect URI is checked)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked authorisation request: the client's binding and the claim it is for."""

    params: dict[str, str]
    client_id: str
    redirect_uri: str
    code_challenge: str
    exchange: Exchange
    #: The configuration ids the request's ``authorization_details`` ask for (None: it has none).
    configurations: tuple[str, ...] | None = None


@dataclass(frozen=True)
class LoginOutcome:
    """What ``POST /authorize`` answers: a redirect, or the form again with a message."""

    location: str | None = None
    error: Message | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def s256(verifier: str) -> str:
    """The PKCE S256 code challenge of ``verifier``."""
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


def redirect_uri_problem(uri: str) -> str | None:
    """Why ``uri`` may not be redirected to, or None: an absolute URI without fragment or user info; https,
    http only to a loopback host (RFC 8252 section 7.3), or an app's own scheme (section 7.1) but none a
    browser would run or read itself (``javascript:``, ``data:``, ``file:`` …)."""
    if not uri:
        return "redirect_uri is missing"
    if len(uri) > _MAX_VALUE or not _PRINTABLE.fullmatch(uri):
        return "redirect_uri is too long or has spaces or control characters"
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        return "redirect_uri is not a URI"
    scheme = parts.scheme.lower()
    if not scheme or not _SCHEME.fullmatch(scheme):
        return "redirect_uri must be an absolute URI"
    if "#" in uri:
        return "redirect_uri must not have a fragment"
    if "@" in parts.netloc:
        return "redirect_uri must not carry user information"
    if scheme == "https":
        return None if host else "an https redirect_uri needs a host"
    if scheme == "http":
        return None if host is not None and _loopback(host) else \
            "an http redirect_uri is only allowed to a loopback address; use https"
    if scheme in _UNSAFE_SCHEMES:
        return f"a {scheme}: redirect_uri is not allowed"
    return None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def with_query(uri: str, params: Mapping[str, str | None]) -> str:
    """``uri`` with ``params`` (those not None) added to its query."""
    parts = urlsplit(uri)
    added = urlencode({name: value for name, value in params.items() if value is not None})
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


class AuthorizationCodeFlow:
    """The authorisation endpoint and the ``authorization_code`` grant of an :class:`OpenIdIssuer`."""

    def __init__(self, issuer: OpenIdIssuer) -> None:
        self.issuer = issuer

    @property
    def _config(self) -> Any:
        return self.issuer.node.config

    # -- issuer_state ---------------------------------------------------------------------------------------

    async def issuer_state(self, exchange_id: str) -> str:
        """The ``issuer_state`` of a claim's offers: its id and a MAC of it (128 bits)."""
        return f"{exchange_id}.{_b64((await self.issuer.exchanges.mac(_ISSUER_STATE_LABEL, exchange_id))[:16])}"

    async def _exchange_of(self, issuer_state: str) -> str | None:
        exchange_id, dot, _tag = issuer_state.partition(".")
        if not dot or not exchange_id or len(issuer_state) > 200:
            return None
        expected = await self.issuer_state(exchange_id)
        return exchange_id if hmac.compare_digest(expected.encode(), issuer_state.encode()) else None

    # -- the authorisation request --------------------------------------------------------------------------

    async def check(self, params: Mapping[str, str]) -> AuthorizationRequest:
        """A checked authorisation request: :class:`LoginRefused` while it cannot be redirected (a bad client
        id or redirect URI, an unknown issuer_state, a claim that is closed or has no login), then
        :class:`Redirect` with an OAuth error for the rest (no PKCE, ``plain``, a wrong response type…)."""
        kept = {name: params[name] for name in PARAMETERS if params.get(name)}
        if any(len(value) > _MAX_VALUE for value in kept.values()):
            raise LoginRefused("bad_client", "a parameter is too long")
        client_id = kept.get("client_id", "")
        if not client_id or len(client_id) > 255 or not _PRINTABLE.fullmatch(client_id):
            raise LoginRefused("bad_client", "client_id is missing or malformed")
        redirect_uri = kept.get("redirect_uri", "")
        problem = redirect_uri_problem(redirect_uri)
        if problem:
            raise LoginRefused("bad_client", problem)
        exchange_id = await self._exchange_of(kept.get("issuer_state", ""))
        if exchange_id is None:
            raise LoginRefused("unknown_offer")
        record = await self.issuer.node.store.get_exchange(exchange_id)
        if record is None or record.workflow != ClaimWorkflow.id:
            raise LoginRefused("unknown_offer")
        exchange = Exchange(record, self.issuer.clock())
        if exchange.state not in ("pending", "active"):
            raise LoginRefused("closed")
        if AUTHORIZATION_CODE not in oid4vci_grants(exchange.variables):
            raise LoginRefused("no_login")

        state = kept.get("state")

        def refuse(error: str, description: str) -> Redirect:
            return Redirect(with_query(redirect_uri, {"error": error, "error_description": description,
                                                      "state": state, "iss": self.issuer.issuer_url}))

        if kept.get("response_type") != "code":
            raise refuse("unsupported_response_type", "response_type must be code")
        method, challenge = kept.get("code_challenge_method"), kept.get("code_challenge")
        if not challenge or not method:
            raise refuse(INVALID_REQUEST, "PKCE is required: code_challenge and code_challenge_method S256")
        if method != "S256":
            raise refuse(INVALID_REQUEST, "code_challenge_method must be S256 (plain is not allowed)")
        if not _CHALLENGE.fullmatch(challenge):
            raise refuse(INVALID_REQUEST, "code_challenge must be the base64url SHA-256 of the code verifier")
        if "resource" in kept and kept["resource"] != self.issuer.issuer_url:
            raise refuse("invalid_target", "resource must be this credential issuer")
        offered = self.issuer.offered_configurations(exchange.variables.get("credential", {}))
        if "scope" in kept:
            scopes = {self.issuer.formats[ident].configuration(self.issuer.node).get("scope") for ident in offered}
            if not set(kept["scope"].split()) <= scopes - {None}:
                raise refuse("invalid_scope", "scope must name credential configurations offered for this claim")
        configurations = None
        if "authorization_details" in kept:
            try:
                configurations = tuple(authorization_details.requested_configurations(
                    kept["authorization_details"], offered, self.issuer.issuer_url))
            except authorization_details.DetailsRefused as exc:
                raise refuse(INVALID_AUTHORIZATION_DETAILS, str(exc)) from None
        return AuthorizationRequest(kept, client_id, redirect_uri, challenge, exchange, configurations)

    # -- CSRF -------------------------------------------------------------------------------------------------

    async def _csrf_mac(self, cookie: str, expires: int, params: Mapping[str, str]) -> str:
        message = json.dumps([cookie, expires, sorted(params.items())], separators=(",", ":"))
        return _b64(await self.issuer.exchanges.mac(_CSRF_LABEL, message))

    async def csrf_token(self, cookie: str, request: AuthorizationRequest) -> str:
        """The form's token: its expiry and an HMAC binding the browser's cookie to this request."""
        expires = int(self.issuer.clock() + self._config.oid4vci_login_ttl)
        return f"{expires}.{await self._csrf_mac(cookie, expires, request.params)}"

    async def csrf_ok(self, cookie: str | None, token: str | None, request: AuthorizationRequest) -> bool:
        """Whether ``token`` was made for this browser's ``cookie`` and this request, and is unexpired."""
        if not cookie or not token or len(token) > 200:
            return False
        expires, dot, tag = token.partition(".")
        if not dot or not expires.isdigit() or int(expires) <= self.issuer.clock():
            return False
        expected = await self._csrf_mac(cookie, int(expires), request.params)
        return hmac.compare_digest(expected.encode(), tag.encode())

    # -- the login ----------------------------------------------------------------------------------------

    async def login(self, request: AuthorizationRequest, login_code: str) -> LoginOutcome:
        """Check the learner's code; a right one mints the authorisation code and redirects with it."""
        code_typed = "".join(login_code.split())[:64]
        expected = (await self.issuer.exchanges.tx_code(request.exchange.id)).encode()
        code = secrets.token_urlsafe(32)
        now = self.issuer.clock()
        config = self._config
        state, left = await self.issuer.node.store.authorize_oid4vci(
            request.exchange.id, now, lambda: hmac.compare_digest(expected, code_typed.encode("utf-8")),
            config.oid4vci_tx_code_attempts, _hash(code),
            (request.client_id, request.redirect_uri, request.code_challenge),
            now + config.oid4vci_auth_code_ttl, MAX_OPEN_AUTH_CODES,
            json.dumps(list(request.configurations)) if request.configurations is not None else None)
        back = {"state": request.params.get("state"), "iss": self.issuer.issuer_url}
        if state == "authorized":
            return LoginOutcome(location=with_query(request.redirect_uri, {"code": code, **back}))
        if state == "wrongTxCode":
            log.warning("OpenID4VCI login: wrong code for exchange %s", request.exchange.id)
            return LoginOutcome(error=Message("wrong_code", left=left))
        descriptions = {"locked": "too many wrong codes: this offer is locked; ask the issuer for a new one",
                        "exchangeClosed": "the claim is no longer open",
                        "tooMany": "too many unredeemed authorisation codes for this claim; try again later"}
        log.warning("OpenID4VCI login refused (%s) for exchange %s", state, request.exchange.id)
        return LoginOutcome(location=with_query(request.redirect_uri, {
            "error": "access_denied" if state != "tooMany" else "temporarily_unavailable",
            "error_description": descriptions[state], **back}))

    # -- the token endpoint -------------------------------------------------------------------------------

    async def token(self, form: Mapping[str, str], authorization: str | None = None) -> dict[str, Any]:
        """``grant_type=authorization_code``: ``code``, ``redirect_uri``, ``code_verifier`` and (optional for
        this public-client-only server, checked when sent) ``client_id`` for an access token."""
        if authorization or any(name in form for name in ("client_secret", "client_assertion")):
            raise OAuthError(INVALID_CLIENT, "this authorisation server has public clients only (no client "
                             "authentication): send client_id alone", status=401,
                             headers={"WWW-Authenticate": 'Basic realm="token"'} if authorization else None)
        code, redirect_uri, verifier = form.get("code"), form.get("redirect_uri"), form.get("code_verifier")
        if not code or len(code) > 512:
            raise OAuthError(INVALID_REQUEST, "code is missing")
        if not redirect_uri or len(redirect_uri) > _MAX_VALUE:
            raise OAuthError(INVALID_REQUEST, "redirect_uri is missing: send the one of the authorisation request")
        if not verifier:
            raise OAuthError(INVALID_REQUEST, "code_verifier is missing: PKCE is required")
        if not _VERIFIER.fullmatch(verifier):
            raise OAuthError(INVALID_REQUEST, "code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~")
        client_id = form.get("client_id")
        challenge = s256(verifier)

        def binding_ok(bound_client: str, bound_uri: str, bound_challenge: str) -> bool:
            return hmac.compare_digest(bound_challenge.encode(), challenge.encode()) and \
                bound_uri == redirect_uri and (client_id is None or client_id == bound_client)

        granted = await self._granted_details(_hash(code), form.get("authorization_details"))
        access = secrets.token_urlsafe(32)
        now = self.issuer.clock()
        config = self._config
        state, exchange_id = await self.issuer.node.store.redeem_oid4vci_auth_code(
            _hash(code), now, binding_ok, _hash(access), now + config.oid4vci_token_ttl,
            now - config.oid4vci_token_ttl, json.dumps(granted) if granted is not None else None)
        if state == "issued":
            return authorization_details.token_answer(access, config.oid4vci_token_ttl, granted)
        reasons = {"unknown": "the code is not one this issuer gave",
                   "expired": "the code has expired: log in again",
                   "used": "the code was already used (the access token it gave is revoked)",
                   "exchangeClosed": "the claim is no longer open (already claimed, cancelled or expired)",
                   "mismatch": "the code_verifier, redirect_uri or client_id does not match the authorisation "
                               "request; the code is spent"}
        if state in ("used", "mismatch"):
            log.warning("OpenID4VCI: authorisation code %s for exchange %s", state, exchange_id)
        raise OAuthError(INVALID_GRANT, reasons[state])

    async def _granted_details(self, code_hash: str, requested: str | None) -> list[dict[str, Any]] | None:
        """The authorisation details an access token for this code is granted: those approved at /authorize,
        or the ones the token request asks for (RFC 9396 section 6.1: no more than approved, or than the claim
        offers when /authorize had none); None when neither request used any. The code's exchange and
        approved details never change once stored, so reading them before the redeeming transaction is safe;
        for an unknown code there is nothing to grant (the transaction refuses it)."""
        bound = await self.issuer.node.store.oid4vci_auth_code_grant(code_hash)
        if bound is None:
            return None
        exchange_id, approved_json = bound
        approved = json.loads(approved_json) if approved_json is not None else None
        if requested is not None:
            allowed = approved
            if allowed is None:
                record = await self.issuer.node.store.get_exchange(exchange_id)
                allowed = self.issuer.offered_configurations(
                    Exchange(record, self.issuer.clock()).variables.get("credential", {})) if record else []
            try:
                approved = authorization_details.requested_configurations(requested, allowed, self.issuer.issuer_url)
            except authorization_details.DetailsRefused as exc:
                raise OAuthError(INVALID_AUTHORIZATION_DETAILS, str(exc)) from None
        if approved is None:
            return None
        return await authorization_details.granted(self.issuer.exchanges.mac, exchange_id, approved,
                                                   self.issuer.issuer_url)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


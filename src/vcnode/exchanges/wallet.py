"""A VC API holder client: claim credentials from an exchange and present them, the way the DCC Learner
Credential Wallet (LCW) v2.2.10 does (openwallet-foundation-labs/learner-credential-wallet, commit 1c46a82).

Used by tests, benchmarks and the CLI. The holder is a did:key (Ed25519) made from a 32-byte seed; its
presentations are signed by vcnode's own proof code (:func:`vcnode.credentials.issue.sign`), with
Ed25519Signature2020 as LCW does, or eddsa-rdfc-2022.

What it replays of LCW, and where it differs:
- Links are read in LCW's order (AddScreen ``addCredentialsFrom``): the legacy ``vc_request_url`` link, an
  interaction URL (``…?iuv=1`` or ``interaction:…``, fetched for its ``protocols.vcapi``), an LCW deep link
  whose ``request`` parameter is a JSON invitation (decoded twice, as LCW does: by the query parser, then by
  ``decodeURI``), a pasted JSON invitation. A bare http(s) URL is taken as an exchange URL (LCW would fetch
  it as a credential instead).
- An exchange starts with ``{}``; a ``DIDAuthentication`` query is answered with a presentation whose holder is
  the DID, signed for ``authentication`` with the request's challenge AND domain (LCW's composeVp refuses
  either missing); ``QueryByExample`` queries select credentials by LCW's matching rules
  (:func:`credential_matches_example`). LCW ignores ``acceptedMethods`` and ``acceptedCryptosuites``; this
  client honours them unless a suite is forced.
- Unlike LCW, which reads any JSON answer as the next message whatever its status, an error status raises
  :class:`ExchangeError` with the server's status and problem ``code``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import aiohttp

from vcnode.credentials.issue import sign
from vcnode.credentials.model import VC_V2, as_list
from vcnode.errors import VcnodeError
from vcnode.exchanges.query import credential_matches_example, js_truthy
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.public import ED25519
from vcnode.keys.signer import SigningKey
from vcnode.proofs import SUITES

DEFAULT_SUITE = "Ed25519Signature2020"  # what LCW signs with
#: Answers larger than this are refused: a holder client must not be made to buffer anything a server sends.
MAX_ANSWER_BYTES = 8 * 1024 * 1024
# app.config.js LinkConfig.schemes: the prefixes LCW takes for its own links.
DEEP_LINK_PREFIXES = ("dccrequest://", "org.dcconsortium://", "https://lcw.app/request", "interaction:",
                      "https://lcw.app/mobile")
_WALLET_MESSAGES = ("protocols", "verifiablePresentationRequest", "verifiablePresentation", "issueRequest")
_URI_RESERVED = frozenset(";/?:@&=+$,#")  # what decodeURI leaves encoded
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")

FetchJson = Callable[[str], Awaitable[Any]]


class WalletError(VcnodeError):
    """The holder cannot go on: a link it does not understand, a request it cannot answer."""

    code = "walletError"
    title = "Wallet error"


class LinkError(WalletError):
    """Not a link (or message) a wallet accepts."""

    code = "unsupportedLink"
    title = "Unsupported link"


class ExchangeError(WalletError):
    """The server answered an error (``status`` and ``code`` are its own, from its problem+json body, kept in
    ``problem``) or something that is not an exchange message."""

    title = "Exchange failed"

    @property
    def problem(self) -> dict[str, Any] | None:
        """The server's problem document, when it sent one."""
        return self.extra.get("problem")


@dataclass(frozen=True, slots=True)
class HolderKey:
    """A holder's did:key identity (Ed25519): ``did:key:z6Mk…`` with verification method ``…#z6Mk…``."""

    key_pair: Ed25519KeyPair

    @classmethod
    def from_seed(cls, seed: bytes) -> HolderKey:
        """The identity derived from a 32-byte seed (the same DID LCW's ``mintDid`` makes from it)."""
        if not isinstance(seed, bytes) or len(seed) != 32:
            raise ValueError("a holder seed is 32 bytes")
        return cls(Ed25519KeyPair.from_seed(seed))

    @classmethod
    def generate(cls) -> HolderKey:
        """A fresh random identity."""
        return cls(Ed25519KeyPair.generate())

    @property
    def did(self) -> str:
        """The holder's DID."""
        return f"did:key:{self.key_pair.public_multikey}"

    @property
    def verification_method(self) -> str:
        """The id of the key's verification method in the DID document."""
        return f"{self.did}#{self.key_pair.public_multikey}"

    @property
    def signing_key(self) -> SigningKey:
        """The key in the form vcnode's proof code signs with."""
        return SigningKey(self.verification_method, self.key_pair)


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What a link leads to: a VC API exchange (``url`` is the exchange URL) or LCW's legacy credential
    request (``url`` is its ``vc_request_url``, answered with a presentation signed with ``challenge``)."""

    flow: Literal["vcapi", "legacy"]
    url: str
    challenge: str | None = None
    issuer: str | None = None
    origin: str | None = None  # a deep link's credentialRequestOrigin (self-asserted; informative only)


@dataclass(slots=True)
class ExchangeOutcome:
    """One run of an exchange: the request answered (None when the server offered credentials at once), the
    presentation sent, the server's last answer and the credentials it carried."""

    request: dict[str, Any] | None
    presentation: dict[str, Any] | None
    response: Any
    credentials: list[dict[str, Any]] = field(default_factory=list)


# --- links ------------------------------------------------------------------------------------------------


def _query_params(query: str | None) -> dict[str, str | None]:
    """A query string read as LCW's query-string 7 ``parse`` reads it: ``+`` is a space, a key without ``=``
    has no value, a repeated key's values are joined with commas (what LCW's code then makes of the array)."""
    params: dict[str, list[str | None]] = {}
    text = (query or "").strip()
    text = text[1:] if text[:1] in ("?", "#", "&") else text
    for param in text.split("&") if text else []:
        if not param:
            continue
        key, equals, value = param.replace("+", " ").partition("=")
        params.setdefault(unquote(key), []).append(unquote(value) if equals else None)
    return {key: values[0] if len(values) == 1 else ",".join(v or "" for v in values)
            for key, values in params.items()}


def _decode_uri(text: str) -> str:
    """JavaScript's ``decodeURI``: UTF-8 escapes decoded except those of reserved characters; malformed
    escapes are an error (LCW decodes a deep link's ``request`` once more with it)."""
    out: list[str] = []
    i = 0

    def byte_at(at: int) -> int:
        if text[at:at + 1] != "%" or not re.fullmatch(r"[0-9A-Fa-f]{2}", text[at + 1:at + 3]):
            raise LinkError("the link's request is not valid URI encoding (decodeURI fails)")
        return int(text[at + 1:at + 3], 16)

    while i < len(text):
        if text[i] != "%":
            out.append(text[i])
            i += 1
            continue
        first = byte_at(i)
        size = 1 if first < 0x80 else 2 if first >> 5 == 0b110 else 3 if first >> 4 == 0b1110 \
            else 4 if first >> 3 == 0b11110 else 0
        if size == 0:
            raise LinkError("the link's request is not valid URI encoding (decodeURI fails)")
        raw = bytes([first, *(byte_at(i + 3 * k) for k in range(1, size))])
        try:
            char = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise LinkError("the link's request is not valid UTF-8 (decodeURI fails)") from error
        out.append(text[i:i + 3] if char in _URI_RESERVED else char)
        i += 3 * size
    return "".join(out)


def _is_deep_link(link: str) -> bool:
    return link.startswith(DEEP_LINK_PREFIXES)


def _legacy_params(link: str) -> dict[str, str | None] | None:
    """decode.ts ``isLegacyCredentialRequest``: an LCW link whose query (between the first and second ``?``)
    names both ``vc_request_url`` and ``issuer``."""
    if not _is_deep_link(link):
        return None
    parts = link.split("?")
    params = _query_params(parts[1] if len(parts) > 1 else None)
    return params if "vc_request_url" in params and "issuer" in params else None


def _is_interaction_url(link: str) -> bool:
    if link.startswith("interaction:"):
        return True
    parts = urlsplit(link)
    return bool(_SCHEME.fullmatch(parts.scheme)) and "iuv" in _query_params(parts.query)


def _http_url(url: Any) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _vcapi_target(message: Any, where: str, origin: Any = None) -> LinkTarget:
    if not isinstance(message, dict) or not any(key in message for key in _WALLET_MESSAGES):
        raise LinkError(f"{where} is not a wallet message")
    protocols = message.get("protocols")
    if not isinstance(protocols, dict):
        raise LinkError(f"{where} is a wallet message this client does not take (only exchange invitations)")
    vcapi = protocols.get("vcapi")
    if not _http_url(vcapi):
        raise LinkError(f'{where} offers no "vcapi" protocol (the only one LCW and this client support)')
    return LinkTarget("vcapi", vcapi, origin=origin if isinstance(origin, str) else None)


async def exchange_url_from_link(link: str, fetch_json: FetchJson) -> LinkTarget:
    """Where ``link`` leads, read as LCW reads a scanned or pasted link (see the module doc). ``fetch_json``
    GETs a URL with ``Accept: application/json`` and returns its JSON (see :func:`json_fetcher`); it is called
    for interaction URLs only. Raises :class:`LinkError` for anything else."""
    if not isinstance(link, str) or not link.strip():
        raise LinkError("empty link")
    link = link.strip()
    legacy = _legacy_params(link)
    if legacy is not None:
        if legacy.get("auth_type", "code") != "bearer":  # LCW's default is "code", which it does not support
            raise LinkError(f"unsupported auth_type {str(legacy.get('auth_type', 'code'))[:40]!r} (LCW takes "
                            "only bearer)")
        if not _http_url(legacy["vc_request_url"]):
            raise LinkError("the link's vc_request_url is not an http(s) URL")
        return LinkTarget("legacy", str(legacy["vc_request_url"]), challenge=legacy.get("challenge"),
                          issuer=legacy.get("issuer"))
    if _is_interaction_url(link):
        url = link.removeprefix("interaction:")
        if url.startswith(("http%3A", "https%3A")):
            url = unquote(url)
        if not _http_url(url):
            raise LinkError(f"invalid interaction URL {url[:200]!r}")
        body = await fetch_json(url)
        if not isinstance(body, dict) or not isinstance(body.get("protocols"), dict):
            raise LinkError('the interaction URL answered no "protocols" map')
        return _vcapi_target({"protocols": body["protocols"]}, "the interaction URL's answer")
    if _is_deep_link(link):
        # query-string's parseUrl: the query is what follows the first "?", without the fragment.
        before_fragment = link.split("#")[0]
        _, mark, query = before_fragment.partition("?")
        request = _query_params(query if mark else "").get("request")
        if request is None:
            raise LinkError('the link has no "request" parameter (LCW does nothing with it)')
        try:
            message = json.loads(_decode_uri(request))
        except ValueError as error:
            raise LinkError("the link's request is not JSON (LCW does nothing with it)") from error
        return _vcapi_target(message, "the link's request",
                             message.get("credentialRequestOrigin") if isinstance(message, dict) else None)
    if link.startswith("{"):
        try:
            message = json.loads(link)
        except ValueError as error:
            raise LinkError("not JSON, nor a link a wallet accepts") from error
        return _vcapi_target(message, "the JSON message", message.get("credentialRequestOrigin")
                             if isinstance(message, dict) else None)
    if _http_url(link):
        return LinkTarget("vcapi", link)
    raise LinkError(f"not a link a wallet accepts: {link[:200]!r}")


# --- HTTP -------------------------------------------------------------------------------------------------


async def _answer(response: aiohttp.ClientResponse) -> Any:
    """The JSON of a response; an error status or a body that is not JSON raises :class:`ExchangeError`."""
    raw = await response.content.read(MAX_ANSWER_BYTES + 1)
    if len(raw) > MAX_ANSWER_BYTES:
        raise ExchangeError(f"{response.url} answered more than {MAX_ANSWER_BYTES} bytes",
                            code="answerTooLarge", status=response.status)
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        data = None
    if response.status >= 400:
        problem = data if isinstance(data, dict) else None
        code = problem.get("code") if problem and isinstance(problem.get("code"), str) else "httpError"
        detail = problem.get("detail") if problem and isinstance(problem.get("detail"), str) else None
        raise ExchangeError(detail or f"{response.url} answered HTTP {response.status}", code=code,
                            status=response.status, extra={"problem": problem} if problem else None)
    if data is None:
        raise ExchangeError(f"{response.url} answered no JSON (HTTP {response.status})",
                            code="invalidExchangeResponse", status=response.status)
    return data


def json_fetcher(session: aiohttp.ClientSession) -> FetchJson:
    """A ``fetch_json`` for :func:`exchange_url_from_link`: GET with ``Accept: application/json``."""
    async def fetch_json(url: str) -> Any:
        async with session.get(url, headers={"Accept": "application/json"}) as response:
            return await _answer(response)
    return fetch_json


async def _post(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> Any:
    async with session.post(url, json=body, headers={"Accept": "application/json"}) as response:
        return await _answer(response)


# --- LCW's matching rules (credentialMatching.ts) ----------------------------------------------------------


def matching_credentials(query: Any, credentials: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """LCW's ``filterCredentialRecordsByType``: the credentials matching a QueryByExample query's
    ``credentialQuery.example`` (none when it has no example)."""
    credential_query = query.get("credentialQuery") if isinstance(query, dict) else None
    example = credential_query.get("example") if isinstance(credential_query, dict) else None
    if not js_truthy(example):
        return []
    return [credential for credential in credentials if credential_matches_example(example, credential)]


# --- presentations ----------------------------------------------------------------------------------------


def compose_presentation(holder: HolderKey, credentials: list[dict[str, Any]] | None = None, *,
                         challenge: str | None = None, domain: str | None = None, did_auth: bool = True,
                         suite: str = DEFAULT_SUITE, created: str | None = None) -> dict[str, Any]:
    """LCW's composeVp: with ``did_auth``, a presentation whose holder is the DID, signed for authentication
    with ``challenge`` and ``domain`` (both required); without it, an unsigned presentation of
    ``credentials``. ``created`` (default: now) fixes the proof's time, for reproducible signatures."""
    credentials = list(credentials or [])
    if not did_auth and not credentials:
        raise WalletError("a presentation needs credentials or a DID authentication request")
    presentation: dict[str, Any] = {"@context": [VC_V2], "type": ["VerifiablePresentation"]}
    if not did_auth:
        return {**presentation, "verifiableCredential": credentials}
    if not (isinstance(challenge, str) and challenge and isinstance(domain, str) and domain):
        raise WalletError('both "challenge" and "domain" are required for DID authentication',
                          code="challengeAndDomainRequired")
    presentation["holder"] = holder.did
    if credentials:
        presentation["verifiableCredential"] = credentials
    return sign(presentation, holder.signing_key, suite=suite, purpose="authentication", challenge=challenge,
                domain=domain, **({"created": created} if created else {}))


def legacy_presentation(holder: HolderKey, challenge: str | None = None, *,
                        suite: str = DEFAULT_SUITE) -> dict[str, Any]:
    """LCW's createVerifiablePresentation for the legacy flow: a presentation with no credentials, signed for
    authentication with ``challenge`` (a fresh UUID when the link has none) and no domain."""
    presentation = {"@context": [VC_V2], "type": ["VerifiablePresentation"], "holder": holder.did}
    return sign(presentation, holder.signing_key, suite=suite, purpose="authentication",
                challenge=challenge or str(uuid.uuid4()))


def _suite_for(query: dict[str, Any], forced: str | None) -> str:
    """The suite to answer a DIDAuthentication query with: the forced one, else LCW's unless the query's
    ``acceptedCryptosuites`` leaves it out, then the first accepted one vcnode signs with for an Ed25519 holder
    key (not ecdsa-jcs-2019, a P-256 suite)."""
    if forced is not None:
        return forced
    accepted = [entry.get("cryptosuite") for entry in as_list(query.get("acceptedCryptosuites"))
                if isinstance(entry, dict)]
    if not accepted or DEFAULT_SUITE in accepted:
        return DEFAULT_SUITE
    usable = [name for name, suite in SUITES.items() if ED25519 in suite.key_types]
    for name in accepted:
        if name in usable:
            return name
    raise WalletError(f"the exchange accepts no cryptosuite this client signs with ({', '.join(usable)})",
                      code="unsupportedCryptosuite")


def answer_request(request: Any, holder: HolderKey, credentials: Iterable[dict[str, Any]] = (), *,
                   suite: str | None = None) -> dict[str, Any]:
    """The presentation answering a ``verifiablePresentationRequest`` (LCW's processRequest): the credentials
    matching its QueryByExample queries, with the holder's DID authentication if it asks for it."""
    if not isinstance(request, dict):
        raise ExchangeError("the verifiablePresentationRequest is not an object", code="invalidExchangeResponse")
    queries = as_list(request.get("query"))
    if not queries or not all(isinstance(query, dict) for query in queries):
        raise ExchangeError("the verifiablePresentationRequest has no queries", code="invalidExchangeResponse")
    held = list(credentials)
    matches = [match for query in queries if query.get("type") == "QueryByExample"
               for match in matching_credentials(query, held)]
    did_auth = [query for query in queries if query.get("type") == "DIDAuthentication"]
    if len(did_auth) > 1:
        raise WalletError("more than one DIDAuthentication request", code="invalidExchangeResponse")
    if did_auth:
        methods = [entry.get("method") for entry in as_list(did_auth[0].get("acceptedMethods"))
                   if isinstance(entry, dict)]
        if methods and "key" not in methods:
            raise WalletError("the exchange does not accept did:key holders", code="unsupportedDidMethod")
    if not matches and not did_auth:
        raise WalletError("nothing this wallet holds matches the request", code="noMatchingCredentials")
    return compose_presentation(holder, matches, challenge=request.get("challenge"), domain=request.get("domain"),
                                did_auth=bool(did_auth), suite=_suite_for(did_auth[0], suite) if did_auth
                                else DEFAULT_SUITE)


def credentials_in(answer: Any) -> list[dict[str, Any]] | None:
    """LCW's extractCredentialsFrom: a credential alone, or the credentials of a presentation; None when
    ``answer`` is neither."""
    kinds = as_list(answer.get("type")) if isinstance(answer, dict) else []
    if "VerifiableCredential" in kinds:
        return [answer]
    if "VerifiablePresentation" in kinds and "verifiableCredential" in answer:
        return as_list(answer["verifiableCredential"])
    return None


# --- flows ------------------------------------------------------------------------------------------------


async def run_exchange(session: aiohttp.ClientSession, exchange_url: str, holder: HolderKey,
                       credentials: Iterable[dict[str, Any]] = (), *, suite: str | None = None) -> ExchangeOutcome:
    """Run a VC API exchange: POST ``{}``, answer the presentation request it returns (see
    :func:`answer_request`) or take the credentials it offers."""
    message = await _post(session, exchange_url, {})
    if not isinstance(message, dict):
        raise ExchangeError("the exchange's first answer is not an object", code="invalidExchangeResponse")
    if "verifiablePresentation" in message:  # an offer: nothing asked
        return ExchangeOutcome(None, None, message, credentials_in(message["verifiablePresentation"]) or [])
    if "verifiablePresentationRequest" not in message:
        raise ExchangeError("the exchange answered neither a presentation request nor an offer",
                            code="invalidExchangeResponse")
    request = message["verifiablePresentationRequest"]
    presentation = answer_request(request, holder, credentials, suite=suite)
    response = await _post(session, exchange_url, {"verifiablePresentation": presentation})
    offered = response.get("verifiablePresentation") if isinstance(response, dict) else None
    return ExchangeOutcome(request, presentation, response, credentials_in(offered) or [])


async def legacy_claim(session: aiohttp.ClientSession, target: LinkTarget, holder: HolderKey, *,
                       suite: str | None = None) -> list[dict[str, Any]]:
    """LCW's legacy credential request: POST a presentation signed with the link's challenge (no domain) to
    its ``vc_request_url``; the answer is a credential or a presentation of credentials."""
    presentation = legacy_presentation(holder, target.challenge, suite=suite or DEFAULT_SUITE)
    answer = await _post(session, target.url, presentation)
    credentials = credentials_in(answer)
    if credentials is None:
        raise ExchangeError("the issuer answered neither a credential nor a presentation",
                            code="invalidExchangeResponse")
    return credentials


async def claim(session: aiohttp.ClientSession, link: str, holder: HolderKey, *,
                suite: str | None = None) -> list[dict[str, Any]]:
    """Claim the credentials a link offers: a VC API exchange (DID authentication, then the issued
    credentials) or the legacy ``vc_request_url`` flow. Returns the credentials received (possibly none)."""
    target = await exchange_url_from_link(link, json_fetcher(session))
    if target.flow == "legacy":
        return await legacy_claim(session, target, holder, suite=suite)
    return (await run_exchange(session, target.url, holder, suite=suite)).credentials


async def present(session: aiohttp.ClientSession, link: str, holder: HolderKey,
                  credentials: Iterable[dict[str, Any]], *, suite: str | None = None) -> Any:
    """Answer a presentation request: the given credentials that match its queries, with DID authentication
    if asked. Returns the server's answer (``{}`` or ``{"redirectUrl": …}`` from vcnode)."""
    target = await exchange_url_from_link(link, json_fetcher(session))
    if target.flow == "legacy":
        raise LinkError("a legacy credential request link asks for no presentation")
    return (await run_exchange(session, target.url, holder, credentials, suite=suite)).response

"""The public verify page ``/`` (issue 15): paste, choose or drop a file, or give a URL; the node verifies the
credential or presentation (with recognition) and shows the result in human terms (:mod:`vcnode.web.verify_view`).

Routes:

- ``GET /``: the form (its wallet entry, ``verify/wallet_entry.html``, is where "Ask the learner's wallet" goes);
- ``POST /verify``: verify what was given and render the result (nothing is stored: no permalink);
- ``GET /verify/image``: a badge's https image, fetched by the node's guarded client and served sandboxed, so the
  page never loads anything from another site (only URLs this node put on a result page: they carry its MAC).

For other pages that show a result (the wallet's answer): :func:`verify_document` verifies a document and returns
the context of ``verify/result.html``; :func:`result_context` does the same for a report already made.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import orjson
from aiohttp import web
from multidict import MultiDictProxy

from vcnode.credentials.report import Report
from vcnode.envelopes import formats
from vcnode.envelopes.base import EnvelopeError
from vcnode.errors import FetchError, VcnodeError
from vcnode.exchanges.pathways import PresentationRejected, held_credentials, proven_holder
from vcnode.http.pathway_routes import EXCHANGE_KEY
from vcnode.http.ratelimit import rate_limited
from vcnode.sdjwt.verify import SdJwtVcOptions, verify_sd_jwt_vc
from vcnode.trust.service import RecognitionRequest
from vcnode.web import verify_input
from vcnode.web.pages import Page, page
from vcnode.web.verify_view import STATE_ICONS, STATES, Context, ResultView, build_result, state_word

#: JSON nested deeper than this is refused (as the JSON API does).
MAX_DEPTH = 64
IMAGE_PATH = "/verify/image"
#: Image types shown from an https URL, by their first bytes (SVG never: it is a document that can script).
_IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
                (b"GIF89a", "image/gif"))
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
IMAGE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
                 "Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer",
                 "Cross-Origin-Resource-Policy": "same-origin"}
_MAC_LABEL = "verify-image"


class Refused(VcnodeError):
    """What was given cannot be verified (not JSON, too large, unreachable URL): the form says why."""

    code = "cannotVerify"
    status = 400
    title = "Cannot verify this"


# --- names the node knows ------------------------------------------------------------------------------


def _statement_names(node: Any) -> dict[str, list[tuple[str, str | None]]]:
    """DID → [(name, who states it)] from the trust statements the node holds whose proof verified (a
    regulator names itself as issuer and the party it vouches for as subject), and the node's own identities."""
    names: dict[str, list[tuple[str, str | None]]] = {}

    def add(did: Any, name: Any, by: str | None) -> None:
        if isinstance(did, str) and isinstance(name, str) and name.strip():
            entry = (name.strip()[:500], by)
            if entry not in names.setdefault(did, []):
                names[did].append(entry)

    for summary in node.trust.statements():
        if summary.get("proof") != "verified" or not isinstance(summary.get("id"), str):
            continue
        document = node.trust.document(summary["id"]) or {}
        issuer = document.get("issuer")
        if isinstance(issuer, dict):
            add(issuer.get("id"), issuer.get("name"), issuer.get("id"))
        subject = document.get("credentialSubject")
        if isinstance(subject, dict):
            add(subject.get("id"), subject.get("name"), summary.get("issuer"))
    return names


class _NameCache:
    """The statements' names, rebuilt when the node's trust index changes (not on every page)."""

    def __init__(self) -> None:
        self.version: object = object()
        self.names: dict[str, list[tuple[str, str | None]]] = {}

    def get(self, node: Any) -> dict[str, list[tuple[str, str | None]]]:
        # Every statement indexed (new, replaced, its status confirmed) gives the index a new version.
        version = (id(node.trust.index), node.trust.index.version)
        if version != self.version:
            self.names, self.version = _statement_names(node), version
        return self.names


NAMES_KEY = web.AppKey("verify_page_names", _NameCache)


def _frameworks(node: Any, sections: Any) -> dict[str, str]:
    """Framework id → code for every framework a recognition section mentions (from the node's descriptors)."""
    wanted: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("framework", "creditFramework") and isinstance(item, str):
                    wanted.add(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(sections)
    out = {}
    for framework in wanted:
        found = node.trust.index.framework(framework)
        if found is not None:
            out[framework] = found.statement.code
    return out


def _context(current: Page, recognition: Any) -> Context:
    node = current.node
    app = current.request.app
    names: dict[str, list[tuple[str, str | None]]] = dict(app[NAMES_KEY].get(node))
    for identity in node.identities.list():
        if identity.name:
            names.setdefault(identity.did, []).append((identity.name, None))
    return Context(gettext=current.gettext, names=names, frameworks=_frameworks(node, recognition),
                   image_url=lambda url: image_path(current, url), locale=current.language.locale)


# --- images --------------------------------------------------------------------------------------------


def _mac(current: Page, url: str) -> str:
    return current.signer.mac(_MAC_LABEL, url)


def image_path(current: Page, url: str) -> str:
    """This node's URL of a badge image at an https ``url`` (carrying the node's MAC of the URL, so the route
    fetches only images this node put on a page, not any URL a visitor makes up)."""
    return IMAGE_PATH + "?" + urlencode({"url": url, "mac": _mac(current, url)})


def sniff_image(body: bytes) -> str | None:
    """The image type of ``body`` by its first bytes (PNG, JPEG, GIF, WebP), or None."""
    for magic, kind in _IMAGE_MAGIC:
        if body.startswith(magic):
            return kind
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    return None


async def _image(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /verify/image?url=…&mac=…``: the image, fetched through the guarded client, checked and served
    sandboxed; 403 without the node's MAC, 502 when it cannot be fetched or is not a raster image."""
    url, mac = request.query.get("url", ""), request.query.get("mac", "")
    if not url or not hmac.compare_digest(mac, _mac(current, url)):
        return web.Response(status=403, text="not an image this node showed", headers=IMAGE_HEADERS)
    limit = current.node.config.verify_page_image_max_bytes
    try:
        fetched = await current.node.fetcher.get(url, accept=", ".join(_IMAGE_TYPES))
    except FetchError as exc:
        return web.Response(status=502, text=f"image not fetched: {exc.code}", headers=IMAGE_HEADERS)
    declared = next((v for k, v in fetched.headers.items() if k.lower() == "content-type"), "")
    declared = declared.split(";", 1)[0].strip().lower()
    kind = sniff_image(fetched.body)
    if fetched.status != 200 or len(fetched.body) > limit or declared not in _IMAGE_TYPES or kind != declared:
        return web.Response(status=502, text="not a PNG, JPEG, GIF or WebP image within the size limit",
                            headers=IMAGE_HEADERS)
    return web.Response(body=fetched.body, content_type=kind, headers=IMAGE_HEADERS)


# --- reading what was given ----------------------------------------------------------------------------


def _too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            pending.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def parse_document(current: Page, raw: bytes | str) -> tuple[str, Any]:
    """What was given, as (kind, document): ``credential`` / ``presentation`` (a JSON object, an enveloped one
    made from a ``data:`` URL, a JOSE string or COSE bytes, or a VC-JWT 1.1 string) or ``sd-jwt`` (a compact
    SD-JWT VC); :class:`Refused` with a sentence for anything else (see :mod:`vcnode.web.verify_input`)."""
    _ = current.gettext
    limit = current.node.config.verify_page_max_bytes
    if len(raw) > limit:
        raise Refused(_("This is larger than the %(size)s KiB this page verifies.") % {"size": limit // 1024},
                      status=413, code="documentTooLarge")
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            if verify_input.looks_like_cose(raw):  # a COSE_Sign1 file (vc+cose is binary)
                return verify_input.cose_envelope(raw)
            raise Refused(_("This is not text: give a credential as JSON, a JWT or SD-JWT, a data: URL or a "
                            "COSE file.")) from None
    text = raw.strip().lstrip("\ufeff")
    if not text:
        raise Refused(_("Nothing was given to verify."), code="nothingGiven")
    if text.startswith(("{", "[")):
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise Refused(_("This is not valid JSON: %(error)s") % {"error": str(exc)[:200]}) from None
        if not isinstance(document, dict):
            raise Refused(_("Give one credential or presentation (a JSON object), not a list."))
        if _too_deep(document):
            raise Refused(_("The JSON is nested too deeply."))
        return verify_input.json_kind(document), document
    if text[:5].lower() == "data:":
        return _from_data_url(current, text)
    compact = "".join(text.split())
    if not verify_input.COMPACT.fullmatch(compact):
        raise Refused(_("This is not a credential this page reads: give JSON, a JWT or SD-JWT, or a data: URL "
                        "(paste the credential itself)."))
    found = verify_input.classify_compact(compact)
    if found.kind == "unreadable":
        raise Refused(_("This looks like a JWT, but its header cannot be read."), status=422,
                      code="unsupportedFormat")
    if found.kind == "no-credential":
        raise Refused(_("This is a JWT, but it carries no credential or presentation (no “vc” or “vp” claim and "
                        "no type saying it is one)."), status=422, code="unsupportedFormat")
    if found.media_type is not None and found.media_type not in formats():
        raise _unsupported(current, found.media_type)
    return found.kind, found.document


def _unsupported(current: Page, media_type: str) -> Refused:
    return Refused(current.gettext("This node does not read credentials of the type %(media_type)s.") % {
        "media_type": media_type[:80]}, status=422, code="unsupportedMediaType")


def _from_data_url(current: Page, text: str) -> tuple[str, Any]:
    """A pasted ``data:application/vc+…`` URL, as the enveloped credential (presentation) it is the id of."""
    _ = current.gettext
    try:
        kind, document = verify_input.data_url_envelope("".join(text.split()), len(text))
    except EnvelopeError:
        raise Refused(_("This data: URL is malformed: it must be data:<media type>[;base64],<data>.")) from None
    media_type = verify_input.media_type_of(document)
    if media_type not in formats():
        raise _unsupported(current, media_type)
    return kind, document


async def _from_url(current: Page, url: str) -> tuple[bytes, str]:
    """The document at ``url``, through the node's guarded outbound client (public https addresses only)."""
    _ = current.gettext
    try:
        fetched = await current.node.fetcher.get(url.strip(), accept="application/vc+ld+json, application/ld+json, "
                                                 "application/json, application/vc+jwt, application/vc+sd-jwt, "
                                                 "application/vc+cose, application/dc+sd-jwt;q=0.9, "
                                                 "application/jwt;q=0.9, */*;q=0.1")
    except FetchError as exc:
        if exc.code in ("urlRefused", "addressRefused"):
            raise Refused(_("This node does not fetch from that address (it fetches only public https "
                            "addresses): %(reason)s") % {"reason": exc.detail[:300]}, code=exc.code) from None
        if exc.code == "responseTooLarge":
            raise Refused(_("The document at that address is too large."), status=413, code=exc.code) from None
        raise Refused(_("The document could not be fetched: %(reason)s") % {"reason": exc.detail[:300]},
                      status=422, code=exc.code) from None
    if fetched.status != 200:
        raise Refused(_("The address answered with HTTP status %(status)s, not a document.") % {
            "status": fetched.status}, status=422, code="fetchFailed")
    return fetched.body, fetched.url


async def _given(current: Page, form: MultiDictProxy[Any]) -> tuple[bytes | str, str]:
    """The text to verify and a description of where it came from, by the way the person chose (the button
    they pressed; when that field is empty, the one way that was filled in)."""
    _ = current.gettext
    pasted = form.get("document")
    pasted = pasted if isinstance(pasted, str) and pasted.strip() else None
    upload = form.get("file")
    upload = upload if isinstance(upload, web.FileField) else None
    url = form.get("url")
    url = url.strip() if isinstance(url, str) and url.strip() else None
    way = form.get("way")
    filled = {"paste": pasted is not None, "file": upload is not None, "url": url is not None}
    if way not in filled or not filled[way]:
        chosen = [name for name, present in filled.items() if present]
        if len(chosen) != 1:
            raise Refused(_("Paste a credential, choose a file or give a URL (one of them).")
                          if not chosen else _("Use one way at a time: paste, a file or a URL."), code="nothingGiven")
        way = chosen[0]
    if way == "file" and upload is not None:
        return upload.file.read(current.node.config.verify_page_max_bytes + 1), _("File: %(name)s") % {
            "name": (upload.filename or "?")[:200]}
    if way == "url" and url is not None:
        body, final = await _from_url(current, url)
        return body, _("From %(url)s") % {"url": final[:500]}
    return pasted or "", _("Pasted")


# --- verifying ------------------------------------------------------------------------------------------


def result_context(current: Page, document: Any, report: Mapping[str, Any], recognition: Any, *,
                   kind: str = "credential", pathways: Any = None, pathway_notes: tuple[str, ...] = (),
                   source: str | None = None, solicited: bool = False) -> dict[str, Any]:
    """The context of ``verify/result.html`` for a report already made (its JSON), the recognition section and
    the document (a JSON object, or for ``sd-jwt`` the report's ``credential.claims``); ``solicited``: a
    presentation that answered this node's own request (see :func:`~vcnode.web.verify_view.build_result`)."""
    view = build_result(document, report, recognition, _context(current, recognition), kind=kind,
                        pathways=pathways, pathway_notes=pathway_notes, source=source, solicited=solicited)
    return view_context(current, view)


def view_context(current: Page, view: ResultView) -> dict[str, Any]:
    """What ``verify/result.html`` needs besides the view: each state's icon and word."""
    return {"result": view, "state_icons": STATE_ICONS,
            "state_words": {state: state_word(state, current.gettext) for state in STATES}}


async def verify_document(current: Page, document: Any, *, kind: str | None = None, pathways: bool = False,
                          source: str | None = None) -> dict[str, Any]:
    """Verify a credential or presentation (a JSON object, enveloped or not, or a VC-JWT 1.1 string with
    ``kind`` given) or an SD-JWT VC (a compact string) the way the verify page does, with recognition, and return
    the context of ``verify/result.html``. ``pathways``: also evaluate the pathways a presentation's credentials
    count towards (see :func:`_pathways`). Raises :class:`~vcnode.errors.VcnodeError` for what the node refuses
    to verify (over its limits: 413)."""
    node = current.node
    if kind is None:
        kind = "sd-jwt" if isinstance(document, str) else verify_input.json_kind(document) \
            if isinstance(document, dict) else "credential"
    if kind == "sd-jwt":
        verified = await verify_sd_jwt_vc(document, node.resolver, SdJwtVcOptions(
            key_binding="optional", status=node.status_checker,
            status_deadline=time.monotonic() + node.config.status_deadline))
        recognition = None
        if verified.issuer is not None and verified.verified:
            # Its issuer only: the EUDI claims are not mapped back to an achievement (levels are not read).
            recognition = (await node.trust.recognise({"issuer": {"id": verified.issuer},
                                                       "credentialSubject": {}})).to_json()
        return result_context(current, None, verified.to_json(), recognition, kind=kind, source=source)
    presentation = kind == "presentation"
    report: Report = await (node.credentials.verify_presentation(document, {}) if presentation
                            else node.credentials.verify_credential(document, {}))
    # What an envelope (and a presentation's enveloped credentials) secures is what the page shows and what
    # recognition reads, as the VC API does; one that does not open stays as given (the report says why).
    document = await node.credentials.unwrap(document, presentation=presentation)
    recognition = await node.trust.section(document, RecognitionRequest(), presentation=presentation)
    evaluation, notes = None, ()
    if pathways:
        evaluation, notes = await _pathways(current, document, report, presentation)
    return result_context(current, document, report.to_json(), recognition, kind=kind, pathways=evaluation,
                          pathway_notes=notes, source=source)


async def _pathways(current: Page, document: Any, report: Report, presentation: bool
                    ) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
    """The pathways a pasted presentation's verified credentials count towards (``POST /pathways/evaluate``
    without its challenge: the page says so), or why they were not evaluated."""
    _ = current.gettext
    if not presentation:
        return None, (_("Pathways are evaluated for a presentation (a learner's set of credentials), not for one "
                        "credential."),)
    try:
        holder = proven_holder(document, report)
    except PresentationRejected as exc:
        return None, (_("Pathways were not evaluated: the presentation does not prove who its holder is "
                        "(%(reason)s).") % {"reason": exc.detail[:300]},)
    exchange = current.request.app[EXCHANGE_KEY]
    evaluation = await exchange.evaluate_held(holder, held_credentials(document, report))
    note = _("Evaluated without a challenge from this node: the result shows what these credentials add up to, "
             "not that their holder presented them to you just now.")
    return evaluation.to_json(), (note,)


# --- the page -------------------------------------------------------------------------------------------


def _form_context(**extra: Any) -> dict[str, Any]:
    return {"error": None, "pasted": "", "url": "", "pathways_checked": False, **extra}


@rate_limited("pages")
@page
async def index(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /``: the verify page."""
    return current.render("verify/index.html", **_form_context())


@rate_limited("pages")
@page
async def verify(request: web.Request, current: Page) -> web.StreamResponse:
    """``POST /verify`` (multipart or urlencoded form): verify what was given and show the result; the form
    again, with a 4xx and the reason, when it cannot be verified."""
    _ = current.gettext
    pasted, url, wants_pathways = "", "", False
    try:
        try:
            form = await current.form()
        except web.HTTPRequestEntityTooLarge:
            raise Refused(_("What was sent is larger than this node accepts in one request."), status=413,
                          code="documentTooLarge") from None
        pasted = form.get("document") if isinstance(form.get("document"), str) else ""
        url = form.get("url") if isinstance(form.get("url"), str) else ""
        wants_pathways = form.get("pathways") == "on"
        raw, source = await _given(current, form)
        kind, document = parse_document(current, raw)
        context = await verify_document(current, document, kind=kind, pathways=wants_pathways, source=source)
    except Refused as exc:
        return current.render("verify/index.html", status=exc.status, **_form_context(
            error=exc.detail, pasted=pasted[:20_000], url=url[:2000], pathways_checked=wants_pathways))
    except VcnodeError as exc:
        if exc.status >= 500:
            raise
        return current.render("verify/index.html", status=exc.status, **_form_context(
            error=_("The node refused to verify this: %(reason)s") % {"reason": exc.detail[:500]},
            pasted=pasted[:20_000], url=url[:2000], pathways_checked=wants_pathways))
    return current.render("verify/verified.html", **context)


#: ``GET /verify/image``: a badge image from an https URL this node showed (see :func:`_image`).
image = rate_limited("pages")(page(_image))


@rate_limited("pages")
@page
async def verify_again(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /verify`` (the result page's language links, a reload): the form, in the language asked for."""
    return current.redirect("/" + ("?" + urlencode({"lang": current.language.tag}) if "lang" in request.query else ""))


def add_routes(app: web.Application) -> None:
    """Register the verify page's routes."""
    app[NAMES_KEY] = _NameCache()
    app.router.add_get("/", index)
    app.router.add_get("/verify", verify_again)
    app.router.add_post("/verify", verify)
    app.router.add_get(IMAGE_PATH, image)

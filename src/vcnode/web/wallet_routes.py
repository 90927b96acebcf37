"""Ask the learner's wallet from the verify page (issue 15).

A visitor of ``/`` presses "Ask the learner's wallet": the page creates a ``present`` exchange through the
node's exchange service (:mod:`vcnode.exchanges`), with a fixed request (an Open Badge, with DID
Authentication), the presentation kept in the result, and a short lifetime (``verify_wallet_ttl``); it needs
no API token, and gives no other power: the visitor chooses neither the workflow nor the query nor the time.
Creating one counts against the ``exchanges`` rate limit.

The visitor's browser is sent to ``/verify/wallet/<id>?key=<key>``, where ``key`` is an HMAC of the exchange id
with the node's exchange secret (under its own label): the exchange id alone is public (it is in the QR code
the learner scans) but only the browser that asked knows the key, so only it (or whoever it shares the URL
with) sees the result. The page shows the QR code and links for the wallet, waits (its script polls
``/verify/wallet/<id>/state``; without script a "Check again" button), and once the wallet answers shows the
presented badges as the verify page does: the stored presentation is verified again, with recognition.
"""

from __future__ import annotations

import base64
import hmac
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from vcnode.exchanges.links import ExchangeLinks
from vcnode.exchanges.model import Exchange, ExchangeNotFound, timestamp
from vcnode.exchanges.present import PresentWorkflow
from vcnode.exchanges.service import MAX_ID_LENGTH, ExchangeService
from vcnode.http.exchange_routes import EXCHANGES_KEY
from vcnode.http.ratelimit import rate_limited
from vcnode.trust.service import RecognitionRequest
from vcnode.web.pages import Page, page
from vcnode.web.verify_routes import result_context

#: The label the node's exchange secret is keyed with for the page's result keys (apart from every other use).
KEY_LABEL = "verify page wallet result"
#: What every wallet is asked for: an Open Badge (Query by Example) and DID Authentication, nothing else.
QUERY_TYPE = "OpenBadgeCredential"
#: States in which the exchange no longer changes.
FINISHED = ("complete", "expired", "invalid")


def N_(text: str) -> str:
    """Mark ``text`` for translation (it is translated where it is shown)."""
    return text


#: Shown by the learner's wallet beside the request (in the language of the visitor who asked).
REASON = N_("An employer on this verification page asks to see one of your Open Badges.")
#: What the waiting page says in each state (the script shows the same text when the state changes).
STATE_MESSAGES = {
    "pending": N_("Waiting for the learner's wallet. Ask the learner to scan the QR code with their wallet app."),
    "active": N_("The learner's wallet opened the request. Waiting for the learner to choose a badge and share "
                 "it."),
    "complete": N_("The learner's wallet answered."),
    "expired": N_("The request expired before the learner's wallet answered."),
    "invalid": N_("The request was closed: the wallet's answers were refused too many times, or the node's "
                  "operator cancelled it."),
}
REFUSED = N_("The wallet's last answer was refused (%(code)s). The learner can try again.")
SOURCE = N_("Shared by the learner's wallet (%(holder)s) for this request")
NOT_FOUND = N_("There is no such request for a wallet, or this link is incomplete. Ask the learner's wallet again "
               "from the verify page.")


async def result_key(service: ExchangeService, exchange_id: str) -> str:
    """The key that lets a browser see exchange ``exchange_id``'s result on the page."""
    return base64.urlsafe_b64encode(await service.mac(KEY_LABEL, exchange_id)).decode("ascii").rstrip("=")


async def _exchange(request: web.Request, current: Page) -> tuple[Exchange, str]:
    """The page's exchange named in the path, when the query's ``key`` is its key; otherwise a 404 page (the
    same for an unknown exchange and a wrong key: nothing tells whether the exchange exists)."""
    service: ExchangeService = request.app[EXCHANGES_KEY]
    exchange_id = request.match_info["exchange"]
    given = request.query.get("key", "")
    if len(exchange_id) > MAX_ID_LENGTH or not hmac.compare_digest(given.encode(), (
            await result_key(service, exchange_id)).encode()):
        raise ExchangeNotFound(current.gettext(NOT_FOUND))
    try:
        exchange = await service.get(PresentWorkflow.id, exchange_id)
    except ExchangeNotFound:
        raise ExchangeNotFound(current.gettext(NOT_FOUND)) from None
    return exchange, given


def _page_url(exchange: Exchange, key: str) -> str:
    return f"/verify/wallet/{exchange.id}?key={key}"


def _refused(current: Page, exchange: Exchange) -> str | None:
    """What the page says about the last refused answer of an open exchange, if any."""
    if exchange.state not in ("pending", "active") or exchange.record.last_error is None:
        return None
    problem = exchange.to_json().get("lastError") or {}
    code = problem.get("code") if isinstance(problem, dict) and isinstance(problem.get("code"), str) else "error"
    return current.gettext(REFUSED) % {"code": code[:80]}


def _wallet_links(links: ExchangeLinks) -> dict[str, Any]:
    """What the page offers the learner: the interaction URL (VC API), LCW's link, OpenID4VP when offered."""
    return {"interaction": links.interaction_url, "interaction_scheme": links.interaction_scheme,
            "lcw": links.lcw, "oid4vp": links.oid4vp}


@rate_limited("exchanges")
@page
async def ask(request: web.Request, current: Page) -> web.StreamResponse:
    """``POST /verify/wallet``: create the presentation request and go to its page."""
    await current.form()
    service: ExchangeService = request.app[EXCHANGES_KEY]
    expires = timestamp(service.clock() + current.node.config.verify_wallet_ttl)
    variables = {"query": {"type": QUERY_TYPE, "reason": current.gettext(REASON)}, "keepPresentation": True}
    exchange = await service.create(PresentWorkflow.id, {"expires": expires, "variables": variables})
    return current.redirect(_page_url(exchange, await result_key(service, exchange.id)))


@rate_limited("pages")
@page
async def show(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /verify/wallet/{exchange}?key=``: the QR code and links while waiting; the result once answered."""
    exchange, key = await _exchange(request, current)
    service: ExchangeService = request.app[EXCHANGES_KEY]
    context: dict[str, Any] = {"exchange_id": exchange.id, "key": key, "state": exchange.state,
                               "page_url": _page_url(exchange, key),
                               "state_url": f"/verify/wallet/{exchange.id}/state?key={key}",
                               "message": current.gettext(STATE_MESSAGES[exchange.state]),
                               "refused": _refused(current, exchange),
                               "expires": timestamp(exchange.record.expires)}
    if exchange.state in ("pending", "active"):
        links = service.links(exchange)
        context.update(links=_wallet_links(links), qr=f"/interactions/{exchange.id}/qr.svg",
                       qr_oid4vp=f"/interactions/{exchange.id}/qr.svg?link=oid4vp" if links.oid4vp else None,
                       expires_at=datetime.fromtimestamp(exchange.record.expires, UTC).strftime("%H:%M UTC"))
        return current.render("verify/wallet_wait.html", **context)
    if exchange.state == "complete":
        context.update(await _result(current, exchange))
        return current.render("verify/wallet_result.html", **context)
    return current.render("verify/wallet_closed.html", **context)


@rate_limited("pages")
@page
async def state(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /verify/wallet/{exchange}/state?key=``: ``{state, message, refused}`` for the waiting page's script
    (the same key as the page)."""
    exchange, _ = await _exchange(request, current)
    body = {"state": exchange.state, "finished": exchange.state in FINISHED,
            "message": current.gettext(STATE_MESSAGES[exchange.state]), "refused": _refused(current, exchange)}
    return web.json_response(body, headers={"Cache-Control": "no-store"})


async def _result(current: Page, exchange: Exchange) -> dict[str, Any]:
    """The context of a complete exchange's result: the wallet's presentation verified again as the verify page
    verifies (with recognition, so the cards are as full as for a pasted presentation), and bound again to
    this request by its challenge; an SD-JWT VC answered over OpenID4VP (no presentation kept) from the
    exchange's own report."""
    result = exchange.result if isinstance(exchange.result, dict) else {}
    lines = [line for line in result.get("credentials", []) if isinstance(line, dict)]
    context: dict[str, Any] = {"holder": exchange.record.holder, "nothing_presented": not lines,
                               "unmatched": any(line.get("matchesQuery") is False for line in lines)}
    presentation = result.get("presentation")
    source = current.gettext(SOURCE) % {"holder": exchange.record.holder or "?"}
    if isinstance(presentation, dict):
        node = current.node
        # The challenge is this exchange's: the presentation was made for this request, not copied from another.
        report = await node.credentials.verify_presentation(presentation, {"challenge": exchange.record.challenge})
        recognition = await node.trust.section(presentation, RecognitionRequest(), presentation=True)
        view = result_context(current, presentation, report.to_json(), recognition, kind="presentation",
                              source=source, solicited=True)
        return {**context, **view}
    if lines and lines[0].get("format") == "dc+sd-jwt":
        line = lines[0]
        report = {**(result.get("report") if isinstance(result.get("report"), dict) else {}),
                  "credential": {"format": "dc+sd-jwt", "claims": line.get("claims"),
                                 "disclosed": line.get("disclosed")}}
        sections = result.get("recognition")
        recognition = sections[0] if isinstance(sections, list) and sections and isinstance(sections[0], dict) \
            else None
        return {**context, **result_context(current, None, report, recognition, kind="sd-jwt", source=source)}
    return {**context, **result_context(current, {}, result.get("report") or {}, None, kind="presentation",
                                        source=source)}


def add_routes(app: web.Application) -> None:
    """Register these pages' routes."""
    app.router.add_post("/verify/wallet", ask)
    app.router.add_get("/verify/wallet/{exchange}", show)
    app.router.add_get("/verify/wallet/{exchange}/state", state)

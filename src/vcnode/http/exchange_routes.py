"""VC API workflows and exchanges over HTTP (VCALM): thin; the logic is in :mod:`vcnode.exchanges`.

The creator's side needs a bearer token (scope ``exchange``); the wallet's side is public (the exchange id in
the link is what admits a wallet) and counts against the ``exchanges`` rate limit.
"""

from __future__ import annotations

from aiohttp import web

from vcnode.errors import InvalidInput
from vcnode.exchanges.batch import claim_batch, manifest_csv, prepare_claims, read_learner_items
from vcnode.exchanges.service import ExchangeService
from vcnode.http.body import read_json_object
from vcnode.http.health_routes import NODE_KEY
from vcnode.http.negotiation import choose
from vcnode.http.problem import json_response, problem_response
from vcnode.http.ratelimit import rate_limited

EXCHANGES_KEY = web.AppKey("exchanges", ExchangeService)
_NO_STORE = {"Cache-Control": "no-store"}


def _ids(request: web.Request) -> tuple[ExchangeService, str, str]:
    return request.app[EXCHANGES_KEY], request.match_info["workflow"], request.match_info.get("exchange", "")


async def create_exchange(request: web.Request) -> web.Response:
    """``POST /workflows/{workflow}/exchanges`` (token, scope ``exchange``) ``{expires?, variables}`` → 201 the
    exchange with its URLs, every link form and QR codes; ``Location`` is the exchange URL."""
    service, workflow, _ = _ids(request)
    node = request.app[NODE_KEY]
    token = await node.tokens.authenticate(request.headers.get("Authorization"), "exchange")
    service.workflow(workflow)  # an unknown workflow is a 404 whatever the body
    body = await read_json_object(request)
    exchange = await service.create(workflow, body, authorize=lambda did: node.tokens.check_identity(token, did),
                                    acting_for=token.identity)
    view = await service.creator_view(exchange)
    return json_response(view, status=201, headers={"Location": view["exchangeUrl"], **_NO_STORE})


async def get_exchange(request: web.Request) -> web.Response:
    """``GET /workflows/{workflow}/exchanges/{exchange}`` (token, ``exchange`` or ``read``): state and result."""
    service, workflow, exchange_id = _ids(request)
    node = request.app[NODE_KEY]
    token = await node.tokens.authenticate(request.headers.get("Authorization"), ("exchange", "read"))
    exchange = await service.get(workflow, exchange_id, visible=lambda did: node.tokens.may_act_for(token, did))
    return json_response(await service.creator_view(exchange), headers=_NO_STORE)


async def cancel_exchange(request: web.Request) -> web.Response:
    """``DELETE /workflows/{workflow}/exchanges/{exchange}`` (token, ``exchange``): the link stops working."""
    service, workflow, exchange_id = _ids(request)
    node = request.app[NODE_KEY]
    token = await node.tokens.authenticate(request.headers.get("Authorization"), "exchange")
    exchange = await service.cancel(workflow, exchange_id, visible=lambda did: node.tokens.may_act_for(token, did))
    return json_response(service.view(exchange), headers=_NO_STORE)


@rate_limited("exchanges")
async def participate(request: web.Request) -> web.Response:
    """``POST /workflows/{workflow}/exchanges/{exchange}`` (public: the wallet) ``{}`` or
    ``{verifiablePresentation}``."""
    service, workflow, exchange_id = _ids(request)
    service.workflow(workflow)
    message = await read_json_object(request)
    return json_response(await service.participate(workflow, exchange_id, message), headers=_NO_STORE)


@rate_limited("exchanges")
async def credential_request(request: web.Request) -> web.Response:
    """``POST /workflows/claim/exchanges/{exchange}/credential-request`` (public): LCW's legacy
    ``vc_request_url``; a bare presentation in, the bare credential out."""
    # The workflow is fixed in this route's path (no {workflow} to match), so not read through _ids.
    service, exchange_id = request.app[EXCHANGES_KEY], request.match_info["exchange"]
    body = await read_json_object(request)
    return json_response(await service.credential_request(exchange_id, body), headers=_NO_STORE)


@rate_limited("exchanges")
async def protocols(request: web.Request) -> web.Response:
    """``GET /workflows/{workflow}/exchanges/{exchange}/protocols`` (public): ``{"protocols": {"vcapi"}}``."""
    service, workflow, exchange_id = _ids(request)
    exchange = await service.get(workflow, exchange_id)
    return json_response({"protocols": service.links(exchange).protocols})


@rate_limited("exchanges")
async def current_request(request: web.Request) -> web.Response:
    """``GET /workflows/{workflow}/exchanges/{exchange}/request`` (public): the current presentation request,
    without starting the exchange."""
    service, workflow, exchange_id = _ids(request)
    exchange = await service.get(workflow, exchange_id)
    return json_response(service.current_request(exchange), headers=_NO_STORE)


@rate_limited("exchanges")
async def interaction(request: web.Request) -> web.Response:
    """``GET /interactions/{exchange}?iuv=1`` (public): the interaction URL a QR code carries; answers the
    protocols that can continue the interaction."""
    service = request.app[EXCHANGES_KEY]
    body = await service.protocols(request.match_info["exchange"])
    return json_response(body, headers={"Vary": "Accept", **_NO_STORE})


_BATCH_MEMBERS = {"achievement", "learners", "issuer", "options", "expires"}
_BATCH_MEDIA = ("application/json", "text/csv")


async def create_claim_batch(request: web.Request) -> web.Response:
    """``POST /workflows/claim/batches`` (token, scope ``exchange``) ``{achievement, learners, issuer?, options?,
    expires?}`` → 201 a claim link per learner (``{"exchanges", "count"}``, or the manifest with ``Accept:
    text/csv``). Learners are checked as ``vcnode issue-batch --claims`` checks CSV rows; at most
    ``exchange_batch_max`` of them (413 ``batchTooLarge``). Running the same request again gives back the same
    links."""
    service = request.app[EXCHANGES_KEY]
    node = request.app[NODE_KEY]
    token = await node.tokens.authenticate(request.headers.get("Authorization"), "exchange")
    media = choose(request.headers.get("Accept", ""), _BATCH_MEDIA)
    if media is None:  # before anything is created
        return problem_response(406, "notAcceptable", "Accept one of: " + ", ".join(_BATCH_MEDIA))
    body = await read_json_object(request)
    unknown = sorted(set(body) - _BATCH_MEMBERS)
    if unknown:
        raise InvalidInput(f"unknown members: {', '.join(unknown)[:200]}; a batch is {{achievement, learners, "
                           "issuer?, options?, expires?}")
    issuer = body.get("issuer") or token.identity or node.identities.default_did
    node.tokens.check_identity(token, issuer.get("id") if isinstance(issuer, dict) else issuer)

    def where(row: int) -> str:
        return f"row {row} (learners[{row - 1}])"

    learners = read_learner_items(body.get("learners"), node.config.exchange_batch_max, where)
    batch = claim_batch(node, achievement=body.get("achievement"), issuer=issuer, options=body.get("options"),
                        expires=body.get("expires"))
    claims = [claim async for chunk in prepare_claims(
        service, batch, learners, first_row=1, where=where,
        authorize=lambda did: node.tokens.check_identity(token, did), acting_for=token.identity)
        for claim in chunk]
    headers = {"Vary": "Accept", **_NO_STORE}
    if media == "text/csv":
        return web.Response(body=manifest_csv(claims), status=201, content_type="text/csv", charset="utf-8",
                            headers=headers)
    return json_response({"exchanges": [claim.to_json() for claim in claims], "count": len(claims)}, status=201,
                         headers=headers)


@rate_limited("exchanges")
async def qr_image(request: web.Request) -> web.Response:
    """``GET /interactions/{exchange}/qr.{svg|png}[?link=lcwLegacy]`` (public): a QR code of the interaction
    URL (or of a claim's LCW legacy link), to print, mail or show on a page."""
    service = request.app[EXCHANGES_KEY]
    kind = request.match_info["kind"]
    link = request.query.get("link", "interaction")
    if link not in ("interaction", "lcwLegacy", "oid4vci", "oid4vp"):
        raise InvalidInput("link must be 'interaction' (the default), 'lcwLegacy', 'oid4vci' or 'oid4vp'")
    image = await service.qr_image(request.match_info["exchange"], kind, link)
    # The code carries the link, which admits a wallet: no shared cache may keep it.
    return web.Response(body=image, content_type="image/svg+xml" if kind == "svg" else "image/png",
                        headers={"Cache-Control": "private, max-age=3600"})


def add_routes(app: web.Application) -> None:
    """Register the workflow and exchange routes over the node's one exchange service, which the composition
    root (:mod:`vcnode.serve.app`) puts in ``app[EXCHANGES_KEY]`` first."""
    exchange = "/workflows/{workflow}/exchanges/{exchange}"
    app.router.add_post("/workflows/{workflow}/exchanges", create_exchange)
    app.router.add_get(exchange, get_exchange)
    app.router.add_post(exchange, participate)
    app.router.add_delete(exchange, cancel_exchange)
    app.router.add_get(exchange + "/protocols", protocols)
    app.router.add_get(exchange + "/request", current_request)
    app.router.add_post("/workflows/claim/exchanges/{exchange}/credential-request", credential_request)
    app.router.add_get("/interactions/{exchange}", interaction)
    app.router.add_get("/interactions/{exchange}/qr.{kind:svg|png}", qr_image)
    app.router.add_post("/workflows/claim/batches", create_claim_batch)




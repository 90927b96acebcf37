"""Presentation exchanges over HTTP: challenges, pathway evaluation and stacked awards (docs/pathways.md).

Thin: the exchange logic is in :mod:`vcnode.exchanges`.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from vcnode.exchanges.challenges import ChallengeService, TooManyChallenges
from vcnode.exchanges.pathways import PathwayExchange
from vcnode.http.body import BadRequest, read_json_object
from vcnode.http.health_routes import NODE_KEY
from vcnode.http.problem import json_response, problem_response
from vcnode.http.ratelimit import rate_limited

#: The node's challenges and pathway exchange (one each per application).
CHALLENGES_KEY = web.AppKey("challenges", ChallengeService)
EXCHANGE_KEY = web.AppKey("pathway_exchange", PathwayExchange)
PRESENTATION = "verifiablePresentation"


@rate_limited("exchanges")
async def create_challenge(request: web.Request) -> web.Response:
    """``POST /challenges`` (public) → 201 ``{"challenge", "expires"}``: a single-use challenge for a
    presentation, valid for ten minutes. 503 ``tooManyChallenges`` (with ``Retry-After``) when the node
    holds too many open ones."""
    try:
        challenge = await request.app[CHALLENGES_KEY].issue()
    except TooManyChallenges as exc:
        return problem_response(exc.status, exc.code, exc.detail, title=exc.title,
                                headers={"Retry-After": str(exc.extra.get("retryAfter", 60))})
    return json_response(challenge.to_json(), status=201, headers={"Cache-Control": "no-store"})


async def _body(request: web.Request) -> tuple[object, object]:
    body = await read_json_object(request)
    if PRESENTATION not in body:
        raise BadRequest(f"the body needs a '{PRESENTATION}' (signed with a challenge from POST /challenges)")
    return body[PRESENTATION], body.get("options")


@rate_limited("exchanges")
async def evaluate(request: web.Request) -> web.Response:
    """``POST /pathways/evaluate`` (public) ``{verifiablePresentation, options: {challenge, domain?,
    pathways?, provider?}}`` → 200 ``{holder, pathways: [result…], unavailable, warnings}``."""
    presentation, options = await _body(request)
    evaluation = await request.app[EXCHANGE_KEY].evaluate(presentation, options)
    return json_response(evaluation.to_json())


async def award(request: web.Request) -> web.Response:
    """``POST /pathways/award`` (token with ``issue``) ``{verifiablePresentation, options: {challenge,
    pathway, domain?, cryptosuite?}}`` → 201 ``{verifiableCredential}`` (200 when the same award was issued
    before); 409 ``pathwayNotSatisfied`` with the ``result``."""
    node = request.app[NODE_KEY]
    token = await node.tokens.authenticate(request.headers.get("Authorization"), "issue")
    presentation, options = await _body(request)
    issued = await request.app[EXCHANGE_KEY].award(presentation, options,
                                                   authorize=lambda did: node.tokens.check_identity(token, did))
    body = {"verifiableCredential": issued.credential, "pathway": issued.result.to_json()}
    response = json_response(body, status=201 if issued.created else 200)
    response.headers["Location"] = "/credentials/" + quote(issued.credential["id"], safe=":")
    return response


def add_routes(app: web.Application) -> None:
    """Register the exchange routes, with one challenge service and one pathway exchange for the node."""
    node = app[NODE_KEY]
    challenges = ChallengeService(node.store, clock=node.clock.time)
    app[CHALLENGES_KEY] = challenges
    app[EXCHANGE_KEY] = PathwayExchange(node, challenges)
    app.router.add_post("/challenges", create_challenge)
    app.router.add_post("/pathways/evaluate", evaluate)
    app.router.add_post("/pathways/award", award)

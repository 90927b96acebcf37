"""Trust over HTTP: publishing this node's statements, the statements it holds, its trust anchors."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from vcnode.errors import NotFound
from vcnode.http.body import BadRequest, optional_object, read_json_object
from vcnode.http.health_routes import NODE_KEY
from vcnode.http.problem import json_response
from vcnode.issuing.service import select_suite
from vcnode.node import Node


async def publish_statement(request: web.Request) -> web.Response:
    """``POST /trust/statements`` (token with ``issue``) ``{statement, options: {suite}}`` → 201
    ``{verifiableCredential}``: sign, anchor and replicate one of this node's trust statements."""
    node = request.app[NODE_KEY]
    token = await node.tokens.authenticate(request.headers.get("Authorization"), "issue")
    body = await read_json_object(request)
    if not isinstance(body.get("statement"), dict):
        raise BadRequest("the body needs a 'statement' object (a statement credential, see docs/trust.md)")
    options = optional_object(body, "options")
    # The identity checked is the one that signs: issuer as a string or as an object, or the default.
    signed = await node.publish_statement(body["statement"], suite=select_suite(options),
                                          authorize=lambda did: node.tokens.check_identity(token, did))
    response = json_response({"verifiableCredential": signed}, status=201)
    response.headers["Location"] = "/trust/statements/" + quote(signed["id"], safe=":/")
    return response


async def list_statements(request: web.Request) -> web.Response:
    """``GET /trust/statements``: every statement this node holds (its own and replicated), summarised with
    what its checks found."""
    trust = request.app[NODE_KEY].trust
    await trust.ready()
    return json_response({"statements": trust.statements()})


async def get_statement(request: web.Request) -> web.Response:
    """``GET /trust/statements/{id}``: a signed statement by its full id, or by the last path segment of
    one of this node's ids (``{base_url}/trust/statements/{id}``)."""
    node: Node = request.app[NODE_KEY]
    wanted = request.match_info["id"]
    await node.trust.ready()
    document = node.trust.document(wanted) or node.trust.document(f"{node.config.base_url}/trust/statements/{wanted}")
    if document is None:
        raise NotFound(f"this node holds no trust statement {wanted[:200]!r}")
    return json_response(document)


async def get_anchors(request: web.Request) -> web.Response:
    """``GET /trust/anchors``: the regulators this node trusts directly and its verifier framework."""
    node: Node = request.app[NODE_KEY]
    settings = node.trust.settings
    body: dict[str, Any] = {"anchors": list(settings.anchors), "framework": settings.verifier_framework,
                            "creditFramework": settings.verifier_credit_framework, "maxDepth": settings.max_depth,
                            "recognitionDefault": node.config.recognition_default,
                            "time": node.clock.now().isoformat()}
    return json_response(body)


def add_routes(app: web.Application) -> None:
    """Register the trust routes."""
    app.router.add_post("/trust/statements", publish_statement)
    app.router.add_get("/trust/statements", list_statements)
    app.router.add_get("/trust/statements/{id:.+}", get_statement)
    app.router.add_get("/trust/anchors", get_anchors)

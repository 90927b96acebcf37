"""Status lists over HTTP: the published lists (public) and status changes (VC API, ``status`` scope)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from vcnode.http.body import BadRequest, read_json_object
from vcnode.http.health_routes import NODE_KEY
from vcnode.http.problem import json_response, problem_response
from vcnode.status.entries import ENTRY_TYPE, LIST_TYPE
from vcnode.status.service import PublishedList, StatusListNotPublished
from vcnode.status.token_list import MEDIA_TYPE as TOKEN_MEDIA_TYPE

LIST_MEDIA_TYPE = "application/vc+ld+json"


def _not_published(exc: StatusListNotPublished) -> web.Response:
    """503 ``statusListNotPublished`` with ``Retry-After``: the node's background owner signs the list shortly."""
    return problem_response(exc.status, exc.code, exc.detail, title=exc.title,
                            headers={"Retry-After": str(exc.extra["retryAfter"])}, **exc.extra)


async def get_status_list(request: web.Request) -> web.Response:
    """``GET /status/{id}``: the signed status list credential, with ``ETag`` and ``Cache-Control``. 503
    ``statusListNotPublished`` (``Retry-After``) from a process that does not sign while no signed copy exists."""
    try:
        published: PublishedList = await request.app[NODE_KEY].status.published(request.match_info["id"])
    except StatusListNotPublished as exc:
        return _not_published(exc)
    headers = {"ETag": published.etag, "Cache-Control": f"public, max-age={published.max_age}"}
    if published.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=published.document, content_type=LIST_MEDIA_TYPE, headers=headers)


async def get_status_token(request: web.Request) -> web.Response:
    """``GET /status/{id}/token``: the list as a signed IETF Status List Token (``application/statuslist+jwt``),
    with ``ETag`` and ``Cache-Control``; 404 for a list no SD-JWT VC references; 503 ``statusListNotPublished`` as
    for the list."""
    try:
        published: PublishedList = await request.app[NODE_KEY].status.published_token(request.match_info["id"])
    except StatusListNotPublished as exc:
        return _not_published(exc)
    headers = {"ETag": published.etag, "Cache-Control": f"public, max-age={published.max_age}"}
    if published.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=published.document, content_type=TOKEN_MEDIA_TYPE, headers=headers)


def parse_status_change(body: dict[str, Any]) -> tuple[str, str, int, str | None]:
    """(credential id, purpose, new value, reason) from a VC API update-status request:
    ``{"credentialId", "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose"}, "status"}``
    where ``status`` is a boolean (true sets the entry) or, for message lists, the entry's integer value."""
    credential_id, entry, status = body.get("credentialId"), body.get("credentialStatus"), body.get("status")
    if not isinstance(credential_id, str) or not credential_id:
        raise BadRequest("the body needs 'credentialId' (the id of a credential this node issued)")
    if isinstance(entry, list) and len(entry) == 1:
        entry = entry[0]
    if not isinstance(entry, dict) or entry.get("type") not in (ENTRY_TYPE, LIST_TYPE):
        raise BadRequest(f"the body needs 'credentialStatus': {{\"type\": \"{ENTRY_TYPE}\", \"statusPurpose\": …}}")
    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        raise BadRequest("credentialStatus.statusPurpose must name the entry to change, e.g. 'revocation'")
    if isinstance(status, bool):
        value = int(status)
    elif isinstance(status, int) and 0 <= status < 256:
        value = status
    else:
        raise BadRequest("'status' must be true (set), false (clear) or, for a message list, the entry's value")
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise BadRequest("'reason' must be a string")
    return credential_id, purpose, value, reason


async def update_status(request: web.Request) -> web.Response:
    """``POST /credentials/status`` (token with ``status``): set or clear one status entry of a credential."""
    node = request.app[NODE_KEY]
    token = await node.tokens.authenticate(request.headers.get("Authorization"), "status")
    credential_id, purpose, value, reason = parse_status_change(await read_json_object(request))
    # Another identity's credential answers like a missing one (404) under a token bound to one identity.
    await node.credentials.get(credential_id, visible=lambda did: node.tokens.may_act_for(token, did))
    update = await node.status.update(credential_id, purpose, value, actor=f"token:{token.id}", reason=reason)
    return json_response(update.to_json())


def add_routes(app: web.Application) -> None:
    """Register the status routes."""
    app.router.add_get("/status/{id}", get_status_list)
    app.router.add_get("/status/{id}/token", get_status_token)
    app.router.add_post("/credentials/status", update_status)

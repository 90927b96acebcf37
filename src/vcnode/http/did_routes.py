"""DID routes: Universal-Resolver-compatible resolution and the node's own did:web documents and did:webvh logs."""

from __future__ import annotations

from urllib.parse import unquote

import orjson
from aiohttp import web

from vcnode.did import resolution as r
from vcnode.http.health_routes import NODE_KEY
from vcnode.http.negotiation import choose
from vcnode.http.problem import json_response, problem_response
from vcnode.http.ratelimit import rate_limited

RESOLVE_PREFIX = "/1.0/identifiers/"
_RESULT_LD = "application/ld+json"
# Offer order matters for */*: like the Universal Resolver, the default is the resolution result.
_OFFERED = (_RESULT_LD, "application/did-resolution", "application/json", r.DID_LD_JSON, r.DID_JSON)
_DOCUMENT_TYPES = (r.DID_LD_JSON, r.DID_JSON)


def did_from_path(raw_path: str) -> str:
    """The DID as sent. DIDs may contain %XX (did:web ports), so the raw path is kept unless the client
    percent-encoded the whole DID (``did%3Akey%3A…``) or double-encoded it (``%253A``)."""
    raw = raw_path.split("?", 1)[0][len(RESOLVE_PREFIX):]
    if not raw.startswith("did:") or "%25" in raw:
        return unquote(raw)
    return raw


def _resolution_members(code: str, message: str) -> dict:
    return {"didDocument": None, "didResolutionMetadata": {"error": code, "errorMessage": message},
            "didDocumentMetadata": {}}


@rate_limited("resolve")
async def resolve(request: web.Request) -> web.Response:
    """``GET /1.0/identifiers/{did}``: the DID Resolution HTTP(S) binding.

    Errors are RFC 9457 problems that also carry the resolution result members, so both problem-aware
    clients and Universal Resolver clients (reading ``didResolutionMetadata.error``) understand them.
    """
    wanted = choose(request.headers.get("Accept", ""), _OFFERED)
    if wanted is None:
        message = "Accept one of: " + ", ".join(_OFFERED)
        return problem_response(406, r.REPRESENTATION_NOT_SUPPORTED, message,
                                **_resolution_members(r.REPRESENTATION_NOT_SUPPORTED, message))
    did = did_from_path(request.raw_path)
    if request.query_string:  # DID parameters (did:webvh?versionTime=…) are part of the DID URL resolved
        did = f"{did}?{request.raw_path.split('?', 1)[1]}"
    result = await request.app[NODE_KEY].resolver.resolve(did)
    if result.error:
        return problem_response(r.HTTP_STATUS.get(result.error, 502), result.error,
                                result.resolution_metadata.get("errorMessage", result.error), **result.to_json())
    if result.did_document is None:  # deactivated: the DID Resolution HTTP binding answers 410 Gone
        return problem_response(410, "deactivated", f"{did[:200]} is deactivated", **result.to_json())
    if wanted in _DOCUMENT_TYPES:
        return json_response(result.did_document, content_type=wanted)
    content_type = r.RESOLUTION_MEDIA_TYPE if wanted == _RESULT_LD else wanted
    return web.Response(body=orjson.dumps(result.to_json()), headers={"Content-Type": content_type})


async def own_document(request: web.Request) -> web.Response:
    """``GET /.well-known/did.json`` and ``GET /{path}/did.json``: the node's did:web documents (for a did:webvh
    identity, the parallel did:web document of its current version)."""
    path = request.match_info.get("path", "")
    document = request.app[NODE_KEY].identities.document_at_path(path)
    if document is None:
        return problem_response(404, r.NOT_FOUND, f"no did:web document at {request.path[:200]}")
    return json_response(document, headers={"Cache-Control": "max-age=300"})


async def own_log(request: web.Request) -> web.Response:
    """``GET /.well-known/did.jsonl`` and ``GET /{path}/did.jsonl``: the logs of the node's did:webvh DIDs."""
    path = request.match_info.get("path", "")
    log = request.app[NODE_KEY].identities.log_at_path(path)
    if log is None:
        return problem_response(404, r.NOT_FOUND, f"no did:webvh log at {request.path[:200]}")
    return web.Response(body=log, headers={"Content-Type": "text/jsonl", "Cache-Control": "max-age=300"})


def add_routes(app: web.Application) -> None:
    """Register the DID routes."""
    app.router.add_get(RESOLVE_PREFIX + "{did:.+}", resolve)
    app.router.add_get("/.well-known/did.json", own_document)
    app.router.add_get("/{path:[A-Za-z0-9._/-]+}/did.json", own_document)
    app.router.add_get("/.well-known/did.jsonl", own_log)
    app.router.add_get("/{path:[A-Za-z0-9._/-]+}/did.jsonl", own_log)

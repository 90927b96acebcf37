"""DID routes: Universal-Resolver-compatible resolution and the node's own did:web documents and did:webvh logs."""

from __future__ import annotations

import re
from urllib.parse import unquote

import orjson
from aiohttp import web

from vcnode.did import resolution as r
from vcnode.did.resolver import SERVICE_PARAMETERS, Resolver
from vcnode.did.syntax import did_parameters, parse_did_url
from vcnode.http.health_routes import NODE_KEY
from vcnode.http.negotiation import choose
from vcnode.http.problem import json_response, problem_response
from vcnode.http.ratelimit import rate_limited

RESOLVE_PREFIX = "/1.0/identifiers/"
_RESULT_LD = "application/ld+json"
# Offer order matters for */*: like the Universal Resolver, the default is the resolution result in the older
# drafts' form (string error codes), which Universal Resolver clients and the did:key test suite read. The
# current specification's results are asked for by their own media types.
_OFFERED = (_RESULT_LD, r.DID_RESOLUTION, r.DID_URL_DEREFERENCING, "application/json", r.DID_LD_JSON, r.DID_JSON,
            r.DID_MEDIA_TYPE, r.URI_LIST)
_DOCUMENT_TYPES = (r.DID_LD_JSON, r.DID_JSON, r.DID_MEDIA_TYPE)
_SPEC_RESULTS = (r.DID_RESOLUTION, r.DID_URL_DEREFERENCING)
# A valid DID followed by what would start a path, query or fragment: a DID URL even when the rest is invalid.
_DID_PREFIX = re.compile(r"did:[a-z0-9]+:(?:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+"
                         r"(?=[/?#])")


def did_from_path(raw_path: str) -> str:
    """The DID or DID URL as sent. DIDs may contain %XX (did:web ports), so the raw path is kept unless the client
    percent-encoded the whole DID (``did%3Akey%3A…``) or double-encoded it (``%253A``), except that ``%23`` starts
    the fragment."""
    raw = raw_path.split("?", 1)[0][len(RESOLVE_PREFIX):]
    if not raw.startswith("did:") or "%25" in raw:
        return unquote(raw)
    # A DID URL sent with its colons as they are still has its fragment's # encoded (a path cannot carry one).
    did, encoded_hash, fragment = raw.partition("%23")
    return f"{did}#{unquote(fragment)}" if encoded_hash else raw


def split_request(raw_path: str, option_names: frozenset[str]) -> tuple[str, dict[str, str]]:
    """The DID or DID URL a request names, and its resolution options.

    The query's parameters that are resolution options a driver takes (``publicKeyFormat``…) are options, as the
    binding sends them; the others (``versionTime``, ``service``, ``relativeRef``…) are DID parameters of the DID
    URL, so both ``/1.0/identifiers/did:ex:1?service=files`` and the binding's percent-encoded form work."""
    did_url = did_from_path(raw_path)
    options: dict[str, str] = {}
    parameters = []
    for pair in (raw_path.split("?", 1)[1] if "?" in raw_path else "").split("&"):
        name, _, value = pair.partition("=")
        if not pair:
            continue
        if unquote(name) in option_names:
            options[unquote(name)] = unquote(value.replace("+", " "))
        else:
            parameters.append(pair)
    if parameters:
        did_url += ("&" if "?" in did_url else "?") + "&".join(parameters)
    return did_url, options


def _is_dereferencing(did_url: str, wanted: str) -> bool:
    """Whether a request is DID URL dereferencing rather than resolution (of a DID, or of one version of it)."""
    if wanted == r.DID_URL_DEREFERENCING:
        return True
    parsed = parse_did_url(did_url)
    if parsed is None:
        return _DID_PREFIX.match(did_url) is not None
    names = did_parameters(parsed.query or "") or {}
    return bool(parsed.path) or parsed.fragment is not None or bool(SERVICE_PARAMETERS & set(names))


def _error(code: str, message: str, error_type: str | None, body: dict) -> web.Response:
    status = r.http_status(code, error_type)
    # The problem's own members follow the node's convention (``type`` urn:vcnode:problem:<code>); the result
    # members beside them carry the error in the form the client asked for (an error object or a string code).
    return problem_response(status, code, message, **body)


@rate_limited("resolve")
async def resolve(request: web.Request) -> web.Response:
    """``GET /1.0/identifiers/{didUrl}``: the DID Resolution HTTP(S) binding, resolving a DID or dereferencing a
    DID URL.

    Errors are RFC 9457 problems that also carry the result members, so both problem-aware clients and DID
    resolution clients (reading ``didResolutionMetadata.error``) understand them.
    """
    wanted = choose(request.headers.get("Accept", ""), _OFFERED)
    if wanted is None:
        message = "Accept one of: " + ", ".join(_OFFERED)
        failed = r.Resolution.failure(r.REPRESENTATION_NOT_SUPPORTED, message)
        return problem_response(406, r.REPRESENTATION_NOT_SUPPORTED, message, didDocument=None,
                                didResolutionMetadata=failed.resolution_metadata, didDocumentMetadata={})
    resolver = request.app[NODE_KEY].resolver
    did_url, options = split_request(request.raw_path, resolver.option_names)
    if _is_dereferencing(did_url, wanted):
        return await _dereference(resolver, did_url, options, wanted)
    result = await resolver.resolve(did_url, options)
    spec = wanted in _SPEC_RESULTS
    body = result.to_spec_json() if spec else result.to_json()
    if result.error:
        metadata = result.resolution_metadata
        return _error(result.error, metadata.get("errorMessage", result.error), metadata.get("errorType"), body)
    if result.did_document is None:  # deactivated: the DID Resolution HTTP binding answers 410 Gone
        return problem_response(410, "deactivated", f"{did_url[:200]} is deactivated", **body)
    if wanted in _DOCUMENT_TYPES:
        return json_response(result.did_document, content_type=wanted)
    content_type = r.RESOLUTION_MEDIA_TYPE if wanted == _RESULT_LD else wanted
    return web.Response(body=orjson.dumps(body), headers={"Content-Type": content_type})


async def _dereference(resolver: Resolver, did_url: str, options: dict[str, str], wanted: str) -> web.Response:
    """The dereferencing half of the binding: 303 to a selected service endpoint URL, else the content or the
    dereferencing result (the current specification's, or the older drafts' form for the default media type)."""
    accept = wanted if wanted in _DOCUMENT_TYPES or wanted == r.URI_LIST else None
    result = await resolver.dereference_url(did_url, {**options, "accept": accept} if accept else options)
    spec = wanted in _SPEC_RESULTS
    body = result.to_json() if spec else result.to_legacy_json()
    if result.error:
        metadata = result.metadata
        return _error(result.error, metadata.get("errorMessage", result.error), metadata.get("errorType"), body)
    if result.content is None:  # deactivated
        return problem_response(410, "deactivated", f"{did_url[:200]} is deactivated", **body)
    if result.content_type == r.URI_LIST:  # the binding: 303 to the (first) selected URL, with an empty body
        return web.Response(status=303, headers={"Location": result.content.split("\r\n", 1)[0]})
    if spec:
        return web.Response(body=orjson.dumps(body), headers={"Content-Type": r.DID_URL_DEREFERENCING})
    if wanted == _RESULT_LD:
        return web.Response(body=orjson.dumps(body), headers={"Content-Type": r.RESOLUTION_MEDIA_TYPE})
    return json_response(result.content, content_type=wanted)


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

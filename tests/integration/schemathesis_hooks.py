"""Schemathesis extensions for tests/integration/schemathesis_run.py (loaded with ``SCHEMATHESIS_HOOKS``).

- ``errors_are_problems``: every 4xx/5xx answer is ``application/problem+json`` (RFC 9457) with the members
  every vcnode problem has, its ``status`` equal to the HTTP status and ``type`` made from ``code``; except on
  the OpenID4VCI and OpenID4VP OAuth endpoints, whose 4xx answers are OAuth errors
  (``{"error", "error_description"}``), and the learner's login page (``/authorize``), whose 4xx answers are
  HTML pages for a browser; a 405 or a 429, answered before the endpoint, stays a problem.
- Deserializers for the JSON media types schemathesis does not know (``application/did-resolution``), so
  those answers are checked against their schemas too instead of being skipped.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis

PROBLEM = "application/problem+json"
#: The OAuth endpoints (OpenID4VCI, OpenID4VP): their refusals are OAuth errors, not problems.
OAUTH_PATHS = {"/token", "/nonce", "/credential", "/workflows/present/exchanges/{exchange}/openid4vp/request",
               "/workflows/present/exchanges/{exchange}/openid4vp/response"}
#: Pages for a person's browser (the OpenID4VCI login page): their refusals are HTML pages.
HTML_PATHS = {"/authorize"}


@schemathesis.check
def errors_are_problems(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                        case: schemathesis.Case) -> bool | None:
    """An error answer is a vcnode problem."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip().lower()
    # 405 (a method the router has no route for) and 429 (the rate limiter) are answered before the endpoint.
    if case.path in HTML_PATHS and response.status_code < 500 and response.status_code not in (405, 429):
        if content_type != "text/html":
            raise AssertionError(f"{response.status_code} on a page is {content_type}, not text/html")
        return None
    if case.path in OAUTH_PATHS and response.status_code < 500 and response.status_code not in (405, 429):
        body = json.loads(response.content)
        if content_type != "application/json" or not isinstance(body.get("error"), str) \
                or not isinstance(body.get("error_description"), str):
            raise AssertionError(f"{response.status_code} on an OAuth endpoint is not an OAuth error: {body}")
        return None
    if content_type != PROBLEM:
        raise AssertionError(f"{response.status_code} answered as {content_type or 'no content type'}, not {PROBLEM}")
    body = json.loads(response.content)
    missing = [name for name in ("type", "title", "status", "detail", "code") if not body.get(name)]
    if missing:
        raise AssertionError(f"the problem lacks {', '.join(missing)}")
    if body["status"] != response.status_code or body["type"] != f"urn:vcnode:problem:{body['code']}":
        raise AssertionError(f"status {body['status']} / type {body['type']} do not match the answer")
    return None


@schemathesis.deserializer("application/did-resolution")
def did_resolution(ctx: schemathesis.DeserializationContext, response: schemathesis.Response) -> Any:
    """The DID Resolution media type is JSON without a ``+json`` suffix."""
    return json.loads(response.content)

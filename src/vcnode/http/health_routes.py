"""Liveness and readiness."""

from __future__ import annotations

from aiohttp import web

from vcnode import __version__
from vcnode.http.problem import json_response
from vcnode.node import Node

NODE_KEY: web.AppKey[Node] = web.AppKey("node", Node)


async def health(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return json_response({"status": "ok", "version": __version__})


async def ready(request: web.Request) -> web.Response:
    """Readiness: the store answers and keys are unlocked; 503 otherwise."""
    checks = await request.app[NODE_KEY].ready()
    ok = all(checks.values())
    return json_response({"status": "ready" if ok else "not ready", "checks": checks}, status=200 if ok else 503)


def add_routes(app: web.Application) -> None:
    """Register the health routes."""
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)

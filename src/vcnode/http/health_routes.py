"""Liveness and readiness."""

from __future__ import annotations

import os

from aiohttp import web

from vcnode import __version__
from vcnode.background.worker import Background
from vcnode.http.problem import json_response, problem_response
from vcnode.node import Node

NODE_KEY: web.AppKey[Node] = web.AppKey("node", Node)
#: The serving process's background work (absent in an application :func:`vcnode.serve.app.serve` did not start).
BACKGROUND_KEY: web.AppKey[Background] = web.AppKey("background", Background)


async def health(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return json_response({"status": "ok", "version": __version__})


async def ready(request: web.Request) -> web.Response:
    """Readiness: the store answers, keys are unlocked and the storage takes writes; otherwise a 503 problem
    naming the cause (``storageFull``, ``storageReadOnly``, ``notReady``) with the checks. ``background`` says
    whether this process runs the node's background work (``owner``) or not (``standby``), and ``pid`` which
    process answered (the workers of ``vcnode serve --workers`` share one port)."""
    readiness = await request.app[NODE_KEY].ready()
    background = request.app.get(BACKGROUND_KEY)
    role = {"pid": os.getpid()} if background is None else {"background": background.role, "pid": os.getpid()}
    if readiness.problem is None:
        return json_response({"status": "ready", "checks": readiness.checks, **role})
    problem = readiness.problem
    return problem_response(503, problem.code, problem.detail, title="Not ready", checks=readiness.checks, **role)


def add_routes(app: web.Application) -> None:
    """Register the health routes."""
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)

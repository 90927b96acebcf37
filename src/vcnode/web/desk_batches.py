"""The desk's CSV batches (issue 15)."""

from __future__ import annotations

from aiohttp import web


def add_routes(app: web.Application) -> None:
    """Register these pages' routes."""

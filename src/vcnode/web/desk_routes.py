"""The institution desk ``/desk`` (issue 15): filled in by the desk's work."""

from __future__ import annotations

from aiohttp import web


def add_routes(app: web.Application) -> None:
    """Register the desk's routes."""

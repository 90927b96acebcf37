"""Thin aiohttp routes over the domain packages, one module per area."""

"""HTTP content negotiation (RFC 9110 §12.5.1), enough for choosing between a few JSON types."""

from __future__ import annotations


def _parse(accept: str) -> list[tuple[str, float, int]]:
    entries = []
    for position, part in enumerate(accept.split(",")):
        fields = [field.strip() for field in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        quality = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        entries.append((media, quality, position))
    return entries


def choose(accept: str, offered: tuple[str, ...]) -> str | None:
    """The offered media type the client prefers, or None if none is acceptable.

    Higher q wins, then an exact match over a wildcard, then the client's order, then the offer order.
    An empty header accepts the first offer.
    """
    if not accept.strip():
        return offered[0]
    best: tuple[float, int, int, int] | None = None
    chosen = None
    for media, quality, position in _parse(accept):
        if quality <= 0:
            continue
        for rank, offer in enumerate(offered):
            if media in (offer, "*/*", offer.split("/")[0] + "/*"):
                key = (-quality, 0 if media == offer else 1, position, rank)
                if best is None or key < best:
                    best, chosen = key, offer
    return chosen

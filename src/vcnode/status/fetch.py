"""Getting status list documents: this node's own lists from its store, others through the guarded client."""

from __future__ import annotations

from vcnode.net.fetch import SafeFetcher, parse_max_age
from vcnode.status.check import Fetch, StatusListError
from vcnode.status.service import StatusService

ACCEPT = "application/vc+ld+json, application/vc, application/ld+json, application/json"


def list_fetcher(fetcher: SafeFetcher, own: StatusService | None = None) -> Fetch:
    """A :data:`Fetch` for status lists. The node's own lists are read locally (never over the network, and
    they are invalidated when they change, so no max-age applies)."""

    async def fetch(url: str) -> tuple[bytes, float | None]:
        list_id = own.list_id(url) if own is not None else None
        if list_id is not None:
            return (await own.published(list_id)).document, None  # type: ignore[union-attr]
        response = await fetcher.get(url, accept=ACCEPT)
        if response.status != 200:
            raise StatusListError("statusUnavailable", f"the status list {url[:200]} answered HTTP {response.status}")
        return response.body, parse_max_age(response.headers)

    return fetch

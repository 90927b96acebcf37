"""Getting status list documents: this node's own lists from its store, others through the guarded client."""

from __future__ import annotations

from vcnode.errors import FetchError, NotFound
from vcnode.net.fetch import SafeFetcher, parse_max_age
from vcnode.status.check import Fetch, FetchedList, StatusListError
from vcnode.status.service import StatusListNotPublished, StatusService
from vcnode.status.token_list import MEDIA_TYPE

ACCEPT = "application/vc+ld+json, application/vc, application/ld+json, application/json"


def list_fetcher(fetcher: SafeFetcher, own: StatusService | None = None) -> Fetch:
    """A :data:`Fetch` for status lists. The node's own lists are read locally (never over the network, and
    they are invalidated when they change, so no max-age applies)."""

    async def fetch(url: str) -> FetchedList:
        list_id = own.list_id(url) if own is not None else None
        if list_id is not None:
            try:
                published = await own.published(list_id)  # type: ignore[union-attr]
            except StatusListNotPublished as exc:  # a process that does not sign, before the owner has signed
                raise StatusListError("statusUnavailable", exc.detail) from None
            return FetchedList(published.document, None, {"source": "self"})
        try:
            response = await fetcher.get(url, accept=ACCEPT)
        except FetchError as exc:
            raise StatusListError("statusUnavailable", f"cannot fetch the status list {url[:200]}: {exc.detail}") \
                from None
        if response.status != 200:
            raise StatusListError("statusUnavailable", f"the status list {url[:200]} answered HTTP {response.status}")
        return FetchedList(response.body, parse_max_age(response.headers), {"source": "issuer"})

    return fetch


def token_list_fetcher(fetcher: SafeFetcher, own: StatusService | None = None) -> Fetch:
    """A :data:`Fetch` for IETF Status List Tokens: asks for ``application/statuslist+jwt`` through the guarded
    client. The node's own tokens are read locally, like its own lists."""

    async def fetch(url: str) -> FetchedList:
        list_id = own.token_list_id(url) if own is not None else None
        if list_id is not None:
            try:
                published = await own.published_token(list_id)  # type: ignore[union-attr]
            except NotFound:
                raise StatusListError("statusUnavailable", f"this node publishes no Status List Token {url[:200]}") \
                    from None
            except StatusListNotPublished as exc:
                raise StatusListError("statusUnavailable", exc.detail) from None
            return FetchedList(published.document, None, {"source": "self"})
        try:
            response = await fetcher.get(url, accept=MEDIA_TYPE)
        except FetchError as exc:
            raise StatusListError("statusUnavailable", f"cannot fetch the Status List Token {url[:200]}: "
                                  f"{exc.detail}") from None
        if response.status != 200:
            raise StatusListError("statusUnavailable", f"the Status List Token {url[:200]} answered HTTP "
                                  f"{response.status}")
        return FetchedList(response.body, parse_max_age(response.headers), {"source": "issuer"})

    return fetch

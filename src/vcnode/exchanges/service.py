"""Exchanges as stored state machines: create, read, and let a wallet take part (VC API "workflows and
exchanges", VCALM).

Nothing about an exchange is held in process memory: every step reads the exchange from the store and every
change is a compare-and-set inside a store transaction, so any process on the database can continue any
exchange and concurrent wallets cannot both complete one. An exchange's id and challenge are random (the
link is what lets a learner claim a credential, so it must not be guessable); exchanges created in bulk get
ids derived with a node secret from the caller's key (``key``), so a batch run again reuses its exchanges.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from cachetools import LRUCache

from vcnode.credentials.model import is_url
from vcnode.errors import InvalidInput
from vcnode.exchanges.claim import ClaimWorkflow
from vcnode.exchanges.links import ExchangeLinks, OpenId4VpLink, exchange_links, origin, qr_code, qr_png, qr_svg
from vcnode.exchanges.model import Exchange, ExchangeNotFound, InvalidMessage, UnknownWorkflow, closed, timestamp
from vcnode.exchanges.pathways import PresentationRejected
from vcnode.exchanges.present import PresentWorkflow
from vcnode.exchanges.records import ExchangeRecord
from vcnode.exchanges.workflows import UnsupportedDidMethod, Workflow
from vcnode.jsonld import canonicalize_jcs

if TYPE_CHECKING:
    from vcnode.node import Node

#: Longest exchange id accepted in a URL (ours are 22 characters; anything longer is not one of ours).
MAX_ID_LENGTH = 128
_ID_SECRET = "exchange_id_secret"
#: What the node's exchange secret is keyed with to derive a claim's tx_code (apart from exchange ids).
_TX_CODE_LABEL = "oid4vci tx_code"
#: QR codes kept made (an exchange's two renderings of one link each): a few MB at most.
QR_CACHE_SIZE = 512
#: An RFC 3339 date-time (the VC API's ``expires``), with its time zone.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII)
#: Members of a wallet's message besides the one that says what it is.
_MESSAGE_EXTRAS = {"referenceId"}


def _parse_expires(value: Any, now: float, default_ttl: float, max_ttl: float) -> float:
    if value is None:
        return now + default_ttl
    if not isinstance(value, str):
        raise InvalidInput("expires must be a date-time string such as 2027-01-31T00:00:00Z")
    if not _RFC3339.fullmatch(value):  # fromisoformat also reads ISO 8601 forms the VC API does not allow
        raise InvalidInput(f"expires is not an RFC 3339 date-time with a time zone (e.g. 2027-01-31T00:00:00Z): "
                           f"{value[:60]!r}")
    try:
        moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"expires is not a date-time: {value[:60]!r}") from None
    seconds = moment.timestamp()
    if seconds <= now:
        raise InvalidInput("expires is in the past")
    if seconds > now + max_ttl:
        raise InvalidInput(f"expires is more than {max_ttl / 86_400:g} days away (exchange_max_ttl)")
    return seconds


def _request_hash(workflow: str, variables: dict[str, Any]) -> str:
    return hashlib.sha256(canonicalize_jcs({"workflow": workflow, "variables": variables})).hexdigest()


class ExchangeService:
    """The node's workflows and their exchanges. ``clock`` gives Unix seconds. ``oid4vp_link`` builds the
    OpenID4VP link of a presentation exchange (the composition root passes
    :func:`vcnode.oid4vp.request.link_parameters`); without it presentation exchanges offer no such link, which
    is all a service that only makes claims (batch jobs, the CLI) needs."""

    def __init__(self, node: Node, *, clock: Callable[[], float] | None = None,
                 workflows: Sequence[Workflow] | None = None, oid4vp_link: OpenId4VpLink | None = None) -> None:
        self.node = node
        self.oid4vp_link = oid4vp_link
        self.clock = clock or node.clock.time  # Unix seconds; the node's clock unless a test moves its own
        found = workflows if workflows is not None else (ClaimWorkflow(node), PresentWorkflow(node))
        self.workflows: dict[str, Workflow] = {workflow.id: workflow for workflow in found}
        self._secret: bytes | None = None
        self._qr_cache: LRUCache[tuple[str, str], tuple[bytes, bytes]] = LRUCache(maxsize=QR_CACHE_SIZE)

    def workflow(self, workflow_id: str) -> Workflow:
        """The workflow with this id; :class:`UnknownWorkflow` (404) naming those offered."""
        try:
            return self.workflows[workflow_id]
        except KeyError:
            raise UnknownWorkflow(f"this node offers no workflow {workflow_id[:80]!r}; it offers "
                                  + ", ".join(sorted(self.workflows))) from None

    def links(self, exchange: Exchange) -> ExchangeLinks:
        """Every link form of ``exchange`` (LCW's legacy request link for claims, the OpenID4VP request for
        presentations once the node has an identity to sign it with)."""
        claim = exchange.workflow == ClaimWorkflow.id
        oid4vp = None
        if (self.oid4vp_link is not None and exchange.workflow == PresentWorkflow.id
                and self.node.identities.default_did is not None):
            oid4vp = self.oid4vp_link(self.node.config.base_url, self.node.identities.default_did, exchange)
        return exchange_links(self.node.config.base_url, exchange.workflow, exchange.id,
                              challenge=exchange.record.challenge if claim else None,
                              issuer=exchange.record.owner if claim else None, oid4vp=oid4vp)

    def view(self, exchange: Exchange) -> dict[str, Any]:
        """The exchange's state with its URLs, links and the URLs of its QR codes."""
        return {**exchange.to_json(), **self.links(exchange).to_json()}

    async def qr_image(self, exchange_id: str, kind: str, link: str = "interaction") -> bytes:
        """The QR code (``svg`` or ``png``) of an exchange's ``link`` (``interaction``, or ``lcwLegacy`` for a
        claim): made once per exchange and link (in a thread: 5-15 ms of CPU) and kept in a bounded cache, so
        asking again costs nothing. :class:`ExchangeNotFound` for an unknown exchange or a link it lacks."""
        if kind not in ("svg", "png"):
            raise InvalidInput("a QR code is an svg or a png")
        key = (exchange_id, link)
        codes = self._qr_cache.get(key)
        if codes is None:
            record = await self.node.store.get_exchange(exchange_id) if len(exchange_id) <= MAX_ID_LENGTH else None
            text = self.links(Exchange(record, self.clock())).qr_text(link) if record is not None else None
            if text is None:
                raise ExchangeNotFound(f"no exchange {exchange_id[:120]} with a {link[:40]!r} link")

            def render() -> tuple[bytes, bytes]:
                code = qr_code(text)
                return qr_svg(text, code), qr_png(text, code=code)

            codes = await asyncio.to_thread(render)
            self._qr_cache[key] = codes
        return codes[0] if kind == "svg" else codes[1]

    async def _mac(self, message: str) -> bytes:
        if self._secret is None:  # stored once and never changed (ensure_meta is insert-once): safe to keep
            self._secret = bytes.fromhex(await self.node.store.ensure_meta(_ID_SECRET, secrets.token_hex(32)))
        return hmac.new(self._secret, message.encode("utf-8"), hashlib.sha256).digest()

    async def mac(self, label: str, message: str) -> bytes:
        """HMAC-SHA256 with the node's exchange secret (in the store, so every process agrees) of ``message``
        under ``label`` (one label per use: the OpenID4VCI issuer_state and login form tokens)."""
        return await self._mac(f"{label}\n{message}")

    async def _id_for(self, key: str) -> str:
        digest = await self._mac(key)
        return base64.urlsafe_b64encode(digest[:16]).decode("ascii").rstrip("=")  # 128 bits, like a random id

    async def tx_code(self, exchange_id: str) -> str:
        """A claim's OpenID4VCI ``tx_code``: ``oid4vci_tx_code_length`` digits derived with the node's secret
        from the exchange id, so the creator can be shown it again (a batch run again, ``GET`` the exchange)
        and nothing but the secret is stored; it is never in any link."""
        length = self.node.config.oid4vci_tx_code_length
        digest = await self._mac(f"{_TX_CODE_LABEL}\n{exchange_id}")
        return str(int.from_bytes(digest[:8], "big") % 10 ** length).zfill(length)

    async def creator_view(self, exchange: Exchange) -> dict[str, Any]:
        """:meth:`view` for the exchange's creator: a claim's view adds its OpenID4VCI ``txCode``, the PIN to
        send the learner by another channel than the link."""
        body = self.view(exchange)
        if exchange.workflow == ClaimWorkflow.id:
            body["txCode"] = await self.tx_code(exchange.id)
        return body

    async def keyed_id(self, workflow_id: str, key: str) -> str:
        """The id :meth:`create_many` gives an exchange of ``workflow_id`` created under ``key``."""
        return await self._id_for(f"{workflow_id}\n{key}")

    async def create(self, workflow_id: str, body: Any, *, authorize: Callable[[str | None], None] | None = None,
                     acting_for: str | None = None) -> Exchange:
        """A new exchange from a ``POST /workflows/{w}/exchanges`` body ``{expires?, variables}``.
        ``authorize`` is called with the identity a claim issues as and raises to refuse; an exchange that
        issues nothing belongs to ``acting_for`` (the identity of the creator's token; None for any)."""
        [exchange] = await self.create_many(workflow_id, [(None, body)], authorize=authorize, acting_for=acting_for)
        return exchange

    async def create_many(self, workflow_id: str, items: Sequence[tuple[str | None, Any]], *,
                          authorize: Callable[[str | None], None] | None = None,
                          acting_for: str | None = None, thorough: bool = True) -> list[Exchange]:
        """New exchanges in one store transaction, from ``(key, body)`` pairs (see :meth:`create`): with a
        key (a batch row), the id is derived from it, and the same key and variables give back the exchange
        made before; a key reused with other variables is refused (``exchangeIdInUse``). ``thorough=False``
        skips the costly checks of each exchange's variables (a batch that made them once for all rows)."""
        workflow = self.workflow(workflow_id)
        now = self.clock()
        domain = origin(self.node.config.base_url)
        records = []
        for key, body in items:
            if not isinstance(body, dict):
                raise InvalidInput("the body must be a JSON object: {expires?, variables}")
            unknown = sorted(set(body) - {"expires", "variables"})
            if unknown:
                raise InvalidInput(f"unknown members: {', '.join(unknown)[:200]}; an exchange is created with "
                                   "{expires?, variables}")
            variables = body.get("variables", {})
            if not isinstance(variables, dict):
                raise InvalidInput("variables must be a JSON object")
            redirect = variables.get("redirectUrl")
            if redirect is not None and not (isinstance(redirect, str) and is_url(redirect)
                                             and redirect.startswith(("https://", "http://"))):
                raise InvalidInput("variables.redirectUrl must be an http(s) URL")
            prepared = workflow.prepare(variables, thorough=thorough)
            if authorize is not None and prepared.owner is not None:
                authorize(prepared.owner)
            expires = _parse_expires(body.get("expires"), now, prepared.ttl, self.node.config.exchange_max_ttl)
            exchange_id = await self._id_for(f"{workflow.id}\n{key}") if key is not None \
                else secrets.token_urlsafe(16)
            records.append(ExchangeRecord(
                exchange_id, workflow.id, "pending", 0, now, expires, secrets.token_urlsafe(24), domain,
                prepared.owner or acting_for, orjson.dumps(variables).decode(), _request_hash(workflow.id, variables)))
        stored = await self.node.store.add_exchanges(records)
        return [Exchange(record, now) for record in stored]

    async def get(self, workflow_id: str, exchange_id: str, *,
                  visible: Callable[[str | None], bool] | None = None) -> Exchange:
        """The exchange as it is now; :class:`ExchangeNotFound` alike for an unknown id, another workflow's
        and (with ``visible``) one the caller may not see."""
        self.workflow(workflow_id)
        record = await self.node.store.get_exchange(exchange_id) if len(exchange_id) <= MAX_ID_LENGTH else None
        if record is None or record.workflow != workflow_id or (visible is not None and not visible(record.owner)):
            raise ExchangeNotFound(f"the workflow {workflow_id[:80]} has no exchange {exchange_id[:120]}")
        return Exchange(record, self.clock())

    async def protocols(self, exchange_id: str) -> dict[str, Any]:
        """``{"protocols": {"vcapi": <exchange URL>}}``: what an interaction URL answers."""
        record = await self.node.store.get_exchange(exchange_id) if len(exchange_id) <= MAX_ID_LENGTH else None
        if record is None:
            raise ExchangeNotFound(f"no exchange {exchange_id[:120]}: the link is wrong or was never made here")
        return {"protocols": self.links(Exchange(record, self.clock())).protocols}

    def current_request(self, exchange: Exchange) -> dict[str, Any]:
        """The verifiable presentation request of an open exchange, without starting it."""
        self._open(exchange)
        return {"verifiablePresentationRequest": self.workflow(exchange.workflow).request(exchange,
                                                                                        self.links(exchange))}

    def _open(self, exchange: Exchange) -> None:
        if exchange.state not in ("pending", "active"):
            raise closed(exchange.id, exchange.state)

    async def participate(self, workflow_id: str, exchange_id: str, message: Any) -> dict[str, Any]:
        """A wallet's message: ``{}`` starts (or resumes) the exchange and gets the verifiable presentation
        request; ``{verifiablePresentation}`` answers it. See :meth:`accept` for what can be refused."""
        exchange = await self.get(workflow_id, exchange_id)
        if not isinstance(message, dict):
            raise InvalidMessage("a wallet's message is a JSON object: {} to start, {verifiablePresentation} "
                                 "to answer")
        kinds = set(message) - _MESSAGE_EXTRAS
        if not kinds:
            self._open(exchange)
            if exchange.state == "pending":  # a wallet resuming an active exchange writes nothing
                record = await self.node.store.start_exchange(exchange.id, exchange.now)
                exchange = Exchange(record or exchange.record, exchange.now)
                self._open(exchange)
            workflow = self.workflow(workflow_id)
            return {"verifiablePresentationRequest": workflow.request(exchange, self.links(exchange))}
        if kinds != {"verifiablePresentation"}:
            raise InvalidMessage(f"this exchange takes {{}} or {{verifiablePresentation}}, not "
                                 f"{', '.join(sorted(kinds))[:120]}")
        presentation = message["verifiablePresentation"]
        if not isinstance(presentation, dict):
            raise InvalidMessage("verifiablePresentation must be one presentation (a JSON object)")
        return await self.accept(exchange, presentation)

    async def accept(self, exchange: Exchange, presentation: dict[str, Any], *, legacy: bool = False) -> dict[str, Any]:
        """Hand the presentation to the exchange's workflow. Refused (4xx, the exchange stays open and counts
        the attempt, keeping the problem as ``lastError``): a presentation whose own proof fails (wrong
        challenge or domain, no proof by its holder) or whose holder's DID method is not resolved; 409/410
        when the exchange is complete, cancelled or expired (also when another wallet completed it first) — a
        complete claim is still handed the presentation, to answer its own holder's retry."""
        workflow = self.workflow(exchange.workflow)
        if not (exchange.state == "complete" and workflow.answers_when_complete):
            self._open(exchange)
        try:
            reply = await workflow.accept(exchange, presentation, legacy=legacy)
        except (PresentationRejected, UnsupportedDidMethod) as exc:
            await self.refuse(exchange, exc.code, exc.detail, exc.status)
            raise
        return reply.body

    async def refuse(self, exchange: Exchange, code: str, detail: str, status: int) -> None:
        """Record a refused presentation: the exchange stays open, counts the attempt and keeps the problem as
        its ``lastError`` (too many attempts make it ``invalid``)."""
        problem = {"code": code, "detail": detail, "status": status, "at": timestamp(exchange.now)}
        await self.node.store.refuse_presentation(exchange.id, orjson.dumps(problem).decode())

    async def credential_request(self, exchange_id: str, body: Any) -> dict[str, Any]:
        """LCW's legacy credential request (``vc_request_url``): the body is a bare presentation signed with
        the claim's challenge (no domain); the answer is the bare credential."""
        exchange = await self.get(ClaimWorkflow.id, exchange_id)
        if isinstance(body, dict) and set(body) - _MESSAGE_EXTRAS == {"verifiablePresentation"}:
            body = body["verifiablePresentation"]
        if not isinstance(body, dict) or "proof" not in body:
            raise InvalidMessage("the body must be a presentation signed with the challenge of the claim link")
        return await self.accept(exchange, body, legacy=True)

    async def cancel(self, workflow_id: str, exchange_id: str, *,
                     visible: Callable[[str | None], bool] | None = None) -> Exchange:
        """Make an open exchange ``invalid`` (its link stops working); 409/410 when it is already closed."""
        exchange = await self.get(workflow_id, exchange_id, visible=visible)
        state = await self.node.store.cancel_exchange(exchange.id, self.clock())
        if state != "completed":
            raise closed(exchange.id, state)
        return await self.get(workflow_id, exchange_id)


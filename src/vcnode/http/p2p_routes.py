"""Peer-to-peer over HTTP: the gossip endpoint, and a public summary of what the node holds."""

from __future__ import annotations

from aiohttp import web

from vcnode import metrics
from vcnode.anchor.entries import AnchorError, position
from vcnode.errors import VcnodeError
from vcnode.http.body import read_json_object
from vcnode.http.health_routes import NODE_KEY
from vcnode.http.problem import json_response
from vcnode.p2p.gossip import MessageRefused
from vcnode.p2p.http import MESSAGE_PATH

_STATUS = {"rateLimited": 429, "badSignature": 401, "replayed": 409}


class PeerMessageRefused(VcnodeError):
    """A gossip message was refused."""

    code = "messageRefused"
    status = 400
    title = "Message refused"


async def message(request: web.Request) -> web.Response:
    """``POST /p2p/v1/message``: one signed gossip message; the answer is JSON."""
    gossip = request.app[NODE_KEY].gossip
    if gossip is None:
        raise PeerMessageRefused("this node does not take part in gossip", code="p2pDisabled", status=404)
    body = await read_json_object(request)
    try:
        answer = await gossip.handle(body, request.remote or "unknown")
    except MessageRefused as exc:
        metrics.gossip_message("in", body.get("type"), exc.code)
        raise PeerMessageRefused(str(exc), code=exc.code, status=_STATUS.get(exc.code, 400)) from None
    except AnchorError as exc:
        metrics.gossip_message("in", body.get("type"), exc.code)
        raise PeerMessageRefused(exc.message, code=exc.code, status=422) from None
    metrics.gossip_message("in", body.get("type"), "ok")
    return json_response(answer)


async def summary(request: web.Request) -> web.Response:
    """``GET /p2p/v1/status``: the logs this node holds (head positions), peers whose DID was proved at their
    URL, and proofs of equivocation."""
    node = request.app[NODE_KEY]
    heads = []
    for head in await node.anchors.store.heads():
        log, seq, cid = position(head)
        heads.append({"log": log, "seq": seq, "entry": cid})
    peers = [{"url": p.url, "did": p.did, "score": p.score, "source": p.source}
             for p in (node.gossip.peers.verified() if node.gossip else [])]
    return json_response({"did": node.identities.default_did, "heads": heads, "peers": peers,
                          "equivocations": await node.anchors.store.equivocations()})


def add_routes(app: web.Application) -> None:
    """Register the peer-to-peer routes."""
    app.router.add_post(MESSAGE_PATH, message)
    app.router.add_get("/p2p/v1/status", summary)

"""Every link form a wallet accepts for one exchange, and QR codes of them.

- the **exchange URL** (``<base>/workflows/<w>/exchanges/<x>``): the VC API endpoint the wallet posts to;
- the **interaction URL** (``<base>/interactions/<x>?iuv=1``, VCALM "Interaction URL Format"): what a QR code
  carries; fetched with ``Accept: application/json`` it answers ``{"protocols": {"vcapi": <exchange URL>}}``;
- ``interaction:<interaction URL>``: the VCALM scheme that opens a native wallet app;
- the Learner Credential Wallet's universal link ``https://lcw.app/request?request=<JSON>`` carrying the same
  protocols object (LCW ``walletRequestApi.parseWalletApiUrl``);
- for claims, LCW's legacy credential request link ``https://lcw.app/request?issuer=…&auth_type=bearer&
  challenge=…&vc_request_url=…`` (LCW ``credentialRequest.requestCredential``): the wallet posts a bare
  presentation signed with the challenge (no domain) to ``vc_request_url`` and gets the credential back;
- for claims, the OpenID4VCI credential offer ``openid-credential-offer://?credential_offer_uri=<exchange
  URL>/credential-offer`` (also ``OID4VCI`` in the protocols object): an OpenID wallet fetches the offer, with a
  pre-authorised code, and needs the claim's ``tx_code`` (sent to the learner another way) to redeem it;
- for presentations, the OpenID4VP authorisation request ``openid4vp://?client_id=…&request_uri=<exchange
  URL>/openid4vp/request`` (also ``OID4VP`` in the protocols object; the unsigned ``redirect_uri:`` form carries
  the whole request in the link instead), see :mod:`vcnode.oid4vp.request`.

Pure, apart from rendering QR codes (segno: no dependencies, PNG and SVG). The node serves the codes at
``<base>/interactions/<id>/qr.svg`` and ``.png`` (``?link=lcwLegacy`` for the legacy link) rather than in
every answer: making one costs 5-15 ms (segno scores eight masks to pick the most readable).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

import orjson
import segno

from vcnode.exchanges.model import Exchange

#: LCW's universal link prefix for requests (LCW app.config.js ``LinkConfig.schemes``).
LCW_REQUEST = "https://lcw.app/request"
INTERACTION_SCHEME = "interaction:"
#: The OpenID4VCI credential offer scheme (OID4VCI 1.0 section 4.1.3, ``credential_offer_uri`` by reference).
OFFER_SCHEME = "openid-credential-offer://"
#: The OpenID4VP authorisation request scheme (OID4VP 1.0 section 13.1).
OID4VP_SCHEME = "openid4vp://"
#: Error correction of the QR codes: "M" (15 %) keeps an emailed or printed code readable when slightly damaged
#: while staying small for an interaction URL.
QR_ERROR = "m"


class OpenId4VpLink(Protocol):
    """A port: the query of a presentation exchange's ``openid4vp://`` link (``client_id`` and
    ``request_uri``, or the whole unsigned request), for the node at ``base_url`` whose identity is ``did``.

    Declared here, where links are made, and implemented by :func:`vcnode.oid4vp.request.link_parameters`: the
    OpenID4VP package builds on exchanges, so exchanges must not import it back; the composition root
    (:mod:`vcnode.serve.app`) hands the implementation to the :class:`~vcnode.exchanges.service.ExchangeService`.
    """

    def __call__(self, base_url: str, did: str, exchange: Exchange) -> dict[str, str]:
        """The link's query parameters, each value a string."""
        ...


def origin(base_url: str) -> str:
    """``scheme://host[:port]`` of the node's base URL: the ``domain`` a wallet signs its presentations for."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class ExchangeLinks:
    """The URLs of one exchange."""

    exchange_url: str
    interaction_url: str
    protocols: dict[str, str]
    credential_request_url: str | None = None  # claims only (LCW's legacy flow)
    issuer: str | None = None
    challenge: str | None = None
    credential_offer_uri: str | None = None  # claims only (OpenID4VCI)
    oid4vp_parameters: tuple[tuple[str, str], ...] | None = None  # presentations only (OpenID4VP)

    @property
    def oid4vp(self) -> str | None:
        """``openid4vp://?client_id=…&request_uri=…`` (presentations only)."""
        if self.oid4vp_parameters is None:
            return None
        return f"{OID4VP_SCHEME}?{urlencode(self.oid4vp_parameters, quote_via=quote)}"

    @property
    def oid4vci(self) -> str | None:
        """``openid-credential-offer://?credential_offer_uri=…`` (claims only)."""
        if self.credential_offer_uri is None:
            return None
        return f"{OFFER_SCHEME}?{urlencode({'credential_offer_uri': self.credential_offer_uri}, quote_via=quote)}"

    @property
    def qr_base(self) -> str:
        """``<base>/interactions/<id>/qr``: where the node serves QR codes of these links."""
        return self.interaction_url.split("?", 1)[0] + "/qr"

    def qr_urls(self, link: str = "interaction") -> dict[str, str]:
        """URLs of the SVG and PNG QR codes of ``link`` (``interaction``, or ``lcwLegacy`` for claims)."""
        query = "" if link == "interaction" else f"?link={link}"
        return {"svg": f"{self.qr_base}.svg{query}", "png": f"{self.qr_base}.png{query}"}

    def qr_text(self, link: str) -> str | None:
        """What the QR code of ``link`` encodes; None when the exchange has no such link."""
        return {"interaction": self.interaction_url, "lcwLegacy": self.lcw_legacy, "oid4vci": self.oid4vci,
                "oid4vp": self.oid4vp}.get(link)

    @property
    def interaction_scheme(self) -> str:
        """``interaction:<interaction URL>`` (VCALM "Interaction Scheme Format")."""
        return INTERACTION_SCHEME + self.interaction_url

    @property
    def lcw(self) -> str:
        """LCW's universal link with the protocols object (opens the app on a phone that has it)."""
        message = {"credentialRequestOrigin": origin(self.exchange_url), "protocols": self.protocols}
        return f"{LCW_REQUEST}?{urlencode({'request': orjson.dumps(message).decode()}, quote_via=quote)}"

    @property
    def lcw_legacy(self) -> str | None:
        """LCW's legacy credential request link (claims only)."""
        if self.credential_request_url is None or self.issuer is None or self.challenge is None:
            return None
        query = {"issuer": self.issuer, "auth_type": "bearer", "challenge": self.challenge,
                 "vc_request_url": self.credential_request_url}
        return f"{LCW_REQUEST}?{urlencode(query, quote_via=quote)}"

    def to_json(self) -> dict[str, Any]:
        """``exchangeUrl``, ``interactionUrl``, ``protocols``, ``links`` (every form a wallet accepts) and
        ``qr`` (URLs of QR code images of the interaction URL; ``qrLcwLegacy`` of the legacy link)."""
        links = {"interaction": self.interaction_scheme, "lcw": self.lcw}
        body: dict[str, Any] = {"exchangeUrl": self.exchange_url, "interactionUrl": self.interaction_url,
                                "protocols": self.protocols, "links": links, "qr": self.qr_urls()}
        if self.lcw_legacy is not None:
            links["lcwLegacy"] = self.lcw_legacy
            # LCW 2.2.10 stores what a claim returns only through its legacy request flow (docs/exchanges.md,
            # "Known wallet behaviour"): a second code for institutions whose learners use it.
            body["qrLcwLegacy"] = self.qr_urls("lcwLegacy")
        if self.oid4vci is not None:
            links["oid4vci"] = self.oid4vci
            body["qrOid4vci"] = self.qr_urls("oid4vci")
        if self.oid4vp is not None:
            links["oid4vp"] = self.oid4vp
            body["qrOid4vp"] = self.qr_urls("oid4vp")
        return body


def exchange_links(base_url: str, workflow: str, exchange_id: str, *, challenge: str | None = None,
                   issuer: str | None = None, oid4vp: dict[str, str] | None = None) -> ExchangeLinks:
    """The links of exchange ``exchange_id`` of ``workflow`` on the node at ``base_url``; with ``issuer`` and
    ``challenge`` (claims) also LCW's legacy credential request link and the OpenID4VCI credential offer; with
    ``oid4vp`` (presentations: the parameters of the ``openid4vp://`` link) the OpenID4VP request."""
    base = base_url.rstrip("/")
    exchange_url = f"{base}/workflows/{quote(workflow, safe='')}/exchanges/{quote(exchange_id, safe='')}"
    claim = issuer is not None and challenge is not None
    legacy = f"{exchange_url}/credential-request" if claim else None
    offer = f"{exchange_url}/credential-offer" if claim else None
    protocols = {"vcapi": exchange_url}
    links = ExchangeLinks(exchange_url, f"{base}/interactions/{quote(exchange_id, safe='')}?iuv=1",
                          protocols, legacy, issuer, challenge, offer,
                          tuple(oid4vp.items()) if oid4vp is not None else None)
    if links.oid4vci is not None:
        protocols["OID4VCI"] = links.oid4vci
    if links.oid4vp is not None:
        protocols["OID4VP"] = links.oid4vp
    return links


def qr_code(text: str) -> segno.QRCode:
    """The QR code of ``text``. Making it is most of the cost (segno scores the eight masks to pick the most
    readable one), so a caller wanting several renderings makes it once."""
    return segno.make(text, error=QR_ERROR, micro=False)


def qr_svg(text: str, code: segno.QRCode | None = None) -> bytes:
    """A QR code of ``text`` as a standalone SVG (scalable, for print and email); ``code`` when already made."""
    out = io.BytesIO()
    (code or qr_code(text)).save(out, kind="svg", scale=4, border=4, xmldecl=True, title="QR code", desc=text)
    return out.getvalue()


def qr_png(text: str, *, scale: int = 6, code: segno.QRCode | None = None) -> bytes:
    """A QR code of ``text`` as a PNG (``scale`` pixels per module, with the standard four-module border);
    ``code`` when already made."""
    out = io.BytesIO()
    (code or qr_code(text)).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()

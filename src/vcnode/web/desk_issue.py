"""The desk's one-badge form: sign an Open Badge now, or make a claim link for the learner's wallet.

Signing goes through :meth:`vcnode.issuing.service.CredentialService.issue` as ``POST /credentials/issue``
does (scope ``issue``), with a revocation and a suspension status entry; a claim link is a ``claim`` exchange
made as ``POST /workflows/claim/exchanges`` makes it (scope ``exchange``), which the learner's wallet claims
(docs/exchanges.md). The badge is built by :func:`vcnode.credentials.openbadges.build_open_badge`.

Sending the form twice (a double click, the browser's back button and "resend") does not issue twice: the form
carries a random ``request_id``, and the credential's id (or the claim's exchange id) and its email salt are
derived from it and the token's id, so the second submission finds what the first made and shows it.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from aiohttp import web

from vcnode.auth.records import TokenRecord
from vcnode.auth.tokens import Forbidden
from vcnode.clock import now_timestamp
from vcnode.credentials.model import is_url
from vcnode.credentials.openbadges import build_open_badge
from vcnode.errors import Conflict, NotFound, VcnodeError
from vcnode.exchanges.claim import ClaimWorkflow, claimed_credential
from vcnode.exchanges.model import timestamp
from vcnode.http.exchange_routes import EXCHANGES_KEY
from vcnode.issuing.service import select_suite
from vcnode.status.entries import status_requests
from vcnode.web import achievement_form
from vcnode.web.desk_common import (
    N_,
    STATUS_PURPOSES,
    has_scope,
    identities,
    identity_names,
    remember_emails,
    require,
    summary,
)
from vcnode.web.pages import Page, page

#: The namespace of the ids of credentials signed from the form (uuid5 of the token id and request id).
DESK_NAMESPACE = uuid.UUID("3c9e51a4-6f2b-4d0e-b8a7-91d5e2c4f068")
#: Longest learner fields accepted (characters).
MAX_LEARNER_ID, MAX_EMAIL, MAX_LEARNER_NAME = 500, 254, 200
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ISSUE_REFUSED = N_("This token cannot issue badges: it needs the issue scope (to sign) or the exchange scope (for "
                   "claim links).")
READ_REFUSED = N_("This token cannot see issued credentials: it needs the read or issue scope.")


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _request_id(value: str) -> str:
    """The form's request id when it is one, else a new one."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return str(uuid.uuid4())


def _modes(token: TokenRecord) -> list[str]:
    return [mode for mode, scope in (("sign", "issue"), ("claim", "exchange")) if has_scope(token, scope)]


async def _form_page(current: Page, token: TokenRecord, values: dict[str, str], errors: dict[str, str],
                     status: int = 200, problem: str | None = None) -> web.Response:
    allowed = identities(current.node, token)
    achievements = await achievement_form.issued_achievements(current.node, [i.did for i in allowed])
    context = achievement_form.template_context(current.gettext, achievements, values=values, errors=errors,
                                                identity_names=identity_names(current.node))
    modes = _modes(token)
    values = {"delivery": modes[0] if modes else "", **{k: v for k, v in values.items() if v}}
    return current.render("desk/issue.html", status=status, identities=allowed, values=values,
                          errors={**errors}, problem=problem, modes=modes, **context)


@page
async def issue_form(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /desk/issue``: the form."""
    token = await require(current, ("issue", "exchange"), ISSUE_REFUSED)
    return await _form_page(current, token, {"request_id": str(uuid.uuid4())}, {})


def _check_learner(current: Page, mode: str, learner_id: str, email: str, name: str) -> dict[str, str]:
    """Field errors of the learner part (translated)."""
    _ = current.gettext
    errors: dict[str, str] = {}
    if mode == "claim" and learner_id:
        errors["learner_id"] = _("A claim link issues the badge to the DID the learner's wallet proves: leave the "
                                 "learner's ID empty, or sign the badge now.")
    elif learner_id and (len(learner_id) > MAX_LEARNER_ID or not is_url(learner_id)
                         or any(char.isspace() for char in learner_id)):
        errors["learner_id"] = _("The learner's ID must be a DID (such as did:key:z6Mk…) or a URL.")
    if email and (len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email)):
        errors["learner_email"] = _("This is not an email address.")
    elif mode == "claim" and not email:
        errors["learner_email"] = _("A claim link needs the learner's email (the badge keeps it hashed).")
    elif not email and not learner_id and "learner_id" not in errors:
        errors["learner_id"] = _("Enter the learner's ID or email (or both).")
    if len(name) > MAX_LEARNER_NAME:
        errors["learner_name"] = _("At most %(count)d characters.") % {"count": MAX_LEARNER_NAME}
    return errors


@page
async def issue(request: web.Request, current: Page) -> web.StreamResponse:
    """``POST /desk/issue``: check the form, then sign the badge or make the claim link, and show it."""
    token = await require(current, ("issue", "exchange"), ISSUE_REFUSED)
    form = await current.form()
    node = current.node
    values = {name: _text(form, name) for name in ("issuer", "learner_id", "learner_email", "learner_name",
                                                   "delivery", *achievement_form.FIELDS)}
    values["request_id"] = _request_id(_text(form, "request_id"))
    mode = values["delivery"]
    if mode not in ("sign", "claim"):
        return await _form_page(current, token, values, {"delivery": current.gettext(
            "Choose whether to sign the badge now or make a claim link.")}, 400)
    if mode not in _modes(token):
        raise Forbidden(current.gettext("This token cannot sign badges: it needs the issue scope.") if mode == "sign"
                        else current.gettext("This token cannot make claim links: it needs the exchange scope."))
    did = values["issuer"]
    errors: dict[str, str] = {}
    if not node.identities.holds(did):
        errors["issuer"] = current.gettext("Choose one of this node's identities.")
    elif not node.tokens.may_act_for(token, did):
        raise Forbidden(current.gettext("This token may act only for %(did)s.") % {"did": token.identity})
    errors.update(_check_learner(current, mode, values["learner_id"], values["learner_email"],
                                 values["learner_name"]))
    achievement = None
    if "issuer" not in errors:
        try:
            achievement = await achievement_form.parse_achievement(node, form, issuer=did, gettext=current.gettext)
        except achievement_form.AchievementErrors as exc:
            errors.update(exc.errors)
    if errors or achievement is None:
        return await _form_page(current, token, values, errors, 400)
    key = f"desk|{token.id}|{values['request_id']}"
    salt = hashlib.sha256(f"emailSalt|{key}".encode()).hexdigest()[:16]  # a salt need only differ per badge
    identity = node.identities.get(did)
    profile = {"id": did, **({"name": identity.name} if identity.name else {})}
    try:
        if mode == "sign":
            return await _sign(current, token, key, values, profile, achievement, salt)
        return await _claim(request, current, token, key, values, profile, achievement, salt)
    except VcnodeError as exc:
        if isinstance(exc, Forbidden) or exc.status >= 500:
            raise
        # The node refused to sign what the form describes (a term no context defines, say): say why, keep the form.
        problem = current.gettext("The node could not issue this badge: %(reason)s") % {"reason": exc.detail}
        return await _form_page(current, token, values, {}, 422, problem)


async def _sign(current: Page, token: TokenRecord, key: str, values: dict[str, str], profile: dict[str, Any],
                achievement: dict[str, Any], salt: str) -> web.StreamResponse:
    node = current.node
    credential_id = f"urn:uuid:{uuid.uuid5(DESK_NAMESPACE, key)}"
    done = current.redirect("/desk/issued?" + urlencode({"id": credential_id}))
    if await node.store.get_credential(credential_id) is not None:
        return done  # this form was sent before: show what it issued
    now = now_timestamp(node.clock)
    credential = build_open_badge(credential_id=credential_id, issuer=profile, achievement=achievement,
                                  learner_id=values["learner_id"] or None,
                                  learner_email=values["learner_email"] or None,
                                  learner_name=values["learner_name"] or None, valid_from=now, email_salt=salt)
    suite = select_suite({}, node.credentials.key_type_of(profile["id"]))
    try:
        await node.credentials.issue(credential, suite=suite,
                                     status=status_requests({"statusPurpose": STATUS_PURPOSES}))
    except Conflict as exc:
        if exc.code != "credentialIdInUse":
            raise
        return done  # the same form, sent twice at once: the first one issued it
    await remember_emails(node, [(credential_id, values["learner_email"])])
    return done


async def _claim(request: web.Request, current: Page, token: TokenRecord, key: str, values: dict[str, str],
                 profile: dict[str, Any], achievement: dict[str, Any], salt: str) -> web.StreamResponse:
    node = current.node
    service = request.app[EXCHANGES_KEY]
    template = build_open_badge(credential_id=None, issuer=profile, achievement=achievement,
                                learner_email=values["learner_email"], learner_name=values["learner_name"] or None,
                                valid_from=None, email_salt=salt)
    body = {"variables": {"credential": template, "options": {"statusPurpose": STATUS_PURPOSES}}}
    try:
        [exchange] = await service.create_many(
            ClaimWorkflow.id, [(key, body)], acting_for=token.identity,
            authorize=lambda did: node.tokens.check_identity(token, did))
        exchange_id = exchange.id
    except Conflict as exc:
        if exc.code != "exchangeIdInUse":
            raise
        exchange_id = await service.keyed_id(ClaimWorkflow.id, key)  # this form, sent before
    # The id the claim will give the credential, so that its learner's email finds it once claimed.
    credential_id = claimed_credential(template, "did:example:learner", exchange_id)["id"]
    await remember_emails(node, [(credential_id, values["learner_email"])])
    return current.redirect("/desk/claim?" + urlencode({"exchange": exchange_id}))


@page
async def issued(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /desk/issued?id=``: a badge signed from the form: its summary, the signed credential, download."""
    token = await require(current, ("read", "issue"), READ_REFUSED)
    record, document = await visible_credential(current, token, request.query.get("id", ""))
    return current.render("desk/issued.html", summary=summary(record, document),
                          names=identity_names(current.node),
                          credential_json=orjson.dumps(document, option=orjson.OPT_INDENT_2).decode(),
                          download="/desk/credential.json?" + urlencode({"id": record.id}),
                          details="/desk/credential?" + urlencode({"id": record.id}))


async def visible_credential(current: Page, token: TokenRecord, credential_id: str) -> tuple[Any, Any]:
    """The stored credential ``credential_id`` and its parsed JSON; another identity's (under a token bound
    to one) is answered as a missing one (404), as the API does."""
    node = current.node
    record = await node.store.get_credential(credential_id) if credential_id and len(credential_id) <= 2000 else None
    if record is None or not node.tokens.may_act_for(token, record.issuer):
        raise NotFound(current.gettext("This node issued no such credential (or this token may not see it)."))
    return record, orjson.loads(record.document)


@page
async def download(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /desk/credential.json?id=``: the signed credential as a file."""
    token = await require(current, ("read", "issue"), READ_REFUSED)
    record, _ = await visible_credential(current, token, request.query.get("id", ""))
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", record.id.rsplit(":", 1)[-1])[-60:].strip("-") or "credential"
    return web.Response(body=record.document.encode("utf-8"), content_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="badge-{stem}.json"'})


_STATES = {"pending": N_("Waiting for the learner"), "active": N_("The learner's wallet has started"),
           "complete": N_("Claimed"), "invalid": N_("Cancelled"), "expired": N_("Expired")}


@page
async def claim(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /desk/claim?exchange=``: a claim link made from the form: its QR code, the links to send the
    learner, the OpenID4VCI PIN, and whether it was claimed."""
    token = await require(current, ("exchange", "read"), N_("This token cannot see claim links: it needs the "
                                                              "exchange or read scope."))
    service = request.app[EXCHANGES_KEY]
    node = current.node
    try:
        exchange = await service.get(ClaimWorkflow.id, request.query.get("exchange", ""),
                                     visible=lambda did: node.tokens.may_act_for(token, did))
    except NotFound:
        raise NotFound(current.gettext("There is no such claim link (or this token may not see it).")) from None
    view = await service.creator_view(exchange)
    template = exchange.variables.get("credential", {})
    subject = template.get("credentialSubject", {}) if isinstance(template, dict) else {}
    achievement = subject.get("achievement", {}) if isinstance(subject, dict) else {}
    qr = "/interactions/" + quote(exchange.id, safe="") + "/qr.svg"
    result = orjson.loads(exchange.record.result) if exchange.record.result else {}
    credential_id = result.get("credentialId") if isinstance(result, dict) else None
    return current.render(
        "desk/claim.html", exchange=exchange, view=view, state=current.gettext(_STATES.get(exchange.state,
                                                                                           exchange.state)),
        expires=timestamp(exchange.record.expires), qr=qr, qr_lcw=qr + "?link=lcwLegacy",
        learner_name=subject.get("name") if isinstance(subject.get("name"), str) else None,
        achievement_name=achievement.get("name") if isinstance(achievement.get("name"), str) else None,
        credential_link="/desk/credential?" + urlencode({"id": credential_id}) if credential_id else None)


def add_routes(app: web.Application) -> None:
    """Register the one-badge form's routes."""
    app.router.add_get("/desk/issue", issue_form)
    app.router.add_post("/desk/issue", issue)
    app.router.add_get("/desk/issued", issued)
    app.router.add_get("/desk/credential.json", download)
    app.router.add_get("/desk/claim", claim)

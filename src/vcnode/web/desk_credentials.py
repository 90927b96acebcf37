"""The desk's issued credentials: a searchable, paged list with each one's current status; a credential's page
(its details and status history); and revoke / suspend / unsuspend with a reason.

Listing and reading need the ``read`` (or ``issue``) scope, changing a status the ``status`` scope, as in the
API. A status change goes through :meth:`vcnode.status.service.StatusService.update` as
``POST /credentials/status`` does, recorded with the token's id as its actor. A revocation cannot be undone
(the store refuses to clear a revocation entry), so the page asks for a confirmation that says so first.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import urlencode

import orjson
from aiohttp import web

from vcnode.errors import Conflict
from vcnode.web.desk_audit import describe
from vcnode.web.desk_common import (
    N_,
    has_scope,
    identity_names,
    issuers,
    overall,
    require,
    short_time,
    status_entries,
    summary,
)
from vcnode.web.desk_common import email_terms as email_search_terms
from vcnode.web.desk_issue import READ_REFUSED, visible_credential
from vcnode.web.pages import Page, error_page, page

#: Credentials per page of the list.
PAGE_SIZE = 25
#: Longest search accepted (characters).
MAX_QUERY = 200
MAX_REASON = 500
STATUS_REFUSED = N_("This token cannot change a credential's status: it needs the status scope.")
#: action → (status purpose, new value)
ACTIONS = {"suspend": ("suspension", 1), "unsuspend": ("suspension", 0), "revoke": ("revocation", 1)}
DONE = {"suspend": N_("The credential is suspended."), "unsuspend": N_("The credential is no longer suspended."),
        "revoke": N_("The credential is revoked.")}


#: A status entry's purpose and whether it is set, in words.
ENTRY_LABELS = {("revocation", 0): N_("Revocation: not set"), ("revocation", 1): N_("Revocation: set (revoked)"),
                ("suspension", 0): N_("Suspension: not set"), ("suspension", 1): N_("Suspension: set (suspended)")}


def entry_label(current: Page, purpose: str, value: int) -> str:
    """A status entry in words (translated)."""
    known = ENTRY_LABELS.get((purpose, value))
    return current.gettext(known) if known else f"{purpose}: {value}"


def _cursor(created: str, credential_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([created, credential_id])).decode("ascii").rstrip("=")


def _read_cursor(value: str) -> tuple[str, str] | None:
    """(created, id) of the last credential of the previous page, or None (the first page)."""
    if not value or len(value) > 3000:
        return None
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        return None
    if isinstance(decoded, list) and len(decoded) == 2 and all(isinstance(v, str) for v in decoded):
        return decoded[0], decoded[1]
    return None


@page
async def credentials(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /desk/credentials?q=&after=``: issued credentials, newest first, found by learner name, email or
    id, achievement name or credential id; a page at a time."""
    token = await require(current, ("read", "issue"), READ_REFUSED)
    node = current.node
    query = request.query.get("q", "").strip()[:MAX_QUERY]
    after = _read_cursor(request.query.get("after", ""))
    records = await node.store.search_credentials(query or None, terms=await email_search_terms(node, query),
                                                  issuers=issuers(token), before=after, limit=PAGE_SIZE + 1)
    more = len(records) > PAGE_SIZE
    rows = []
    for record in records[:PAGE_SIZE]:
        document = orjson.loads(record.document)
        rows.append({"summary": summary(record, document), "created": short_time(record.created),
                     "status": overall(await status_entries(node, record.id, document)),
                     "link": "/desk/credential?" + urlencode({"id": record.id})})
    following = None
    if more:
        last = records[PAGE_SIZE - 1]
        following = "/desk/credentials?" + urlencode({**({"q": query} if query else {}),
                                                      "after": _cursor(last.created, last.id)})
    return current.render("desk/credentials.html", query=query, rows=rows, following=following,
                          first=("/desk/credentials?" + urlencode({"q": query})) if after else None,
                          names=identity_names(node))


async def _credential_page(current: Page, token: Any, credential_id: str, *, status: int = 200,
                           error: str | None = None, reason: str = "", done: str | None = None) -> web.Response:
    node = current.node
    record, document = await visible_credential(current, token, credential_id)
    entries = await status_entries(node, record.id, document)
    values = {entry.purpose: entry.value for entry in entries}
    state = overall(entries)
    actions = []
    if has_scope(token, "status") and state != "revoked":
        if values.get("suspension") == 0:
            actions.append("suspend")
        elif values.get("suspension"):
            actions.append("unsuspend")
        if "revocation" in values:
            actions.append("revoke")
    history = [{**change, "at": short_time(change["at"]),
                "what": describe(current, change["statusPurpose"], change["before"], change["after"])}
               for change in await node.status.log(record.id, 200)]
    shown = [{"label": entry_label(current, entry.purpose, entry.value), "list_url": entry.list_url,
              "index": entry.index} for entry in entries]
    return current.render(
        "desk/credential.html", status=status, summary=summary(record, document), state=state, entries=shown,
        history=history, actions=actions, error=error, reason=reason, done=current.gettext(DONE[done])
        if done in DONE else None, names=identity_names(node), me=f"token:{token.id}",
        credential_json=orjson.dumps(document, option=orjson.OPT_INDENT_2).decode(),
        download="/desk/credential.json?" + urlencode({"id": record.id}),
        audit="/desk/audit?" + urlencode({"credential": record.id}))


@page
async def credential(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /desk/credential?id=``: one issued credential, its status and history, and the status actions."""
    token = await require(current, ("read", "issue"), READ_REFUSED)
    return await _credential_page(current, token, request.query.get("id", ""), done=request.query.get("done"))


@page
async def change_status(request: web.Request, current: Page) -> web.StreamResponse:
    """``POST /desk/credential/status`` ``{id, action, reason, confirm?}``: suspend, unsuspend or revoke. A
    reason is required; revoking first shows a confirmation (it cannot be undone) and happens only when that
    page's form is sent (``confirm=yes``)."""
    token = await require(current, "status", STATUS_REFUSED)
    form = await current.form()
    node = current.node
    credential_id = form.get("id") if isinstance(form.get("id"), str) else ""
    action = form.get("action")
    reason = (form.get("reason") if isinstance(form.get("reason"), str) else "").strip()
    record, document = await visible_credential(current, token, credential_id)
    readable = has_scope(token, "read") or has_scope(token, "issue")

    async def refuse(status: int, message: str, kept: str = "") -> web.StreamResponse:
        # A token that may not read credentials (status scope alone, as in the API) is told why, not shown it.
        if not readable:
            return error_page(current, status, message)
        return await _credential_page(current, token, record.id, status=status, reason=kept, error=message)

    if action not in ACTIONS:
        return await refuse(400, current.gettext("Choose what to do: suspend, unsuspend or revoke."), reason)
    if not reason:
        return await refuse(400, current.gettext("Give a reason: it is kept in the audit log."))
    if len(reason) > MAX_REASON:
        return await refuse(400, current.gettext("At most %(count)d characters.") % {"count": MAX_REASON},
                            reason[:MAX_REASON])
    if action == "revoke" and form.get("confirm") != "yes":
        return current.render("desk/revoke.html", summary=summary(record, document) if readable else None,
                              credential_id=record.id, reason=reason, names=identity_names(node),
                              back="/desk/credential?" + urlencode({"id": record.id}) if readable else "/desk")
    purpose, value = ACTIONS[action]
    try:
        await node.status.update(record.id, purpose, value, actor=f"token:{token.id}", reason=reason)
    except Conflict as exc:
        return await refuse(409, current.gettext("This credential is revoked, and a revocation cannot be undone.")
                            if exc.code == "revocationIrreversible" else
                            current.gettext("This credential has no status entry for that: it was issued without "
                                            "one."))
    if not readable:
        return current.redirect("/desk")
    return current.redirect("/desk/credential?" + urlencode({"id": record.id, "done": action}))


def add_routes(app: web.Application) -> None:
    """Register the issued credentials' routes."""
    app.router.add_get("/desk/credentials", credentials)
    app.router.add_get("/desk/credential", credential)
    app.router.add_post("/desk/credential/status", change_status)

"""The desk's audit log ``/desk/audit``: status changes, newest first, with who made each and why; a page at a
time, optionally of one credential. Needs the ``read`` scope (as listing does in the API); a token bound to one
identity sees the changes of that identity's lists only."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from vcnode.web.desk_common import N_, issuers, require, short_time
from vcnode.web.pages import Page, page

#: Changes per page.
PAGE_SIZE = 50
AUDIT_REFUSED = N_("This token cannot see the audit log: it needs the read scope.")
#: (purpose, value after) → what happened, in words.
CHANGES = {("revocation", 1): N_("Revoked"), ("suspension", 1): N_("Suspended"),
           ("suspension", 0): N_("Unsuspended"), ("revocation", 0): N_("Revocation cleared")}


def describe(current: Page, purpose: str, before: int, after: int) -> str:
    """A status change in words (translated)."""
    known = CHANGES.get((purpose, 1 if after else 0))
    if known is not None and after in (0, 1):
        return current.gettext(known)
    return current.gettext("%(purpose)s: %(before)d → %(after)d") % {"purpose": purpose, "before": before,
                                                                      "after": after}


@page
async def audit(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /desk/audit?credential=&before=``: the audit log."""
    token = await require(current, "read", AUDIT_REFUSED)
    credential_id = request.query.get("credential", "").strip()[:2000]
    before_text = request.query.get("before", "")
    before = int(before_text) if before_text.isascii() and before_text.isdigit() and len(before_text) < 19 else None
    changes = await current.node.status.log(credential_id or None, PAGE_SIZE + 1, issuers=issuers(token),
                                            before=before)
    rows = [{**change, "at": short_time(change["at"]),
             "what": describe(current, change["statusPurpose"], change["before"], change["after"]),
             "unchanged": change["before"] == change["after"],
             "link": "/desk/credential?" + urlencode({"id": change["credentialId"]})}
            for change in changes[:PAGE_SIZE]]
    query = {"credential": credential_id} if credential_id else {}
    following = None
    if len(changes) > PAGE_SIZE:
        following = "/desk/audit?" + urlencode({**query, "before": changes[PAGE_SIZE - 1]["seq"]})
    return current.render("desk/audit.html", rows=rows, credential_id=credential_id, following=following,
                          first="/desk/audit?" + urlencode(query) if before is not None else None,
                          me=f"token:{token.id}")


def add_routes(app: web.Application) -> None:
    """Register the audit log's route."""
    app.router.add_get("/desk/audit", audit)

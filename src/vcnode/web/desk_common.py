"""What the desk's pages share: scopes and identities of the logged-in token, a credential's summary and
current status, and the email search terms (used by the one-badge form and the CSV batches).

The desk asks for the same scopes as the API for the same work (``issue`` to sign, ``exchange`` for claim
links, ``status`` to change a status, ``read`` to list), and a token bound to one identity sees and acts for
that identity only (:meth:`vcnode.auth.tokens.TokenService.may_act_for`).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from vcnode.auth.records import TokenRecord
from vcnode.auth.tokens import Forbidden
from vcnode.clock import parse_iso
from vcnode.credentials.model import as_list
from vcnode.identity.records import IdentityRecord
from vcnode.store import search
from vcnode.web.pages import Page

#: A token with any of these may log in; each page then asks for the scope it needs.
DESK_SCOPES = ("issue", "status", "read", "exchange")
#: The store's meta key of the secret email search terms are keyed with.
SEARCH_SECRET_META = "desk_search_secret"
#: The status entries a badge issued from the desk carries, as the VC API's ``options.statusPurpose``.
STATUS_PURPOSES = ["revocation", "suspension"]


def N_(text: str) -> str:
    """Mark ``text`` for translation where it is shown."""
    return text


#: What each scope lets a person do on the desk (the start page lists them).
SCOPE_LABELS = {
    "issue": N_("Sign badges"), "exchange": N_("Make claim links for learners"),
    "status": N_("Revoke, suspend and unsuspend"), "read": N_("See issued credentials and the audit log"),
    "admin": N_("Everything (administrator)"),
}


def has_scope(token: TokenRecord, scope: str) -> bool:
    """Whether the token has ``scope`` (``admin`` has every scope, as in the API)."""
    return scope in token.scopes or "admin" in token.scopes


async def require(current: Page, scope: str | tuple[str, ...], refusal: str) -> TokenRecord:
    """The logged-in token, which must have ``scope`` (or one of them): otherwise the login page, or a 403
    page saying ``refusal`` (translated)."""
    try:
        return await current.require_login(scope)
    except Forbidden:
        raise Forbidden(current.gettext(refusal)) from None


def identities(node: Any, token: TokenRecord) -> list[IdentityRecord]:
    """The node's identities the token may act for."""
    return [identity for identity in node.identities.list() if node.tokens.may_act_for(token, identity.did)]


def issuers(token: TokenRecord) -> list[str] | None:
    """The issuers whose records the token may see (None: every identity's)."""
    return None if token.identity is None else [token.identity]


def identity_names(node: Any) -> dict[str, str]:
    """DID → name of the node's identities."""
    return {identity.did: identity.name or identity.did for identity in node.identities.list()}


async def _search_secret(node: Any, *, create: bool) -> bytes | None:
    stored = await node.store.get_meta(SEARCH_SECRET_META)
    if stored is None and create:  # insert-once: every process gets the same secret
        stored = await node.store.ensure_meta(SEARCH_SECRET_META, secrets.token_hex(32))
    return bytes.fromhex(stored) if stored else None


async def remember_emails(node: Any, pairs: Sequence[tuple[str, str]]) -> None:
    """Let the desk's search find credentials by their learner's email: ``(credential id, email)`` pairs, for
    credentials issued (or, for claim links, to be issued) with the email hashed. Only a keyed hash of each
    address is stored (:func:`vcnode.store.search.email_term`)."""
    wanted = [(credential_id, email) for credential_id, email in pairs if email.strip()]
    if not wanted:
        return
    secret = await _search_secret(node, create=True)
    assert secret is not None
    await node.store.add_credential_terms([(search.email_term(secret, email), credential_id)
                                           for credential_id, email in wanted])


async def email_terms(node: Any, query: str) -> list[str]:
    """The search term of ``query`` when it is an email address (none is stored before the first is kept)."""
    text = query.strip()
    if "@" not in text or any(char.isspace() for char in text):
        return []
    secret = await _search_secret(node, create=False)
    return [search.email_term(secret, text)] if secret is not None else []


def _text(value: Any) -> str | None:
    """A name as text: a string, or the first value of a language map or list."""
    for item in as_list(value):
        if isinstance(item, str) and item.strip():
            return item
        if isinstance(item, dict) and isinstance(item.get("@value"), str):
            return item["@value"]
    return None


def image_source(value: Any) -> str | None:
    """A badge image the page may show: only a ``data:image/`` URL (the pages' Content-Security-Policy loads
    no image from elsewhere; an https image is linked instead, see :func:`image_link`). SVG is left out: it
    is a document, and a data: image is shown in an ``<img>`` only, which never runs its script, but a
    person opening it on its own would."""
    url = value.get("id") if isinstance(value, dict) else value
    if isinstance(url, str) and url.startswith("data:image/") and not url.startswith("data:image/svg") \
            and len(url) <= 200_000:
        return url
    return None


def image_link(value: Any) -> str | None:
    """A badge image's https address (shown as a link, never loaded by the page)."""
    url = value.get("id") if isinstance(value, dict) else value
    return url if isinstance(url, str) and url.startswith("https://") and len(url) <= 2000 else None


@dataclass(frozen=True)
class Summary:
    """What a person reads about an issued credential."""

    id: str
    issuer: str
    created: str
    name: str | None
    learner_name: str | None
    learner_id: str | None
    learner_email_hashed: bool
    achievement_name: str | None
    achievement_description: str | None
    criteria: str | None
    achievement_type: str | None
    image: str | None
    image_link: str | None
    valid_from: str | None
    valid_until: str | None
    format: str


def summary(record: Any, document: Any) -> Summary:
    """The summary of a stored credential (``record``: its store record; ``document``: the parsed JSON)."""
    document = document if isinstance(document, dict) else {}
    subjects = search.subjects(document)
    subject = subjects[0] if subjects else {}
    achievement = search.achievement(subject) or {}
    criteria = achievement.get("criteria")
    hashed = any(isinstance(i, dict) and i.get("identityType") == "emailAddress"
                 for i in as_list(subject.get("identifier")))
    enveloped = "EnvelopedVerifiableCredential" in as_list(document.get("type"))
    return Summary(
        id=record.id, issuer=record.issuer, created=record.created, name=_text(document.get("name")),
        learner_name=_text(subject.get("name")),
        learner_id=subject.get("id") if isinstance(subject.get("id"), str) else None,
        learner_email_hashed=hashed, achievement_name=_text(achievement.get("name")),
        achievement_description=_text(achievement.get("description")),
        criteria=_text(criteria.get("narrative")) if isinstance(criteria, dict) else None,
        achievement_type=achievement.get("achievementType") if isinstance(achievement.get("achievementType"), str)
        else None,
        image=image_source(achievement.get("image")), image_link=image_link(achievement.get("image")),
        valid_from=document.get("validFrom") if isinstance(document.get("validFrom"), str) else None,
        valid_until=document.get("validUntil") if isinstance(document.get("validUntil"), str) else None,
        format="sd-jwt" if enveloped else "vc")


@dataclass(frozen=True)
class StatusEntry:
    """One status entry of an issued credential and its current value."""

    purpose: str
    value: int
    list_url: str
    index: int


async def status_entries(node: Any, credential_id: str, document: Any) -> list[StatusEntry]:
    """The status entries of a credential this node issued, with their values as the store holds them: the
    indexes handed out to it that its ``credentialStatus`` carries (an SD-JWT VC's, stored enveloped, all)."""
    carried = None
    if isinstance(document, dict) and "credentialStatus" in document:
        carried = {(e.get("statusListCredential"), str(e.get("statusListIndex")))
                   for e in as_list(document["credentialStatus"]) if isinstance(e, dict)}
    entries = []
    lists: dict[str, Any] = {}
    for _, list_id, index in await node.store.status_indexes([credential_id]):
        if list_id not in lists:
            lists[list_id] = await node.store.get_status_list(list_id)
        record = lists[list_id]
        url = node.status.list_url(list_id)
        if record is None or (carried is not None and (url, str(index)) not in carried):
            continue
        entries.append(StatusEntry(record.purpose, await node.store.status_value(list_id, index), url, index))
    return sorted(entries, key=lambda entry: entry.purpose)


def overall(entries: Sequence[StatusEntry]) -> str:
    """``revoked``, ``suspended``, ``valid`` (entries, none set) or ``none`` (no status entry)."""
    values = {entry.purpose: entry.value for entry in entries}
    if values.get("revocation"):
        return "revoked"
    if values.get("suspension"):
        return "suspended"
    return "valid" if entries else "none"


def short_time(value: str | None) -> str:
    """An ISO time as ``YYYY-MM-DD HH:MM UTC`` (as stored when it is not one)."""
    if not value:
        return ""
    moment = parse_iso(value)
    if moment is None:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M") + (" UTC" if moment.tzinfo is not None else "")

"""The desk's trust page for regulators: the trust statements this node holds and what its checks found, a form
to publish an accreditation or a recognition agreement, and withdrawing one of this node's statements.

- ``GET /desk/trust``: every statement held (this node's and those replicated from peers), in words: what it
  is, who states it about whom, its scope, whether its signature, its status and its anchoring check out, and
  where it came from. Statuses are confirmed first, as ``vcnode trust list`` does.
- ``POST /desk/trust``: publish a statement built from the form with the same builders as the example data
  (:mod:`vcnode.trust.build`) and published as ``POST /trust/statements`` / ``vcnode trust publish`` do
  (:meth:`vcnode.node.Node.publish_statement`: signed with a revocation entry, anchored, announced).
  Scope ``issue``; the issuing identity must be one the token may act for.
- ``POST /desk/trust/withdraw``: withdraw one of this node's statements with a reason, as ``vcnode trust
  withdraw`` does (its revocation bit set, the list re-signed and anchored). Scope ``status``.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from vcnode.auth.records import TokenRecord
from vcnode.clock import parse_iso
from vcnode.credentials.model import issuer_id
from vcnode.errors import NotFound, VcnodeError
from vcnode.issuing.service import select_suite
from vcnode.trust.build import build_accreditation, build_agreement
from vcnode.trust.parse import StatementError
from vcnode.trust.statements import LevelMap, Scope
from vcnode.web.desk_common import DESK_SCOPES, has_scope, require
from vcnode.web.pages import Page, page

ACCREDITATION, AGREEMENT = "accreditation", "agreement"
FIELDS = ("kind", "issuer", "issuer_name", "subject", "subject_name", "framework", "max_level", "fields",
          "jurisdiction", "valid_until", "to_framework", "level_map")
MAX_TEXT = 500
_JURISDICTION = re.compile(r"[A-Z]{2}")
_LEVEL_PAIR = re.compile(r"\s*([^=→>\s][^=→>]*?)\s*(?:=|→|->|>)\s*(\S.*?)\s*")


def N_(text: str) -> str:
    """Mark ``text`` for translation where it is shown."""
    return text


TYPE_LABELS = {"AccreditationCredential": N_("Accreditation"),
               "RecognitionAgreementCredential": N_("Recognition agreement"),
               "FrameworkDescriptorCredential": N_("Framework descriptor"), "PathwayCredential": N_("Pathway"),
               "EndorsementCredential": N_("Endorsement")}
#: Each check's outcome in words, with an icon (meaning is never carried by colour alone) and its tone.
PROOF_TEXTS = {"verified": (N_("Signature verified"), "✓", "good"),
               "failed": (N_("Signature does not match: forged or altered"), "✕", "bad"),
               "unchecked": (N_("Signature not checked yet (the issuer's DID could not be resolved)"), "?",
                             "unknown")}
STATUS_TEXTS = {"valid": (N_("In force (not withdrawn)"), "✓", "good"),
                "withdrawn": (N_("Withdrawn by its issuer"), "✕", "bad"),
                "unchecked": (N_("Status could not be checked"), "?", "unknown")}
#: A statement in one line, by type (``%(issuer)s`` and ``%(subject)s`` are names, else DIDs).
HEADLINES = {"AccreditationCredential": N_("%(issuer)s accredits %(subject)s"),
             "RecognitionAgreementCredential": N_("%(issuer)s recognises the accreditations of %(subject)s"),
             "FrameworkDescriptorCredential": N_("%(issuer)s describes the framework %(subject)s"),
             "PathwayCredential": N_("%(issuer)s states the pathway %(subject)s"),
             "EndorsementCredential": N_("%(issuer)s endorses %(subject)s")}
PUBLISH_REFUSED = N_("This token cannot publish trust statements: it needs the issue scope.")
WITHDRAW_REFUSED = N_("This token cannot withdraw trust statements: it needs the status scope.")
OTHER_HEADLINE = N_("%(issuer)s states something about %(subject)s")
SOURCE_TEXTS = {"self": N_("Published by this node"), "replica": N_("Replicated from a peer's anchor log")}


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip().replace("\r\n", "\n") if isinstance(value, str) else ""


def _stamp(value: str | None) -> str:
    """A dateTimeStamp as a short UTC date and time."""
    if not value:
        return ""
    moment = parse_iso(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment is not None else value


def _name(value: Any) -> str | None:
    """A ``name`` member as text (a string, or the first value of a language map)."""
    if isinstance(value, list):
        value = next(iter(value), None)
    if isinstance(value, dict):
        value = value.get("@value")
    return value.strip() if isinstance(value, str) and value.strip() else None


def known_names(node: Any) -> dict[str, str]:
    """Names of DIDs as the node knows them: its own identities, then what held statements call their issuers
    and subjects (an accreditation names the provider it accredits)."""
    names: dict[str, str] = {}
    for summary in node.trust.statements():
        document = node.trust.document(summary["id"]) or {}
        issuer = document.get("issuer")
        if isinstance(issuer, dict) and isinstance(issuer.get("id"), str) and _name(issuer.get("name")):
            names.setdefault(issuer["id"], _name(issuer.get("name")) or "")
        subject = document.get("credentialSubject")
        if isinstance(subject, dict) and isinstance(subject.get("id"), str) and _name(subject.get("name")):
            names.setdefault(subject["id"], _name(subject.get("name")) or "")
    for identity in node.identities.list():
        if identity.name:
            names[identity.did] = identity.name
    return names


def _framework_label(node: Any, reference: str | None) -> str:
    """A framework by its code when a descriptor of it is held (``HKQF``), else as written."""
    if not reference:
        return ""
    found = node.trust.index.framework(reference)
    return found.statement.code if found is not None else reference


def statement_view(current: Page, summary: dict[str, Any], names: dict[str, str], token: TokenRecord
                   ) -> dict[str, Any]:
    """One held statement for the page: what it is, who states it about whom, its scope, its checks in words,
    and whether this token may withdraw it."""
    node, gettext = current.node, current.gettext
    document = node.trust.document(summary["id"]) or {}
    subject = document.get("credentialSubject") if isinstance(document.get("credentialSubject"), dict) else {}
    scope = subject.get("scope") if isinstance(subject.get("scope"), dict) else {}
    kind = summary.get("type") or ""
    parts = []
    if scope.get("framework"):
        framework = _framework_label(node, scope["framework"])
        parts.append(gettext("%(framework)s up to level %(level)s") % {"framework": framework,
                                                                      "level": scope["maxLevel"]}
                     if scope.get("maxLevel") else framework)
    for name, label in (("fieldOfStudy", N_("fields: %(list)s")), ("jurisdiction", N_("jurisdictions: %(list)s"))):
        values = scope.get(name)
        if isinstance(values, list) and values:
            parts.append(gettext(label) % {"list": ", ".join(str(value) for value in values)})
    level_map = subject.get("levelMap") if isinstance(subject.get("levelMap"), dict) else None
    mapping = ""
    if level_map:
        pairs = [f"{pair.get('fromLevel')} ↔ {pair.get('toLevel')}" for pair in level_map.get("levelMapping", [])
                 if isinstance(pair, dict)]
        mapping = gettext("%(from)s to %(to)s: %(pairs)s") % {
            "from": _framework_label(node, level_map.get("fromFramework")),
            "to": _framework_label(node, level_map.get("toFramework")), "pairs": "; ".join(pairs)}
    issuer = summary.get("issuer") or ""
    proof = PROOF_TEXTS.get(summary.get("proof"), PROOF_TEXTS["unchecked"])
    status = STATUS_TEXTS.get(summary.get("status"), STATUS_TEXTS["unchecked"])
    detail = summary.get("statusDetail") or {}
    own = issuer in {identity.did for identity in node.identities.list()}
    anchor = summary.get("anchor") or {}
    subject_name = _name(subject.get("name")) or names.get(summary.get("subject") or "") or ""
    stated = document.get("issuer")
    issuer_name = (_name(stated.get("name")) if isinstance(stated, dict) else None) or names.get(issuer) or ""
    headline = gettext(HEADLINES.get(kind, OTHER_HEADLINE)) % {
        "issuer": issuer_name or issuer, "subject": subject_name or summary.get("subject") or "?"}
    return {
        "id": summary["id"], "kind": gettext(TYPE_LABELS[kind]) if kind in TYPE_LABELS else kind or "?",
        "type": kind, "issuer": issuer, "issuer_name": issuer_name, "subject": summary.get("subject"),
        "subject_name": subject_name, "headline": headline,
        "scope": "; ".join(parts), "level_map": mapping,
        "valid_from": _stamp(document.get("validFrom")), "valid_until": _stamp(document.get("validUntil")),
        "proof": {"text": gettext(proof[0]), "icon": proof[1], "tone": proof[2], "code": summary.get("proof")},
        "status": {"text": gettext(status[0]), "icon": status[1], "tone": status[2], "code": summary.get("status"),
                   "detail": detail.get("message") or detail.get("code") or ""},
        "anchor": gettext("Entry %(seq)s of %(log)s's anchor log, %(when)s") % {
            "seq": anchor.get("seq"), "log": names.get(anchor.get("log") or "") or anchor.get("log"),
            "when": _stamp(anchor.get("anchoredAt"))},
        "source": gettext(SOURCE_TEXTS["self" if own else "replica"]),
        "may_withdraw": own and summary.get("status") != "withdrawn" and has_scope(token, "status")
        and node.tokens.may_act_for(token, issuer),
    }


async def _context(current: Page, token: TokenRecord, *, values: dict[str, str] | None = None,
                   errors: dict[str, str] | None = None) -> dict[str, Any]:
    node = current.node
    await node.trust.ready()
    await node.trust.confirm([summary["id"] for summary in node.trust.statements()])
    names = known_names(node)
    statements = [statement_view(current, summary, names, token) for summary in node.trust.statements()]
    statements.sort(key=lambda view: (view["type"], view["issuer_name"], view["id"]))
    identities = [identity for identity in node.identities.list() if node.tokens.may_act_for(token, identity.did)]
    frameworks = {}
    for summary in node.trust.statements():
        if summary.get("type") == "FrameworkDescriptorCredential":
            subject = (node.trust.document(summary["id"]) or {}).get("credentialSubject") or {}
            if isinstance(subject, dict) and isinstance(subject.get("id"), str):
                frameworks[subject["id"]] = f"{subject.get('frameworkCode') or ''} {_name(subject.get('name')) or ''}"
    shown = {field: "" for field in FIELDS} | (values or {})
    shown["kind"] = shown["kind"] if shown["kind"] in (ACCREDITATION, AGREEMENT) else ACCREDITATION
    return {"statements": statements, "identities": identities, "may_publish": has_scope(token, "issue"),
            "frameworks": sorted(frameworks.items()), "values": shown,
            "errors": {field: "" for field in FIELDS} | (errors or {}), "done": None, "done_id": ""}


@page
async def trust_page(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /desk/trust``: the statements held and the form to publish one."""
    token = await current.require_login(DESK_SCOPES)  # reading needs no more: the statements are public
    context = await _context(current, token)
    done = request.query.get("done")
    if done in ("published", "withdrawn"):
        context["done"], context["done_id"] = done, request.query.get("id", "")[:2048]
    return current.render("desk/trust.html", **context)


def _lines(text: str, separator: str = "\n") -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(separator) if item.strip())


def build_statement(current: Page, values: dict[str, str], *, base_url: str) -> dict[str, Any]:
    """The unsigned statement the form describes, built as the example data is (:mod:`vcnode.trust.build`);
    :class:`FormErrors` naming each wrong field (in the page's language)."""
    gettext = current.gettext
    errors: dict[str, str] = {}
    kind = values["kind"]
    for field in FIELDS:
        if len(values.get(field, "")) > (4 * MAX_TEXT if field in ("fields", "level_map") else MAX_TEXT):
            errors[field] = gettext("At most %(count)d characters.") % {
                "count": 4 * MAX_TEXT if field in ("fields", "level_map") else MAX_TEXT}
    subject = values["subject"]
    if not subject.startswith("did:") or any(char.isspace() for char in subject):
        errors["subject"] = gettext("Enter the DID of the provider or regulator (it starts with did:).")
    framework = values["framework"]
    held = current.node.trust.index.framework(framework) if framework else None
    framework_id = held.statement.framework if held is not None else framework
    if not framework:
        errors["framework"] = gettext("Enter the framework (its id, or the code of a framework this node holds).")
    jurisdictions = tuple(code.upper() for code in _lines(values["jurisdiction"].replace(",", "\n")))
    if any(not _JURISDICTION.fullmatch(code) for code in jurisdictions):
        errors["jurisdiction"] = gettext("Use two-letter country or territory codes, such as HK or NZ, separated "
                                         "by commas.")
    valid_until = None
    if values["valid_until"]:
        try:
            valid_until = datetime.strptime(values["valid_until"], "%Y-%m-%d").replace(
                hour=23, minute=59, second=59, tzinfo=UTC)
        except ValueError:
            errors["valid_until"] = gettext("Give a date, or leave it empty.")
        else:
            if valid_until < current.node.clock.now():
                errors["valid_until"] = gettext("Give a date in the future, or leave it empty.")
    level_map = None
    if kind == AGREEMENT:
        target = values["to_framework"]
        target_held = current.node.trust.index.framework(target) if target else None
        target_id = target_held.statement.framework if target_held is not None else target
        pairs = []
        for line in _lines(values["level_map"]):
            match = _LEVEL_PAIR.fullmatch(line)
            if match is None:
                errors["level_map"] = gettext("Write one pair a line, their level = your level, such as 4 = 6.")
                break
            pairs.append((match.group(1), match.group(2)))
        if pairs and not target:
            errors["to_framework"] = gettext("Enter your framework, which the levels map into.")
        if pairs and target:
            level_map = LevelMap(framework_id, target_id, tuple(pairs))
    if errors:
        raise FormErrors(errors)
    scope = Scope(framework=framework_id or None, max_level=values["max_level"] or None,
                  fields=_lines(values["fields"]), jurisdictions=jurisdictions)
    statement_id = f"{base_url}/trust/statements/{uuid.uuid4()}"
    common = {"scope": scope, "valid_from": current.node.clock.now().replace(microsecond=0), "valid_until": valid_until,
              "regulator": values["issuer"], "regulator_name": values["issuer_name"] or None,
              "statement_id": statement_id}
    try:
        if kind == AGREEMENT:
            return build_agreement(recognised=subject, recognised_name=values["subject_name"] or None,
                                   level_map=level_map, **common)
        return build_accreditation(provider=subject, provider_name=values["subject_name"] or None, **common)
    except (StatementError, ValueError) as exc:
        raise FormErrors({"kind": gettext("The node refused this statement: %(reason)s") % {"reason": str(exc)}}
                         ) from None


class FormErrors(Exception):
    """The form's fields are wrong: ``errors`` maps a field to what to correct (translated)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@page
async def publish(request: web.Request, current: Page) -> web.StreamResponse:
    """``POST /desk/trust``: build, sign, anchor and announce a statement; back to the list."""
    token = await require(current, "issue", PUBLISH_REFUSED)
    form = await current.form()
    values = {field: _text(form, field) for field in FIELDS}
    values["kind"] = values["kind"] if values["kind"] in (ACCREDITATION, AGREEMENT) else ACCREDITATION
    node = current.node
    try:
        identities = {identity.did: identity for identity in node.identities.list()}
        if values["issuer"] not in identities or not node.tokens.may_act_for(token, values["issuer"]):
            raise FormErrors({"issuer": current.gettext("Choose an identity this token may act for.")})
        if not values["issuer_name"]:
            values["issuer_name"] = identities[values["issuer"]].name or ""
        document = build_statement(current, values, base_url=node.config.base_url)
        key = node.identities.signing_key(values["issuer"])
        signed = await node.publish_statement(document, suite=select_suite({}, key.key_type),
                                              authorize=lambda did: node.tokens.check_identity(token, did))
    except FormErrors as exc:
        context = await _context(current, token, values=values, errors=exc.errors)
        return current.render("desk/trust.html", status=422, **context)
    except VcnodeError as exc:
        context = await _context(current, token, values=values, errors={
            "kind": current.gettext("The node refused this statement: %(reason)s") % {"reason": exc.detail}})
        return current.render("desk/trust.html", status=exc.status, **context)
    return current.redirect("/desk/trust?" + urlencode({"done": "published", "id": signed["id"]}))


@page
async def withdraw(request: web.Request, current: Page) -> web.StreamResponse:
    """``POST /desk/trust/withdraw``: withdraw one of this node's statements (revoke it) with a reason."""
    token = await require(current, "status", WITHDRAW_REFUSED)
    form = await current.form()
    statement_id, reason = _text(form, "statement"), _text(form, "reason")[:MAX_TEXT]
    node = current.node
    await node.trust.ready()
    document = node.trust.document(statement_id)
    issuer = issuer_id(document) if document is not None else None
    own = {identity.did for identity in node.identities.list()}
    # A peer's statement, or another identity's under a bound token, answers like a missing one (as the API).
    if document is None or issuer not in own or not node.tokens.may_act_for(token, issuer):
        raise NotFound(current.gettext("This node holds no such statement that this token may withdraw."))
    await node.status.update(statement_id, "revocation", 1, actor=f"token:{token.id}", reason=reason or None)
    await node.status.publish_changed()  # re-signed and anchored now, and announced to peers
    return current.redirect("/desk/trust?" + urlencode({"done": "withdrawn", "id": statement_id}))


def add_routes(app: web.Application) -> None:
    """Register these pages' routes."""
    app.router.add_get("/desk/trust", trust_page)
    app.router.add_post("/desk/trust", publish)
    app.router.add_post("/desk/trust/withdraw", withdraw)

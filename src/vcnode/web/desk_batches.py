"""The desk's CSV batches: upload learners, issue to all of them in the background, watch it, download the result.

- ``GET /desk/batches``: the upload form (kind, identity, achievement, status, the CSV) and the batches the
  logged-in token may see.
- ``POST /desk/batches``: every row of the CSV is checked first (problems named by row and column, in the
  page's language); then a job is queued (:mod:`vcnode.jobs`) and the browser goes to its page.
- ``GET /desk/batches/{id}``: the job's state and a ``<progress>`` bar, kept up to date by ``progress.js``
  (without JavaScript, a Refresh link); when done, the download.
- ``GET /desk/batches/{id}/progress``: the small JSON the script polls.
- ``GET /desk/batches/{id}/result.zip``: ``manifest.csv`` with the credential files, or with the claim links'
  QR codes.

Scopes as in the API: ``issue`` for signed credentials, ``exchange`` for claim links. A job is shown only to
tokens with its kind's scope that may act for its identity; to any other it does not exist (404).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from vcnode.auth.records import TokenRecord
from vcnode.errors import NotFound
from vcnode.issuing.batch import RowProblem, learners_from_csv
from vcnode.jobs.batches import CLAIMS, SCOPES, SIGNED, BatchInput
from vcnode.jobs.model import JobSettings, job_view, new_job_id
from vcnode.jobs.records import JobRecord
from vcnode.jobs.runner import JobRunner
from vcnode.web import achievement_form
from vcnode.web.achievement_form import AchievementErrors
from vcnode.web.desk_common import has_scope, require
from vcnode.web.pages import Page, page

#: The job runner of this serving process (set by :func:`vcnode.serve.app.serve`): woken when a job is queued.
JOBS_KEY = web.AppKey("vcnode_jobs", JobRunner)
#: Longest issuer name typed on the form.
MAX_ISSUER_NAME = 200
#: The form's own fields (besides the achievement chooser's), which can each carry an error.
FIELDS = ("kind", "identity", "issuer_name", "expires", "file")
#: Batches listed on the page.
LISTED = 30


def N_(text: str) -> str:
    """Mark ``text`` for translation where it is shown."""
    return text


KIND_LABELS = {SIGNED: N_("Signed credentials"), CLAIMS: N_("Claim links")}
STATE_LABELS = {"queued": N_("Waiting to start"), "running": N_("Running"), "done": N_("Done"),
                "failed": N_("Stopped with an error")}
STATE_ICONS = {"queued": "…", "running": "↻", "done": "✓", "failed": "✕"}
#: What a CSV problem says, by reason (see :class:`vcnode.issuing.batch.RowProblem`).
PROBLEMS = {
    "unreadable": N_("The file cannot be read as CSV: %(value)s"),
    "headerNeedsEmail": N_("Row 1 (the header): claim links need an “email” column. The header has: "
                           "%(value)s."),
    "headerNeedsIdOrEmail": N_("Row 1 (the header): it needs an “id” column, an “email” column or both. The "
                               "header has: %(value)s."),
    "tooManyValues": N_("Row %(row)d: more values than the header has columns."),
    "idWithClaims": N_("Row %(row)d, column “id”: a claim link issues the badge to the DID the learner's wallet "
                       "proves, so leave “id” empty (or issue signed credentials instead)."),
    "emailMissing": N_("Row %(row)d, column “email”: each learner needs an email address for a claim link."),
    "idOrEmailMissing": N_("Row %(row)d, columns “id” and “email”: each learner needs an id, an email "
                           "address or both."),
    "idNotUrl": N_("Row %(row)d, column “id”: “%(value)s” is not a DID or an https:// address."),
    "emailInvalid": N_("Row %(row)d, column “email”: “%(value)s” is not an email address."),
}
#: The job page's status line by state (``{name}``: a count of the progress route's answer or its summary).
STATUS_TEXTS = {
    "queued": N_("Waiting to start: {done} of {total} rows done."),
    "running": N_("Running: {done} of {total} rows done ({percent}%)."),
    "failed": N_("Stopped with an error after {done} of {total} rows."),
}
DONE_TEXTS = {SIGNED: N_("Done: {total} credentials ready ({issued} issued now, {skipped} issued before and not "
                         "again)."),
              CLAIMS: N_("Done: {total} claim links ready ({created} new, {reused} prepared before).")}
REFUSED = N_("This token cannot run batches: it needs the issue scope (signed credentials) or the exchange "
             "scope (claim links).")
#: What a failed job's error means, by code (its English detail is shown beside it).
JOB_ERRORS = {
    "credentialIdInUse": N_("Some of these rows were issued before from different inputs (another issuer name, "
                            "status or learner name). Upload the batch with the inputs it was first issued with, "
                            "or change the achievement."),
    "exchangeIdInUse": N_("Some of these claim links were prepared before from different inputs. Upload the batch "
                          "with the inputs it was first prepared with, or change the achievement."),
    "resultTooLarge": N_("The result is too large to keep for download. Split the CSV into smaller batches."),
    "jobAbandoned": N_("The node stopped several times while running this batch. Upload it again: rows already "
                       "issued are not issued twice."),
}


def kinds_for(token: TokenRecord) -> list[str]:
    """The batch kinds the token may start and see."""
    return [kind for kind in (SIGNED, CLAIMS) if has_scope(token, SCOPES[kind])]


def may_see(token: TokenRecord, job: JobRecord) -> bool:
    """Whether the token may see (and download) the job: its kind's scope and its identity."""
    return job.kind in SCOPES and has_scope(token, SCOPES[job.kind]) and (
        token.identity is None or token.identity == job.identity)


def problem_text(current: Page, problem: RowProblem) -> str:
    """One CSV problem in the page's language."""
    return current.gettext(PROBLEMS[problem.reason]) % {"row": problem.row, "value": problem.value[:100]}


def fill(text: str, view: dict[str, Any]) -> str:
    """``text`` with each ``{name}`` replaced by that count of a job's view (or of its summary), as
    ``progress.js`` does."""
    for name, value in {**(view.get("summary") or {}), **view}.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


async def _form_context(current: Page, token: TokenRecord, *, values: Any = None,
                        errors: dict[str, str] | None = None) -> dict[str, Any]:
    """What the upload form shows: the kinds, identities and achievements the token may use, the values sent
    and the errors found."""
    node = current.node
    identities = [identity for identity in node.identities.list() if node.tokens.may_act_for(token, identity.did)]
    names = {identity.did: identity.name for identity in identities}
    achievements = await achievement_form.issued_achievements(node, list(names))
    values = values or {}
    kinds = kinds_for(token)
    chosen_kind = values.get("kind") if values.get("kind") in kinds else kinds[0]
    jobs = [job for job in await node.store.list_jobs(None if token.identity is None else [token.identity],
                                                      limit=LISTED * 2) if may_see(token, job)][:LISTED]
    return {"kinds": [(kind, current.gettext(KIND_LABELS[kind])) for kind in kinds], "chosen_kind": chosen_kind,
            "identities": identities, "chosen_identity": values.get("identity") or (identities[0].did if identities
                                                                                    else ""),
            "issuer_name": values.get("issuer_name", ""), "expires": values.get("expires", ""),
            "revocable": values.get("revocable", "1") == "1", "suspendable": values.get("suspendable", "") == "1",
            "errors": {**dict.fromkeys(FIELDS, ""), **(errors or {})}, "problems": [], "problem_count": 0,
            "jobs": [_job_row(current, job, names) for job in jobs],
            **achievement_form.template_context(current.gettext, achievements, values=values,
                                                errors=(errors or {}), identity_names=names)}


def _job_row(current: Page, job: JobRecord, names: dict[str, str]) -> dict[str, Any]:
    return {"id": job.id, "kind": current.gettext(KIND_LABELS.get(job.kind, job.kind)), "state": job.state,
            "state_label": current.gettext(STATE_LABELS[job.state]), "icon": STATE_ICONS[job.state],
            "identity": names.get(job.identity) or job.identity, "total": job.total, "done": job.done,
            "created": _when(job.created)}


@page
async def batches_page(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /desk/batches``: the upload form and the batches this token may see."""
    token = await require(current, ("issue", "exchange"), REFUSED)
    return current.render("desk/batches.html", **await _form_context(current, token))


@page
async def start_batch(request: web.Request, current: Page) -> web.StreamResponse:
    """``POST /desk/batches``: check the form and every CSV row, then queue the job and go to its page."""
    token = await require(current, ("issue", "exchange"), REFUSED)
    try:
        form = await current.form()
    except web.HTTPRequestEntityTooLarge:
        context = await _form_context(current, token, errors={"file": current.gettext(
            "The file is larger than 1 MB. Split it into smaller batches.")})
        return current.render("desk/batches.html", status=413, **context)
    values = {name: value for name, value in form.items() if isinstance(value, str)}
    errors: dict[str, str] = {}
    kind = values.get("kind", "")
    if kind not in kinds_for(token):
        errors["kind"] = current.gettext("Choose what to make for the learners.")
    identity = values.get("identity", "")
    known = {item.did: item for item in current.node.identities.list()}
    if identity not in known or not current.node.tokens.may_act_for(token, identity):
        errors["identity"] = current.gettext("Choose an identity this token may issue for.")
    issuer_name = values.get("issuer_name", "").strip()
    if len(issuer_name) > MAX_ISSUER_NAME:
        errors["issuer_name"] = current.gettext("At most %(count)d characters.") % {"count": MAX_ISSUER_NAME}
    expires = values.get("expires", "").strip() or None
    if expires is not None and kind == CLAIMS:
        days = int(current.node.config.exchange_max_ttl // 86_400)
        if not _future_date(expires, days):
            errors["expires"] = current.gettext("Give a date from today to %(days)d days ahead, or leave it "
                                                "empty.") % {"days": days}
    achievement = None
    if "identity" not in errors:
        try:
            achievement = await achievement_form.parse_achievement(current.node, form, issuer=identity,
                                                                   gettext=current.gettext)
        except AchievementErrors as exc:
            errors.update(exc.errors)
    rows, problems = _read_upload(current, form.get("file"), claims=kind == CLAIMS, errors=errors)
    if errors or problems:
        context = await _form_context(current, token, values=values, errors=errors)
        context["problems"] = [problem_text(current, problem) for problem in problems]
        context["problem_count"] = len(problems)
        return current.render("desk/batches.html", status=422, **context)
    status = ["revocation"] if values.get("revocable") == "1" else []
    status += ["suspension"] if values.get("suspendable") == "1" else []
    batch = BatchInput(rows, achievement or {}, identity, issuer_name or known[identity].name, tuple(status),
                       expires if kind == CLAIMS else None)
    upload = form.get("file")
    job_input = {**batch.to_json(), "fileName": getattr(upload, "filename", "")[:200]}
    job = JobRecord(new_job_id(), kind, token.id, identity, "queued", orjson.dumps(job_input).decode(), total=len(rows),
                    created=current.node.clock.time())
    settings = JobSettings.from_config(current.node.config)
    if not await current.node.store.add_job(job, settings.max_active):
        context = await _form_context(current, token, values=values, errors={"file": current.gettext(
            "This token already has %(count)d batches waiting or running. Wait for one to finish.")
            % {"count": settings.max_active}})
        return current.render("desk/batches.html", status=429, **context)
    runner = request.app.get(JOBS_KEY)
    if runner is not None:
        runner.wake()
    return current.redirect(f"/desk/batches/{job.id}")


def _future_date(text: str, days: int) -> bool:
    """Whether ``text`` is a date from today (UTC) to ``days`` days ahead (the links' longest life)."""
    try:
        offset = (datetime.strptime(text, "%Y-%m-%d").date() - datetime.now(UTC).date()).days
    except ValueError:
        return False
    return 0 <= offset < days


def _read_upload(current: Page, upload: Any, *, claims: bool, errors: dict[str, str]
                 ) -> tuple[list[dict[str, str]], list[RowProblem]]:
    """The learners of the uploaded CSV and its problems; a missing, unreadable, empty or too long file is
    an error of the ``file`` field instead."""
    if not isinstance(upload, web.FileField) or not upload.filename:
        errors["file"] = current.gettext("Choose the CSV file of learners.")
        return [], []
    try:
        text = upload.file.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        errors["file"] = current.gettext("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
        return [], []
    rows, problems = learners_from_csv(text, claims=claims)
    limit = current.node.config.desk_batch_max_rows
    if not problems and not rows:
        errors["file"] = current.gettext("The file has a header but no learners.")
    elif len(rows) > limit:
        errors["file"] = current.gettext("The file has %(rows)d learners; one batch may have at most %(limit)d. "
                                         "Split it.") % {"rows": len(rows), "limit": limit}
    return [{name: (value or "").strip() for name, value in row.items() if isinstance(name, str)}
            for row in rows], problems


async def _visible_job(current: Page, request: web.Request) -> JobRecord:
    """The job of the URL, if the logged-in token may see it; otherwise 404 (as if it did not exist)."""
    token = await require(current, ("issue", "exchange"), REFUSED)
    job = await current.node.store.get_job(request.match_info["id"])
    if job is None or not may_see(token, job):
        raise NotFound(current.gettext("There is no such batch, or this token may not see it."))
    return job


@page
async def job_page(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /desk/batches/{id}``: the batch's progress, its result or what stopped it."""
    job = await _visible_job(current, request)
    view = job_view(job)
    names = {identity.did: identity.name for identity in current.node.identities.list()}
    job_input = _input(job)
    error = view.get("error") or {}
    texts = {state: current.gettext(text) for state, text in STATUS_TEXTS.items()}
    texts["done"] = current.gettext(DONE_TEXTS.get(job.kind, DONE_TEXTS[SIGNED]))
    return current.render("desk/batch_job.html", job=job, view=view, row=_job_row(current, job, names),
                          texts=texts, status_text=fill(texts[job.state], view),
                          kind_label=current.gettext(KIND_LABELS.get(job.kind, job.kind)), claims=job.kind == CLAIMS,
                          achievement_name=achievement_form.IssuedAchievement(
                              job.identity, "", job_input.get("achievement") or {}).name,
                          file_name=job_input.get("fileName") or "", summary=view.get("summary") or {},
                          error=error, error_text=current.gettext(JOB_ERRORS[error["code"]])
                          if error.get("code") in JOB_ERRORS else "")


def _input(job: JobRecord) -> dict[str, Any]:
    value = orjson.loads(job.input)
    return value if isinstance(value, dict) else {}


@page
async def job_progress(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /desk/batches/{id}/progress``: the job's state and counts as JSON, for ``progress.js``."""
    job = await _visible_job(current, request)
    view = job_view(job)
    body = {name: view[name] for name in ("state", "done", "total", "percent", "final", "hasResult")}
    body["summary"] = view.get("summary") or {}
    return web.json_response(body)


@page
async def job_result(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /desk/batches/{id}/result.zip``: the finished batch's files."""
    job = await _visible_job(current, request)
    result = await current.node.store.job_result(job.id) if job.state == "done" else None
    if result is None:
        raise NotFound(current.gettext("This batch has no result to download (yet)."))
    return web.Response(body=result, content_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="vcnode-{job.kind}-{job.id}.zip"'})


def add_routes(app: web.Application) -> None:
    """Register these pages' routes."""
    app.router.add_get("/desk/batches", batches_page)
    app.router.add_post("/desk/batches", start_batch)
    app.router.add_get("/desk/batches/{id}", job_page)
    app.router.add_get("/desk/batches/{id}/progress", job_progress)
    app.router.add_get("/desk/batches/{id}/result.zip", job_result)

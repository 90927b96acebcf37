"""The verify page's result in human terms: a verification report, its recognition section and the document
itself turned into display items (one card per credential, the checks, the recognition path in words).

Pure, like :mod:`vcnode.credentials.report`: no I/O, and it never raises for any input (a document, report
or recognition section of any shape gives a view; what cannot be read is left out). The caller gives the
translation function, the names the node knows for DIDs and frameworks, and how https images are shown.

Every check is tri-state, and the states never blur: ``passed`` only when the report says the check
verified, ``failed`` when it found a fault, ``unchecked`` when it could not be performed (a status list
that could not be fetched, a key that could not be resolved): "could not be checked" is never shown as a
failure, and a failure never as a pass. A card's verdict is ``passed`` only when its report says
``verified: true``. ``info`` lines state facts that are neither (no status list, no trust anchors).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import orjson
from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_decimal

from vcnode.clock import parse_iso

PASSED, FAILED, UNCHECKED, INFO = "passed", "failed", "unchecked", "info"
STATES = (PASSED, FAILED, UNCHECKED, INFO)


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is defined; it is translated where it is shown."""
    return message


#: Error codes that say a check could not be performed, not that it found a fault.
UNCHECKED_CODES = frozenset({
    "statusUnavailable", "statusStale", "statusNotChecked", "statusUnsupported", "statusInvalid", "unknownStatus",
    "insufficientWitnesses", "verificationMethodNotFound", "unknownProofType", "unknownCryptosuite",
})
#: Longest text taken from a credential for one field (the JSON report keeps everything).
MAX_TEXT = 4_000
#: Longest ``data:`` image shown (characters of the URL).
MAX_DATA_IMAGE = 512 * 1024
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml)(;[A-Za-z0-9=.+-]+)*;base64,[A-Za-z0-9+/=\s]+")
_HTTPS = re.compile(r"https://[^\s<>\"'\\]+")

#: Known codes of the report and of recognition, in plain words (the report's own message is the fallback).
MESSAGES: dict[str, str] = {
    # authenticity
    "invalidSignature": N_("The signature does not match: the credential was changed after it was signed, or "
                           "it was not signed with the key it names."),
    "invalidProof": N_("The proof attached to the credential is not valid."),
    "malformedProof": N_("The proof attached to the credential is malformed."),
    "malformedProofValue": N_("The proof attached to the credential is malformed."),
    "verificationMethodNotFound": N_("The key that signed the credential could not be found, so its signature "
                                     "could not be checked."),
    "unknownProofType": N_("The credential is signed with a kind of proof this node does not check."),
    "unknownCryptosuite": N_("The credential is signed with a kind of proof this node does not check."),
    "proofPurposeNotAuthorized": N_("The key that signed is not one its owner authorised for issuing."),
    "proofPurposeMismatch": N_("The proof was made for another purpose."),
    "controllerMismatch": N_("The key that signed does not belong to the party it claims."),
    "keyNotValidAtCreation": N_("The key that signed was not valid when the proof was made."),
    "didDeactivated": N_("The signer's identifier has been deactivated."),
    "wrongKeyType": N_("The key that signed is of the wrong type for its proof."),
    "contextMismatch": N_("The proof was made over a different document."),
    "proofExpired": N_("The proof has expired."),
    "proofNotYetValid": N_("The proof is dated in the future."),
    "issuerMismatch": N_("The credential was signed by someone other than the issuer it names."),
    "issuerEquivocated": N_("The issuer has shown different versions of its published history to different "
                            "nodes: what it publishes cannot be relied on."),
    "keyNotResolved": N_("The key was taken from the credential itself, not from a document its issuer "
                         "controls."),
    # status
    "revoked": N_("The issuer has revoked this credential."),
    "suspended": N_("The issuer has suspended this credential."),
    "statusUnavailable": N_("The issuer's status list could not be fetched, and this node holds no usable "
                            "copy of it."),
    "statusStale": N_("The only copy of the status list this node holds is too old to vouch for the status."),
    "statusNotChecked": N_("The credential has a status list, which was not checked."),
    "statusUnsupported": N_("The credential uses a kind of status list this node does not read."),
    "statusInvalid": N_("The status list the credential points to is not valid, so its status is not known."),
    "statusConflict": N_("The issuer served a status list that differs from the one it published to the "
                         "network."),
    "unknownStatus": N_("The status list gives a status this node does not know how to read."),
    "insufficientWitnesses": N_("Too few other nodes have witnessed this version of the status list."),
    "tooManyStatusEntries": N_("The credential has more status entries than this node checks."),
    # validity
    "expired": N_("The credential has expired."),
    "notYetValid": N_("The credential is not valid yet."),
    "invalidTime": N_("The credential's dates cannot be read."),
    "invalidValidity": N_("The credential's validity dates cannot be read."),
    # presentations
    "holderMismatch": N_("The credential is about someone other than the person who presented it."),
    "holderNotProven": N_("The presentation does not prove who presented it."),
    "unsignedPresentation": N_("The presentation is not signed: who presented it is not proven."),
    "holderNotNamed": N_("The presentation does not name who presents it."),
    "credentialNotVerified": N_("One of the credentials did not verify."),
    "challengeMismatch": N_("The presentation was made for another request."),
    "domainMismatch": N_("The presentation was made for another site."),
    # SD-JWT
    "tamperedDisclosure": N_("A disclosed claim was changed after the credential was issued."),
    "missingKeyBinding": N_("The presentation does not show that the holder of the credential's key sent it."),
    "legacyTyp": N_("The credential uses an older name for its format."),
    # recognition
    "noPath": N_("No chain of trust statements leads from a regulator this node trusts to the issuer."),
    "depthLimit": N_("The chain of trust statements is longer than this node follows."),
    "searchLimit": N_("The search for a chain of trust statements stopped before it finished."),
    "noIssuer": N_("The credential names no issuer."),
    "withdrawn": N_("A statement on the path has been withdrawn by its issuer."),
    "forgedStatement": N_("A statement on the path is not signed by its issuer."),
    "proofUnchecked": N_("The signature of a statement on the path could not be checked."),
    "statusUnchecked": N_("Whether a statement on the path was withdrawn could not be checked."),
    "scopeMismatch": N_("The award is outside what a statement on the path covers."),
    "invalidStatement": N_("A statement could not be read."),
    "embeddedNotChecked": N_("A credential embedded in this one was not checked."),
}
#: The checks a report may hold, as a person names them.
CHECK_LABELS: dict[str, str] = {
    "structure": N_("Form"), "openBadges": N_("Open Badges form"), "proof": N_("Authenticity"),
    "issuer": N_("Signed by its issuer"), "validity": N_("Validity dates"), "status": N_("Status"),
    "holderBinding": N_("Presented by the learner"), "disclosures": N_("Disclosed claims"),
    "keyBinding": N_("Presented by its holder"), "credentials": N_("Credentials"),
}
#: The EU micro-credential elements (vcnode.trust.completeness.ELEMENTS), in plain words.
ELEMENT_LABELS: dict[str, str] = {
    "learner": N_("Identification of the learner"), "title": N_("Title of the micro-credential"),
    "country": N_("Country or region of the issuer"), "awardingBody": N_("Awarding body"),
    "dateOfIssuing": N_("Date of issuing"), "learningOutcomes": N_("Learning outcomes"),
    "workload": N_("Notional workload"), "level": N_("Level of the learning experience"),
    "assessment": N_("Type of assessment"), "participation": N_("Form of participation"),
    "qualityAssurance": N_("Type of quality assurance"),
}
STATE_WORDS: dict[str, str] = {PASSED: N_("Passed"), FAILED: N_("Failed"), UNCHECKED: N_("Could not be checked"),
                               INFO: N_("Note")}
PATHWAY_OUTCOMES: dict[str, tuple[str, str]] = {
    "satisfied": (PASSED, N_("Satisfied")),
    "unchecked": (UNCHECKED, N_("Satisfied if the statuses that could not be checked hold")),
    "partly": (FAILED, N_("Partly met")),
    "notStarted": (FAILED, N_("Not started")),
}


@dataclass(frozen=True)
class Line:
    """One row of a card: a check or fact with its state, what it is about, and what was found."""

    state: str
    label: str
    text: str
    small: tuple[str, ...] = ()


@dataclass(frozen=True)
class Party:
    """Someone named in the result: the name to show (None when none is known), the DID (in small type) and
    the names others give it (``"named X by Y"``)."""

    name: str | None
    did: str | None
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Picture:
    """The badge's image: ``src`` for an ``<img>`` (a ``data:`` URL or this node's image route), or ``link``
    (an https URL shown as a link, never loaded by the page)."""

    src: str | None
    link: str | None
    alt: str


@dataclass(frozen=True)
class Step:
    """One statement on the trust path, in words, with its parties and what was checked."""

    state: str
    text: str
    parties: tuple[Party, ...]
    small: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecognitionView:
    """The recognition section of one credential in words."""

    state: str
    headline: str
    sentence: str | None
    steps: tuple[Step, ...]
    reasons: tuple[str, ...]
    award: tuple[Line, ...]
    equivalence: str | None
    elements: tuple[Line, ...]
    complete: bool | None
    signals: tuple[Line, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Card:
    """One credential: the badge in human terms, then its checks."""

    number: int
    state: str
    verdict: str
    title: str
    credential_name: str | None
    achievement_type: str | None
    description: str | None
    criteria: str | None
    criteria_url: str | None
    picture: Picture | None
    learner: Party
    learner_details: tuple[Line, ...]
    presenter: Line | None
    issuer: Party
    checks: tuple[Line, ...]
    status: Line
    dates: tuple[Line, ...]
    recognition: RecognitionView | None
    problems: tuple[str, ...]
    warnings: tuple[str, ...]
    #: How the credential came sealed (an enveloped credential: its media type and signer), or None.
    envelope: Line | None = None


@dataclass(frozen=True)
class PathwayView:
    """One pathway's evaluation in words."""

    state: str
    name: str
    outcome: str
    provider: Party
    lines: tuple[str, ...]


@dataclass(frozen=True)
class ResultView:
    """What the result page shows: the verdict first, one card per credential, then the report."""

    kind: str
    state: str
    verdict: str
    summary: str
    holder: Party | None
    checks: tuple[Line, ...]
    cards: tuple[Card, ...]
    pathways: tuple[PathwayView, ...] | None
    pathway_notes: tuple[str, ...]
    notes: tuple[str, ...]
    report_json: str
    report_href: str
    source: str | None = None
    problems: tuple[str, ...] = field(default=())


Translate = Callable[[str], str]
ImageUrl = Callable[[str], str | None]


@dataclass(frozen=True)
class Context:
    """What the view needs besides the report: translations, the node's names for DIDs (DID → (name, who
    states it: a DID or None when the node itself knows it)) and framework codes (id → code), how an https
    image is shown (its URL on this node, or None for a link), the Babel locale, and the time."""

    gettext: Translate
    names: Mapping[str, Sequence[tuple[str, str | None]]] = field(default_factory=dict)
    frameworks: Mapping[str, str] = field(default_factory=dict)
    image_url: ImageUrl = lambda _url: None
    locale: str = "en"
    now: datetime | None = None


# --- reading JSON of any shape -------------------------------------------------------------------------


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _text(value: Any, locale: str = "en") -> str | None:
    """A plain string, or the best entry of a JSON-LD language map / value object; cut to MAX_TEXT."""
    if isinstance(value, dict):
        language = locale.split("_", 1)[0]
        keys = sorted(k for k in value if isinstance(k, str))
        for key in ("@value", locale.replace("_", "-"), language, "en", *keys):
            found = value.get(key)
            if isinstance(found, str) and found.strip():
                value = found
                break
        else:
            return None
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, str) and item.strip()), None)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _parse_time(value: Any) -> datetime | None:
    moment = parse_iso(value.strip()) if isinstance(value, str) else None
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


# --- formatting ----------------------------------------------------------------------------------------


def format_when(value: Any, locale: str) -> str | None:
    """A date (midnight UTC) or date and time (UTC) in the reader's language; None when unreadable."""
    moment = _parse_time(value)
    if moment is None:
        return None
    try:
        moment = moment.astimezone(UTC)
        if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
            return format_date(moment.date(), format="long", locale=locale)
        return format_datetime(moment, format="medium", tzinfo=UTC, locale=locale) + " UTC"
    except (ValueError, OverflowError, LookupError):
        return str(value)[:40]


def format_number(value: float, locale: str) -> str:
    """A number such as credits in the reader's language (no needless decimals)."""
    try:
        return format_decimal(value, format="#,##0.##", locale=locale)
    except (ValueError, LookupError):
        return f"{value:g}"


def format_age(seconds: Any, locale: str) -> str | None:
    """How long ago, in the reader's language (``3 minutes``)."""
    number = _number(seconds)
    if number is None:
        return None
    try:
        return format_timedelta(max(0.0, number), locale=locale)
    except (ValueError, LookupError):
        return f"{number:g} s"


def short_did(did: str) -> str:
    """A DID shortened for a sentence (the whole DID is shown beside it in small type)."""
    return did if len(did) <= 40 else did[:28] + "…" + did[-8:]


# --- parties -------------------------------------------------------------------------------------------


class _Namer:
    """Names for DIDs: stated by the credential, by the trust statements the node holds, or by the node."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._ = ctx.gettext

    def name(self, did: Any, stated: Any = None) -> str | None:
        """The name to show for ``did``: ``stated`` (by the document itself), else the first name a
        statement the node holds gives it."""
        own = _text(stated, self.ctx.locale)
        if own:
            return own
        if isinstance(did, str):
            for name, _by in self.ctx.names.get(did, ()):
                if isinstance(name, str) and name:
                    return name[:MAX_TEXT]
        return None

    def party(self, did: Any, stated: Any = None) -> Party:
        """``did`` with its name and the names the node's statements give it."""
        did_text = did if isinstance(did, str) and did else None
        name = self.name(did_text, stated)
        also: list[str] = []
        if did_text is not None:
            for other, by in self.ctx.names.get(did_text, ()):
                # The node's own short names and a party naming itself add nothing beside the name shown.
                if not isinstance(other, str) or not other or by is None or (by == did_text and other == name):
                    continue
                if by == did_text:  # its own statements give it another name: worth saying, not as vouching
                    line = self._("Calls itself “%(name)s” in its own statements") % {"name": other[:MAX_TEXT]}
                else:
                    who = self.name(by) or short_did(by)
                    line = (self._("Named so by %(by)s") % {"by": who} if other == name else
                            self._("Named “%(name)s” by %(by)s") % {"name": other[:MAX_TEXT], "by": who})
                if line not in also:
                    also.append(line)
        return Party(name, did_text, tuple(also))

    def called(self, did: Any) -> str:
        """``did`` in a sentence: its name, else a shortened DID."""
        name = self.name(did)
        if name:
            return name
        return short_did(did) if isinstance(did, str) and did else self._("an unnamed party")

    def framework(self, framework: Any) -> str:
        if not isinstance(framework, str):
            return "?"
        return self.ctx.frameworks.get(framework) or framework


# --- one credential ------------------------------------------------------------------------------------


def _message(finding: Mapping[str, Any], _: Translate) -> str:
    """A finding (error, warning or reason) in plain words: its code's sentence, else its own message."""
    code = finding.get("code")
    if isinstance(code, str) and code in MESSAGES:
        return _(MESSAGES[code])
    text = _text(finding.get("message"))
    return text or (str(code)[:200] if code else _("Unknown problem"))


def _findings(report: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    return [item for item in _list(report.get(key)) if isinstance(item, dict)]


def finding_state(code: Any) -> str:
    """The state an error with ``code`` gives its check: not performed, or a fault found."""
    return UNCHECKED if code in UNCHECKED_CODES else FAILED


def report_state(report: Any) -> str:
    """A report's verdict, tri-state: ``passed`` only when it says ``verified: true``; ``unchecked`` when
    every error says a check could not be performed; ``failed`` otherwise."""
    report = _dict(report)
    if report.get("verified") is True:
        return PASSED
    errors = _findings(report, "errors")
    if errors and all(finding_state(e.get("code")) == UNCHECKED for e in errors):
        return UNCHECKED
    return FAILED


def check_state(report: Mapping[str, Any], check: str) -> str | None:
    """One check's state in a report; None when the report does not have it."""
    result = _dict(_dict(report.get("results")).get(check))
    errors = [e for e in _findings(report, "errors") if e.get("check") == check]
    if not result and not errors:
        return None
    if errors:
        return UNCHECKED if all(finding_state(e.get("code")) == UNCHECKED for e in errors) else FAILED
    if result.get("verified") is False:
        return FAILED
    if result.get("checked") is False or result.get("verified") is not True:
        return UNCHECKED
    return PASSED


def _picture(credential: Mapping[str, Any], achievement: Mapping[str, Any], title: str, ctx: Context) -> Picture | None:
    """The badge image: a ``data:`` image of an allowed type, or an https URL (through ``ctx.image_url``,
    else as a link). Anything else (``javascript:``, ``http:``, relative) is not shown."""
    _ = ctx.gettext
    for candidate in (achievement.get("image"), credential.get("image")):
        url = candidate.get("id") if isinstance(candidate, dict) else candidate
        caption = _text(candidate.get("caption"), ctx.locale) if isinstance(candidate, dict) else None
        alt = caption or _("Badge image of %(title)s") % {"title": title}
        if not isinstance(url, str):
            continue
        url = url.strip()
        if len(url) <= MAX_DATA_IMAGE and _DATA_IMAGE.fullmatch(url):
            return Picture(re.sub(r"\s+", "", url), None, alt)
        if len(url) <= 2048 and _HTTPS.fullmatch(url):
            try:
                proxied = ctx.image_url(url)
            except Exception:  # the caller's function: the view never raises because of it
                proxied = None
            return Picture(proxied, None if proxied else url, alt)
    return None


def _subject_parts(credential: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    subjects = credential.get("credentialSubject")
    listed = [s for s in _list(subjects) if isinstance(s, dict)]
    subject = next((s for s in listed if isinstance(s.get("achievement"), dict)), listed[0] if listed else {})
    return subject, _dict(subject.get("achievement"))


def _learner(subject: Mapping[str, Any], namer: _Namer, ctx: Context) -> tuple[Party, tuple[Line, ...]]:
    _ = ctx.gettext
    details: list[Line] = []
    email = _text(subject.get("email"))
    if email:
        details.append(Line(INFO, _("Email"), email))
    for identity in _list(subject.get("identifier")):
        identity = _dict(identity)
        value = _text(identity.get("identityHash"))
        kind = _text(identity.get("identityType")) or _("identifier")
        if value and identity.get("hashed") is False:
            details.append(Line(INFO, kind, value))
        elif value:
            details.append(Line(INFO, kind, _("given in hashed form (it can be compared, not read)")))
    name = _text(subject.get("name"), ctx.locale)
    subject_id = _string(subject.get("id"))
    return Party(name or (None if subject_id else email), subject_id, ()), tuple(details)


def _status_line(credential: Mapping[str, Any], report: Mapping[str, Any], ctx: Context) -> Line:
    """Valid / revoked / suspended / could not be checked, with where the list came from."""
    _ = ctx.gettext
    label = _(CHECK_LABELS["status"])
    result = _dict(_dict(report.get("results")).get("status"))
    errors = [e for e in _findings(report, "errors") if e.get("check") == "status"]
    warnings = [w for w in _findings(report, "warnings") if w.get("check") == "status"]
    if not result and not errors:
        if credential.get("credentialStatus") is None:
            return Line(INFO, label, _("No status list: the issuer has not given itself a way to revoke this "
                                       "credential."))
        return Line(UNCHECKED, label, _("Could not be checked."))
    small = list(_status_sources(result, ctx))
    codes = [e.get("code") for e in errors]
    if "revoked" in codes:
        return Line(FAILED, label, _("Revoked by the issuer."), tuple(small))
    if "suspended" in codes:
        return Line(FAILED, label, _("Suspended by the issuer."), tuple(small))
    if errors:
        state = UNCHECKED if all(finding_state(c) == UNCHECKED for c in codes) else FAILED
        head = _("Could not be checked.") if state == UNCHECKED else _("The status list cannot be relied on.")
        return Line(state, label, head + " " + " ".join(dict.fromkeys(_message(e, _) for e in errors)), tuple(small))
    if result.get("checked") is False or result.get("verified") is not True:
        reason = " ".join(_message(w, _) for w in warnings)
        return Line(UNCHECKED, label, (_("Could not be checked.") + " " + reason).strip(), tuple(small))
    text = _("Valid: neither revoked nor suspended.")
    if warnings:
        text += " " + " ".join(_message(w, _) for w in warnings)
    return Line(PASSED, label, text, tuple(small))


_SOURCES = {"issuer": N_("Status list fetched from the issuer just now or recently."),
            "self": N_("Status list published by this node (it issued the credential)."),
            "replica": N_("Status list from a copy this node holds (replicated from the issuer's node by its "
                          "peers)."),
            }


def _status_sources(result: Mapping[str, Any], ctx: Context) -> Iterable[str]:
    _ = ctx.gettext
    seen: set[str] = set()
    for entry in _list(result.get("entries")):
        entry = _dict(entry)
        source = entry.get("source")
        lines = []
        if isinstance(source, str) and source in _SOURCES:
            lines.append(_(_SOURCES[source]))
        anchor = _dict(entry.get("anchor"))
        age = format_age(anchor.get("ageSeconds"), ctx.locale)
        witnesses = anchor.get("witnesses")
        if age is not None:
            lines.append(_("This version of the list was published %(age)s ago.") % {"age": age})
        if isinstance(witnesses, int) and not isinstance(witnesses, bool):
            lines.append(_("Witnessed by %(count)s other node(s).") % {"count": witnesses})
        if entry.get("stale"):
            lines.append(_("The copy is older than this node normally accepts."))
        for line in lines:
            if line not in seen:
                seen.add(line)
                yield line


def _presenter_line(report: Mapping[str, Any], ctx: Context) -> Line | None:
    """For a credential of a presentation: is the one who presented it the learner?"""
    _ = ctx.gettext
    label = _(CHECK_LABELS["holderBinding"])
    result = _dict(_dict(report.get("results")).get("holderBinding"))
    if not result:
        return None
    outcome = result.get("outcome")
    errors = [e for e in _findings(report, "errors") if e.get("check") == "holderBinding"]
    warnings = [w for w in _findings(report, "warnings") if w.get("check") == "holderBinding"]
    if outcome == "passed" and not errors:
        return Line(PASSED, label, _("Yes: the person who presented it is the learner it was awarded to."))
    if outcome == "notApplicable":
        return Line(UNCHECKED, label, _("Cannot be told: the credential does not identify its learner by an "
                                        "identifier a presenter can prove."))
    found = errors or warnings
    text = _message(found[0], _) if found else _("No: the presenter is not shown to be the learner.")
    return Line(FAILED, label, text)


def _check_lines(report: Mapping[str, Any], ctx: Context, skip: Iterable[str]) -> list[Line]:
    """The report's checks besides status and holder binding, each with what was found."""
    _ = ctx.gettext
    results = _dict(report.get("results"))
    errors = _findings(report, "errors")
    names = list(dict.fromkeys([*results, *(str(e.get("check")) for e in errors)]))
    lines: list[Line] = []
    passed_text = {
        "structure": N_("Well formed."), "openBadges": N_("A well-formed Open Badge."),
        "proof": N_("The signature is valid: the credential has not been changed since it was signed."),
        "issuer": N_("Signed with a key of the issuer it names."),
        "validity": N_("Within its validity dates."), "disclosures": N_("Every disclosed claim is as issued."),
        "keyBinding": N_("Sent by the holder of the credential's key."),
    }
    for name in names:
        if name in skip or name == "credentials":
            continue
        state = check_state(report, name)
        if state is None:
            continue
        label = _(CHECK_LABELS[name]) if name in CHECK_LABELS else name[:60]
        found = [e for e in errors if e.get("check") == name]
        if state == PASSED:
            text = _(passed_text[name]) if name in passed_text else _("Passed.")
        elif found:
            text = " ".join(dict.fromkeys(_message(e, _) for e in found))
        elif name == "issuer":
            text = _("Not checked: no signature verified that could tie the credential to its issuer.")
        else:
            reason = _text(_dict(results.get(name)).get("reason"))
            text = _("Not checked.") + (f" ({reason})" if reason else "")
        lines.append(Line(state, label, text))
    return lines


#: Enveloping media types in words (VC-JOSE-COSE, VC-JWT 1.1); an unknown one is shown as it is.
ENVELOPE_FORMATS: dict[str, str] = {
    "application/vc+jwt": N_("a JSON Web Token (JOSE)"), "application/vp+jwt": N_("a JSON Web Token (JOSE)"),
    "application/vc+sd-jwt": N_("an SD-JWT (a JSON Web Token whose holder may disclose only some claims)"),
    "application/vp+sd-jwt": N_("an SD-JWT (a JSON Web Token whose holder may disclose only some claims)"),
    "application/vc+cose": N_("a COSE signature (CBOR)"), "application/vp+cose": N_("a COSE signature (CBOR)"),
    "application/jwt": N_("a JWT in the older VC Data Model 1.1 format (VC-JWT)"),
}


def envelope_line(report: Mapping[str, Any], ctx: Context, *, presentation: bool = False,
                  named: tuple[Any, Any] = (None, None)) -> Line | None:
    """For an enveloped credential (presentation): that it came sealed whole, in which media type, and who
    sealed it (``results.envelope``), in words; None when it was not enveloped. ``named``: (DID, name) the
    document gives its issuer (holder), used when that DID is the signer's."""
    _ = ctx.gettext
    result = _dict(_dict(report.get("results")).get("envelope"))
    if not result:
        return None
    media_type = _string(result.get("mediaType"))
    shown = media_type[:80] if media_type else _("an unknown type")
    words = _(ENVELOPE_FORMATS[media_type]) if media_type in ENVELOPE_FORMATS else shown
    label = _("Sealed in an envelope")
    if check_state(report, "envelope") != PASSED:
        text = (_("The presentation came sealed in an envelope, %(format)s (%(media_type)s), that could not be "
                  "opened and checked: see why below.") if presentation else
                _("The credential came sealed in an envelope, %(format)s (%(media_type)s), that could not be "
                  "opened and checked: see why below.")) % {"format": words, "media_type": shown}
        return Line(FAILED, label, text)
    controller = _string(result.get("controller"))
    method = _string(result.get("verificationMethod"))
    namer = _Namer(ctx)
    signer = namer.called(controller) if controller else _("an unnamed party")
    if controller and controller == named[0]:
        signer = namer.name(controller, named[1]) or signer
    text = (_("The presentation came sealed whole in %(format)s (%(media_type)s), signed by %(signer)s; the "
              "envelope opened and its signature is valid.") if presentation else
            _("The credential came sealed whole in %(format)s (%(media_type)s), signed by %(signer)s; the envelope "
              "opened and its signature is valid. What it secures is shown here.")) % {
        "format": words, "media_type": shown, "signer": signer}
    small = []
    if controller:
        small.append(_("Signed by: %(did)s") % {"did": controller[:MAX_TEXT]})
    if method:
        small.append(_("Key: %(key)s") % {"key": method[:MAX_TEXT]})
    return Line(PASSED, label, text, tuple(small))


def _dates(credential: Mapping[str, Any], ctx: Context) -> tuple[Line, ...]:
    _ = ctx.gettext
    out = []
    for member, label in (("awardedDate", N_("Awarded")), ("validFrom", N_("Valid from")),
                          ("issuanceDate", N_("Issued")), ("validUntil", N_("Valid until")),
                          ("expirationDate", N_("Expires"))):
        shown = format_when(credential.get(member), ctx.locale)
        if shown:
            out.append(Line(INFO, _(label), shown))
    if not any(member in credential for member in ("validUntil", "expirationDate")):
        out.append(Line(INFO, _("Valid until"), _("No end date")))
    return tuple(out)


def _verdict_text(state: str, _: Translate) -> str:
    return {PASSED: _("Verified"), FAILED: _("Not verified"),
            UNCHECKED: _("Could not be fully checked")}.get(state, _("Not verified"))


def credential_card(number: int, credential: Any, report: Any, recognition: Any, ctx: Context) -> Card:
    """One credential as a card: badge, learner, issuer, checks, status, dates, recognition."""
    _ = ctx.gettext
    namer = _Namer(ctx)
    credential = _dict(credential)
    report = _dict(report)
    subject, achievement = _subject_parts(credential)
    credential_name = _text(credential.get("name"), ctx.locale)
    title = _text(achievement.get("name"), ctx.locale) or credential_name or _("Untitled credential")
    criteria = _dict(achievement.get("criteria"))
    criteria_url = _string(criteria.get("id"))
    issuer = credential.get("issuer")
    issuer_did = issuer.get("id") if isinstance(issuer, dict) else issuer
    stated_name = issuer.get("name") if isinstance(issuer, dict) else None
    learner, learner_details = _learner(subject, namer, ctx)
    state = report_state(report)
    problems = [_message(e, _) for e in _findings(report, "errors")]
    warnings = [_message(w, _) for w in _findings(report, "warnings")]
    kinds = achievement.get("achievementType")
    recognised = recognition_view(recognition, ctx) if isinstance(recognition, dict) else None
    if recognised is not None and any(check_state(report, name) == FAILED for name in _AUTHENTICITY):
        # Who vouches for the issuer a forged or changed credential names says nothing about the credential
        # (a revoked or expired one is still the issuer's: its recognition stands beside its status).
        recognised = replace(recognised, state=INFO, sentence=None, headline=_(
            "The credential did not verify, so recognition of the issuer it names says nothing about it."))
    return Card(
        number=number, state=state, verdict=_verdict_text(state, _), title=title,
        credential_name=credential_name if credential_name and credential_name != title else None,
        achievement_type=_text(kinds) if isinstance(kinds, str) else None,
        description=_text(achievement.get("description"), ctx.locale) or _text(credential.get("description"),
                                                                              ctx.locale),
        criteria=_text(criteria.get("narrative"), ctx.locale),
        criteria_url=criteria_url if criteria_url and _HTTPS.fullmatch(criteria_url) else None,
        picture=_picture(credential, achievement, title, ctx),
        learner=learner, learner_details=learner_details, presenter=_presenter_line(report, ctx),
        issuer=namer.party(issuer_did, stated_name),
        checks=tuple(_check_lines(report, ctx, skip=("status", "holderBinding", "envelope"))),
        status=_status_line(credential, report, ctx), dates=_dates(credential, ctx),
        recognition=recognised, problems=tuple(dict.fromkeys(problems)), warnings=tuple(dict.fromkeys(warnings)),
        envelope=envelope_line(report, ctx, named=(issuer_did, stated_name)))


# --- recognition ---------------------------------------------------------------------------------------


#: The checks that say whether the credential is the issuer's at all.
_AUTHENTICITY = ("structure", "openBadges", "proof", "issuer", "disclosures")
_RESULTS = {"ok": PASSED, "failed": FAILED, "unchecked": UNCHECKED}
_AGREEMENT, _ACCREDITATION = "RecognitionAgreementCredential", "AccreditationCredential"


def _scope(scope: Any, namer: _Namer) -> str:
    """A scope in a few words: ``HKQF ≤ 4``."""
    scope = _dict(scope)
    framework = scope.get("framework")
    level = _string(scope.get("maxLevel"))
    if framework is None:
        return namer._("any level")
    code = namer.framework(framework)
    return f"{code} ≤ {level}" if level else code


def _hop(hop: Mapping[str, Any], namer: _Namer, ctx: Context) -> Step:
    _ = ctx.gettext
    evidence = _dict(hop.get("evidence"))
    issuer, subject = hop.get("issuer"), hop.get("subject")
    scope = _scope(evidence.get("scope"), namer)
    words = {"issuer": namer.called(issuer), "subject": namer.called(subject), "scope": scope}
    if hop.get("type") == _AGREEMENT:
        text = _("%(issuer)s recognises %(subject)s by a recognition agreement, for %(scope)s.") % words
    elif hop.get("type") == _ACCREDITATION:
        text = _("%(issuer)s accredits %(subject)s for %(scope)s.") % words
    else:
        text = _("%(issuer)s vouches for %(subject)s.") % words
    small: list[str] = []
    scope_json = _dict(evidence.get("scope"))
    fields = [f for f in _list(scope_json.get("fieldOfStudy")) if isinstance(f, str)]
    places = [p for p in _list(scope_json.get("jurisdiction")) if isinstance(p, str)]
    if fields:
        small.append(_("Fields: %(fields)s") % {"fields": "; ".join(fields)[:MAX_TEXT]})
    if places:
        small.append(_("Where: %(places)s") % {"places": ", ".join(places)[:200]})
    until = format_when(evidence.get("validUntil"), ctx.locale)
    if until:
        small.append(_("Statement valid until %(date)s") % {"date": until})
    source = evidence.get("source")
    if source == "self":
        small.append(_("A statement of this node's own."))
    elif source == "replica":
        small.append(_("Replicated from its issuer's published log and checked by this node."))
    reasons = [_message(r, _) for r in _list(hop.get("reasons")) if isinstance(r, dict)]
    small.extend(dict.fromkeys(reasons))
    statement = _string(hop.get("statement"))
    if statement:
        small.append(_("Statement %(id)s") % {"id": statement[:300]})
    return Step(_RESULTS.get(str(hop.get("result")), FAILED), text,
                tuple(namer.party(did) for did in (issuer, subject)), tuple(small))


def _sentence(hops: Sequence[Mapping[str, Any]], recognised: str, namer: _Namer) -> str | None:
    """The path as one sentence, for the usual shapes; the steps below say it for any shape."""
    _ = namer._
    kinds = [hop.get("type") for hop in hops]
    if not hops:
        return _("The issuer is one this node trusts directly.") if recognised == PASSED else None
    scope = _scope(_dict(hops[-1].get("evidence")).get("scope"), namer)
    if kinds == [_ACCREDITATION]:
        return _("Accredited by %(accreditor)s, which this node trusts directly, for %(scope)s.") % {
            "accreditor": namer.called(hops[0].get("issuer")), "scope": scope}
    if kinds == [_AGREEMENT, _ACCREDITATION]:
        return _("Recognised by %(anchor)s's agreement with %(regulator)s, which accredits %(provider)s for "
                 "%(scope)s.") % {"anchor": namer.called(hops[0].get("issuer")),
                                  "regulator": namer.called(hops[0].get("subject")),
                                  "provider": namer.called(hops[1].get("subject")), "scope": scope}
    return _("Recognised by %(anchor)s through a chain of %(count)s trust statements.") % {
        "anchor": namer.called(hops[0].get("issuer")), "count": len(hops)}


def recognition_view(section: Any, ctx: Context) -> RecognitionView:
    """The recognition section (``vcnode.trust.report``) of one credential in words."""
    _ = ctx.gettext
    namer = _Namer(ctx)
    section = _dict(section)
    recognised = section.get("recognised")
    state = PASSED if recognised is True else UNCHECKED if recognised == "unchecked" else FAILED
    path = _dict(section.get("path"))
    hops = [hop for hop in _list(path.get("hops")) if isinstance(hop, dict)]
    anchors = [a for a in _list(section.get("anchors")) if isinstance(a, str)]
    reasons = [_message(r, _) for r in _list(section.get("reasons")) if isinstance(r, dict)]
    if state == PASSED:
        headline = _("Recognised by a regulator this node trusts.")
    elif state == UNCHECKED:
        headline = _("Recognition could not be fully checked.")
    elif not anchors:
        state = INFO
        headline = _("This node trusts no regulator yet, so it cannot say who recognises the issuer.")
        reasons = []
    else:
        headline = _("Not recognised by any regulator this node trusts.")
    rejected = [h for p in _list(section.get("rejectedPaths")) for h in _list(_dict(p).get("hops"))
                if isinstance(h, dict)]
    steps = [_hop(hop, namer, ctx) for hop in hops]
    if state == FAILED and not steps and rejected:  # the path that came closest, to say where it breaks
        steps = [_hop(hop, namer, ctx) for hop in rejected[:4]]
    award = _dict(section.get("award"))
    equivalent = _dict(section.get("equivalent"))
    award_lines, equivalence = _award(award, equivalent, namer, ctx)
    completeness = _dict(section.get("completeness"))
    elements = []
    for element in _list(completeness.get("elements")):
        element = _dict(element)
        key = element.get("element")
        label = _(ELEMENT_LABELS[key]) if isinstance(key, str) and key in ELEMENT_LABELS else \
            (_text(element.get("label")) or "?")
        present = element.get("present") is True
        where = _string(element.get("where"))
        elements.append(Line(PASSED if present else INFO, label,
                             (_("Present") + (f" ({where[:200]})" if where else "")) if present else _("Missing")))
    complete = completeness.get("complete") if isinstance(completeness.get("complete"), bool) else None
    signals = []
    for signal in _list(section.get("qualitySignals")):
        signal = _dict(signal)
        if signal.get("onTrustPath"):
            continue  # already a step of the path
        words = {"issuer": namer.called(signal.get("issuer")), "subject": namer.called(signal.get("subject"))}
        text = (_("%(issuer)s accredits %(subject)s.") if signal.get("kind") == "accreditation" else
                _("%(issuer)s endorses %(subject)s.")) % words
        signals.append(Line(_RESULTS.get(str(signal.get("result")), FAILED),
                            _("Accreditation") if signal.get("kind") == "accreditation" else _("Endorsement"), text))
    warnings = [_message(w, _) for w in _list(section.get("warnings")) if isinstance(w, dict)]
    return RecognitionView(state, headline, _sentence(hops, state, namer) if state != FAILED else None,
                           tuple(steps), tuple(dict.fromkeys(reasons)), award_lines, equivalence, tuple(elements),
                           complete, tuple(signals), tuple(dict.fromkeys(warnings)))


def _award(award: Mapping[str, Any], equivalent: Mapping[str, Any], namer: _Namer,
           ctx: Context) -> tuple[tuple[Line, ...], str | None]:
    """The award's level and credits as issued, and its equivalent in this node's framework."""
    _ = ctx.gettext
    lines = []
    code = _string(award.get("frameworkCode")) or (namer.framework(award["framework"])
                                                   if isinstance(award.get("framework"), str) else None)
    level = _string(award.get("level"))
    if code and level:
        lines.append(Line(INFO, _("Level"), _("%(framework)s level %(level)s") % {"framework": code, "level": level}))
    credits = _number(award.get("credits"))
    if credits is not None:
        unit = _string(award.get("creditUnit"))
        framework = namer.framework(award.get("creditFramework")) if award.get("creditFramework") else None
        text = _("%(credits)s credits") % {"credits": format_number(credits, ctx.locale)}
        if framework and unit:
            text += f" ({framework}, {unit})"
        hours = _number(award.get("notionalHours"))
        if hours is not None:
            text += " · " + _("about %(hours)s notional learning hours") % {"hours": format_number(hours, ctx.locale)}
        lines.append(Line(INFO, _("Credits"), text))
    field_of_study = _text(award.get("fieldOfStudy"))
    if field_of_study:
        lines.append(Line(INFO, _("Field of study"), field_of_study))
    equivalence = None
    here = _string(equivalent.get("frameworkCode")) or (namer.framework(equivalent["framework"])
                                                        if isinstance(equivalent.get("framework"), str) else None)
    here_level = _string(equivalent.get("level"))
    here_credits = _number(equivalent.get("credits"))
    if here and here_level:
        lines.append(Line(INFO, _("Equivalent here"), _("%(framework)s level %(level)s") % {
            "framework": here, "level": here_level}))
        if code and level and here != code:
            equivalence = f"{code} {level} ↔ {here} {here_level}"
    elif here and equivalent:
        lines.append(Line(UNCHECKED, _("Equivalent here"), _("No level mapping into %(framework)s is known.") % {
            "framework": here}))
    if here_credits is not None:
        credit_code = namer.framework(equivalent.get("creditFramework")) if equivalent.get("creditFramework") \
            else here
        lines.append(Line(INFO, _("Credits here"), _("%(credits)s credits") % {
            "credits": format_number(here_credits, ctx.locale)} + (f" ({credit_code})" if credit_code else "")))
    return tuple(lines), equivalence


# --- SD-JWT VCs ----------------------------------------------------------------------------------------


def sd_jwt_card(result: Any, recognition: Any, ctx: Context) -> Card:
    """An SD-JWT VC (its report's JSON with ``credential.claims``) as a card, from its disclosed claims."""
    _ = ctx.gettext
    namer = _Namer(ctx)
    result = _dict(result)
    claims = _dict(_dict(result.get("credential")).get("claims"))
    title = _text(claims.get("achievement_title")) or _text(claims.get("vct")) or _("Untitled credential")
    learner_name = _text(claims.get("name")) or " ".join(
        part for part in (_text(claims.get("given_name")), _text(claims.get("family_name"))) if part) or None
    details = []
    identifier = _text(claims.get("learner_identification"))
    if identifier:
        details.append(Line(INFO, _("identifier"), identifier))
    state = report_state(result)
    dates = []
    for member, label in (("date_of_issuance", N_("Issued")), ("date_of_expiry", N_("Expires"))):
        shown = format_when(claims.get(member), ctx.locale)
        if shown:
            dates.append(Line(INFO, _(label), shown))
    stated = _text(claims.get("issuing_authority"))
    issuer = _string(claims.get("iss"))
    return Card(
        number=1, state=state, verdict=_verdict_text(state, _), title=title, credential_name=None,
        achievement_type=None, description=_text(claims.get("achievement_description")),
        criteria=_text(claims.get("achievement_criteria")), criteria_url=None, picture=None,
        learner=Party(learner_name, None), learner_details=tuple(details), presenter=None,
        issuer=namer.party(issuer, stated if stated != issuer else None),
        checks=tuple(_check_lines(result, ctx, skip=("status",))),
        status=_status_line({"credentialStatus": claims.get("status")}, result, ctx), dates=tuple(dates),
        recognition=recognition_view(recognition, ctx) if isinstance(recognition, dict) else None,
        problems=tuple(dict.fromkeys(_message(e, _) for e in _findings(result, "errors"))),
        warnings=tuple(dict.fromkeys(_message(w, _) for w in _findings(result, "warnings"))))


# --- pathways ------------------------------------------------------------------------------------------


def pathway_views(evaluation: Any, ctx: Context) -> tuple[PathwayView, ...]:
    """``POST /pathways/evaluate``'s body (``Evaluation.to_json``) in words, one entry per pathway."""
    _ = ctx.gettext
    namer = _Namer(ctx)
    out = []
    for item in _list(_dict(evaluation).get("pathways")):
        item = _dict(item)
        state, words = PATHWAY_OUTCOMES.get(str(item.get("outcome")), (FAILED, N_("Not met")))
        requires = _dict(item.get("requires"))
        missing = _dict(item.get("missing"))
        lines = [_("Counted: %(count)s of the %(needed)s credentials it needs.") % {
            "count": len(_list(item.get("counted"))), "needed": requires.get("components", "?")}]
        credits, needed = _number(item.get("credits")), _number(requires.get("credits"))
        if needed is not None:
            lines.append(_("Credits: %(credits)s of %(needed)s.") % {
                "credits": format_number(credits or 0.0, ctx.locale), "needed": format_number(needed, ctx.locale)})
        achievements = [a for a in _list(missing.get("achievements")) if isinstance(a, str)]
        if achievements and state != PASSED:
            lines.append(_("Still missing: %(achievements)s") % {"achievements": ", ".join(achievements)[:MAX_TEXT]})
        if missing.get("windowExceeded"):
            lines.append(_("The credentials were not all earned within the pathway's time window."))
        for excluded in _list(item.get("excluded")):
            excluded = _dict(excluded)
            lines.append(_("Not counted: %(credential)s: %(reason)s") % {
                "credential": str(excluded.get("credential") or excluded.get("achievement") or "?")[:300],
                "reason": _text(excluded.get("message")) or str(excluded.get("code"))[:100]})
        name = _text(item.get("name")) or _string(item.get("pathway")) or "?"
        award_name = _text(_dict(item.get("award")).get("name"))
        if award_name:
            lines.insert(0, _("Leads to: %(award)s") % {"award": award_name})
        out.append(PathwayView(state, name, _(words), namer.party(item.get("provider")), tuple(lines)))
    return tuple(out)


# --- the whole result ----------------------------------------------------------------------------------


def _report_links(report: Any) -> tuple[str, str]:
    """The report as pretty JSON and as a ``data:`` URL to download it (nothing is stored on the node)."""
    try:
        pretty = orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        pretty = "{}"
    return pretty, "data:application/json;charset=utf-8," + quote(pretty, safe="")


def _presentation_checks(report: Mapping[str, Any], ctx: Context) -> tuple[Line, ...]:
    _ = ctx.gettext
    lines = []
    state = check_state(report, "proof")
    warnings = [w for w in _findings(report, "warnings") if w.get("check") == "proof"]
    errors = [e for e in _findings(report, "errors") if e.get("check") == "proof"]
    label = _("Signed by the presenter")
    sealed = envelope_line(report, ctx, presentation=True)
    if sealed is not None:
        lines.append(sealed)
    if state == PASSED:
        lines.append(Line(PASSED, label, _("The presentation is signed by the person it names as its holder.")))
    elif errors:
        lines.append(Line(state or FAILED, label, " ".join(dict.fromkeys(_message(e, _) for e in errors))))
    elif warnings:
        lines.append(Line(UNCHECKED, label, " ".join(dict.fromkeys(_message(w, _) for w in warnings))))
    for name in ("structure",):
        found = [e for e in _findings(report, "errors") if e.get("check") == name]
        if found:
            lines.append(Line(FAILED, _(CHECK_LABELS[name]), " ".join(_message(e, _) for e in found)))
    return tuple(lines)


def _overall(cards: Sequence[Card], own: str | None) -> str:
    states = [card.state for card in cards] + ([own] if own else [])
    if not states:
        return FAILED
    return FAILED if FAILED in states else UNCHECKED if UNCHECKED in states else PASSED


def _summary(state: str, count: int, kind: str, _: Translate) -> str:
    if kind == "presentation":
        return {PASSED: _("The presentation and every credential in it verified."),
                UNCHECKED: _("Nothing failed, but some checks could not be performed; see below."),
                }.get(state, _("The presentation, or a credential in it, did not verify; see below why."))
    return {PASSED: _("The credential is authentic, unchanged and in force."),
            UNCHECKED: _("Nothing failed, but some checks could not be performed; see below."),
            }.get(state, _("The credential did not verify; see below why."))


def build_result(document: Any, report: Any, recognition: Any, ctx: Context, *, kind: str = "credential",
                 pathways: Any = None, pathway_notes: Sequence[str] = (), source: str | None = None,
                 solicited: bool = False) -> ResultView:
    """The whole result: for ``kind`` ``credential`` one card, ``presentation`` one card per credential (its
    reports under ``results.credentials.credentials``, its recognition a list in the same order), ``sd-jwt``
    one card from the disclosed claims. ``solicited``: the presentation answered this node's own request (its
    challenge), so it is not flagged as a possible copy. Never raises."""
    _ = ctx.gettext
    try:
        return _build(document, report, recognition, ctx, kind, pathways, tuple(pathway_notes), source, solicited)
    except Exception as exc:  # a view must always come back: the JSON report stays available below it
        pretty, href = _report_links(report)
        state = report_state(report)
        return ResultView(kind, state, _verdict_text(state, _), _("The result could not be shown in full."),
                          None, (), (), None, (), (), pretty, href, source, (type(exc).__name__,))


def _build(document: Any, report: Any, recognition: Any, ctx: Context, kind: str, pathways: Any,
           pathway_notes: tuple[str, ...], source: str | None, solicited: bool) -> ResultView:
    _ = ctx.gettext
    report = _dict(report)
    body = dict(report)
    if recognition is not None:
        body["recognition"] = recognition
    if pathways is not None:
        body["pathways"] = pathways
    pretty, href = _report_links(body)
    notes: list[str] = []
    holder = None
    checks: tuple[Line, ...] = ()
    own_state = None
    if kind == "presentation":
        presentation = _dict(document)
        carried = _list(presentation.get("verifiableCredential"))
        reports = _list(_dict(_dict(report.get("results")).get("credentials")).get("credentials"))
        sections = recognition if isinstance(recognition, list) else []
        cards = tuple(credential_card(i + 1, credential, reports[i] if i < len(reports) else {},
                                      sections[i] if i < len(sections) else None, ctx)
                      for i, credential in enumerate(carried))
        named = presentation.get("holder")
        holder = _Namer(ctx).party(named.get("id") if isinstance(named, dict) else named,
                                   named.get("name") if isinstance(named, dict) else None)
        checks = _presentation_checks(report, ctx)
        own_errors = [e for e in _findings(report, "errors") if e.get("check") not in ("credentials",)]
        own_state = (UNCHECKED if all(finding_state(e.get("code")) == UNCHECKED for e in own_errors) else FAILED) \
            if own_errors else None
        if not cards:
            notes.append(_("The presentation carries no credential."))
            own_state = own_state or FAILED
        if not solicited:
            notes.append(_("This presentation was not made for a request of this node, so it may be a copy: it "
                           "shows what the holder once presented, not that they are presenting it to you now. "
                           "To be sure, ask the learner's wallet."))
    elif kind == "sd-jwt":
        cards = (sd_jwt_card(report, recognition, ctx),)
    else:
        cards = (credential_card(1, document, report, recognition, ctx),)
    state = _overall(cards, own_state)
    if report.get("verified") is not True and state == PASSED:
        state = FAILED  # the report has the last word: a failure is never shown as a pass
    summary = _summary(state, len(cards), kind, _)
    if kind != "presentation" and state != PASSED and cards and cards[0].problems:
        summary = " ".join(cards[0].problems[:2])  # one credential: say why at once, in the verdict
    return ResultView(kind, state, _verdict_text(state, _), summary, holder, checks,
                      cards, pathway_views(pathways, ctx) if pathways is not None else None, pathway_notes,
                      tuple(notes), pretty, href, source)


STATE_ICONS = {PASSED: "✓", FAILED: "✕", UNCHECKED: "?", INFO: "i"}


def state_word(state: str, gettext: Translate) -> str:
    """A state in words (shown beside its icon: meaning is never carried by colour alone)."""
    return gettext(STATE_WORDS.get(state, STATE_WORDS[FAILED]))

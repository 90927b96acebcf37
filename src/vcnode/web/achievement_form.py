"""The achievement part of a desk form: choose one this node awarded before, or type a new one.

Shared by the desk's one-badge form and its CSV batches page; the fields are in the template partial
``desk/_achievement.html`` (include it with :func:`template_context` in the render context). The field names
are stable (:data:`FIELDS`):

- ``achievement_choice``: ``new`` (the typed fields below), or the id of an achievement the issuing identity
  awarded before (as :func:`issued_achievements` lists them);
- ``achievement_name``, ``achievement_description``, ``achievement_criteria`` (the criteria narrative),
  ``achievement_type`` (one of :data:`ACHIEVEMENT_TYPES`, the OB 3.0 ``achievementType`` vocabulary, or empty)
  and ``achievement_image`` (an optional https URL of the badge image).

:func:`parse_achievement` turns a POSTed form into an OB 3.0 ``Achievement`` for
:func:`vcnode.credentials.openbadges.build_open_badge`, or field errors in the page's language. A typed
achievement's id is a ``urn:uuid`` derived from its issuer and fields, so typing the same achievement again
gives the same id (and the chooser lists it once).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from vcnode.jsonld import canonicalize_jcs


def N_(text: str) -> str:
    """Mark ``text`` for translation where it is shown."""
    return text


CHOICE, NAME, DESCRIPTION, CRITERIA, TYPE, IMAGE = (
    "achievement_choice", "achievement_name", "achievement_description", "achievement_criteria",
    "achievement_type", "achievement_image")
#: The form fields this module reads (the partial's names).
FIELDS = (CHOICE, NAME, DESCRIPTION, CRITERIA, TYPE, IMAGE)
#: ``achievement_choice`` for "type a new achievement".
NEW = "new"
#: Longest accepted values (characters): a badge's words, not documents.
MAX_NAME, MAX_DESCRIPTION, MAX_CRITERIA, MAX_IMAGE_URL = 200, 2000, 4000, 2000
#: Achievements offered in the chooser (the most recently awarded).
CHOICES_SHOWN = 200
#: The OB 3.0 ``achievementType`` values offered (the spec's enumeration, the ones institutions use most), with
#: their labels; empty means none is given.
ACHIEVEMENT_TYPES: tuple[tuple[str, str], ...] = (
    ("", N_("(none)")), ("Badge", N_("Badge")), ("Achievement", N_("Achievement")),
    ("Certificate", N_("Certificate")), ("CertificateOfCompletion", N_("Certificate of completion")),
    ("Certification", N_("Certification")), ("Course", N_("Course")), ("Competency", N_("Competency")),
    ("MicroCredential", N_("Micro-credential")), ("Assessment", N_("Assessment")), ("Award", N_("Award")),
    ("LearningProgram", N_("Learning programme")), ("License", N_("Licence")), ("Diploma", N_("Diploma")),
    ("Degree", N_("Degree")))
_TYPES = {value for value, _ in ACHIEVEMENT_TYPES}
_TYPE_LABELS = dict(ACHIEVEMENT_TYPES)
#: The namespace of typed achievements' ids (uuid5 of the issuer and the achievement's fields).
ACHIEVEMENT_NAMESPACE = uuid.UUID("7d3f0c52-8a4e-4b8e-9a61-2f0d5c1e6b94")


@dataclass(frozen=True)
class IssuedAchievement:
    """An achievement an identity of this node awarded before: who awarded it and the OB 3.0 object as the
    newest credential carried it."""

    issuer: str
    id: str
    achievement: dict[str, Any]

    @property
    def name(self) -> str:
        """Its name as text (the first of a language map), else its id."""
        name = self.achievement.get("name")
        if isinstance(name, list):
            name = next((n for n in name if isinstance(n, str | dict)), None)
        if isinstance(name, dict):
            name = name.get("@value")
        return name if isinstance(name, str) and name.strip() else self.id

    @property
    def achievement_type(self) -> str | None:
        """Its ``achievementType``, when a string."""
        value = self.achievement.get("achievementType")
        return value if isinstance(value, str) else None


class AchievementErrors(Exception):
    """The form's achievement fields are wrong: ``errors`` maps a field name to what to correct (translated)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


async def issued_achievements(node: Any, issuers: Sequence[str], *, achievement_id: str | None = None,
                              limit: int = CHOICES_SHOWN) -> list[IssuedAchievement]:
    """The achievements ``issuers`` (the identities a token may act for) awarded on this node, most recently
    awarded first (at most ``limit``); with ``achievement_id``, that one only."""
    if not issuers:
        return []
    rows = await node.store.issued_achievements(list(issuers), achievement_id=achievement_id, limit=limit)
    found = []
    for issuer, found_id, text in rows:
        achievement = orjson.loads(text)
        if isinstance(achievement, dict):
            found.append(IssuedAchievement(issuer, found_id, achievement))
    return found


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip().replace("\r\n", "\n") if isinstance(value, str) else ""


def https_url(value: str) -> bool:
    """An absolute https URL with a host and no spaces or control characters (what an image may be here)."""
    if any(char.isspace() or not char.isprintable() for char in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname)


def typed_achievement_id(issuer: str, achievement: Mapping[str, Any]) -> str:
    """The id of a typed achievement: a ``urn:uuid`` from its issuer and fields."""
    return f"urn:uuid:{uuid.uuid5(ACHIEVEMENT_NAMESPACE, canonicalize_jcs({'issuer': issuer, **achievement}).decode())}"


async def parse_achievement(node: Any, form: Mapping[str, Any], *, issuer: str,
                            gettext: Callable[[str], str]) -> dict[str, Any]:
    """The OB 3.0 achievement the form names for ``issuer`` (an identity the caller already checked the token
    may act for): the one chosen (awarded before by ``issuer``), or the typed one, checked. Raises
    :class:`AchievementErrors` naming each wrong field in the page's language (``gettext``)."""
    choice = _text(form, CHOICE) or NEW
    if choice != NEW:
        found = await issued_achievements(node, [issuer], achievement_id=choice, limit=1)
        if not found:
            raise AchievementErrors({CHOICE: gettext(
                "The chosen achievement was not awarded before by the issuing identity: choose another, or type "
                "a new one.")})
        return found[0].achievement
    name, description, criteria = _text(form, NAME), _text(form, DESCRIPTION), _text(form, CRITERIA)
    kind, image = _text(form, TYPE), _text(form, IMAGE)
    errors: dict[str, str] = {}
    for field, value, longest, missing in (
            (NAME, name, MAX_NAME, N_("Enter the achievement's name.")),
            (DESCRIPTION, description, MAX_DESCRIPTION, N_("Enter a description of the achievement.")),
            (CRITERIA, criteria, MAX_CRITERIA, N_("Enter the criteria: what the learner did to earn it."))):
        if not value:
            errors[field] = gettext(missing)
        elif len(value) > longest:
            errors[field] = gettext("At most %(count)d characters.") % {"count": longest}
    if kind not in _TYPES:
        errors[TYPE] = gettext("Choose a type from the list.")
    if image and (len(image) > MAX_IMAGE_URL or not https_url(image)):
        errors[IMAGE] = gettext("The image must be an https:// address (or leave it empty).")
    if errors:
        raise AchievementErrors(errors)
    achievement: dict[str, Any] = {"type": ["Achievement"], "name": name, "description": description,
                                   "criteria": {"narrative": criteria}}
    if kind:
        achievement["achievementType"] = kind
    if image:
        achievement["image"] = {"id": image, "type": "Image"}
    return {"id": typed_achievement_id(issuer, achievement), **achievement}


def template_context(gettext: Callable[[str], str], achievements: Sequence[IssuedAchievement], *,
                     values: Mapping[str, Any] | None = None, errors: Mapping[str, str] | None = None,
                     identity_names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What ``desk/_achievement.html`` needs: ``achievement_choices`` (value, label) with "type a new
    achievement" first, ``achievement_types`` (value, translated label), ``achievement_values`` (the form's
    values, to show them again) and ``achievement_errors`` (field → message). With ``identity_names``
    (DID → name) and more than one identity among the achievements, each label names its issuer."""
    several = len({found.issuer for found in achievements}) > 1
    choices = [(NEW, gettext("Type a new achievement"))]
    for found in achievements:
        kind = found.achievement_type
        label = found.name + (f" · {gettext(_TYPE_LABELS.get(kind, kind))}" if kind else "")
        if several:
            label += f" — {(identity_names or {}).get(found.issuer) or found.issuer}"
        choices.append((found.id, label))
    shown = {field: _text(values or {}, field) for field in FIELDS}
    shown[CHOICE] = shown[CHOICE] or NEW
    return {"achievement_choices": choices,
            "achievement_types": [(value, gettext(label)) for value, label in ACHIEVEMENT_TYPES],
            "achievement_values": shown,
            "achievement_errors": {field: (errors or {}).get(field, "") for field in FIELDS}}

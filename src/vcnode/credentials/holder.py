"""Holder binding: is a presented credential about the one who presents it?

A presentation proves who its holder is (its proof, by a key the holder controls); a credential says whom it
is about (``credentialSubject.id``). Binding connects the two, so that nobody can present someone else's
badge as their own. The rules (documented in docs/credentials.md, "Holder binding"):

- **not applicable** when no subject of the credential has an ``id`` (a subject identified otherwise, such as
  an Open Badges hashed email, cannot be bound to a DID);
- **passed** when a subject's ``id`` is the holder, or a DID URL of the holder's DID (a path, query or
  fragment of it), and the holder is proven; with several subjects one such subject is enough;
- **failed** with ``holderMismatch`` when no subject is the holder, and with ``holderNotProven`` when one
  is but the presentation does not prove its holder (unsigned, no holder named, or no verified proof by
  the holder): a claimed holder is not a proven one.

Pure: no I/O, no verification; the presentation verifier says whether the holder is proven.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from vcnode.credentials.model import as_list
from vcnode.did.syntax import is_did, parse_did_url

Outcome = Literal["passed", "failed", "notApplicable"]
HOLDER_MISMATCH = "holderMismatch"
HOLDER_NOT_PROVEN = "holderNotProven"


@dataclass(frozen=True, slots=True)
class HolderBinding:
    """The outcome for one credential: ``code`` and ``message`` explain a failure (or why the check does not
    apply); ``subject`` is the subject id that names the holder, when one does."""

    outcome: Outcome
    message: str
    holder: str | None
    subjects: tuple[str, ...]
    subject: str | None = None
    code: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The detail that goes into a report's ``results.holderBinding``."""
        out: dict[str, Any] = {"outcome": self.outcome, "holder": self.holder, "subjects": list(self.subjects)}
        if self.subject is not None:
            out["subject"] = self.subject
        return out


def subject_ids(credential: Any) -> tuple[str, ...]:
    """The string ``id`` of every ``credentialSubject`` of a credential (none for anything else)."""
    if not isinstance(credential, dict):
        return ()
    return tuple(subject["id"] for subject in as_list(credential.get("credentialSubject"))
                 if isinstance(subject, dict) and isinstance(subject.get("id"), str))


def names_holder(subject_id: str, holder: str) -> bool:
    """True when ``subject_id`` is ``holder`` itself or, for a holder that is a DID, a DID URL of it
    (``did:example:alice#key-1``, ``did:example:alice/profile``, ``did:example:alice?service=x``)."""
    if subject_id == holder:
        return True
    parsed = parse_did_url(subject_id)
    return parsed is not None and is_did(holder) and parsed.did == holder


def bind_holder(credential: Any, holder: Any, *, holder_proven: bool) -> HolderBinding:
    """Whether ``credential`` (one of a presentation's credentials) is about ``holder`` (the presentation's
    holder id, or None); ``holder_proven`` says whether a proof by that holder verified."""
    subjects = subject_ids(credential)
    claimed = holder if isinstance(holder, str) else None
    if not subjects:
        return HolderBinding("notApplicable", "the credential names no subject id, so it cannot be bound to the "
                             "holder", claimed, subjects)
    subject = next((s for s in subjects if claimed is not None and names_holder(s, claimed)), None)
    if subject is None:
        whom = f"the presentation's holder {claimed[:120]}" if claimed else "a holder (the presentation names none)"
        return HolderBinding("failed", f"the credential is about {subjects[0][:120]}"
                             + (f" (and {len(subjects) - 1} other subject(s))" if len(subjects) > 1 else "")
                             + f", not {whom}", claimed, subjects, code=HOLDER_MISMATCH)
    if not holder_proven:
        return HolderBinding("failed", f"the credential is about the presentation's holder {subject[:120]}, but the "
                             "presentation does not prove its holder (no verified proof by the holder)", claimed,
                             subjects, subject, code=HOLDER_NOT_PROVEN)
    return HolderBinding("passed", "the credential is about the presentation's holder", claimed, subjects, subject)

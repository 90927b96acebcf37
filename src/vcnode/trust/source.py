"""Where evaluation finds statements: the :class:`StatementSource` interface and an in-memory index.

The index holds statements that were parsed and checked elsewhere (proof, issuer binding, status list,
anchor log). What those checks found travels with each statement as an :class:`Indexed` record, so the
evaluation stays pure: it never fetches, resolves or verifies anything itself.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Literal, Protocol, TypeVar

from vcnode.trust.parse import parse_statement
from vcnode.trust.statements import (
    Accreditation,
    AnyStatement,
    Endorsement,
    FrameworkDescriptor,
    Pathway,
    RecognitionAgreement,
)

_VERSIONS = itertools.count(1)
S = TypeVar("S", bound=AnyStatement, covariant=True)
#: The statement's proof: verified, failed (forged or tampered), or not checked.
ProofState = Literal["verified", "failed", "unchecked"]
#: The statement's status list entry: not withdrawn, withdrawn (revoked or suspended), or not checked.
StatusState = Literal["valid", "withdrawn", "unchecked"]


@dataclass(frozen=True, eq=False)
class Indexed(Generic[S]):
    """A statement and what the node found when it checked it.

    ``signer`` is the DID whose key made the verified proof (when known): a statement whose signer is not
    its issuer is treated as forged, whatever ``proof`` says. ``equivocated`` is set when the issuer signed
    conflicting versions of its anchor log (the statement is then flagged, see docs/trust.md).
    ``evidence`` is passed through to reports unchanged (anchor position, where the copy came from, …).
    """

    statement: S
    proof: ProofState = "verified"
    status: StatusState = "valid"
    signer: str | None = None
    equivocated: bool = False
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def forged(self) -> bool:
        """The proof failed, or it was made by someone other than the statement's issuer."""
        return self.proof == "failed" or (self.signer is not None and self.signer != self.statement.issuer)


class StatementSource(Protocol):
    """The statements an evaluation may use, looked up the ways the evaluation walks."""

    def accreditations_of(self, provider: str) -> Sequence[Indexed[Accreditation]]:
        """Accreditations whose subject is ``provider`` (a DID)."""
        ...

    def agreements_recognising(self, regulator: str) -> Sequence[Indexed[RecognitionAgreement]]:
        """Recognition agreements whose subject (the recognised party) is ``regulator``."""
        ...

    def framework(self, reference: str) -> Indexed[FrameworkDescriptor] | None:
        """The descriptor of a framework named by its id, its code or one of its names."""
        ...

    def endorsements_of(self, subject: str) -> Sequence[Indexed[Endorsement]]:
        """Endorsements whose subject is ``subject`` (a provider, an achievement or a credential id)."""
        ...


class InMemoryStatements:
    """A :class:`StatementSource` in dictionaries: lookups cost the same with ten statements or a
    hundred thousand. ``add`` the same statement id again to replace it (a newer copy, a changed status)."""

    def __init__(self) -> None:
        #: Changes on every change, so caches of evaluations know when to forget (see RecognitionCache). Drawn
        #: from one counter for all indexes: a new index never repeats an old one's (id, version) pair.
        self.version = next(_VERSIONS)
        self._by_id: dict[str, Indexed[AnyStatement]] = {}
        # subject (or framework name) → statement id → record; ids keep replacement and removal cheap.
        self._accreditations: dict[str, dict[str, Indexed[Any]]] = defaultdict(dict)
        self._agreements: dict[str, dict[str, Indexed[Any]]] = defaultdict(dict)
        self._endorsements: dict[str, dict[str, Indexed[Any]]] = defaultdict(dict)
        self._frameworks: dict[str, dict[str, Indexed[Any]]] = defaultdict(dict)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Indexed[AnyStatement]]:
        return iter(list(self._by_id.values()))

    def get(self, statement_id: str) -> Indexed[AnyStatement] | None:
        """The indexed statement with this credential id."""
        return self._by_id.get(statement_id)

    def pathways(self, issuer: str | None = None) -> list[Indexed[Pathway]]:
        """Pathways in the index (those of ``issuer`` when given)."""
        return [entry for entry in self._by_id.values() if isinstance(entry.statement, Pathway)
                and (issuer is None or entry.statement.issuer == issuer)]

    def add(self, statement: AnyStatement, *, proof: ProofState = "verified", status: StatusState = "valid",
            signer: str | None = None, equivocated: bool = False,
            evidence: Mapping[str, Any] | None = None) -> Indexed[AnyStatement]:
        """Index a parsed statement with what its checks found; returns the record."""
        entry: Indexed[AnyStatement] = Indexed(statement, proof, status, signer, equivocated, dict(evidence or {}))
        self.remove(statement.id)
        self.version = next(_VERSIONS)
        self._by_id[statement.id] = entry
        if isinstance(statement, Accreditation):
            self._accreditations[statement.provider][statement.id] = entry
        elif isinstance(statement, RecognitionAgreement):
            self._agreements[statement.recognised][statement.id] = entry
        elif isinstance(statement, Endorsement):
            self._endorsements[statement.subject][statement.id] = entry
        elif isinstance(statement, FrameworkDescriptor):
            for name in statement.names():
                self._frameworks[name.casefold()][statement.id] = entry
        return entry

    def add_document(self, document: Any, **checks: Any) -> Indexed[AnyStatement]:
        """Parse a statement's credential (:class:`~vcnode.trust.parse.StatementError` if malformed) and
        index it; ``checks`` are :meth:`add`'s keyword arguments."""
        return self.add(parse_statement(document), **checks)

    def add_all(self, documents: Iterable[Any], **checks: Any) -> None:
        """Index several statement credentials with the same check results."""
        for document in documents:
            self.add_document(document, **checks)

    def set_status(self, statement_id: str, status: StatusState) -> None:
        """Record a changed status (a statement withdrawn, or found valid again)."""
        entry = self._by_id.get(statement_id)
        if entry is not None:
            self._replace(replace(entry, status=status))

    def flag_equivocation(self, issuer: str) -> None:
        """Flag every statement of ``issuer`` (it signed conflicting versions of its anchor log)."""
        for entry in list(self._by_id.values()):
            if entry.statement.issuer == issuer and not entry.equivocated:
                self._replace(replace(entry, equivocated=True))

    def _replace(self, entry: Indexed[AnyStatement]) -> None:
        self.add(entry.statement, proof=entry.proof, status=entry.status, signer=entry.signer,
                 equivocated=entry.equivocated, evidence=entry.evidence)

    def remove(self, statement_id: str) -> None:
        """Forget a statement."""
        entry = self._by_id.pop(statement_id, None)
        if entry is None:
            return
        self.version = next(_VERSIONS)
        statement = entry.statement
        if isinstance(statement, Accreditation):
            self._accreditations[statement.provider].pop(statement_id, None)
        elif isinstance(statement, RecognitionAgreement):
            self._agreements[statement.recognised].pop(statement_id, None)
        elif isinstance(statement, Endorsement):
            self._endorsements[statement.subject].pop(statement_id, None)
        elif isinstance(statement, FrameworkDescriptor):
            for name in statement.names():
                self._frameworks[name.casefold()].pop(statement_id, None)

    # StatementSource
    def accreditations_of(self, provider: str) -> Sequence[Indexed[Accreditation]]:
        found = self._accreditations.get(provider)
        return tuple(found.values()) if found else ()

    def agreements_recognising(self, regulator: str) -> Sequence[Indexed[RecognitionAgreement]]:
        found = self._agreements.get(regulator)
        return tuple(found.values()) if found else ()

    def framework(self, reference: str) -> Indexed[FrameworkDescriptor] | None:
        found = self._frameworks.get(reference.strip().casefold())
        if not found:
            return None
        # Several descriptors may claim one name; a usable one (not forged, not withdrawn) is preferred.
        candidates = list(found.values())
        usable = [c for c in candidates if not c.forged and c.status != "withdrawn"]
        return (usable or candidates)[0]

    def endorsements_of(self, subject: str) -> Sequence[Indexed[Endorsement]]:
        found = self._endorsements.get(subject)
        return tuple(found.values()) if found else ()


class FrameworkLookup:
    """Framework descriptors by id or name, looked up once (one per evaluation): forged or withdrawn
    descriptors are not used. Callable, as ``trust.scope``, ``trust.award`` and ``trust.pathways`` expect."""

    def __init__(self, source: StatementSource) -> None:
        self._source = source
        self._seen: dict[str, FrameworkDescriptor | None] = {}
        self._levelled: dict[str, bool] = {}

    def __call__(self, reference: str) -> FrameworkDescriptor | None:
        try:
            return self._seen[reference]
        except KeyError:
            found = self._source.framework(reference)
            usable = found is not None and not found.forged and found.status != "withdrawn"
            descriptor = self._seen[reference] = found.statement if usable and found is not None else None
            return descriptor

    def has_levels(self, reference: str) -> bool:
        """``reference`` names a usable descriptor of a framework with levels (completeness asks this)."""
        try:
            return self._levelled[reference]
        except KeyError:
            descriptor = self(reference)
            levelled = self._levelled[reference] = descriptor is not None and bool(descriptor.levels)
            return levelled

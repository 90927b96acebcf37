"""One statement judged as a hop of a trust path (or as a quality signal): forged, withdrawn, outside its
validity period or its scope, or not checked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vcnode.trust.parse import kind_of
from vcnode.trust.report import Hop, Outcome, Reason
from vcnode.trust.source import Indexed
from vcnode.trust.statements import Scope


def judge(entry: Indexed[Any], subject: str, now: datetime, problems: list[Reason],
           scope: Scope | None = None) -> Hop:
    """One statement as a hop: forged, withdrawn, out of its validity period or out of scope fails it;
    a proof or status that was not checked leaves it unchecked."""
    statement = entry.statement
    at = {"statement": statement.id}
    failing: list[Reason] = []
    pending: list[Reason] = []
    if entry.forged:
        message = f"{statement.id} is signed by {entry.signer}, not by its issuer {statement.issuer}" \
            if entry.proof != "failed" else f"the proof of {statement.id} does not verify"
        failing.append(Reason("forgedStatement", message, at))
    else:
        if entry.status == "withdrawn":
            failing.append(Reason("withdrawn", f"{statement.issuer} withdrew {statement.id}", at))
        validity = statement.validity_problem(now)
        if validity is not None:
            failing.append(Reason(validity[0], validity[1], at))
        failing.extend(Reason(p.code, p.message, {**at, **p.detail}) for p in problems)
        if entry.proof == "unchecked":
            pending.append(Reason("proofUnchecked", f"the proof of {statement.id} was not checked", at))
        if entry.status == "unchecked":
            pending.append(Reason("statusUnchecked", f"whether {statement.id} was withdrawn could not be checked",
                                  at))
    warnings = (Reason("issuerEquivocated", f"{statement.issuer} signed conflicting versions of its anchor log: "
                       "statements from it may have been hidden from this node", at),) if entry.equivocated else ()
    result = Outcome.FAILED if failing else Outcome.UNCHECKED if pending else Outcome.OK
    return Hop(statement.id, kind_of(statement), statement.issuer, subject, result, tuple(failing + pending),
               warnings, entry, scope)

"""Quality signals: accreditations and endorsements of a credential's issuer or achievement, each with its own
result. They inform; they never decide recognition."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from vcnode.credentials.model import as_list
from vcnode.trust.award import AwardFacts
from vcnode.trust.build import scope_json
from vcnode.trust.hops import judge
from vcnode.trust.parse import StatementError, parse_endorsement
from vcnode.trust.report import Hop, Outcome, QualitySignal, Reason
from vcnode.trust.source import StatementSource
from vcnode.trust.statements import Accreditation


def accreditation_signals(accreditations: Sequence[tuple[Accreditation, Hop]], path_ids: Collection[str],
                          anchors: Collection[str]) -> tuple[QualitySignal, ...]:
    """Each accreditation of the issuer, already judged as a hop, whether or not it is on the trust path."""
    return tuple(QualitySignal("accreditation", statement.id, statement.issuer, statement.provider, hop.result,
                               hop.reasons, {"scope": scope_json(statement.scope),
                                             "onTrustPath": statement.id in path_ids,
                                             "issuerIsAnchor": statement.issuer in anchors})
                 for statement, hop in accreditations)


def endorsement_signals(credential: dict[str, Any], facts: AwardFacts, source: StatementSource,
                        now: datetime, achievement: dict[str, Any] | None = None) -> tuple[QualitySignal, ...]:
    """Each endorsement the source holds of the issuer, the achievement or the credential (proof, status and
    validity judged), and each endorsement embedded in the credential (unchecked: its proof is not verified
    here). ``achievement``: the credential's achievement when already found."""
    signals = []
    seen: set[str] = set()
    subjects = dict.fromkeys(s for s in (facts.issuer, facts.achievement_id, facts.credential_id) if s)
    for subject in subjects:
        for entry in source.endorsements_of(subject):
            statement = entry.statement
            seen.add(statement.id)
            hop = judge(entry, subject, now, [])
            signals.append(QualitySignal("endorsement", statement.id, statement.issuer, subject, hop.result,
                                         hop.reasons, {"comment": statement.comment}))
    if achievement is None:
        achievement = next((s.get("achievement") for s in as_list(credential.get("credentialSubject"))
                            if isinstance(s, dict) and isinstance(s.get("achievement"), dict)), {})
    for where, embedded in (("endorsement", credential.get("endorsement")),
                            ("achievement.endorsement", achievement.get("endorsement"))):
        if embedded is None:
            continue
        for item in as_list(embedded):
            label = str(item.get("id")) if isinstance(item, dict) else where
            try:
                endorsement = parse_endorsement(item)
            except StatementError as exc:
                signals.append(QualitySignal("endorsement", label, str(item.get("issuer", "")) if isinstance(
                    item, dict) else "", "", Outcome.FAILED, (Reason("invalidStatement", exc.detail),),
                    {"embeddedIn": where}))
                continue
            if endorsement.id in seen:
                continue
            seen.add(endorsement.id)
            signals.append(QualitySignal(
                "endorsement", endorsement.id, endorsement.issuer, endorsement.subject, Outcome.UNCHECKED,
                (Reason("embeddedNotChecked", "an endorsement carried in the credential: its proof and status are "
                        "not checked by the recognition evaluation"),),
                {"comment": endorsement.comment, "embeddedIn": where}))
    return tuple(signals)

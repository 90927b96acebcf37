"""Trust: who vouches for a credential's issuer, what its award is worth in another framework, and how
awards stack. Pure domain logic over signed statements (see docs/trust.md):

- ``vocab``: the context and type names; ``statements``: the parsed statements as frozen values;
  ``parse``: credential → statement (``StatementError``); ``build``: the unsigned statement credentials;
- ``source``: the ``StatementSource`` interface, ``Indexed`` check results, the in-memory index;
- ``award``: what an Open Badges credential says (level, credits, field, country, date);
- ``scope``: scope checks; ``completeness``: the EU micro-credential elements;
- ``evaluate``: the trust path and the recognition report (``report``), with ``hops`` (one statement
  judged), ``signals`` (accreditations and endorsements) and ``cache`` (paths reused while they hold);
- ``pathways``: stacking evaluation; ``stacked``: the stacked award credential;
- ``examples``: example data for Hong Kong, New Zealand and Ireland (not official).
"""

from vcnode.trust.build import build_accreditation, build_agreement, build_framework, build_pathway
from vcnode.trust.cache import RecognitionCache
from vcnode.trust.evaluate import RecognitionOptions, evaluate_recognition
from vcnode.trust.parse import StatementError, is_statement, parse_statement
from vcnode.trust.pathways import HeldCredential, PathwayResult, evaluate_pathway, evaluate_pathways
from vcnode.trust.report import Outcome, RecognitionReport
from vcnode.trust.source import FrameworkLookup, Indexed, InMemoryStatements, StatementSource
from vcnode.trust.stacked import PathwayNotSatisfied, build_stacked_award, component_digest
from vcnode.trust.statements import (
    Accreditation,
    CreditConversion,
    CreditUnit,
    Endorsement,
    FrameworkDescriptor,
    Level,
    LevelMap,
    Pathway,
    PathwayAward,
    RecognitionAgreement,
    Scope,
)
from vcnode.trust.vocab import TRUST_CONTEXT

__all__ = [
    "TRUST_CONTEXT", "Accreditation", "CreditConversion", "CreditUnit", "Endorsement", "FrameworkDescriptor",
    "FrameworkLookup", "HeldCredential", "InMemoryStatements", "Indexed", "Level", "LevelMap", "Outcome", "Pathway",
    "PathwayAward", "PathwayNotSatisfied", "PathwayResult", "RecognitionAgreement", "RecognitionCache",
    "RecognitionOptions", "RecognitionReport", "Scope", "StatementError", "StatementSource", "build_accreditation",
    "build_agreement", "build_framework", "build_pathway", "build_stacked_award", "component_digest",
    "evaluate_pathway", "evaluate_pathways", "evaluate_recognition", "is_statement", "parse_statement",
]

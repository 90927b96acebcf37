"""Credentials and presentations: VCDM 2.0/1.1, Open Badges 3.0, issuing and verification reports.

The package sits below :mod:`vcnode.status` (which issues its list credentials with it) and
:mod:`vcnode.issuing` (the issuing service, which adds status entries): none of its modules imports either.
"""

from __future__ import annotations

from vcnode.credentials.issue import InvalidCredential, create_presentation, issue_credential, sign
from vcnode.credentials.report import Report
from vcnode.credentials.verify import VerifyOptions, verify_credential, verify_presentation

__all__ = ["InvalidCredential", "Report", "VerifyOptions", "create_presentation", "issue_credential", "sign",
           "verify_credential", "verify_presentation"]

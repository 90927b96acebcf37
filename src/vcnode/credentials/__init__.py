"""Credentials and presentations: VCDM 2.0/1.1, Open Badges 3.0, issuing and verification reports."""

from vcnode.credentials.issue import InvalidCredential, create_presentation, issue_credential, sign
from vcnode.credentials.report import Report
from vcnode.credentials.verify import VerifyOptions, verify_credential, verify_presentation

__all__ = ["InvalidCredential", "Report", "VerifyOptions", "create_presentation", "issue_credential", "sign",
           "verify_credential", "verify_presentation"]

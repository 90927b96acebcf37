"""Credentials and presentations: VCDM 2.0/1.1, Open Badges 3.0, issuing and verification reports.

The names below are loaded on first use (PEP 562): the package's modules import ``vcnode.status`` and it
imports ``vcnode.credentials.model``, so importing them eagerly here would make an import cycle for whoever
imports ``vcnode.status.entries`` first.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {"InvalidCredential": "issue", "create_presentation": "issue", "issue_credential": "issue",
            "sign": "issue", "Report": "report", "VerifyOptions": "verify", "verify_credential": "verify",
            "verify_presentation": "verify"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vcnode.credentials' has no attribute {name!r}")
    return getattr(importlib.import_module(f"vcnode.credentials.{module}"), name)

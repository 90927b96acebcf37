"""The one verification report used by the library, the HTTP API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Finding:
    """An error or warning with a stable code, the check it belongs to and a human message."""

    code: str
    message: str
    check: str
    path: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"code": self.code, "message": self.message, "check": self.check}
        if self.path:
            out["path"] = self.path
        return out


@dataclass
class Report:
    """``verified`` is true only when every performed check passed. ``results`` holds per-check detail;
    a check that was not performed says so (``"checked": false``) and never reads as a failure."""

    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.errors and all(r.get("verified", True) is not False for r in self.results.values())

    def error(self, check: str, code: str, message: str, path: str | None = None) -> None:
        """Record an error and mark its check failed."""
        self.errors.append(Finding(code, message, check, path))
        self.results.setdefault(check, {})["verified"] = False

    def warn(self, check: str, code: str, message: str, path: str | None = None) -> None:
        """Record a warning (it does not change ``verified``)."""
        self.warnings.append(Finding(code, message, check, path))

    def passed(self, check: str, **detail: Any) -> None:
        """Mark a check performed; it stays failed if an error was recorded for it."""
        entry = self.results.setdefault(check, {})
        entry.setdefault("verified", True)
        entry.update(detail)

    def to_json(self) -> dict[str, Any]:
        """``{verified, checks, results, warnings, errors}`` — the VC API verification response plus detail."""
        checks = [name for name, result in self.results.items() if result.get("checked", True)]
        return {"verified": self.verified, "checks": checks, "results": self.results,
                "warnings": [w.to_json() for w in self.warnings], "errors": [e.to_json() for e in self.errors]}

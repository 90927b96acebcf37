"""The records exchanged with the store, each defined by the package that owns it (re-exported here)."""

from __future__ import annotations

from vcnode.auth.records import TokenRecord
from vcnode.exchanges.records import ExchangeRecord
from vcnode.jobs.records import JobRecord

__all__ = ["ExchangeRecord", "JobRecord", "TokenRecord"]

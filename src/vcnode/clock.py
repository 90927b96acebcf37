"""One home for time: the clock services read, and the one way timestamps are written and read.

Services take a :class:`Clock` (default :data:`SYSTEM_CLOCK`) instead of calling ``datetime.now`` or
``time.time`` themselves, so a test can move time without sleeping. Services that already take a
``clock: Callable[[], float]`` (Unix seconds) are given ``clock.time``.

Timestamps in credentials, proofs, logs and the store are XML Schema ``dateTimeStamp`` values in UTC with a
``Z`` (``2026-01-02T03:04:05Z``): :func:`format_timestamp` writes them, :func:`parse_datetime` reads them.
"""

from __future__ import annotations

import time as _time
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

Timespec = Literal["seconds", "milliseconds", "auto"]


class Clock(Protocol):
    """Where a service reads the time."""

    def now(self) -> datetime:
        """The current time, an aware datetime in UTC."""
        ...

    def time(self) -> float:
        """The current time in Unix seconds."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current time, an aware datetime in UTC."""
        return datetime.now(UTC)

    def time(self) -> float:
        """The current time in Unix seconds."""
        return _time.time()


#: The clock every service uses unless it is given another one.
SYSTEM_CLOCK: Clock = SystemClock()


def format_timestamp(moment: datetime, *, timespec: Timespec = "seconds", keep_offset: bool = False) -> str:
    """``moment`` as an XML Schema dateTimeStamp: converted to UTC and written with ``Z``.

    ``timespec``: ``"seconds"`` (the default) drops the fraction; ``"milliseconds"`` always writes three
    digits; ``"auto"`` keeps microseconds when there are any (as ``datetime.isoformat`` does).
    ``keep_offset``: write the moment in its own offset (``+08:00``; only ``+00:00`` becomes ``Z``), for
    reports that echo a date as the document gave it. A naive datetime is refused (``ValueError``): its
    time zone would be a guess, and the result would not be a dateTimeStamp.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a timestamp needs an aware datetime (with a time zone)")
    if not keep_offset:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec=timespec).replace("+00:00", "Z")


def now_timestamp(clock: Clock = SYSTEM_CLOCK) -> str:
    """The current time as a dateTimeStamp to the second (``…Z``)."""
    return format_timestamp(clock.now())


def from_unix(seconds: float) -> str:
    """Unix seconds as a dateTimeStamp to the second (``…Z``)."""
    return format_timestamp(datetime.fromtimestamp(seconds, UTC))


def parse_datetime(value: Any) -> datetime | None:
    """An XML Schema dateTime with a timezone (``Z`` or offset) → aware datetime; None when invalid.

    Strict: a date without a time, or a time without a zone, is None (credentials and proofs need both)."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def parse_iso(value: Any) -> datetime | None:
    """Any ISO 8601 date or date-time Python reads (``Z`` accepted) → datetime, naive when the text has no
    zone; None when it is not one. Lenient, for showing dates; use :func:`parse_datetime` to check them."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None

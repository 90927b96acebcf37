"""Logging for every command: one line per record on stderr, as text or as JSON (``log_format``).

Records logged while a request is handled carry its request id (set by :mod:`vcnode.http.access`), so a
traceback can be matched with the access line and the ``requestId`` of the problem the client got. Access
lines (logger ``vcnode.access``) carry their fields as structured members in JSON.

Libraries that log every operation at DEBUG (aiosqlite: two lines per query) stay at WARNING even with
``-v``, so debug logs show the node's own work.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from vcnode.clock import format_timestamp
from vcnode.config import Config

#: The id of the request being handled, in the task that handles it (None outside requests).
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("vcnode_request_id", default=None)

#: Loggers that would flood DEBUG logs: one or more lines per store query.
QUIET_LOGGERS = ("aiosqlite",)
ACCESS_LOGGER = "vcnode.access"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Attribute of a log record holding an access line's fields (see :func:`access_fields`).
FIELDS = "vcnode_fields"


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (``record.request_id``, None outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate; never drops a record."""
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class TextFormatter(logging.Formatter):
    """The classic line, with ``[request …]`` appended to records logged during a request (access lines
    already name their request id)."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        """One line (a traceback follows on further lines, as usual)."""
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        if request_id and record.name != ACCESS_LOGGER:
            head, newline, rest = line.partition("\n")
            line = f"{head} [request {request_id}]{newline}{rest}"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (UTC, RFC 3339), ``level``, ``logger``, ``message``, the
    ``requestId`` when logged during a request, an access line's fields, and ``exception`` (the traceback
    as one string) when there is one. Newlines in messages are escaped by JSON, so one record is one line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        entry: dict[str, Any] = {
            "time": format_timestamp(datetime.fromtimestamp(record.created, UTC), timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["requestId"] = request_id
        fields = getattr(record, FIELDS, None)
        if fields:
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return orjson.dumps(entry, default=str).decode()


def _formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def setup(*, verbose: bool = False) -> None:
    """Log to stderr as text before the configuration is read (a command's first lines)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "vcnode", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.vcnode = True  # type: ignore[attr-defined]
    handler.setFormatter(TextFormatter())
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def apply(config: Config, *, verbose: bool = False) -> None:
    """Apply the node's ``log_format`` and ``log_level`` (``-v`` wins over the level) to the handlers
    :func:`setup` installed."""
    root = logging.getLogger()
    if not verbose:
        root.setLevel(config.log_level.upper())
    for handler in root.handlers:
        if getattr(handler, "vcnode", False):
            handler.setFormatter(_formatter(config.log_format))
    access = logging.getLogger(ACCESS_LOGGER)
    access.disabled = not config.access_log


def access_fields(method: str, route: str, status: int, duration_ms: float, size: int, client: str,
                  request_id: str) -> dict[str, Any]:
    """The structured members of one access line."""
    return {"method": method, "route": route, "status": status, "durationMs": round(duration_ms, 3),
            "bytes": size, "client": client, "requestId": request_id}

"""Structured JSON log lines keyed by hookInstance.

Only ids and counts are logged: hookInstance, service id, status, duration, JWT issuer/jti.
Never patient data, JWTs or access tokens (tests/hooks/test_logging.py captures and checks).
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson
from flask import g, has_request_context

# Attributes of every LogRecord; anything else was passed via `extra=` and is ours to print.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message", "asctime", "taskName",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if has_request_context() and g.get("hook_instance"):
            line["hookInstance"] = g.hook_instance
        for key, value in record.__dict__.items():
            if key not in _STANDARD and value is not None:
                line[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__  # the type only, never the text
        return orjson.dumps(line, default=str).decode()


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr for the `cds` loggers; called by the entry points, not by create_app."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("cds")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # urllib3 logs request URLs at DEBUG, and FHIR URLs carry patient ids.
    logging.getLogger("urllib3").setLevel(logging.WARNING)

"""Log lines: plain text for people (development) or JSON lines for machines (`LOG_FORMAT=json`).

Every line of a request carries its request id and GraphQL operation name, including the lines
that domain code logs through `logging`: the RequestId middleware and the metrics extension set
two context variables, and a filter on the handler copies them onto each record. Nothing is
passed down as a parameter.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

#: The id of the request being served (set by api.app.RequestId), "-" outside requests.
request_id_var: ContextVar[str] = ContextVar("fidelio_request_id", default="-")
#: The GraphQL operation being executed (set by api.metrics.OperationMetrics), "-" otherwise.
operation_var: ContextVar[str] = ContextVar("fidelio_operation", default="-")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(operation)s] %(message)s"
LOG_FORMATS = ("text", "json")


class RequestContextFilter(logging.Filter):
    """Copies the request id and operation name of the current context onto each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.operation = operation_var.get()
        return True


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id,
    operation, and `exception` (the whole traceback as one string) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
            "operation": getattr(record, "operation", operation_var.get()),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def make_handler(log_format: str, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing `log_format` ("text" or "json") lines to `stream` (stderr)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(
        JsonLineFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    return handler


def configure_logging(log_format: str, level: str = "INFO") -> None:
    """Send every logger's lines (uvicorn's included) through one root handler, once per
    process: the server's workers and the worker command call it at start."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(make_handler(log_format))
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True

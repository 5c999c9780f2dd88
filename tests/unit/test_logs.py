"""Log lines as text or JSON, each carrying the request id and operation of its context."""

from __future__ import annotations

import contextvars
import io
import json
import logging

import pytest
import strawberry
from strawberry.extensions import MaskErrors

from api.logs import make_handler, operation_var, request_id_var
from api.metrics import Metrics
from api.settings import Settings, SettingsError


def logger_writing(log_format: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    logger = logging.getLogger(f"test.logs.{log_format}")
    logger.handlers[:] = [make_handler(log_format, stream)]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def in_request(request_id: str, action: object) -> None:
    def run() -> None:
        request_id_var.set(request_id)
        action()  # type: ignore[operator]

    contextvars.copy_context().run(run)


def test_a_json_line_carries_time_level_logger_message_and_request_id() -> None:
    logger, stream = logger_writing("json")

    in_request("req-42", lambda: logger.info("redeemed %s points", 250))

    [line] = stream.getvalue().splitlines()
    parsed = json.loads(line)
    assert parsed["message"] == "redeemed 250 points"
    assert (parsed["level"], parsed["logger"]) == ("INFO", "test.logs.json")
    assert parsed["request_id"] == "req-42"
    assert parsed["operation"] == "-"
    assert parsed["time"].endswith("+00:00")
    assert "exception" not in parsed


def test_an_exception_is_one_field_of_one_line() -> None:
    logger, stream = logger_writing("json")

    def fail() -> None:
        try:
            raise ValueError("stock went negative")
        except ValueError:
            logger.exception("claim failed")

    in_request("req-7", fail)

    [line] = stream.getvalue().splitlines()
    parsed = json.loads(line)
    assert parsed["message"] == "claim failed"
    assert parsed["exception"].startswith("Traceback (most recent call last)")
    assert "ValueError: stock went negative" in parsed["exception"]
    assert parsed["request_id"] == "req-7"


def test_a_text_line_names_the_request_and_outside_a_request_a_dash() -> None:
    logger, stream = logger_writing("text")

    in_request("req-9", lambda: logger.warning("slow board"))
    logger.warning("between requests")

    inside, outside = stream.getvalue().splitlines()
    assert "WARNING test.logs.text [req-9 -] slow board" in inside
    assert "[- -] between requests" in outside


def test_lines_logged_by_resolvers_carry_the_operation_name() -> None:
    _, stream = logger_writing("json")

    @strawberry.type
    class Query:
        @strawberry.field
        def balance(self) -> int:
            logging.getLogger("test.logs.json").info("reading the balance")
            return 3

    metrics = Metrics()
    schema = strawberry.Schema(query=Query, extensions=[MaskErrors, metrics.extension()])

    in_request("req-1", lambda: schema.execute_sync("query Home { balance }"))

    [line] = stream.getvalue().splitlines()
    parsed = json.loads(line)
    assert (parsed["request_id"], parsed["operation"]) == ("req-1", "Home")
    assert operation_var.get() == "-"


def test_an_unknown_log_format_or_level_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match="LOG_FORMAT"):
        Settings(log_format="xml").check()
    with pytest.raises(SettingsError, match="LOG_LEVEL"):
        Settings(log_level="LOUD").check()
    Settings(log_format="json", log_level="debug").check()

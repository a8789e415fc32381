"""Every answer carries a request id, and log lines written while handling it name it."""

from __future__ import annotations

import json
import logging
import logging.config

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from custodywatch.core.request_id import HEADER, RequestIdFilter, RequestIdMiddleware


def handle(headers: dict[str, str], logged: list[logging.LogRecord]) -> HttpResponse:
    logger = logging.getLogger("tests.request_id")

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            logged.append(record)

    handler = Keep()
    handler.addFilter(RequestIdFilter())
    logger.addHandler(handler)
    try:
        def view(_request):
            logger.warning("inside")
            return HttpResponse("ok")

        return RequestIdMiddleware(view)(RequestFactory().get("/", headers=headers))
    finally:
        logger.removeHandler(handler)


def test_a_request_id_is_made_returned_and_logged():
    logged: list[logging.LogRecord] = []
    response = handle({}, logged)
    request_id = response[HEADER]
    assert len(request_id) == 32 and logged[0].request_id == request_id
    second = handle({}, [])
    assert second[HEADER] != request_id


@pytest.mark.parametrize(("offered", "kept"), [
    ("lb-7f3a9c2e-0001", True),
    ("short", False),
    ("x" * 65, False),
    ("id\nX-Injected: 1", False),
])
def test_the_proxy_id_is_kept_only_when_sane(offered, kept):
    logged: list[logging.LogRecord] = []
    response = handle({HEADER: offered}, logged)
    assert (response[HEADER] == offered) is kept
    assert logged[0].request_id == response[HEADER]


def test_json_log_lines_carry_the_request_id(settings):
    formatter = logging.config.dictConfigClass(settings.LOGGING).configure_formatter(
        settings.LOGGING["formatters"]["json"])
    record = logging.LogRecord("custodywatch.x", logging.WARNING, __file__, 1, "hello %s",
                               ("world",), None)
    RequestIdFilter().filter(record)
    line = json.loads(formatter.format(record))
    assert line["message"] == "hello world" and line["level"] == "WARNING"
    assert line["request_id"] == "-" and line["logger"] == "custodywatch.x"

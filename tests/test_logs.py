"""Operator logs: one line per event, local time with its offset, JSON on request."""

from __future__ import annotations

import json
import logging
import sys

from service.logs import LineFormatter


def record_with_traceback() -> logging.LogRecord:
    try:
        raise ValueError("ổ đĩa đầy\nline two")
    except ValueError:
        info = sys.exc_info()
    record = logging.LogRecord("jobs.sync", logging.ERROR, __file__, 1, "portal sync failed",
                               None, info)
    record.created = 1_780_000_000.25  # 2026-05-28 20:26:40.250 UTC
    return record


def test_an_event_with_a_traceback_is_one_line_in_local_time() -> None:
    line = LineFormatter("Asia/Ho_Chi_Minh").format(record_with_traceback())
    assert "\n" not in line
    assert line.startswith("2026-05-29T03:26:40.250+07:00 ERROR jobs.sync: portal sync failed")
    assert "Traceback (most recent call last):" in line and "ổ đĩa đầy\\nline two" in line


def test_json_lines_carry_the_same_fields() -> None:
    line = LineFormatter("Asia/Ho_Chi_Minh", as_json=True).format(record_with_traceback())
    assert "\n" not in line
    event = json.loads(line)
    assert event["time"] == "2026-05-29T03:26:40.250+07:00"
    assert (event["level"], event["logger"]) == ("ERROR", "jobs.sync")
    assert event["message"].startswith("portal sync failed\nTraceback")

"""List parameters and cursors: out-of-range days, ids and instants refused before any query."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from marshmallow import ValidationError

from service.dossiers.filters import MAX_ID, decode_cursor, load_query
from service.formats import FIRST_DAY, LAST_DAY
from service.reports.asof import AsOfError, parse_as_of
from service.reports.periods import PeriodError, parse_period


def cursor(*parts: Any) -> str:
    raw = json.dumps(list(parts), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("field", ["received_from", "received_to", "due_from", "due_to"])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "31/12/1899", "01/01/2101"])
def test_list_days_outside_1900_to_2100_are_refused_naming_the_field(field: str,
                                                                    day: str) -> None:
    with pytest.raises(ValidationError) as refused:
        load_query({field: day})
    assert "01/01/1900" in refused.value.messages[field][0]


@pytest.mark.parametrize("day", ["01/01/1900", "31/12/2100"])
def test_list_days_at_the_bounds_are_kept(day: str) -> None:
    assert load_query({"received_from": day}).received_from in (FIRST_DAY, LAST_DAY)


@pytest.mark.parametrize("forged", [
    cursor("-received", "2026-11-27T02:00:00", 1, 0),
    cursor("-received", "2026-11-27T02:00:00+00:00", MAX_ID + 1, 0),
    cursor("-received", "2026-11-27T02:00:00+00:00", 0, 0),
    cursor("-received", "2026-11-27T02:00:00+00:00", 1, 10**30),
    cursor("-received", "2026-11-27T02:00:00+00:00", 1, -1),
    cursor("received", "0001-01-01T00:00:00+00:00", 1, 0),
    cursor("-due", "9999-12-31T23:59:59+00:00", 1, 0),
    cursor("-updated", 10**30, 1, 0),
    cursor("code", 10**30, 1, 0),
    cursor("code", "x" * 65, 1, 0),
])
def test_forged_cursors_are_refused_under_after(forged: str) -> None:
    with pytest.raises(ValidationError) as refused:
        load_query({"after": forged})
    assert "after" in refused.value.messages


def test_a_cursor_of_ours_reads_back() -> None:
    written = cursor("-received", "2026-11-27T02:00:00+00:00", MAX_ID, 2)
    assert decode_cursor(written) == (
        "-received", dt.datetime(2026, 11, 27, 2, tzinfo=dt.UTC), MAX_ID, 2)


@pytest.mark.parametrize("text", ["0001-01-01..9999-12-31", "1899-12-31..1900-01-10",
                                  "2100-12-01..2101-01-01", "1900-Q1", "9999", "0001-Q1"])
def test_periods_outside_1900_to_2100_are_refused(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text)


def test_periods_at_the_bounds_are_read() -> None:
    period = parse_period("1900-01-01..2100-12-31")
    assert (period.first, period.last) == (FIRST_DAY, LAST_DAY)


@pytest.mark.parametrize("text", ["0001-01-01T00:00+14:00", "9999-12-31T23:59-12:00",
                                  "1899-12-31T23:59"])
def test_as_of_outside_1900_to_2100_is_refused_in_vietnamese(text: str) -> None:
    with pytest.raises(AsOfError) as refused:
        parse_as_of(text, "Asia/Ho_Chi_Minh")
    assert "01/01/1900" in refused.value.vietnamese

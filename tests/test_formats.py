"""Numbers and dates the Vietnamese way: one definition for every page, chart and form."""

from __future__ import annotations

import datetime as dt

import pytest

from service.formats import official_date, read_day, show_day, vn_number


@pytest.mark.parametrize(("value", "digits", "text"), [
    (1000, 0, "1.000"), (999, 0, "999"), (1234567, 0, "1.234.567"), (66.14, 2, "66,14"),
    (1234.5, 1, "1.234,5"), (0.05, 1, "0,1"), (-1500, 0, "-1.500"), (None, 0, "–"),
    (float("nan"), 1, "–")])
def test_numbers_use_dots_between_thousands_and_a_decimal_comma(
        value: float | None, digits: int, text: str) -> None:
    assert vn_number(value, digits) == text


def test_percentages() -> None:
    assert (vn_number(66.14, 2, "%"), vn_number(66.14, 1, "%"), vn_number(100, 0, "%"),
            vn_number(None, 1, "%")) == ("66,14%", "66,1%", "100%", "–")


@pytest.mark.parametrize("text", ["02/03/2026", "2/3/2026", " 02/03/2026 ", "2026-03-02"])
def test_days_are_read_day_first_or_iso(text: str) -> None:
    assert read_day(text) == dt.date(2026, 3, 2)


@pytest.mark.parametrize("text", ["31/02/2026", "03-02-2026", "2026/03/02", "", "hôm nay"])
def test_a_wrong_day_is_refused_naming_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match="dd/mm/yyyy"):
        read_day(text)


def test_days_shown_and_official_dates() -> None:
    assert show_day(dt.date(2026, 3, 2)) == "02/03/2026" and show_day(None) == ""
    # Decree 30/2020: a zero before days under 10 and months 1 and 2 only.
    assert official_date(dt.date(2026, 3, 5)) == "ngày 05 tháng 3 năm 2026"
    assert official_date(dt.date(2026, 2, 13)) == "ngày 13 tháng 02 năm 2026"
    assert official_date(dt.date(2026, 11, 24)) == "ngày 24 tháng 11 năm 2026"


@pytest.mark.parametrize("text", ["01/01/0001", "31/12/1899", "2101-01-01", "9999-12-31"])
def test_a_day_outside_1900_to_2100_is_refused_with_the_bounds(text: str) -> None:
    with pytest.raises(ValueError, match="01/01/1900 – 31/12/2100"):
        read_day(text)

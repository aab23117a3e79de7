"""Out-of-range dates, numbers and list cursors: refused with the field named, never a 500.

Every date a page or the API reads must lie between 01/01/1900 and 31/12/2100, every id
within a signed 64-bit integer, and a list cursor must carry a time-zone-aware instant. Each
test walks one surface's parameters with extreme values against the running server.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from typing import Any

import pytest

from tests.conftest import UNIT_CODE
from tests.security.conftest import Answer, Browser, Stand, call

HUGE = str(10**30)
DAYS = ("0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01", "01/01/0001", "31/12/9999")
LIST_DATES = {"received_from": "Tiếp nhận từ ngày", "received_to": "đến ngày",
              "due_from": "Hạn từ ngày", "due_to": "Hạn đến ngày"}


def cursor(*parts: Any) -> str:
    """A list cursor as the server writes them: base64 of [sort, value, id, rank]."""
    raw = json.dumps(list(parts), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Cursors a client may forge: a naive instant, ids and ranks past 64 bits, instants and
# values no list holds.
CURSORS = {
    "naive instant": cursor("-received", "2026-11-27T02:00:00", 1, 0),
    "id past 64 bits": cursor("-received", "2026-11-27T02:00:00+00:00", 10**30, 0),
    "negative id past 64 bits": cursor("-received", "2026-11-27T02:00:00+00:00", -(10**30), 0),
    "rank past 64 bits": cursor("-received", "2026-11-27T02:00:00+00:00", 1, 10**30),
    "year 1": cursor("received", "0001-01-01T00:00:00+00:00", 1, 0),
    "year 9999": cursor("-received", "9999-12-31T23:59:59+00:00", 1, 0),
    "offset of a day": cursor("-due", "2026-11-27T02:00:00+24:00", 1, 0),
    "number for an instant": cursor("-updated", 10**30, 1, 0),
    "number for a code": cursor("code", 10**30, 1, 0),
    "id as a float": cursor("-received", "2026-11-27T02:00:00+00:00", 1e300, 0),
}


def query(**params: str) -> str:
    return urllib.parse.urlencode(params)


def api(stand: Stand, path: str, token: str = "doc") -> Answer:
    return call(stand.url, path, headers={"Authorization": f"Bearer {stand.tokens[token]}"})


def api_refused(answer: Answer, field: str) -> None:
    """The API's answer to invalid parameters: 422 with the field under errors.query."""
    assert answer.status == 422, (answer.status, answer.text[:300])
    assert field in json.loads(answer.text)["errors"]["query"], answer.text[:300]


TURN = "Trang: giá trị không hợp lệ"


def page_refused(answer: Answer, label: str) -> None:
    """A page's answer: 400 with the field's Vietnamese label in the message."""
    assert answer.status == 400, (answer.status, answer.text[:300])
    assert label in answer.text, answer.text[:2000]


@pytest.fixture(scope="module")
def clerk(stand: Stand) -> Browser:
    return stand.signed_in("canbo_a")


@pytest.fixture(scope="module")
def admin(stand: Stand) -> Browser:
    return stand.signed_in("quantri")


@pytest.mark.parametrize("path", ["/ho-so", "/ho-so/xuat.xlsx"])
@pytest.mark.parametrize("field", LIST_DATES)
@pytest.mark.parametrize("day", DAYS)
def test_list_refuses_days_outside_1900_to_2100(clerk: Browser, path: str, field: str,
                                                day: str) -> None:
    answer = clerk.get(f"{path}?{query(**{field: day})}")
    page_refused(answer, f"{LIST_DATES[field]}: giá trị không hợp lệ")
    assert "01/01/1900" in answer.text


@pytest.mark.parametrize("path", ["/ho-so", "/ho-so/xuat.xlsx"])
@pytest.mark.parametrize("limit", [HUGE, f"-{HUGE}", "0"])
def test_list_refuses_page_sizes_out_of_range(clerk: Browser, path: str, limit: str) -> None:
    page_refused(clerk.get(f"{path}?limit={limit}"), "Số dòng: giá trị không hợp lệ")


@pytest.mark.parametrize("name", CURSORS)
def test_list_refuses_forged_cursors(clerk: Browser, name: str) -> None:
    sort = json.loads(base64.urlsafe_b64decode(CURSORS[name] + "=="))[0]
    page_refused(clerk.get(f"/ho-so?{query(after=CURSORS[name], sort=sort)}"), TURN)


@pytest.mark.parametrize("name", CURSORS)
def test_list_refuses_forged_cursors_in_a_search(clerk: Browser, name: str) -> None:
    sort = json.loads(base64.urlsafe_b64decode(CURSORS[name] + "=="))[0]
    page_refused(clerk.get(f"/ho-so?{query(after=CURSORS[name], sort=sort, q='nguyen')}"),
                 TURN)


@pytest.mark.parametrize("field", LIST_DATES)
@pytest.mark.parametrize("day", DAYS)
def test_api_list_refuses_days_outside_1900_to_2100(stand: Stand, field: str, day: str) -> None:
    api_refused(api(stand, f"/api/v1/dossiers?{query(**{field: day})}"), field)


@pytest.mark.parametrize("name", CURSORS)
def test_api_list_refuses_forged_cursors(stand: Stand, name: str) -> None:
    sort = json.loads(base64.urlsafe_b64decode(CURSORS[name] + "=="))[0]
    api_refused(api(stand, f"/api/v1/dossiers?{query(after=CURSORS[name], sort=sort)}"),
                "after")


NUMBERED = [("/api/v1/dossiers", "limit"), ("/api/v1/alerts", "limit"),
            ("/api/v1/alerts", "after"), ("/api/v1/alerts", "level"),
            ("/api/v1/connector-runs", "limit"), ("/api/v1/connector-runs", "after"),
            ("/api/v1/quarantine", "limit"), ("/api/v1/quarantine", "after")]


@pytest.mark.parametrize(("path", "field"), NUMBERED)
@pytest.mark.parametrize("value", [HUGE, f"-{HUGE}", str(2**63)])
def test_api_lists_refuse_numbers_past_64_bits(stand: Stand, path: str, field: str,
                                               value: str) -> None:
    token = "quantri" if path == "/api/v1/quarantine" else "doc"
    api_refused(api(stand, f"{path}?{query(**{field: value})}", token), field)


@pytest.mark.parametrize("field", ["start", "end"])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01"])
def test_sync_status_refuses_days_outside_1900_to_2100(stand: Stand, field: str,
                                                       day: str) -> None:
    api_refused(api(stand, f"/api/v1/sync/status?{query(**{field: day})}"), field)


PERIODS = ["0001-01-01..9999-12-31", "1899-12-31..1900-01-10", "2100-12-01..2101-01-01",
           "0001-Q1", "9999-Q4", "9999-H2", "9999-9M", "9999", "0001", "9999-12", "0001-01"]
REPORT_PAGES = ["/bao-cao", "/bao-cao/bieu-06", "/bao-cao/bieu-06.xlsx", "/bao-cao/chi-so-766",
                "/bao-cao/thoi-gian-giai-quyet", "/bao-cao/thoi-gian-giai-quyet/tre-han.xlsx",
                "/bao-cao/phan-anh-kien-nghi", "/bao-cao/phan-anh-kien-nghi.xlsx"]


@pytest.mark.parametrize("path", REPORT_PAGES)
@pytest.mark.parametrize("period", PERIODS)
def test_report_pages_refuse_periods_outside_1900_to_2100(clerk: Browser, path: str,
                                                          period: str) -> None:
    page_refused(clerk.get(f"{path}?{query(unit=UNIT_CODE, period=period)}"), "Kỳ báo cáo “")


@pytest.mark.parametrize("path", REPORT_PAGES)
@pytest.mark.parametrize("picked", [{"ky": "range", "tu": "01/01/0001", "den": "31/12/9999"},
                                    {"ky": "range", "tu": "01/01/2026", "den": "01/01/2101"},
                                    {"ky": "year", "nam": "9999"},
                                    {"ky": "q1", "nam": "0001"}])
def test_report_picker_refuses_days_outside_1900_to_2100(clerk: Browser, path: str,
                                                         picked: dict[str, str]) -> None:
    answer = clerk.get(f"{path}?{query(unit=UNIT_CODE, **picked)}")
    page_refused(answer, "Kỳ báo cáo “" if picked["ky"] != "range" else "Khoảng ngày: ")


@pytest.mark.parametrize("path", REPORT_PAGES)
@pytest.mark.parametrize("as_of", ["0001-01-01T00:00+14:00", "9999-12-31T23:59-12:00",
                                   "0001-01-01T00:00", "9999-12-31T23:59:59"])
def test_report_pages_refuse_as_of_outside_1900_to_2100(clerk: Browser, path: str,
                                                        as_of: str) -> None:
    answer = clerk.get(f"{path}?{query(unit=UNIT_CODE, period='2026-Q4', as_of=as_of)}")
    page_refused(answer, "Thời điểm tính số liệu")


@pytest.mark.parametrize("path", ["/api/v1/reports/form06", "/api/v1/reports/assessment"])
@pytest.mark.parametrize("period", PERIODS)
def test_report_api_refuses_periods_outside_1900_to_2100(stand: Stand, path: str,
                                                         period: str) -> None:
    api_refused(api(stand, f"{path}?{query(unit=UNIT_CODE, period=period)}"), "period")


@pytest.mark.parametrize("path", ["/api/v1/reports/form06", "/api/v1/reports/assessment"])
@pytest.mark.parametrize("as_of", ["0001-01-01T00:00+14:00", "9999-12-31T23:59-12:00"])
def test_report_api_refuses_as_of_outside_1900_to_2100(stand: Stand, path: str,
                                                       as_of: str) -> None:
    answer = api(stand, f"{path}?{query(unit=UNIT_CODE, period='2026-Q4', as_of=as_of)}")
    api_refused(answer, "as_of")


@pytest.mark.parametrize("page", [HUGE, str(2**63), str(2**62)])
def test_complaint_list_refuses_pages_past_64_bits(clerk: Browser, page: str) -> None:
    page_refused(clerk.get(f"/phan-anh-kien-nghi?page={page}"), "Trang “")


@pytest.mark.parametrize("params", [{"tu": "01/01/0001"}, {"den": "31/12/9999"},
                                    {"tu": "1899-12-31"}, {"before": HUGE}])
def test_alert_log_refuses_out_of_range_filters(admin: Browser, params: dict[str, str]) -> None:
    label = {"tu": "Tạo từ ngày", "den": "đến ngày", "before": "Trang"}[next(iter(params))]
    page_refused(admin.get(f"/quan-tri/canh-bao?{query(**params)}"),
                 f"Bộ lọc không hợp lệ: {label}")


def test_quarantine_item_past_64_bits_is_not_found(admin: Browser) -> None:
    assert admin.get(f"/quan-tri/cach-ly/{HUGE}").status == 404

"""Reporting periods, the 766 self-assessment, handling times, dashboard figures, reminders."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from jobs import report_reminder
from service.calendar import CalendarSettings, WorkCalendar
from service.cli import cli
from service.config.settings import ReportsSettings
from service.dossiers.filters import EVERYTHING, Scope
from service.models import Base, Dossier, Procedure, Unit
from service.reports.assessment import assessment
from service.reports.dashboard import apology_window, dashboard
from service.reports.handling import late_by_body
from service.reports.periods import PeriodError, current_quarter, parse_period, period_code
from service.reports.reminders import due_reports, upcoming
from service.runtime import Runtime
from service.vocabulary import Channel, DeadlineClass, LimitUnit, Outcome, Status
from tests.conftest import UNIT_CODE, local, make_settings

TZ_NAME = "Asia/Ho_Chi_Minh"
REPORTS = ReportsSettings(windows="decree09", recipient="", quarter_due_day=5, year_due_day=7,
                          remind_days_before=5, remind_roles=())


@pytest.fixture
def settings(database_url: str) -> dict[str, Any]:
    """Run every test of this module on SQLite and on PostgreSQL."""
    return make_settings(database_url)


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    """The default working calendar (Vietnamese holidays, 2026 decisions not needed here)."""
    return WorkCalendar(CalendarSettings(timezone=TZ_NAME))


@pytest.mark.parametrize(("text", "windows", "first", "last"), [
    ("2026-Q1", "decree09", "2025-12-15", "2026-03-14"),
    ("2026-Q3", "decree09", "2026-06-15", "2026-09-14"),
    ("2026-q3", "calendar", "2026-07-01", "2026-09-30"),
    ("2026-H1", "decree09", "2025-12-15", "2026-06-14"),
    ("2026-H2", "calendar", "2026-07-01", "2026-12-31"),
    ("2026", "decree09", "2025-12-15", "2026-12-14"),
    ("2026", "calendar", "2026-01-01", "2026-12-31"),
    ("2026-02", "calendar", "2026-02-01", "2026-02-28"),
    ("2026-01", "decree09", "2025-12-15", "2026-01-14"),
    ("2026-01-01..2026-06-30", "decree09", "2026-01-01", "2026-06-30"),
])
def test_periods_follow_decree_09_or_the_calendar(text: str, windows: Any, first: str,
                                                  last: str) -> None:
    period = parse_period(text, windows)
    assert (period.first.isoformat(), period.last.isoformat()) == (first, last)
    assert parse_period(period_code(period)).first == period.first


def test_period_bounds_are_local_midnights() -> None:
    start, end = parse_period("2026-Q3").bounds(TZ_NAME)
    assert start == local(2026, 6, 15) and end == local(2026, 9, 15)


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "26", "2026-06-30..2026-01-01", "Q3"])
def test_bad_periods_name_the_accepted_forms(text: str) -> None:
    with pytest.raises(PeriodError, match="period"):
        parse_period(text)


def test_current_quarter_wraps_into_next_year_after_the_14th_of_december() -> None:
    assert current_quarter(dt.date(2026, 12, 20)).label == "Quý I năm 2027"
    assert current_quarter(dt.date(2026, 12, 20), "calendar").label == "Quý IV năm 2026"


def test_reporting_due_dates_and_reminders() -> None:
    dues = {(r.kind, r.period_code): r.due for r in due_reports(2026, REPORTS)}
    assert dues[("quarter", "2026-Q3")] == dt.date(2026, 9, 5)
    assert dues[("half", "2026-H1")] == dt.date(2026, 6, 5)
    assert dues[("year", "2026")] == dt.date(2026, 12, 7)
    assert [r.key for r in upcoming(dt.date(2026, 9, 1), REPORTS)] == ["form06 2026-Q3"]
    assert upcoming(dt.date(2026, 9, 5), REPORTS) == []
    assert {r.key for r in upcoming(dt.date(2026, 12, 3), REPORTS)} == {
        "form06 2026-Q4", "form06 2026"}


def _procedure(session: Session, code: str, limit: int = 5) -> Procedure:
    procedure = Procedure(code=code, name=f"Thủ tục {code}", domain_name="Hộ tịch",
                          limit_value=limit, limit_unit=LimitUnit.WORKING_DAYS)
    session.add(procedure)
    return procedure


def test_assessment_scores_each_indicator(session: Session, make_dossier: Any) -> None:
    base = dict(received_at=local(2026, 7, 1, 9), is_open=False, status=Status.RETURNED,
                finished_at=local(2026, 7, 3, 9))
    make_dossier(**base, channel=Channel.ONLINE, portal_outcome=Outcome.ON_TIME, fee_due=True,
                 paid_online=True, electronic_result=True, digitized=True)
    make_dossier(**base, portal_outcome=Outcome.LATE, fee_due=True, digitized=True)
    make_dossier(received_at=local(2026, 7, 2, 9), portal_due_at=local(2026, 12, 1, 17))
    make_dossier(received_at=local(2026, 7, 2, 9), portal_due_at=local(2026, 7, 10, 17),
                 channel=Channel.ONLINE)
    session.commit()
    result = assessment(session, UNIT_CODE, parse_period("2026-Q3"), TZ_NAME,
                        local(2026, 8, 1, 9))
    by_name = {i.name: i for i in result.indicators}
    progress = by_name["Hồ sơ đúng hạn và trong hạn (quy tắc của Cổng)"]
    assert (progress.numerator, progress.denominator, progress.points) == (2, 4, 10.0)
    assert by_name["Hồ sơ có phí được thanh toán trực tuyến"].points == 5.0
    assert by_name["Hồ sơ đã giải quyết có kết quả điện tử"].value == 0.5
    digitized = by_name["Hồ sơ được số hóa (mục tiêu 80 %)"]
    assert digitized.value == 0.5 and digitized.points == pytest.approx(11 * 0.5 / 0.8, abs=.01)
    satisfaction = by_name["100 % − (tỷ lệ trễ hạn + tỷ lệ không hài lòng)"]
    assert satisfaction.points == pytest.approx(18 * 0.5 / 0.9, abs=.01)
    assert result.points == pytest.approx(sum(i.points or 0 for i in result.indicators))


def test_late_dossiers_by_body_with_reasons(session: Session, make_dossier: Any) -> None:
    late = dict(received_at=local(2026, 7, 1, 9), due_at=local(2026, 7, 6, 17))
    make_dossier(**late, handler="Công an xã", is_open=False, status=Status.RETURNED,
                 finished_at=local(2026, 7, 8, 9), outcome=Outcome.LATE,
                 extension_reason="Chờ xác minh")
    make_dossier(**late, handler="Công an xã", extension_reason="Chờ xác minh")
    make_dossier(**late, handler="Văn phòng UBND xã")
    make_dossier(**late, handler="Văn phòng UBND xã", status=Status.WAITING_SUPPLEMENT)
    session.commit()
    bodies = late_by_body(session, UNIT_CODE, parse_period("2026-Q3"), TZ_NAME,
                          local(2026, 8, 1, 9))  # the period is in progress: judged then
    assert [(b.handler, b.finished_late, b.open_overdue) for b in bodies] == [
        ("Công an xã", 1, 1), ("Văn phòng UBND xã", 0, 1)]
    assert bodies[0].reasons == [("Chờ xác minh", 2)]
    assert bodies[1].reasons[0][0].startswith("Chưa ghi lý do")


def test_dashboard_counts_at_now(session: Session, make_dossier: Any,
                                 calendar: WorkCalendar) -> None:
    now = local(2026, 3, 10, 9)  # Tuesday; the next working day is Wednesday 11/03
    make_dossier(due_at=local(2026, 3, 11, 17), near_at=local(2026, 3, 10, 8),
                 handler="Công an xã")                              # near, apology due today
    make_dossier(due_at=local(2026, 3, 9, 17), handler="Công an xã")  # overdue
    make_dossier(due_at=local(2026, 3, 9, 17), status=Status.WAITING_SUPPLEMENT)  # paused
    make_dossier(due_at=local(2026, 3, 20, 17), near_at=local(2026, 3, 18, 8))  # within
    make_dossier(received_at=local(2026, 2, 2, 9), is_open=False, status=Status.RETURNED,
                 finished_at=local(2026, 2, 4, 9), outcome=Outcome.EARLY)
    make_dossier(received_at=local(2026, 2, 2, 9), is_open=False, status=Status.RETURNED,
                 finished_at=local(2026, 2, 20, 9), outcome=Outcome.LATE)
    session.commit()
    data = dashboard(session, now, calendar)
    cards = data.cards
    assert (cards.open, cards.near, cards.overdue, cards.apology_due_today) == (4, 1, 1, 1)
    february = next(m for m in data.months if m.month == dt.date(2026, 2, 1))
    assert (february.finished, february.on_time, february.rate) == (2, 1, 50.0)
    assert data.months[-1].month == dt.date(2026, 3, 1) and len(data.months) == 12
    assert data.open_by_domain["Hộ tịch"] == {DeadlineClass.WITHIN: 1, DeadlineClass.NEAR: 1,
                                               DeadlineClass.OVERDUE: 1, DeadlineClass.PAUSED: 1}
    assert data.overdue_by_handler == [("Công an xã", 1)]
    assert apology_window(calendar, now)[0] == local(2026, 3, 11)
    assert dashboard(session, now, calendar, Scope(unit_ids=frozenset())).cards.open == 0
    assert dashboard(session, now, calendar, EVERYTHING).cards.open == 4


@pytest.fixture
def cli_config(tmp_path: Path) -> Path:
    """A configuration on a SQLite file with a few dossiers of Q3 2026."""
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    runtime = Runtime.from_settings(make_settings(database))
    Base.metadata.create_all(runtime.engine)
    with runtime.sessions() as session:
        unit = Unit(code=UNIT_CODE, name="UBND xã Thanh Miện")
        procedure = _procedure(session, "1.000001")
        for day, channel in ((1, Channel.ONLINE), (2, Channel.DIRECT)):
            session.add(Dossier(
                code=f"{UNIT_CODE}-2607{day:02d}-0001", unit=unit, procedure=procedure,
                applicant_name="Nguyễn Văn Bình", channel=channel, status=Status.PROCESSING,
                received_at=local(2026, 7, day, 9), due_at=local(2026, 12, 1, 17), source="t",
                source_id=str(day), fingerprint="", lookup_secret="s",
                updated_at=local(2026, 7, day, 9)))
        session.commit()
    runtime.engine.dispose()
    path = tmp_path / "config.toml"
    path.write_text(f'database_url = "{database}"\n', encoding="utf-8")
    return path


def tthc(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args])


def test_report_form06_prints_and_writes_the_xlsx(cli_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "bieu-06.xlsx"
    done = tthc(cli_config, "report", "form06", "--unit", UNIT_CODE, "--period", "2026-Q3",
                "--out", str(out))
    assert done.exit_code == 0, done.output
    assert "Quý III năm 2026 (từ ngày 15/06/2026 đến ngày 14/09/2026)" in done.stdout
    assert "1\tHộ tịch\t2\t1\t1\t0\t0\t0\t0\t0\t2\t2\t0" in done.stdout
    sheet = load_workbook(out)["Biểu 06"]
    assert [sheet.cell(11, c).value for c in (2, 3, 4, 5)] == ["Hộ tịch", 2, 1, 1]


def test_report_form06_takes_a_date_range(cli_config: Path) -> None:
    done = tthc(cli_config, "report", "form06", "--unit", UNIT_CODE,
                "--period", "2026-07-02..2026-07-31")
    assert done.exit_code == 0, done.output
    assert "Từ 02/07/2026 đến 31/07/2026" in done.stdout
    assert "Tổng cộng\t2\t0\t1\t1\t" in done.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("--period", "2026-Q7"), "not understood"),
    (("--period", "2026-Q3", "--unit", "000.00.00.H99"), "unknown unit 000.00.00.H99"),
])
def test_report_errors_are_one_line_with_exit_2(cli_config: Path, args: tuple[str, ...],
                                                message: str) -> None:
    base = ["report", "form06", "--unit", UNIT_CODE]
    done = tthc(cli_config, *base, *args)
    assert done.exit_code == 2 and message in done.output


def test_report_as_of_says_what_the_form_said_then(cli_config: Path) -> None:
    done = tthc(cli_config, "report", "form06", "--unit", UNIT_CODE, "--period", "2026-Q3",
                "--as-of", "2026-07-01T12:00")
    assert done.exit_code == 0, done.output
    assert "# Số liệu tính đến 12:00 ngày 01/07/2026" in done.stdout
    # Only the dossier received on 01/07 existed then.
    assert "1\tHộ tịch\t1\t1\t0\t0\t0\t0\t0\t0\t1\t1\t0" in done.stdout
    future = tthc(cli_config, "report", "assessment", "--unit", UNIT_CODE, "--period",
                  "2026-Q3", "--as-of", "2030-01-01T08:00")
    assert future.exit_code == 2 and "không được sau thời điểm hiện tại" in future.output
    bad = tthc(cli_config, "report", "form06", "--unit", UNIT_CODE, "--period", "2026-Q3",
               "--as-of", "hôm qua")
    assert bad.exit_code == 2 and "không hợp lệ" in bad.output


def test_report_assessment_prints_each_indicator(cli_config: Path) -> None:
    done = tthc(cli_config, "report", "assessment", "--unit", UNIT_CODE, "--period", "2026-Q3")
    assert done.exit_code == 0, done.output
    assert "Tiến độ giải quyết\tHồ sơ đúng hạn và trong hạn" in done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("Total\t")


class _Hook(BaseHTTPRequestHandler):
    """A chat-bot webhook standing in for the real one: keeps bodies, answers a set status."""

    bodies: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers["Content-Length"])
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        """Keep test output quiet."""


@pytest.fixture
def webhook() -> Iterator[type[_Hook]]:
    """A local HTTP server receiving webhook posts."""
    handler = type("Hook", (_Hook,), {"bodies": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield handler
    server.shutdown()
    server.server_close()


def test_reminder_goes_out_once_before_the_due_date(database_url: str,
                                                    webhook: type[_Hook]) -> None:
    settings = make_settings(database_url, alerts={
        "webhook": {"url": webhook.url},
        "recipients": [{"name": "Văn phòng UBND xã", "roles": ["clerk"],
                        "channels": ["webhook"]}]})
    runtime = Runtime.from_settings(settings)
    Base.metadata.create_all(runtime.engine)
    try:
        assert report_reminder.run(runtime, local(2026, 8, 20, 8)) == 0
        webhook.status = 500
        assert report_reminder.run(runtime, local(2026, 9, 1, 8)) == 0
        webhook.status = 200
        assert report_reminder.run(runtime, local(2026, 9, 2, 8)) == 1
        assert report_reminder.run(runtime, local(2026, 9, 3, 8)) == 0
    finally:
        runtime.engine.dispose()
    assert len(webhook.bodies) == 2
    body = webhook.bodies[-1]
    assert body["subject"].startswith("Nhắc gửi báo cáo: Biểu 06 Quý III năm 2026")
    assert "trước ngày 05/09/2026" in body["text"] and body["period"] == "2026-Q3"
    assert body["recipient"]["name"] == "Văn phòng UBND xã"

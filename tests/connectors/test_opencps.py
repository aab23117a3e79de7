"""The OpenCPS connector against a real local HTTP server: sweep, credentials, faults, resume."""

from __future__ import annotations

import datetime as dt
from collections import deque
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.base import ConnectorError
from connectors.opencps.client import Transient, retry_after
from service.ingest.runs import describe_run, run_connector
from service.models import Base, Dossier, QuarantinedRecord
from service.runtime import Runtime
from service.vocabulary import Status
from tests.conftest import make_settings
from tests.connectors.conftest import NOW
from tests.fixtures.opencps.server import make_item

# (OpenCPS status, what differs from make_item's dossier, the portal status it maps to)
ALL_KINDS = [
    ("new", {"receiveDate": None, "online": "true"}, Status.REGISTERED),
    ("new", {}, Status.ACCEPTED),  # received at the desk: receipt date set
    ("receiving", {"receiveDate": None}, Status.REGISTERED),
    ("processing", {}, Status.PROCESSING), ("interoperating", {}, Status.PROCESSING),
    ("waiting", {}, Status.WAITING_SUPPLEMENT), ("paying", {}, Status.WAITING_PAYMENT),
    ("cancelled", {}, Status.WITHDRAWN), ("unresolved", {}, Status.STOPPED),
    ("denied", {}, Status.NOT_ACCEPTED), ("releasing", {}, Status.RESOLVED),
    ("posting", {}, Status.RESOLVED), ("done", {}, Status.RETURNED),
]


@pytest.fixture
def every_kind(opencps: Any) -> Any:
    """One dossier of each kind, then eleven more being processed: 24 dossiers."""
    opencps.state.items = [make_item(n, status, **changes)
                           for n, (status, changes, _) in enumerate(ALL_KINDS, start=1)]
    opencps.state.items += [make_item(n, "processing") for n in range(20, 31)]
    return opencps


def test_pages_until_total_and_maps_every_status_kind(every_kind: Any) -> None:
    run = every_kind.run()
    stored = every_kind.dossiers()
    assert run.error is None and run.created == 24 == len(stored)
    for number, (kind, _, status) in enumerate(ALL_KINDS, start=1):
        assert stored[f"000.45.21.H10-250303-{number:05d}"].status is status, kind
    starts = [int(r["start"]) for r in every_kind.state.requests if "status" in r]
    assert starts == [0, 5, 10, 15]  # 19 dossiers in open statuses, pages of 5


def test_windows_are_sent_as_d_m_yyyy_and_the_server_applies_them(opencps: Any) -> None:
    opencps.state.items = [
        make_item(1, "processing"),
        make_item(2, "done", receiveDate="03/02/2025 08:00:00",  # received before the window
                  releaseDate="04/02/2025 10:00:00", finishDate="04/02/2025 11:00:00"),
        make_item(3, "done", receiveDate="20/01/2025 08:00:00",  # all of it long before
                  releaseDate="24/01/2025 10:00:00", finishDate="25/01/2025 11:00:00"),
    ]
    opencps.run()
    windows = [r for r in opencps.state.requests if "status" not in r]
    # Thursday 6 March 2025, 30 days of backfill: from 4 February.
    assert [{k: v for k, v in r.items() if k.endswith("Date")} for r in windows] == [
        {"fromReceiveDate": "4/2/2025", "toReceiveDate": "6/3/2025"},
        {"fromReleaseDate": "4/2/2025", "toReleaseDate": "6/3/2025"},
        {"fromFinishDate": "4/2/2025", "toFinishDate": "6/3/2025"}]
    assert opencps.state.served == [1, 1, 1, 1]  # status query, then each window
    assert set(opencps.dossiers()) == {"000.45.21.H10-250303-00001",
                                       "000.45.21.H10-250303-00002"}
    opencps.state.requests.clear()
    opencps.run(NOW + dt.timedelta(days=1))
    # A week back (28/02) reaches further than the day before the last sweep (05/03).
    assert {r.get("fromFinishDate") for r in opencps.state.requests} == {None, "28/2/2025"}


def test_without_valid_credentials_the_run_fails_naming_the_account(
        opencps: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    opencps.state.items = [make_item(1, "processing")]
    monkeypatch.setenv("TTHC_TEST_OPENCPS_PASSWORD", "wrong")
    with pytest.raises(ConnectorError, match="tài khoản monitor@xa-tanphu.gov.vn "
                                             r"\(HTTP 203: Non-Authoritative Information.\)"):
        opencps.run()
    assert len(opencps.state.requests) == 1  # refused credentials are not retried
    failed = opencps.runs()[0]
    assert "monitor@xa-tanphu.gov.vn" in failed.error and failed.finished_at is not None
    assert "trong biến TTHC_TEST_OPENCPS_PASSWORD" in failed.error
    assert opencps.dossiers() == {}


def test_a_refused_password_from_a_file_names_the_file(opencps: Any, tmp_path: Any) -> None:
    opencps.state.items = [make_item(1, "processing")]
    secret = tmp_path / "opencps-password"
    secret.write_text("wrong\n", encoding="utf-8")
    with pytest.raises(ConnectorError, match=f"mật khẩu trong tệp {secret} và group_id"):
        opencps.run(password_file=str(secret))


def test_an_authentication_error_body_fails_the_run_whatever_its_status(opencps: Any) -> None:
    opencps.state.items = [make_item(1, "processing")]
    opencps.state.faults = deque(["auth_200"])
    with pytest.raises(ConnectorError, match="đăng nhập của tài khoản monitor@xa-tanphu"):
        opencps.run()
    assert len(opencps.state.requests) == 1


def test_a_missing_password_is_named(opencps: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TTHC_TEST_OPENCPS_PASSWORD")
    with pytest.raises(ConnectorError, match="TTHC_TEST_OPENCPS_PASSWORD"):
        opencps.run()


def test_a_group_id_that_lists_nothing_any_more_warns_on_the_run(every_kind: Any) -> None:
    assert every_kind.run().warning is None
    wrong = every_kind.run(NOW + dt.timedelta(minutes=10), group_id="35418")
    assert (wrong.error, wrong.fetched) == (None, 0)
    assert "0 hồ sơ cho groupId 35418" in wrong.warning and "có 24 hồ sơ" in wrong.warning
    assert "warning: OpenCPS trả về 0 hồ sơ" in describe_run(wrong)
    again = every_kind.run(NOW + dt.timedelta(minutes=20), group_id="35418")
    assert "có 24 hồ sơ" in again.warning  # it keeps saying so until someone looks
    fixed = every_kind.run(NOW + dt.timedelta(minutes=30))
    assert (fixed.warning, fixed.fetched, len(every_kind.dossiers())) == (None, 0, 24)


def test_a_wrong_group_id_on_the_very_first_run_stores_nothing(every_kind: Any) -> None:
    run = every_kind.run(group_id="35418")
    assert (run.fetched, run.warning, every_kind.dossiers()) == (0, None, {})


def test_unmapped_status_and_malformed_items_are_quarantined_and_the_rest_lands(
        every_kind: Any) -> None:
    every_kind.state.items += [make_item(40, "correcting"),
                               make_item(41, "processing", receiveDate="2025-03-03T08:15"),
                               make_item(42, "processing", contactTelNo=["not", "text"])]
    run = every_kind.run()
    assert (run.created, run.rejected, run.error) == (24, 3, None)
    with every_kind.runtime.sessions() as session:
        held = {q.source_id: q for q in session.scalars(select(QuarantinedRecord))}
    assert "trạng thái OpenCPS 'correcting'" in held["50040"].reason
    assert "receiveDate = '2025-03-03T08:15' không phải ngày giờ" in held["50041"].reason
    assert "contactTelNo phải là chữ" in held["50042"].reason
    assert held["50040"].payload["dossierNo"] == "000.45.21.H10-250303-00040"
    assert all(q.run_id == run.id and q.kind == "source" for q in held.values())


def test_configured_mapping_takes_an_unmapped_status(opencps: Any) -> None:
    opencps.state.items = [make_item(1, "correcting"), make_item(2, "denied")]
    opencps.run(status_map={"correcting": 4, "denied": 8}, sub_status_map={"denied_1": 3})
    assert sorted(d.status.value for d in opencps.dossiers().values()) == [3, 4]


@pytest.mark.parametrize("fault", ["timeout", "reset", "500", "503", "429", "truncated",
                                   "not_json", "wrong_types"])
def test_a_passing_fault_is_retried_and_nothing_is_lost(every_kind: Any, fault: str) -> None:
    every_kind.state.faults = deque(["", fault, fault])  # the second page fails twice
    run = every_kind.run()
    assert run.error is None and run.created == 24 == len(every_kind.dossiers())
    assert [r["start"] for r in every_kind.state.requests[:4]] == ["0", "5", "5", "5"]


@pytest.mark.parametrize("fault", ["timeout", "503", "not_json"])
def test_a_lasting_fault_fails_the_run_and_the_next_run_resumes(every_kind: Any,
                                                               fault: str) -> None:
    every_kind.state.faults = deque(["", "", *[fault] * 3])  # two pages, then 3 failures
    with pytest.raises(ConnectorError, match="đã thử 3 lần"):
        every_kind.run()
    failed = every_kind.runs()[0]
    assert failed.created == len(every_kind.dossiers()) == 10 and failed.error
    every_kind.state.requests.clear()
    resumed = every_kind.run()
    assert every_kind.state.requests[0]["start"] == "10"
    assert (resumed.created, resumed.error, len(every_kind.dossiers())) == (14, None, 24)


def test_a_shrinking_list_restarts_the_query(every_kind: Any) -> None:
    every_kind.state.faults = deque(["", "shrink"])
    run = every_kind.run()
    starts = [r["start"] for r in every_kind.state.requests if "status" in r]
    assert starts[:3] == ["0", "5", "0"]
    # The removed dossier had been stored from the first page; every remaining one is too.
    assert run.error is None and len(every_kind.dossiers()) == 24


def test_a_repeating_page_fails_the_run(every_kind: Any) -> None:
    every_kind.state.sticky_fault = "repeat"
    with pytest.raises(ConnectorError, match="lặp lại trang trước"):
        every_kind.run()
    assert every_kind.runs()[0].created == 5


def test_retry_after_is_read_and_capped(opencps: Any) -> None:
    assert retry_after("7") == 7.0 and retry_after(None) is None
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    assert 25 < retry_after(later.strftime("%a, %d %b %Y %H:%M:%S GMT")) <= 30

    class State:
        attempt_number = 1

        class outcome:  # noqa: N801 - mimics tenacity's RetryCallState
            @staticmethod
            def exception() -> Exception:
                return Transient("HTTP 429", retry_after=120)

    assert opencps.connector(retry_after_max_s=5).client.wait(State()) == 5


def test_runs_on_each_database(database_url: str, every_kind: Any) -> None:
    runtime = Runtime.from_settings(make_settings(database_url))
    Base.metadata.create_all(runtime.engine)
    try:
        connector = every_kind.connector
        first = run_connector(runtime.sessions, connector(), runtime.derive, NOW)
        second = run_connector(runtime.sessions, connector(), runtime.derive, NOW)
        with runtime.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Dossier)) == 24
        assert (first.created, second.fetched, second.created) == (24, 0, 0)
    finally:
        runtime.engine.dispose()

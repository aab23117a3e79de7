"""OpenCPS items in their real shape become the right dossiers, and later changes are seen.

Every figure below is counted by hand from the items each test puts on the server; instants
are written in Vietnam time (UTC+7) in comments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event

from service.vocabulary import Channel, DeadlineClass, LimitUnit, Outcome, Status
from tests.connectors.conftest import NOW
from tests.fixtures.opencps.server import make_item, sample_items

UTC = dt.UTC
TABLES_OF_DOSSIERS = ("dossier", "status_event", "supplement_round")


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """An instant of March 2025 given in Vietnam time, as UTC."""
    return dt.datetime(2025, 3, day, hour, minute, second, tzinfo=UTC) - dt.timedelta(hours=7)


def test_the_recorded_items_map_to_canonical_records(opencps: Any) -> None:
    first, waiting, released = (opencps.connector().parse_item(i) for i in sample_items())
    assert (first.status, first.channel, first.limit_value, first.limit_unit) == (
        Status.PROCESSING, Channel.DIRECT, 1, LimitUnit.WORKING_DAYS)
    assert first.received_at == at(3, 8, 15) and first.source_due_at == at(4, 8, 15)
    assert (first.applicant_name, first.source_applicant_name) == (
        "Nguyễn Văn Bình", "NGUYỄN VĂN BÌNH")
    assert [(e.at, e.status, e.actor) for e in first.events] == [
        (at(3, 8, 15), Status.ACCEPTED, None), (at(3, 8, 15, 5), Status.PROCESSING, "Lê Thị Cúc")]
    assert waiting.status is Status.WAITING_SUPPLEMENT and waiting.channel is Channel.ONLINE
    assert [(s.requested_at, s.completed_at) for s in waiting.supplements] == [
        (at(5, 10, 20, 40), None)]
    assert released.status is Status.RESOLVED and released.finished_at == at(4, 16, 30)
    assert {r.source_modified_at for r in (first, waiting, released)} == {None}


def test_a_first_run_stores_every_dossier(opencps: Any) -> None:
    opencps.state.items = sample_items()
    run = opencps.run()
    stored = opencps.dossiers()
    assert (run.fetched, run.created, run.rejected, run.error) == (3, 3, 0, None)
    assert {code: (d.status, d.applicant_name) for code, d in stored.items()} == {
        "000.45.21.H10-250303-00017": (Status.PROCESSING, "Nguyễn Văn Bình"),
        "000.45.21.H10-250304-00021": (Status.WAITING_SUPPLEMENT, "Trần Thị Dung"),
        "000.45.21.H10-250228-00009": (Status.RESOLVED, "Hoàng Văn Giang"),
    }


def test_a_status_change_is_picked_up_on_the_next_run(opencps: Any) -> None:
    opencps.state.items = [make_item(1, "processing"), make_item(2, "processing")]
    assert opencps.run().created == 2
    opencps.state.items[0].update(  # modifiedDate stays "", as it always is in the list
        dossierStatus="releasing", dossierSubStatus="releasing_0",
        lastActionDate="06/03/2025 09:00:00", lastActionName="Chuyển trả kết quả",
        releaseDate="06/03/2025 09:00:00")
    later = opencps.run(NOW + dt.timedelta(hours=2))
    assert (later.fetched, later.created, later.updated, later.unchanged) == (1, 0, 1, 0)
    row = opencps.dossiers()["000.45.21.H10-250303-00001"]
    assert (row.status, row.is_open, row.finished_at) == (Status.RESOLVED, False, at(6, 9))
    assert opencps.history(row.code) == [(at(3, 8, 15), Status.ACCEPTED),
                                         (at(5, 15), Status.PROCESSING),
                                         (at(6, 9), Status.RESOLVED)]


def test_unchanged_dossiers_cost_no_write(opencps: Any) -> None:
    opencps.state.items = [make_item(n, "processing") for n in range(1, 13)]
    assert opencps.run().created == 12
    writes: list[str] = []
    cursors: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        head = statement.split("(")[0]
        if statement.split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "COPY"):
            if any(table in head for table in TABLES_OF_DOSSIERS):
                writes.append(statement)
            elif "connector_cursor" in head:
                cursors.append(statement)

    event.listen(opencps.runtime.engine, "before_cursor_execute", count)
    for item in opencps.state.items:  # texts OpenCPS recomputes on every request
        item.update(dossierOverdue="Quá 3 ngày", stepOverdue="Quá 1 ngày",
                    dueDateComing="1741300000000")
    again = opencps.run(NOW + dt.timedelta(minutes=10))
    assert (again.fetched, again.created, again.updated, again.unchanged) == (0, 0, 0, 0)
    # Nine pages (status 3, receive window 3, release 1, finish 1, the end): the cursor is
    # written at the end of each of the four queries and of the sweep, not after every page.
    assert (again.batches, len(cursors)) == (9, 5)
    opencps.state.items[4]["lockState"] = "PAUSE_OVERDUE"  # new content, same dossier
    third = opencps.run(NOW + dt.timedelta(minutes=20))
    assert (third.fetched, third.created, third.updated, third.unchanged) == (1, 0, 0, 1)
    event.remove(opencps.runtime.engine, "before_cursor_execute", count)
    assert writes == []


def test_a_resumed_dossier_runs_again_against_its_moved_due_date(opencps: Any) -> None:
    opencps.state.items = [make_item(
        4, "waiting", dossierSubStatus="waiting_4", receiveDate="04/03/2025 10:05:00",
        dueDate="07/03/2025 10:15:00", lastActionDate="05/03/2025 10:20:40",
        lastActionName="Yêu cầu bổ sung")]
    code = "000.45.21.H10-250303-00004"
    opencps.run()
    assert opencps.dossiers()[code].status is Status.WAITING_SUPPLEMENT
    assert opencps.classes(NOW)[code] is DeadlineClass.PAUSED
    # The papers arrive on Friday 07/03 at 09:00; OpenCPS clears the lock and pushes its due
    # date later by the time the dossier waited.
    opencps.state.items[0].update(
        dossierStatus="processing", dossierSubStatus="processing_2", lockState="",
        lastActionDate="07/03/2025 09:00:00", lastActionName="Nhận hồ sơ bổ sung",
        dueDate="11/03/2025 09:15:00")
    later = NOW + dt.timedelta(days=1, hours=1)  # Friday 07/03 11:00
    run = opencps.run(later)
    row = opencps.dossiers()[code]
    assert (run.updated, row.status) == (1, Status.PROCESSING)
    assert opencps.rounds(code) == [(at(5, 10, 20, 40), at(7, 9))]
    assert row.source_due_at == row.due_at == at(11, 9, 15)
    # The statutory limit (3 working days) restarts when the papers arrive: Mon 10, Tue 11,
    # Wed 12, due at the close of Wednesday.
    assert row.statutory_due_at == at(12, 17)
    assert opencps.history(code) == [(at(4, 10, 5), Status.ACCEPTED),
                                     (at(5, 10, 20, 40), Status.WAITING_SUPPLEMENT),
                                     (at(7, 9), Status.PROCESSING)]
    assert opencps.classes(later)[code] is DeadlineClass.WITHIN


def test_new_with_a_receipt_date_is_received_and_its_clock_runs(opencps: Any) -> None:
    opencps.state.items = [
        make_item(3, "new", dossierSubStatus="new_0", submitDate=None,
                  receiveDate="05/03/2025 14:00:00", dueDate="06/03/2025 14:00:00",
                  lastActionDate="05/03/2025 14:00:05", lastActionName="Tiếp nhận hồ sơ"),
        make_item(6, "new", dossierSubStatus="new_0", online="true", receiveDate=None,
                  dueDate=None, submitDate="05/03/2025 20:10:00",
                  lastActionDate="05/03/2025 20:10:00", lastActionName="Nộp hồ sơ"),
    ]
    opencps.run()
    desk, online = (opencps.dossiers()[f"000.45.21.H10-250303-0000{n}"] for n in (3, 6))
    assert (desk.status, desk.received_at, desk.due_at) == (
        Status.ACCEPTED, at(5, 14), at(6, 14))
    assert desk.statutory_due_at == at(6, 17)  # one working day from Wednesday 14:00
    assert opencps.history(desk.code) == [(at(5, 14), Status.ACCEPTED)]
    assert (online.status, online.received_at) == (Status.REGISTERED, at(5, 20, 10))
    assert opencps.history(online.code) == [(at(5, 20, 10), Status.REGISTERED)]


def test_pause_overdue_while_processing_is_history_not_a_supplement(opencps: Any) -> None:
    opencps.state.items = [
        make_item(1, "processing", lockState="PAUSE_OVERDUE"),  # paused once, overdue then
        make_item(2, "processing", lockState="PAUSE"),  # no supplement or payment step
        make_item(3, "processing", dossierSubStatus="processing_5", lockState="PAUSE"),
    ]
    opencps.run(sub_status_map={"processing_5": 5})  # this deployment's supplement step
    stored = opencps.dossiers()
    code = "000.45.21.H10-250303-0000{}".format
    assert [stored[code(n)].status for n in (1, 2, 3)] == [
        Status.PROCESSING, Status.PROCESSING, Status.WAITING_SUPPLEMENT]
    assert opencps.rounds(code(1)) == [] and opencps.rounds(code(2)) == []
    assert opencps.rounds(code(3)) == [(at(5, 15), None)]
    # Due on 06/03 at 08:15, still running at 10:00 that day: overdue, not paused.
    assert opencps.classes(NOW)[code(1)] is DeadlineClass.OVERDUE


def test_a_refusal_without_receipt_date_is_not_accepted(opencps: Any) -> None:
    opencps.state.items = [make_item(
        7, "denied", dossierSubStatus="denied_1", receiveDate=None, dueDate=None,
        finishDate="04/03/2025 10:00:00", lastActionDate="04/03/2025 10:00:00",
        lastActionName="Từ chối tiếp nhận")]  # submitted online 04/03 09:38:51
    run = opencps.run()
    row = opencps.dossiers()["000.45.21.H10-250303-00007"]
    assert (run.created, run.rejected) == (1, 0)
    assert (row.status, row.is_open) == (Status.NOT_ACCEPTED, False)
    assert (row.received_at, row.stopped_at) == (at(4, 9, 38, 51), at(4, 10))
    assert opencps.history(row.code) == [(at(4, 10), Status.NOT_ACCEPTED)]


def test_no_time_limit_means_no_due_date_and_never_overdue(opencps: Any) -> None:
    unlimited = {"durationCount": 0.0, "dueDate": None, "serviceCode": "1.009999.000.00.00.H10",
                 "serviceName": "Thủ tục không quy định thời hạn"}
    opencps.state.items = [make_item(1, "processing", **unlimited),
                           make_item(2, "done", **unlimited)]
    opencps.run()
    running, done = (opencps.dossiers()[f"000.45.21.H10-250303-0000{n}"] for n in (1, 2))
    assert running.procedure.limit_unit is LimitUnit.NONE
    assert (running.due_at, running.near_at, running.statutory_due_at) == (None, None, None)
    assert (done.due_at, done.outcome) == (None, Outcome.ON_TIME)
    a_year_later = NOW + dt.timedelta(days=365)
    assert opencps.classes(a_year_later)[running.code] is DeadlineClass.WITHIN


def test_names_show_the_citizens_own_spelling_and_keep_the_raw_one(opencps: Any) -> None:
    opencps.state.items = [
        make_item(1, "processing", applicantName="Nguyễn Thị Hoa", contactName="Trần Văn Nam"),
        make_item(2, "processing", applicantName="Hoàng Văn Giang",
                  contactName="Hoàng  Văn Giang"),
        make_item(3, "processing", applicantIdType="business", contactName="Lê Văn Tùng",
                  applicantName="Công ty TNHH Xây dựng An Phát"),
    ]
    opencps.run()
    stored = opencps.dossiers()
    assert [(stored[f"000.45.21.H10-250303-0000{n}"].applicant_name,
             stored[f"000.45.21.H10-250303-0000{n}"].source_applicant_name)
            for n in (1, 2, 3)] == [
        ("Nguyễn Thị Hoa", "NGUYỄN THỊ HOA"),  # someone else filed: re-cased
        ("Hoàng Văn Giang", "HOÀNG VĂN GIANG"),  # the applicant's own spelling
        ("CÔNG TY TNHH XÂY DỰNG AN PHÁT", None),  # a registered business name stays
    ]

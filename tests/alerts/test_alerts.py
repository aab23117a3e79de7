"""Alert rules: who gets which alert, the apology duty, escalation, once only, office hours."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from jobs import scan as scan_job
from service.alerts import AlertPolicy, Directory, alerts_for_dossier, raise_alerts
from service.alerts.digest import create_digests, open_items
from service.config import ConfigError
from service.dossiers.extension import issue_extension
from service.models import Alert, AlertDelivery, AlertDigest, Base, Dossier
from service.models.alerts import AlertKind
from service.runtime import Runtime
from service.vocabulary import LimitUnit
from tests.alerts_support import CLERK, DEPARTMENT, HEAD, POLICE, VICE, alert_settings
from tests.builders import ingest, record
from tests.conftest import local, make_settings


def raised(runtime: Runtime, code: str | None = None) -> set[tuple[str, str, int, str]]:
    with runtime.sessions() as session:
        query = select(Dossier.code, Alert.kind, Alert.level, Alert.recipient).join(Dossier)
        if code:
            query = query.where(Dossier.code == code)
        return {(c, kind.value, level, key) for c, kind, level, key in session.execute(query)}


def test_near_goes_to_the_clerk_and_the_handling_department(rt: Runtime) -> None:
    # Received Mon 02/03/2026: due Thu 05/03 17:00, near from Wed 04/03 17:00.
    ingest(rt, local(2026, 3, 2, 9), record("A", local(2026, 3, 2, 9)))
    scan_job.run(rt, local(2026, 3, 2, 10))
    assert raised(rt) == set()
    scan_job.run(rt, local(2026, 3, 4, 17, 5))
    assert {r for r in raised(rt) if r[1] == "near"} == {
        ("A", "near", 1, CLERK), ("A", "near", 1, DEPARTMENT)}


def test_overdue_adds_the_head_and_escalation_reaches_the_vice_chairman(rt: Runtime) -> None:
    ingest(rt, local(2026, 3, 2, 9), record("A", local(2026, 3, 2, 9)))
    scan_job.run(rt, local(2026, 3, 2, 10))
    scan_job.run(rt, local(2026, 3, 5, 17, 1))
    assert {r for r in raised(rt) if r[1] == "overdue"} == {
        ("A", "overdue", 1, CLERK), ("A", "overdue", 1, DEPARTMENT),
        ("A", "overdue", 1, HEAD)}
    # Two working days overdue: Fri 06/03 and Mon 09/03, at the close of Monday.
    scan_job.run(rt, local(2026, 3, 9, 16, 59))
    assert not any(level == 2 for _, _, level, _ in raised(rt))
    scan_job.run(rt, local(2026, 3, 9, 17, 0))
    assert {r for r in raised(rt) if r[2] == 2} == {("A", "overdue", 2, VICE)}


def test_recipients_are_scoped_to_their_handling_body(rt: Runtime) -> None:
    police = record("P", local(2026, 3, 2, 9), handler="Công an xã", received_by="Phạm Văn Em")
    ingest(rt, local(2026, 3, 2, 9), police)
    scan_job.run(rt, local(2026, 3, 2, 10))
    outcome = scan_job.run(rt, local(2026, 3, 5, 17, 1))
    assert {key for _, kind, _, key in raised(rt) if kind == "overdue"} == {POLICE}
    assert outcome.alerts is not None and outcome.alerts.unrouted == 0


def test_apology_reminder_falls_on_the_last_working_day_before_tet(rt: Runtime) -> None:
    # Due Mon 23/02/2026 after Tết: the apology must go out by Fri 13/02, not on Sun 22/02.
    ingest(rt, local(2026, 2, 11, 9), record("T", local(2026, 2, 11, 9)))
    scan_job.run(rt, local(2026, 2, 12, 18))
    assert raised(rt) == set()
    scan_job.run(rt, local(2026, 2, 13, 7, 31))
    assert raised(rt) == {("T", "apology", 1, DEPARTMENT), ("T", "apology", 1, HEAD)}
    with rt.sessions() as session:
        created = session.scalars(select(Alert.created_at)).all()
    assert {c.astimezone(local(2026, 1, 1).tzinfo).date() for c in created} == {
        dt.date(2026, 2, 13)}


def test_no_apology_reminder_after_an_extension_or_for_a_one_day_limit(rt: Runtime) -> None:
    one_day = record("S", local(2026, 3, 2, 9), procedure_code="1.000001", limit_value=1)
    ingest(rt, local(2026, 3, 2, 9), one_day, record("X", local(2026, 3, 2, 9)))
    scan_job.run(rt, local(2026, 3, 2, 10))
    with rt.sessions.begin() as session:
        row = session.scalar(select(Dossier).where(Dossier.code == "X"))
        issue_extension(session, rt.policy, row, local(2026, 3, 6, 17), "Chờ xác minh",
                        "Chủ tịch UBND xã", local(2026, 3, 3, 9))
    # The new date (Fri 06/03) has its own "day before", Thu 05/03: the apology is made.
    scan_job.run(rt, local(2026, 3, 5, 8))
    assert {(code, kind) for code, kind, _, _ in raised(rt)} == {("S", "overdue")}
    with rt.sessions() as session:
        procedure = session.scalar(select(Dossier).where(Dossier.code == "S")).procedure
        assert (procedure.limit_value, procedure.limit_unit) == (1, LimitUnit.WORKING_DAYS)


def test_rerun_raises_nothing_twice(rt: Runtime) -> None:
    ingest(rt, local(2026, 3, 2, 9), record("A", local(2026, 3, 2, 9)))
    scan_job.run(rt, local(2026, 3, 2, 10))
    with rt.sessions.begin() as session:
        outcome = scan_job.scan_and_raise(session, rt, local(2026, 3, 5, 17, 1))
        # Straight from within to overdue: no near alert, and too late for the apology.
        assert outcome.alerts is not None and outcome.alerts.total == 3
        policy = AlertPolicy.from_settings(rt.config, rt.calendar)
        again = raise_alerts(session, outcome.scan, policy, Directory.from_settings(rt.config),
                             {"email", "webhook"})
        assert again.total == 0
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 3
        # The head asked for both channels; the others for e-mail only.
        assert session.scalar(select(func.count()).select_from(AlertDelivery)) == 4


def _apology_then_scans(rt: Runtime, recorded: dt.datetime, *scans: dt.datetime) -> None:
    """Dossier A (due 05/03 17:00) scanned until `recorded`, moved to 10/03, scanned again."""
    ingest(rt, local(2026, 3, 2, 9), record("A", local(2026, 3, 2, 9)))
    scan_job.run(rt, local(2026, 3, 2, 10))
    scan_job.run(rt, recorded - dt.timedelta(minutes=59))
    with rt.sessions.begin() as session:
        row = session.scalar(select(Dossier).where(Dossier.code == "A"))
        issue_extension(session, rt.policy, row, local(2026, 3, 10, 17), "Chờ xác minh",
                        "Chủ tịch UBND xã", recorded)
    for at in scans:
        scan_job.run(rt, at)


def _alert_dues(rt: Runtime, kind: AlertKind, recipient: str) -> list[dt.datetime]:
    with rt.sessions() as session:
        return sorted(session.execute(select(Alert.due_at).where(
            Alert.kind == kind, Alert.recipient == recipient)).scalars())


def test_a_new_due_date_may_warn_again(rt: Runtime) -> None:
    # Due Thursday 05/03 17:00 and near from Wednesday 17:00; the apology, in time on
    # Wednesday evening, moves it to Tuesday 10/03 17:00, which warns again.
    _apology_then_scans(rt, local(2026, 3, 4, 18), local(2026, 3, 4, 19),
                        local(2026, 3, 9, 17, 30), local(2026, 3, 10, 17, 1))
    assert _alert_dues(rt, AlertKind.NEAR, CLERK) == [local(2026, 3, 5, 17),
                                                      local(2026, 3, 10, 17)]
    assert _alert_dues(rt, AlertKind.OVERDUE, HEAD) == [local(2026, 3, 10, 17)]


def test_a_late_apology_never_resets_the_overdue_alerts(rt: Runtime) -> None:
    # Recorded Friday 06/03, the day after the due date: the dossier stays overdue.
    _apology_then_scans(rt, local(2026, 3, 6, 9), local(2026, 3, 6, 10),
                        local(2026, 3, 10, 17, 1))
    assert _alert_dues(rt, AlertKind.OVERDUE, HEAD) == [local(2026, 3, 5, 17)]


def test_alerts_raised_after_hours_wait_for_the_next_opening(tmp_path: Any) -> None:
    runtime = Runtime.from_settings(alert_settings(f"sqlite:///{tmp_path / 'a.db'}",
                                                   escalation_any_time=False))
    Base.metadata.create_all(runtime.engine)
    ingest(runtime, local(2026, 3, 5, 9), record("A", local(2026, 3, 5, 9)))
    scan_job.run(runtime, local(2026, 3, 5, 10))
    # Due Tue 10/03 17:00, two working days overdue Thu 12/03 17:00; scanned after closing.
    scan_job.run(runtime, local(2026, 3, 12, 17, 30))
    with runtime.sessions() as session:
        holds = set(session.execute(select(Alert.level, Alert.send_after)))
    assert holds == {(1, local(2026, 3, 13, 7, 30)), (2, local(2026, 3, 13, 7, 30))}
    runtime.engine.dispose()


def test_escalations_may_go_out_at_any_time(rt: Runtime) -> None:
    ingest(rt, local(2026, 3, 5, 9), record("A", local(2026, 3, 5, 9)))
    scan_job.run(rt, local(2026, 3, 5, 10))
    now = local(2026, 3, 14, 9)  # a Saturday
    scan_job.run(rt, now)
    with rt.sessions() as session:
        holds = dict(session.execute(select(Alert.level, Alert.send_after)).all())
    assert holds[2] == now and holds[1] == local(2026, 3, 16, 7, 30)


def test_digest_is_made_once_a_working_day_for_recipients_over_the_threshold(
        rt: Runtime) -> None:
    ingest(rt, local(2026, 3, 2, 9), *(record(f"D{i}", local(2026, 3, 2, 9)) for i in range(4)))
    scan_job.run(rt, local(2026, 3, 2, 10))
    scan_job.run(rt, local(2026, 3, 5, 17, 1))
    policy = dataclasses.replace(AlertPolicy.from_settings(rt.config, rt.calendar),
                                 digest_threshold=3)
    directory = Directory.from_settings(rt.config)
    assert policy.digest_due(local(2026, 3, 6, 7, 29)) is None
    assert policy.digest_due(local(2026, 3, 7, 8)) is None  # Saturday
    morning = local(2026, 3, 6, 7, 30)
    with rt.sessions.begin() as session:
        assert len(open_items(session, morning, policy)[HEAD]) == 4
        made = create_digests(session, morning, morning.date(), policy, directory,
                              {"email", "webhook"})
        again = create_digests(session, morning, morning.date(), policy, directory,
                               {"email", "webhook"})
    with rt.sessions() as session:
        rows = set(session.execute(select(AlertDigest.recipient, AlertDigest.channel)))
    # Clerk, department and head each have four overdue dossiers; the head on two channels.
    assert (made, again) == (4, 0)
    assert rows == {(CLERK, "email"), (DEPARTMENT, "email"), (HEAD, "email"),
                    (HEAD, "webhook")}


def test_alert_record_reads_as_one_vietnamese_line(rt: Runtime) -> None:
    ingest(rt, local(2026, 3, 2, 9), record("A", local(2026, 3, 2, 9)))
    scan_job.run(rt, local(2026, 3, 2, 10))
    scan_job.run(rt, local(2026, 3, 9, 17, 1))
    with rt.sessions() as session:
        dossier_id = session.scalar(select(Dossier.id))
        lines = [str(item) for item in alerts_for_dossier(session, dossier_id)]
    assert "09/03/2026 17:01 · Quá hạn (báo cáo lãnh đạo) → Phó Chủ tịch Trần Văn Hải " \
           "(Phó Chủ tịch phụ trách) · email: Chờ gửi" in lines


@pytest.mark.parametrize(("alerts", "message"), [
    ({"recipients": [{"roles": ["mayor"], "name": "X", "email": "x@example.vn"}]},
     "alerts.recipients[0].roles"),
    ({"recipients": [{"roles": ["clerk"], "name": "X"}]}, "alerts.recipients[0].email"),
    ({"recipients": [{"roles": ["clerk"], "name": "X", "email": "x@example.vn"},
                     {"roles": ["head"], "name": "Y", "email": "X@example.vn"}]},
     "alerts.recipients[1].key"),
    ({"rules": {"near": ["nobody"]}}, "alerts.rules.near"),
    ({"digest_at": "7h30"}, "alerts.digest_at"),
    ({"webhook": {"url": "ftp://x"}}, "alerts.webhook.url"),
])
def test_bad_alert_settings_name_the_key(tmp_path: Any, alerts: dict[str, Any],
                                        message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        make_settings(f"sqlite:///{tmp_path / 'x.db'}", alerts=alerts)

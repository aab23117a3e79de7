"""Complaint alerts: raised by the deadline scan, once per recipient, delivered, cancelled."""

from __future__ import annotations

import datetime as dt
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from jobs import scan as scan_job
from service.alerts import AlertPolicy, Directory, active_channels, raise_complaint_alerts
from service.cli import cli
from service.complaints import answer, assign, receive, scan_complaints, submit_public
from service.models import Alert, AlertDelivery, Base, Complaint
from service.models.alerts import AlertKind, DeliveryState
from service.runtime import Runtime
from tests.alerts_support import (
    CLERK,
    DEPARTMENT,
    HEAD,
    TU_PHAP,
    VICE,
    Mailbox,
    dispatch,
    parts,
    runtime_for,
)
from tests.complaints.support import policy_of, unit
from tests.conftest import local, make_settings

SENT = local(2026, 3, 2, 9)  # due Mon 23/03 17:00, near from Wed 18/03 17:00


def file_complaint(runtime: Runtime, *, handler: str | None = TU_PHAP,
                   clerk: str | None = "Lê Thị Cúc") -> str:
    with runtime.sessions.begin() as session:
        complaint = submit_public(session, policy_of(runtime), unit(session).id,
                                  "Lê Thị Mai", "0987 654 321",
                                  "Hồ sơ chứng thực nộp hai tuần chưa có kết quả.", SENT)
        if clerk:
            receive(session, complaint, clerk, SENT)
        if handler:
            assign(session, complaint, handler, clerk or "", SENT)
        return complaint.code


def raised(runtime: Runtime) -> set[tuple[str, int, str]]:
    with runtime.sessions() as session:
        return {(kind.value, level, key) for kind, level, key in session.execute(
            select(Alert.kind, Alert.level, Alert.recipient)
            .where(Alert.complaint_id.is_not(None)))}


def test_near_and_overdue_complaints_alert_their_clerk_body_and_leader_once(rt: Runtime) -> None:
    file_complaint(rt)
    scan_job.run(rt, local(2026, 3, 2, 10))
    scan_job.run(rt, local(2026, 3, 18, 16, 59))
    assert raised(rt) == set()
    outcome = scan_job.run(rt, local(2026, 3, 18, 17, 5))
    assert [m.after.value for m in outcome.complaints] == ["near"]
    assert raised(rt) == {("complaint_near", 1, CLERK), ("complaint_near", 1, DEPARTMENT)}
    scan_job.run(rt, local(2026, 3, 23, 17, 1))
    assert {r for r in raised(rt) if r[0] == "complaint_overdue"} == {
        ("complaint_overdue", 1, CLERK), ("complaint_overdue", 1, DEPARTMENT),
        ("complaint_overdue", 1, HEAD), ("complaint_overdue", 1, VICE)}
    again = scan_job.run(rt, local(2026, 3, 23, 17, 6))
    assert again.alerts is not None and again.alerts.total == 0 and len(raised(rt)) == 6


def test_raising_the_same_moves_twice_adds_nothing(rt: Runtime) -> None:
    file_complaint(rt)
    settings = rt.config
    policy = AlertPolicy.from_settings(settings, rt.calendar)
    directory, channels = Directory.from_settings(settings), active_channels(settings.alerts)
    with rt.sessions.begin() as session:
        moves = scan_complaints(session, SENT, local(2026, 3, 23, 17, 1))
        first = raise_complaint_alerts(session, moves, policy, directory, channels,
                                       local(2026, 3, 23, 17, 1))
        second = raise_complaint_alerts(session, moves, policy, directory, channels,
                                        local(2026, 3, 23, 17, 2))
    assert (first.total, second.total) == (4, 0)
    assert first.created[(AlertKind.COMPLAINT_OVERDUE, 1)] == 4
    with rt.sessions() as session:
        deliveries = session.scalars(select(AlertDelivery.channel)).all()
    # Every recipient has e-mail; the head also the webhook.
    assert sorted(deliveries) == ["email"] * 4 + ["webhook"]


def test_a_complaint_nobody_received_is_unrouted_until_overdue_reaches_the_leader(
        rt: Runtime) -> None:
    file_complaint(rt, handler=None, clerk=None)
    scan_job.run(rt, local(2026, 3, 2, 10))
    near = scan_job.run(rt, local(2026, 3, 18, 17, 5))
    assert near.alerts is not None and near.alerts.unrouted == 1 and raised(rt) == set()
    scan_job.run(rt, local(2026, 3, 23, 17, 1))
    assert raised(rt) == {("complaint_overdue", 1, VICE)}


def test_the_overdue_mail_names_the_complaint_and_only_the_masked_sender(
        tmp_path: Any, smtp: Mailbox) -> None:
    runtime = runtime_for(tmp_path, smtp, "")
    code = file_complaint(runtime)
    scan_job.run(runtime, local(2026, 3, 2, 10))
    scan_job.run(runtime, local(2026, 3, 23, 17, 1))
    report = dispatch(runtime, local(2026, 3, 24, 8))
    assert report.errors == [] and report.sent == 4  # clerk, body, head, vice-chairman
    subjects = {mail["Subject"] for _, mail in smtp.mails}
    assert subjects == {f"[Phản ánh quá hạn] {code} – hạn trả lời 23/03/2026 17:00"}
    text, html = parts(smtp.mails[0][1])
    assert f"Mã phản ánh: {code}" in text and "Người gửi: Lê T. M." in text
    assert f"http://127.0.0.1:8080/phan-anh-kien-nghi/{code}" in text
    assert f'href="http://127.0.0.1:8080/phan-anh-kien-nghi/{code}"' in html
    for private in ("Lê Thị Mai", "0987", "654 321", "chứng thực nộp hai tuần"):
        assert private not in text and private not in html


def test_an_alert_of_a_complaint_answered_meanwhile_is_cancelled(
        tmp_path: Any, smtp: Mailbox) -> None:
    runtime = runtime_for(tmp_path, smtp, "")
    code = file_complaint(runtime)
    scan_job.run(runtime, local(2026, 3, 2, 10))
    scan_job.run(runtime, local(2026, 3, 18, 17, 5))  # after hours: waits for 19/03 07:30
    with runtime.sessions.begin() as session:
        complaint = session.scalar(select(Complaint).where(Complaint.code == code))
        answer(session, complaint, "Đã trả kết quả cho bà ngày 18/03.", "Trưởng ban",
               local(2026, 3, 18, 18))
    report = dispatch(runtime, local(2026, 3, 19, 7, 31))
    assert (report.sent, report.cancelled) == (0, 2) and smtp.mails == []
    with runtime.sessions() as session:
        reasons = set(session.scalars(select(Alert.cancel_reason)))
        states = set(session.scalars(select(AlertDelivery.state)))
    assert reasons == {"Phản ánh, kiến nghị đã được trả lời hoặc kết thúc"}
    assert states == {DeliveryState.CANCELLED}


def test_the_scan_command_lists_the_complaints_it_moved(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    config = tmp_path / "config.toml"
    config.write_text(f'database_url = "{url}"\n', encoding="utf-8")
    runtime = Runtime.from_settings(make_settings(url))
    Base.metadata.create_all(runtime.engine)
    with runtime.sessions.begin() as session:
        code = submit_public(session, policy_of(runtime), unit(session).id, "Lê Thị Mai",
                             "0987654321", "Chưa nhận được trả lời về hồ sơ.",
                             runtime.now() - dt.timedelta(days=40)).code
    done = CliRunner().invoke(cli, ["--config", str(config), "scan"])
    assert done.exit_code == 0, done.output
    assert f"1 complaint(s) changed class:\n  {code}  Trong hạn → Quá hạn" in done.output
    runtime.engine.dispose()

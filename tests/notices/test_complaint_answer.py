"""A complaint's answer reaches the citizen by their channel, once, like a dossier notice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from service.complaints import answer, submit_about_dossier, submit_public
from service.models import CitizenNotice, Complaint, Dossier
from service.models.notices import NoticeKind, NoticeState
from service.notices import opt_out
from service.runtime import Runtime
from tests.builders import ingest, record
from tests.complaints.support import policy_of, unit
from tests.conftest import local
from tests.fixtures.sms.server import Gateway
from tests.notices.conftest import esms_section, run_notices, sms_runtime

CODE = "000.32.26.H26-260302-0001"
RECEIVED = local(2026, 3, 2, 9)  # a Monday
FILED = local(2026, 3, 3, 9)
ANSWERED = local(2026, 3, 4, 10)
REPLY = ("Hồ sơ của ông đã được giải quyết xong ngày 04/03/2026; mời ông đến Bộ phận Một cửa "
         "nhận kết quả.")


def file_and_answer(runtime: Runtime) -> tuple[str, str]:
    """A complaint about the dossier and one from the public form, both answered."""
    policy = policy_of(runtime)
    with runtime.sessions.begin() as session:
        dossier = session.scalar(select(Dossier).where(Dossier.code == CODE))
        about = submit_about_dossier(session, policy, dossier.id,
                                     "Quá hạn hẹn trả mà chưa nhận được kết quả.", FILED)
        public = submit_public(session, policy, unit(session).id, "Lê Thị Mai",
                               "+84 979 144 153", "Đề nghị niêm yết thủ tục chứng thực.", FILED)
        answer(session, about, REPLY, "Trưởng ban Tư pháp", ANSWERED)
        answer(session, public, "Đã niêm yết tại Bộ phận Một cửa.", "Trưởng ban", ANSWERED)
        return about.code, public.code


def answer_notices(runtime: Runtime) -> list[tuple[str, NoticeState, str | None]]:
    with runtime.sessions() as session:
        return list(session.execute(
            select(Complaint.code, CitizenNotice.state, CitizenNotice.reason)
            .join(Complaint, Complaint.id == CitizenNotice.complaint_id)
            .where(CitizenNotice.kind == NoticeKind.ANSWER).order_by(Complaint.code)))


def test_each_answer_goes_once_to_the_phone_given_with_it(
        notices_runtime: Callable[..., Runtime], gateway: Gateway, tmp_path: Path) -> None:
    runtime = sms_runtime(notices_runtime, gateway, tmp_path, events=["answer"])
    ingest(runtime, RECEIVED, record(CODE, RECEIVED))
    about, public = file_and_answer(runtime)
    for minute in (5, 6, 7):
        run_notices(runtime, local(2026, 3, 4, 10, minute))

    assert answer_notices(runtime) == [(about, NoticeState.SENT, None),
                                       (public, NoticeState.SENT, None)]
    sent = {m["Phone"]: m["Content"] for m in gateway.sent}
    assert len(gateway.sent) == 2 and set(sent) == {"0912345678", "0979144153"}
    # Brandname SMS without diacritics (IsUnicode 0), as the dossier notices.
    assert sent["0912345678"].startswith(
        f"UBND xa Thanh Mien tra loi phan anh, kien nghi {about} ve ho so {CODE} ngay "
        "04/03/2026: Ho so cua ong da duoc giai quyet xong")
    assert sent["0979144153"].endswith(
        f"Xem toan van tai https://dichvucong.thanhmien.example.vn/tra-cuu bang ma {public}.")


def test_an_unanswered_complaint_sends_nothing(
        notices_runtime: Callable[..., Runtime], gateway: Gateway, tmp_path: Path) -> None:
    runtime = sms_runtime(notices_runtime, gateway, tmp_path, events=["answer"])
    with runtime.sessions.begin() as session:
        submit_public(session, policy_of(runtime), unit(session).id, "Lê Thị Mai",
                      "0979144153", "Đề nghị niêm yết thủ tục chứng thực.", FILED)
    run_notices(runtime, local(2026, 3, 4, 10, 5))
    assert answer_notices(runtime) == [] and gateway.sent == []


def test_a_citizen_who_opted_out_of_the_dossier_is_not_answered_by_sms(
        notices_runtime: Callable[..., Runtime], gateway: Gateway, tmp_path: Path) -> None:
    runtime = sms_runtime(notices_runtime, gateway, tmp_path, events=["answer"])
    ingest(runtime, RECEIVED, record(CODE, RECEIVED))
    with runtime.sessions.begin() as session:
        dossier = session.scalar(select(Dossier).where(Dossier.code == CODE))
        opt_out(session, dossier.id, "citizen", FILED)
    about, public = file_and_answer(runtime)
    run_notices(runtime, local(2026, 3, 4, 10, 5))
    assert answer_notices(runtime) == [
        (about, NoticeState.SKIPPED, "Công dân đã từ chối nhận thông báo về hồ sơ này"),
        (public, NoticeState.SENT, None)]
    assert [m["Phone"] for m in gateway.sent] == ["0979144153"]


def test_answers_are_not_sent_unless_the_event_is_chosen(
        notices_runtime: Callable[..., Runtime], gateway: Gateway, tmp_path: Path) -> None:
    runtime = notices_runtime(channels=["sms"], sms=esms_section(gateway.url, tmp_path / "e"),
                              events=["received"])
    with runtime.sessions.begin() as session:
        done = submit_public(session, policy_of(runtime), unit(session).id, "Lê Thị Mai",
                             "0979144153", "Đề nghị niêm yết thủ tục chứng thực.", FILED)
        answer(session, done, "Đã niêm yết.", "Trưởng ban", ANSWERED)
    run_notices(runtime, local(2026, 3, 4, 10, 5))
    assert answer_notices(runtime) == [] and gateway.sent == []

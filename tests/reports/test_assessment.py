"""Decision 766 self-assessment: every group's points counted by hand, on each database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.models import CitizenRating, Dossier, StatusEvent, SupplementRound
from service.models.complaints import Complaint, ComplaintSource, ComplaintStatus
from service.models.portal import PortalSync, SyncState
from service.reports.assessment import assessment
from service.reports.indicators import percent_text
from service.reports.periods import parse_period
from service.vocabulary import Channel, Outcome, Status
from tests.conftest import UNIT_CODE, local, make_settings

ZONE = "Asia/Ho_Chi_Minh"
NOW = local(2026, 8, 1, 9)  # 2026-Q3 (15/06-14/09) in progress: judged now
GROUPS = ("Công khai, minh bạch", "Tiến độ giải quyết", "Dịch vụ công trực tuyến",
          "Thanh toán trực tuyến", "Mức độ hài lòng", "Số hóa hồ sơ", "Số hóa hồ sơ")


@pytest.fixture
def settings(database_url: str) -> dict[str, Any]:
    """Run every test of this module on SQLite and on PostgreSQL."""
    return make_settings(database_url)


def _dossiers(session: Session, make_dossier: Callable[..., Dossier]) -> list[Dossier]:
    """Ten dossiers received 01-05/07/2026; the comment of each says what it counts in."""
    def done(day: int, outcome: Outcome, **kw: Any) -> Dossier:
        return make_dossier(received_at=local(2026, 7, day, 9), status=Status.RETURNED,
                            is_open=False, finished_at=local(2026, 7, day + 2, 9),
                            outcome=outcome, portal_outcome=outcome, **kw)

    online = dict(channel=Channel.ONLINE)
    rows = [
        done(1, Outcome.ON_TIME, **online, fee_due=True, paid_online=True,
             electronic_result=True, digitized=True),                # 1 online fee paid e-res dig
        done(1, Outcome.LATE, fee_due=True, digitized=True),         # 2 late, fee, digitised
        make_dossier(received_at=local(2026, 7, 2, 9),
                     portal_due_at=local(2026, 8, 20, 17)),          # 3 open within
        make_dossier(received_at=local(2026, 7, 2, 9), **online,
                     portal_due_at=local(2026, 7, 8, 17)),           # 4 open overdue: late
        make_dossier(received_at=local(2026, 7, 3, 9), status=Status.WAITING_SUPPLEMENT,
                     portal_due_at=local(2026, 7, 8, 17)),           # 5 waiting: not late
        make_dossier(received_at=local(2026, 7, 3, 9),
                     portal_due_at=local(2026, 8, 25, 17)),          # 6 two requests: late
        done(4, Outcome.EARLY, **online, electronic_result=True, digitized=True),  # 7 rated 2
        done(4, Outcome.ON_TIME, digitized=True),                    # 8 rated 5
        done(5, Outcome.ON_TIME),                                    # 9 rated 4
        done(5, Outcome.ON_TIME, **online, fee_due=True, paid_online=True),  # 10 fee paid
    ]
    session.add(StatusEvent(dossier_id=rows[4].id, at=local(2026, 7, 6, 9),
                            status=Status.WAITING_SUPPLEMENT))
    session.add_all([
        SupplementRound(dossier_id=rows[4].id, requested_at=local(2026, 7, 6, 9)),
        SupplementRound(dossier_id=rows[5].id, requested_at=local(2026, 7, 6, 9),
                        completed_at=local(2026, 7, 10, 9)),
        SupplementRound(dossier_id=rows[5].id, requested_at=local(2026, 7, 15, 9),
                        completed_at=local(2026, 7, 17, 9)),
    ])
    for index, state in ((0, SyncState.SYNCED), (1, SyncState.FAILED), (2, SyncState.SYNCED),
                         (6, SyncState.SYNCED), (9, SyncState.SYNCED)):
        session.add(PortalSync(dossier_id=rows[index].id, state=state))
    for index, score in ((6, 2), (7, 5), (8, 4)):
        session.add(CitizenRating(dossier_id=rows[index].id, score=score,
                                  created_at=local(2026, 7, 20, 9),
                                  updated_at=local(2026, 7, 20, 9)))
    session.commit()
    return rows


def _points(session: Session, **kw: Any) -> list[tuple[str, int, int, float | None]]:
    result = assessment(session, UNIT_CODE, parse_period("2026-Q3"), ZONE, NOW, **kw)
    return [(i.group, i.numerator, i.denominator, i.points) for i in result.indicators]


def test_each_group_scores_its_rule(session: Session, make_dossier: Callable[..., Any]) -> None:
    _dossiers(session, make_dossier)
    result = assessment(session, UNIT_CODE, parse_period("2026-Q3"), ZONE, NOW)
    # total 10; online 1 4 7 10; late by the portal's rule: 2 (finished late), 4 (overdue),
    # 6 (two supplement requests, though within its date); 5 waits, so it is not late.
    assert [(i.group, i.numerator, i.denominator, i.points) for i in result.indicators] == [
        (GROUPS[0], 4, 10, 2.40),   # synced 1 3 7 10: 6 × 4/10
        (GROUPS[1], 7, 10, 14.00),  # 20 × (10 − 3)/10
        (GROUPS[2], 4, 10, 3.84),   # 12 × min(0.4 ÷ 0.5, 1) × 4/10 synced = 12 × 0.8 × 0.4
        (GROUPS[3], 2, 3, 6.67),    # fee 1 2 10, paid online 1 10: 10 × 2/3 = 6.666…
        (GROUPS[4], 6, 10, 12.00),  # 100 % − (3/10 late + 1/10 rated 1–2) = 60 %: 18 × 0.6/0.9
        (GROUPS[5], 2, 6, 3.67),    # finished 1 2 7 8 9 10, e-result 1 7: 11 × 2/6 = 3.666…
        (GROUPS[6], 4, 10, 5.50),   # digitised 1 2 7 8: 11 × min(0.4 ÷ 0.8, 1)
    ]
    assert result.points == 48.08  # 2.40 + 14.00 + 3.84 + 6.67 + 12.00 + 3.67 + 5.50
    assert result.max_points == 88
    satisfaction = result.indicators[4]
    assert satisfaction.computation == (
        "18 × min((10 − 3 trễ hạn − 1 không hài lòng)/10 = 6/10 = 60,0 % ÷ 90 %, 1) = 12,00")


def test_one_low_rating_moves_satisfaction_by_its_share_never_to_zero(
        session: Session, make_dossier: Callable[..., Any]) -> None:
    rows = _dossiers(session, make_dossier)
    for rating in session.query(CitizenRating).all():
        if rating.dossier_id != rows[6].id:
            session.delete(rating)  # only the 2/5 rating remains: the one rated dossier
    session.commit()
    assert _points(session)[4] == (GROUPS[4], 6, 10, 12.00)
    session.delete(session.query(CitizenRating).one())
    session.commit()
    assert _points(session)[4] == (GROUPS[4], 7, 10, 14.00)  # 18 × 0.7 ÷ 0.9: 2 points apart


def complaint(session: Session, dossier: Dossier, number: int, sent: Any) -> None:
    session.add(Complaint(
        code=f"PAKN-2026-{number:05d}", unit_id=dossier.unit_id, dossier_id=dossier.id,
        source=ComplaintSource.LOOKUP, name="Trần Thị Hoa", content="Hồ sơ chậm",
        submitted_at=sent, due_at=sent, near_at=sent, updated_at=sent,
        status=ComplaintStatus.NEW))


def test_a_complaint_counts_its_dossier_once_beside_a_low_rating(
        session: Session, make_dossier: Callable[..., Any]) -> None:
    rows = _dossiers(session, make_dossier)
    # Dossier 7 (index 6) is already rated 2/5: its complaint adds nothing. Dossier 9 (index 8,
    # rated 4/5, on time) draws a complaint: dissatisfied 2 of 10. A complaint sent after the
    # instant the report is judged at does not count yet.
    complaint(session, rows[6], 1, local(2026, 7, 21, 9))
    complaint(session, rows[8], 2, local(2026, 7, 22, 9))
    complaint(session, rows[9], 3, local(2026, 8, 2, 9))
    session.commit()
    # 18 × (10 − 3 late − 2 dissatisfied)/10 ÷ 90 % = 18 × 0.5/0.9 = 10.00
    assert _points(session)[4] == (GROUPS[4], 5, 10, 10.00)
    # On 21/07 at 12:00 only the first complaint and the rating existed: still 1 dissatisfied.
    assert _points(session, as_of=local(2026, 7, 21, 12))[4] == (GROUPS[4], 6, 10, 12.00)


def test_as_of_an_earlier_instant_the_second_request_and_the_rating_did_not_exist(
        session: Session, make_dossier: Callable[..., Any]) -> None:
    _dossiers(session, make_dossier)
    # 12/07 09:00: dossier 6 has had one request (the second came 15/07), the rating of
    # dossier 7 came 20/07: late 2 and 4 only, nobody dissatisfied yet.
    points = _points(session, as_of=local(2026, 7, 12, 9))
    assert points[1] == (GROUPS[1], 8, 10, 16.00)
    assert points[4] == (GROUPS[4], 8, 10, 16.00)


def test_percentages_come_from_the_numbers_shown_rounded_half_up() -> None:
    assert percent_text(925, 2343) == "39,5 %"  # never "79,0 %" beside 925/2343
    assert percent_text(1, 16) == "6,3 %"       # 6.25 rounds up, not to the even 6.2
    assert percent_text(2, 3) == "66,7 %"
    assert percent_text(0, 0) == "Chưa có dữ liệu"


def test_the_page_writes_each_formula_beside_its_score(runtime: Any, session: Session,
                                                       client: Any,
                                                       make_dossier: Callable[..., Any]) -> None:
    from tests.pages_support import add_user, login

    _dossiers(session, make_dossier)
    runtime.now = lambda: NOW
    add_user(session, "lan", "clerk")
    login(client, "lan")
    page = client.get(f"/bao-cao/chi-so-766?unit={UNIT_CODE}&period=2026-Q3").get_data(
        as_text=True)
    assert "Số liệu tính đến 09:00 ngày 01/08/2026" in page
    assert "12 × min((hồ sơ trực tuyến ÷ hồ sơ tiếp nhận) ÷ 50 %, 1) × tỷ lệ đồng bộ" in page
    assert ("12 × min(4/10 = 40,0 % ÷ 50 %, 1) × 4/10 = 40,0 % (hồ sơ đồng bộ lên Cổng / hồ "
            "sơ tiếp nhận) = 3,84") in page
    assert "<strong>48,08</strong> / 88" in page

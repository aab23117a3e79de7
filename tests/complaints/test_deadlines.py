"""Complaint time limits on the 2026 working calendar, every due date counted by hand.

Days off used here (config.toml and the holidays package): Tết from Sat 14/02 to Sun 22/02;
the National Day block from Sat 29/08 to Wed 02/09 (Mon 31/08 swapped for Sat 22/08, which is
a working day). The day a complaint arrives never counts.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from service.complaints import scan_complaints, submit_public
from service.runtime import Runtime
from service.vocabulary import DeadlineClass
from tests.complaints.support import policy_of, unit
from tests.conftest import local, make_settings

CASES = [
    # Fri 13/02 before Tết: 23–27/02 (5), 02–06/03 (10), 09–13/03 (15); near after the 12th
    # day, Tue 10/03, when three working days remain.
    (local(2026, 2, 13, 10), local(2026, 3, 13, 17), local(2026, 3, 10, 17)),
    # Sent on Sat 14/02, in Tết: received Mon 23/02, which does not count; 24–27/02 (4),
    # 02–06/03 (9), 09–13/03 (14), Mon 16/03 (15); near after Wed 11/03.
    (local(2026, 2, 14, 20), local(2026, 3, 16, 17), local(2026, 3, 11, 17)),
    # Thu 20/08: Fri 21/08 (1), Sat 22/08 worked in exchange for 31/08 (2), 24–28/08 (7),
    # block 29/08–02/09 skipped, 03–04/09 (9), 07–11/09 (14), Mon 14/09 (15); near after
    # Wed 09/09.
    (local(2026, 8, 20, 14), local(2026, 9, 14, 17), local(2026, 9, 9, 17)),
    # Fri 28/08 16:00, the last day before the block: 03–04/09 (2), 07–11/09 (7),
    # 14–18/09 (12), 21–23/09 (15): Wed 23/09; near after Fri 18/09.
    (local(2026, 8, 28, 16), local(2026, 9, 23, 17), local(2026, 9, 18, 17)),
    # Sent on Sun 30/08, inside the block: received Thu 03/09; 04/09 (1), 07–11/09 (6),
    # 14–18/09 (11), 21–24/09 (15): Thu 24/09; near after Mon 21/09.
    (local(2026, 8, 30, 9), local(2026, 9, 24, 17), local(2026, 9, 21, 17)),
]


@pytest.mark.parametrize(("sent", "due", "near"), CASES,
                         ids=["before-tet", "during-tet", "working-saturday", "before-2-9",
                              "during-2-9"])
def test_complaint_is_due_fifteen_working_days_after_it_arrives(
        runtime: Runtime, session: Session, sent: dt.datetime, due: dt.datetime,
        near: dt.datetime) -> None:
    complaint = submit_public(session, policy_of(runtime), unit(session).id, "Trần Văn Hùng",
                              "0912 345 678", "Hồ sơ của tôi nộp đã lâu chưa có kết quả.", sent)
    assert complaint.due_at == due
    assert complaint.near_at == near
    assert complaint.deadline_class is DeadlineClass.WITHIN


def test_the_scan_flags_a_complaint_near_then_overdue_at_the_counted_instants(
        runtime: Runtime, session: Session) -> None:
    sent = local(2026, 2, 13, 10)
    complaint = submit_public(session, policy_of(runtime), unit(session).id, "Trần Văn Hùng",
                              "0912345678", "Chưa nhận được kết quả giải quyết hồ sơ.", sent)
    steps = [(local(2026, 3, 10, 16, 59), None), (local(2026, 3, 10, 17), DeadlineClass.NEAR),
             (local(2026, 3, 13, 17), None),  # due *by* 17:00: not late at 17:00 itself
             (local(2026, 3, 13, 17, 0, 1), DeadlineClass.OVERDUE)]
    previous = sent
    for now, expected in steps:
        moves = scan_complaints(session, previous, now)
        assert [m.after for m in moves] == ([expected] if expected else []), now
        previous = now
    session.refresh(complaint)
    assert complaint.deadline_class is DeadlineClass.OVERDUE


def test_a_shorter_configured_limit_is_counted_the_same_way() -> None:
    settings = make_settings("sqlite://", complaints={"limit_working_days": 5,
                                                      "near_working_days": 1})
    runtime = Runtime.from_settings(settings)
    policy = policy_of(runtime)
    # Thu 20/08: 21/08, Sat 22/08, 24/08, 25/08, 26/08 -> Wed 26/08; near after Tue 25/08.
    assert policy.due_at(local(2026, 8, 20, 14)) == local(2026, 8, 26, 17)
    assert policy.near_at(local(2026, 8, 20, 14)) == local(2026, 8, 25, 17)
    runtime.engine.dispose()

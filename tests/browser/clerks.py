"""The clerks' browser tests share: a seeded app on a loopback port and signing in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from service.models import Dossier, Procedure, StatusEvent, Unit
from service.users.accounts import create_user
from service.vocabulary import Channel, LimitUnit, Outcome, Status
from tests.conftest import UNIT_CODE, local

NOW = local(2026, 3, 10, 9)


PASSWORD = "mật-khẩu-đủ-dài"


HANDLERS = ("Công an xã", "Văn phòng UBND xã", "Tư pháp - Hộ tịch")


def seed(session: Session) -> None:
    """Two lĩnh vực, three handling bodies, open, overdue, paused and finished dossiers."""
    unit = Unit(code=UNIT_CODE, name="UBND xã Thanh Miện")
    civil = Procedure(code="1.001193", name="Đăng ký khai sinh", domain_name="Hộ tịch",
                      limit_value=3, limit_unit=LimitUnit.WORKING_DAYS)
    certify = Procedure(code="2.000815", name="Chứng thực bản sao từ bản chính",
                        domain_name="Chứng thực", limit_value=2,
                        limit_unit=LimitUnit.WORKING_DAYS)
    for number in range(1, 31):
        received = local(2026, 1 + number % 3, 1 + number % 27, 9)
        finished = number % 3 == 0
        row = Dossier(
            code=f"{UNIT_CODE}-{received:%y%m%d}-{number:04d}", unit=unit,
            procedure=civil if number % 2 else certify,
            applicant_name=f"Trần Thị Hoa {number}", applicant_phone="0987654321",
            applicant_id_no="001190012345", channel=Channel.ONLINE if number % 4 else
            Channel.DIRECT, handler=HANDLERS[number % 3], received_at=received,
            source_due_at=received + dt.timedelta(days=4),
            due_at=received + dt.timedelta(days=4) if number != 7 else local(2026, 3, 12, 17),
            status=Status.RETURNED if finished else (
                Status.WAITING_SUPPLEMENT if number % 5 == 0 else Status.PROCESSING),
            is_open=not finished,
            finished_at=received + dt.timedelta(days=2 + number % 4) if finished else None,
            outcome=(Outcome.LATE if number % 4 == 0 else Outcome.ON_TIME) if finished else None,
            source="test", source_id=str(number), fingerprint="", lookup_secret="ABCD2345",
            updated_at=received)
        session.add(row)
        session.flush()
        session.add(StatusEvent(dossier_id=row.id, at=received, status=Status.ACCEPTED,
                                actor="Nguyễn Thu", department="Bộ phận Một cửa"))
    create_user(session, "lan", PASSWORD, "clerk", [UNIT_CODE], NOW, full_name="Nguyễn Thu Lan")




def sign_in(page: Any, server: str) -> None:
    """Open a page, get sent to the login form, sign in and come back."""
    page.goto(f"{server}/tong-quan")
    assert "/dang-nhap" in page.url
    page.get_by_label("Tên đăng nhập").fill("lan")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{server}/tong-quan")

"""Attacks on personal data by role (Decree 13/2023/NĐ-CP), against the running stand.

A viewer (commune leadership) and a read-scope API token must not get the applicant's full
name, phone, ID number or e-mail of DOSSIER_A from any page, letter, payload, list, export or
API answer, nor confirm a name, phone or ID number through a search. The receiving clerk and
the admin still see what their work needs (docs/domain.md, "Personal data").
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.dossiers.extension import issue_extension
from service.models import Dossier
from service.runtime import Runtime
from tests.security.conftest import DOSSIER_A, Answer, Browser, Stand, call, default_seed

NAME = "Nguyễn Văn Bình"
MASKED_NAME = "Nguyễn V. B."
PHONE = "0912345678"
ID_NO = "010203004567"
EMAIL = "binh.nv@example.vn"
SUMMARY = ("Xác nhận tình trạng hôn nhân để đăng ký kết hôn cho ông NGUYỄN VĂN BÌNH, "
           "điện thoại 0912 345 678, thư binh.nv@example.vn")
REASON = "Cần xác minh thêm nơi cư trú trước đây của ông Nguyễn Văn Bình tại xã khác"
# Every spelling of DOSSIER_A's personal data that must not reach a masked reader.
SECRETS = (NAME, "NGUYỄN VĂN BÌNH", "Văn Bình", PHONE, "0912 345 678", ID_NO, EMAIL)
CODE_LINK = re.compile(r'href="/ho-so/(000\.[^"/?]+)"')
ABSENT_NAME = "Hoàng Thị Không Có"


def _seed(session: Session, runtime: Runtime, tokens: dict[str, str]) -> None:
    """The default seed; DOSSIER_A also has a summary naming the applicant, an e-mail and an
    apology letter whose reason names them."""
    default_seed(session, runtime, tokens)
    row = session.scalar(select(Dossier).where(Dossier.code == DOSSIER_A))
    row.summary, row.applicant_email = SUMMARY, EMAIL
    new_due = runtime.calendar.closing(dt.date(2026, 12, 10))
    issue_extension(session, runtime.policy, row, new_due, REASON, "Trần Văn Chủ tịch",
                    dt.datetime(2026, 11, 30, 2, tzinfo=dt.UTC))


@pytest.fixture(scope="module")
def stand_seed() -> Callable[[Session, Runtime, dict[str, str]], None]:
    return _seed


@pytest.fixture(scope="module")
def viewer(stand: Stand) -> Browser:
    return stand.signed_in("xem_a")


@pytest.fixture(scope="module")
def clerk(stand: Stand) -> Browser:
    return stand.signed_in("canbo_a")


def shown(answer: Answer) -> str:
    """A page as the reader reads it (entities decoded: the payload's JSON is escaped)."""
    assert answer.status == 200, answer.status
    return html.unescape(answer.text)


def leaks(text: str) -> list[str]:
    """Which of DOSSIER_A's personal data the text gives away."""
    return [secret for secret in SECRETS if secret.casefold() in text.casefold()]


def api(stand: Stand, path: str, token: str = "doc") -> Answer:
    return call(stand.url, path, headers={"Authorization": f"Bearer {stand.tokens[token]}"})


def payload_of(page: str) -> dict[str, Any]:
    """The portal payload shown on a dossier page."""
    found = re.search(r'<pre class="payload">(.*?)</pre>', page, re.S)
    assert found, "no payload on the page"
    return json.loads(found.group(1))


def test_a_viewer_sees_no_personal_data_on_the_dossier_page(viewer: Browser) -> None:
    page = shown(viewer.get(f"/ho-so/{DOSSIER_A}"))
    assert leaks(page) == []
    assert MASKED_NAME in page and "•••••••••567" in page and "•••@example.vn" in page


def test_a_viewer_gets_the_portal_payload_masked_summary_included(viewer: Browser) -> None:
    item = payload_of(shown(viewer.get(f"/ho-so/{DOSSIER_A}")))
    assert item["ChuHoSo"] == MASKED_NAME
    assert item["SoDienThoai"] == "•••••••678" and item["SoGiayToChuHoSo"] == "•••••••••567"
    assert item["Email"] == "•••@example.vn"
    assert item["TrichYeuHoSo"].startswith("Xác nhận tình trạng hôn nhân để đăng ký kết hôn "
                                           f"cho ông {MASKED_NAME}, điện thoại •••••••678")
    assert leaks(json.dumps(item, ensure_ascii=False)) == []


def test_a_viewer_reads_the_apology_letter_without_the_name(viewer: Browser) -> None:
    page = shown(viewer.get(f"/ho-so/{DOSSIER_A}/phieu-xin-loi"))
    assert "Phiếu xin lỗi và hẹn lại ngày trả kết quả" in page
    assert leaks(page) == []
    assert f"Ông/Bà {MASKED_NAME}" in re.sub(r"<[^>]+>", "", page)
    assert "đã được che" in page


def test_a_viewer_cannot_print_the_receipt_slip(viewer: Browser) -> None:
    assert viewer.get(f"/tra-cuu/phieu/{DOSSIER_A}").status == 403


def test_a_viewer_sees_masked_names_in_the_list_and_the_export(viewer: Browser) -> None:
    page = shown(viewer.get("/ho-so"))
    assert DOSSIER_A in CODE_LINK.findall(page)
    assert leaks(page) == [] and MASKED_NAME in page
    exported = viewer.get("/ho-so/xuat.xlsx")
    assert exported.status == 200
    rows = list(load_workbook(io.BytesIO(exported.body)).active.iter_rows(values_only=True))
    text = " ".join(str(value) for row in rows for value in row if value is not None)
    assert DOSSIER_A in text and MASKED_NAME in text
    assert leaks(text) == [] and "Điện thoại" not in text


@pytest.mark.parametrize("query", [NAME, "nguyen van binh", "binh", PHONE, "0912 345 678",
                                   ID_NO])
def test_a_viewers_search_by_personal_data_is_no_oracle(viewer: Browser, query: str) -> None:
    """The answer for DOSSIER_A's name, phone or ID number is the one for nobody's."""
    absent = {NAME: ABSENT_NAME, "nguyen van binh": "hoang thi khong co", "binh": "khongco",
              PHONE: "0900000001", "0912 345 678": "0900 000 001", ID_NO: "099999999999"}
    answers = []
    for text in (query, absent[query]):
        page = shown(viewer.get("/ho-so?q=" + quote_plus(text)))
        assert CODE_LINK.findall(page) == [], text
        assert "không được tìm hồ sơ theo họ tên, số điện thoại" in page
        answers.append(page.replace(quote_plus(text), "").replace(text, ""))
    assert answers[0] == answers[1]


def test_a_viewer_still_finds_a_dossier_by_its_code(viewer: Browser) -> None:
    page = shown(viewer.get(f"/ho-so?q={DOSSIER_A[-11:]}"))
    assert CODE_LINK.findall(page) == [DOSSIER_A] and leaks(page) == []


def test_a_read_token_gets_the_sync_payload_masked(stand: Stand) -> None:
    answer = api(stand, f"/api/v1/dossiers/{DOSSIER_A}/sync")
    assert answer.status == 200
    item = json.loads(answer.body)["payload"]
    assert item["ChuHoSo"] == MASKED_NAME and MASKED_NAME in item["TrichYeuHoSo"]
    assert leaks(answer.text) == [] and leaks(json.dumps(json.loads(answer.body),
                                                         ensure_ascii=False)) == []


@pytest.mark.parametrize("path", [f"/api/v1/dossiers/{DOSSIER_A}",
                                  f"/api/v1/dossiers/{DOSSIER_A}/history",
                                  f"/api/v1/dossiers/{DOSSIER_A}/deadline",
                                  "/api/v1/dossiers"])
def test_a_read_token_gets_no_personal_data_from_the_dossier_endpoints(stand: Stand,
                                                                       path: str) -> None:
    answer = api(stand, path)
    assert answer.status == 200
    assert leaks(json.dumps(json.loads(answer.body), ensure_ascii=False)) == []
    assert DOSSIER_A in answer.text


def test_a_read_tokens_search_by_name_or_phone_finds_nothing(stand: Stand) -> None:
    for query in (NAME, "nguyen van", PHONE, ID_NO):
        answer = api(stand, f"/api/v1/dossiers?q={quote_plus(query)}")
        assert answer.status == 200 and json.loads(answer.body)["items"] == [], query
    assert json.loads(api(stand, "/api/v1/dossiers?q=nguyen+van", "quantri").body)["items"]


def test_the_clerk_sees_name_and_phone_and_finds_by_id_number(clerk: Browser) -> None:
    page = shown(clerk.get(f"/ho-so/{DOSSIER_A}"))
    assert NAME in page and PHONE in page and EMAIL in page
    assert ID_NO not in page and "•••••••••567" in page  # the card is in their hand
    item = payload_of(page)
    assert item["ChuHoSo"] == NAME and item["SoDienThoai"] == PHONE
    letter = shown(clerk.get(f"/ho-so/{DOSSIER_A}/phieu-xin-loi"))
    assert NAME in letter and REASON in letter and "đã được che" not in letter
    assert NAME in shown(clerk.get(f"/tra-cuu/phieu/{DOSSIER_A}"))
    for query in ("nguyen+van+binh", PHONE, ID_NO):
        assert DOSSIER_A in CODE_LINK.findall(shown(clerk.get(f"/ho-so?q={query}"))), query
    rows = load_workbook(io.BytesIO(clerk.get("/ho-so/xuat.xlsx").body)).active
    text = " ".join(str(v) for row in rows.iter_rows(values_only=True) for v in row if v)
    assert NAME in text and PHONE in text and ID_NO not in text


def test_the_admin_sees_everything_and_an_admin_token_the_payload_as_sent(
        stand: Stand) -> None:
    page = shown(stand.signed_in("quantri").get(f"/ho-so/{DOSSIER_A}"))
    assert NAME in page and PHONE in page and ID_NO in page and EMAIL in page
    item = json.loads(api(stand, f"/api/v1/dossiers/{DOSSIER_A}/sync", "quantri").body)
    assert item["payload"]["ChuHoSo"] == NAME and item["payload"]["SoGiayToChuHoSo"] == ID_NO
    assert "NGUYỄN VĂN BÌNH" in item["payload"]["TrichYeuHoSo"]

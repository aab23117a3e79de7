"""Search as clerks search, on SQLite and PostgreSQL: names without diacritics and in any
case, phones in any common format, ID numbers, ranked results, role limits, "Hồ sơ của tôi".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import pytest
from alembic import command
from sqlalchemy import MetaData, Table, insert, select
from sqlalchemy.orm import Session

from connectors.base import DossierRecord
from migrations import alembic_config
from service.db import make_engine
from service.dossiers.search import tiers
from service.dossiers.search.keys import fold, id_no_key, phone_key, read_search
from service.ingest import Ingestor
from service.models import Dossier, NameWord, Procedure, Unit
from service.runtime import Runtime
from service.users.tokens import issue_token
from service.vocabulary import Channel, LimitUnit, Status
from tests.conftest import local, make_settings
from tests.pages_support import FAST_HASHES, NOW, add_user, login

CODE_LINK = re.compile(r'data-label="Mã hồ sơ"><a href="/ho-so/([^"]+)">')


@pytest.fixture
def settings(database_url: str) -> dict[str, Any]:
    """Each database: a SQLite file, and PostgreSQL when TTHC_TEST_DATABASE_URL is set."""
    return make_settings(database_url, web=FAST_HASHES)


@pytest.fixture
def people(make_dossier: Any, session: Session) -> dict[str, str]:
    """Applicants as sources write them, received a day apart (the last one newest)."""
    rows = {
        "binh": dict(applicant_name="Nguyễn Văn Bình", applicant_phone="0979 144 153",
                     applicant_id_no="001 090 012 345", received_by="Nguyễn Thu Lan"),
        "hoa": dict(applicant_name="NGUYỄN THỊ HOA", applicant_phone="+84 912 345 678",
                    applicant_id_no="123456789", received_by="Lê Thị Cúc"),
        "nguyen": dict(applicant_name="Trần Văn Nguyên", applicant_phone="912345670",
                       applicant_id_no=None, received_by="nguyễn thu  lan"),
        "le_binh": dict(applicant_name="Lê Văn Bình", applicant_phone="0979.144.153",
                        applicant_id_no="038190000111", received_by=None),
    }
    codes = {}
    for day, (key, values) in enumerate(rows.items(), start=2):
        codes[key] = make_dossier(received_at=local(2026, 3, day, 9), **values).code
    session.commit()
    return codes


@pytest.fixture
def clerk(client: Any, session: Session) -> Any:
    """The test client signed in as a clerk of the unit."""
    add_user(session, "lan", "clerk")
    login(client, "lan")
    return client


def found(client: Any, query: str, **args: str) -> list[str]:
    """Dossier codes of a list page, in the order shown."""
    response = client.get("/ho-so", query_string={"q": query, **args})
    assert response.status_code == 200
    return CODE_LINK.findall(response.get_data(as_text=True))


def named(codes: dict[str, str], *keys: str) -> list[str]:
    return [codes[key] for key in keys]


def test_names_are_found_without_diacritics_and_in_any_case(clerk: Any, session: Session,
                                                            people: dict[str, str]) -> None:
    assert found(clerk, "nguyen van") == named(people, "binh")
    assert found(clerk, "Nguyễn Văn") == named(people, "binh")
    assert found(clerk, "NGUYEN thi hoa") == named(people, "hoa")
    assert found(clerk, "van binh") == named(people, "le_binh", "binh")
    assert found(clerk, "BÌNH") == named(people, "le_binh", "binh")
    assert found(clerk, "inh") == []  # words are matched from their start


def test_name_prefix_ranks_above_a_later_word(clerk: Any, session: Session,
                                              people: dict[str, str]) -> None:
    # "Trần Văn Nguyên" is the newest match, yet a name that starts with the text comes first.
    assert found(clerk, "nguyen") == named(people, "hoa", "binh", "nguyen")
    assert found(clerk, "nguyen", sort="received") == named(people, "binh", "hoa", "nguyen")


@pytest.mark.parametrize("typed", ["0979144153", "0979 144 153", "+84 979 144 153",
                                   "84979144153", "979144153", "0979.144.153"])
def test_phone_is_found_in_any_common_format(clerk: Any, session: Session,
                                             people: dict[str, str], typed: str) -> None:
    assert found(clerk, typed) == named(people, "le_binh", "binh")


def test_phone_stored_without_its_leading_zero_or_with_84(clerk: Any, session: Session,
                                                          people: dict[str, str]) -> None:
    assert found(clerk, "0912 345 670") == named(people, "nguyen")
    assert found(clerk, "0912345678") == named(people, "hoa")


def test_id_numbers_cccd_and_cmnd(clerk: Any, session: Session,
                                  people: dict[str, str]) -> None:
    assert found(clerk, "001090012345") == named(people, "binh")
    assert found(clerk, "123 456 789") == named(people, "hoa")
    assert found(clerk, "038190000111") == named(people, "le_binh")
    assert found(clerk, "999999999999") == []


def test_a_viewer_cannot_search_by_name_phone_or_id_number(client: Any, session: Session,
                                                           people: dict[str, str]) -> None:
    add_user(session, "lanhdao", "viewer")
    login(client, "lanhdao")
    response = client.get("/ho-so", query_string={"q": "0979144153"})
    page = response.get_data(as_text=True)
    assert CODE_LINK.findall(page) == []
    assert "không được tìm hồ sơ theo họ tên, số điện thoại" in page
    assert found(client, "001090012345") == []
    assert found(client, "nguyen van") == []  # a name is personal data too
    code = named(people, "binh")[0]
    assert found(client, code[-11:]) == [code]  # codes still work


def test_head_searches_by_phone_within_its_body_only(client: Any, session: Session,
                                                     make_dossier: Any) -> None:
    mine = make_dossier(handler="Công an xã", applicant_phone="0979144153")
    make_dossier(handler="Văn phòng UBND xã", applicant_phone="0979144153")
    session.commit()
    add_user(session, "truong", "head", handler="Công an xã")
    login(client, "truong")
    assert found(client, "+84979144153") == [mine.code]


def test_api_searches_personal_data_only_with_an_admin_token(client: Any, session: Session,
                                                             people: dict[str, str]) -> None:
    _, reader = issue_token(session, "bao-cao", ["read"], NOW)
    _, admin = issue_token(session, "quan-tri", ["read", "admin"], NOW)
    session.commit()

    def codes(secret: str, query: str) -> list[str]:
        response = client.get("/api/v1/dossiers", query_string={"q": query},
                              headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 200
        return [item["code"] for item in response.get_json()["items"]]

    assert codes(reader, "0979144153") == []
    assert codes(admin, "0979144153") == named(people, "le_binh", "binh")
    assert codes(reader, "nguyen van") == []
    assert codes(admin, "nguyen van") == named(people, "binh")


def test_pages_follow_the_ranks(clerk: Any, session: Session, people: dict[str, str]) -> None:
    seen, url = [], "/ho-so?q=nguyen&limit=1"
    while url:
        page = clerk.get(url).get_data(as_text=True)
        seen += CODE_LINK.findall(page)
        link = re.search(r'rel="next" href="([^"]+)"', page)
        url = link.group(1).replace("&amp;", "&") if link else ""
    assert seen == named(people, "hoa", "binh", "nguyen")


def test_common_names_walk_the_list_and_give_the_same_answer(
        clerk: Any, session: Session, people: dict[str, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    seeking = {query: found(clerk, query) for query in ("nguyen", "van binh", "van")}
    monkeypatch.setattr(tiers, "SEEK_LIMIT", 1)  # every name now counts as common
    assert {query: found(clerk, query) for query in seeking} == seeking
    assert seeking["van"] == named(people, "le_binh", "nguyen", "binh")


def test_my_dossiers_are_those_i_received(client: Any, session: Session,
                                          people: dict[str, str]) -> None:
    add_user(session, "lan", "clerk").full_name = "Nguyễn Thu Lan"
    session.commit()
    login(client, "lan")
    response = client.get("/ho-so/cua-toi")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert set(CODE_LINK.findall(page)) == {people["binh"], people["nguyen"]}
    assert "Hồ sơ do Nguyễn Thu Lan tiếp nhận" in page


def test_ingest_keeps_the_keys_and_name_words(runtime: Runtime) -> None:
    record = DossierRecord(
        code="000.32.26.H26-260302-0009", unit_code="000.32.26.H26", procedure_code="1.004873",
        procedure_name="Xác nhận tình trạng hôn nhân", domain_name="Hộ tịch",
        applicant_name="Phạm  Thị Thu Hương", applicant_phone="84 979 144 153",
        channel=Channel.DIRECT, received_at=local(2026, 3, 2, 9), status=Status.PROCESSING,
        source_id="9", source_modified_at=local(2026, 3, 2, 9), limit_value=3,
        limit_unit=LimitUnit.WORKING_DAYS, received_by="Lê Thị Cúc")
    renamed = dataclasses.replace(record, applicant_name="Phạm Thị Hương",
                                  source_modified_at=local(2026, 3, 3, 9))
    kept = []
    for version in (record, renamed):
        with runtime.sessions.begin() as session:
            Ingestor(session, "test", runtime.derive).store([version], NOW)
        with runtime.sessions() as session:
            row = session.scalar(select(Dossier))
            kept.append((row.name_key, row.phone_key, row.receiver_key, session.scalars(
                select(NameWord.word).order_by(NameWord.word)).all()))
    assert kept == [
        ("pham thi thu huong", "0979144153", "le thi cuc", ["huong", "thi thu huong", "thu huong"]),
        ("pham thi huong", "0979144153", "le thi cuc", ["huong", "thi huong"]),
    ]


def test_keys_of_what_clerks_type() -> None:
    assert fold("Đặng  Thị Ánh-Tuyết") == "dang thi anh tuyet"
    assert [phone_key(p) for p in ("+84 24 3823 4567", "0084979144153", "12345")] == [
        "02438234567", "0979144153", None]
    assert id_no_key(" 001-090.012 345 ") == "001090012345"
    assert read_search("260302-0042").code == "260302-0042"
    assert read_search("979144153").phone == "0979144153"
    assert read_search("979144153").id_no == "979144153"


def test_the_migration_gives_stored_dossiers_their_keys(database_url: str) -> None:
    engine = make_engine(database_url)
    config = alembic_config(engine)
    # The schema just before the search keys; the table as it stood then, not today's model,
    # whose later columns (and their defaults) that schema does not have yet.
    command.upgrade(config, "0005")
    with engine.begin() as conn:
        dossier = Table("dossier", MetaData(), autoload_with=conn)
        unit = conn.execute(insert(Unit.__table__).values(code="000.32.26.H26", name="UBND xã")
                            .returning(Unit.__table__.c.id)).scalar_one()
        procedure = conn.execute(insert(Procedure.__table__).values(
            code="1.004873", name="Xác nhận tình trạng hôn nhân", domain_name="Hộ tịch",
            limit_value=3, limit_unit=LimitUnit.WORKING_DAYS).returning(
            Procedure.__table__.c.id)).scalar_one()
        received = dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC)  # 09:00 in Vietnam
        conn.execute(insert(dossier).values(
            code="000.32.26.H26-260302-0001", unit_id=unit, procedure_id=procedure,
            applicant_name="Võ Thị Ngọc Ánh", applicant_phone="+84 979 144 153",
            applicant_id_no="001 090 012 345", received_by="Lê Thị Cúc", applicant_type=1,
            channel=Channel.DIRECT.value, received_at=received, status=Status.PROCESSING.value,
            is_open=True, fee_due=False, paid_online=False, digitized=False,
            electronic_result=False, source="test", source_id="1", fingerprint="",
            lookup_secret="ABCD2345", updated_at=received))
    command.upgrade(config, "head")
    with engine.connect() as conn:
        keys = conn.execute(select(Dossier.name_key, Dossier.phone_key, Dossier.id_no_key,
                                   Dossier.receiver_key)).one()
        words = conn.scalars(select(NameWord.word).order_by(NameWord.word)).all()
    engine.dispose()
    assert tuple(keys) == ("vo thi ngoc anh", "0979144153", "001090012345", "le thi cuc")
    assert words == ["anh", "ngoc anh", "thi ngoc anh"]

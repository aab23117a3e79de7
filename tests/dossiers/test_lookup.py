"""Citizen lookup: right and wrong answers look alike, nothing personal leaks, limits hold."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from service.dossiers import lookup
from service.models import AuditLog, Base, CitizenRating, Dossier, StatusEvent
from service.runtime import Runtime
from service.vocabulary import Outcome, Status
from service.web import create_app
from service.web.api.lookup import LookupSchema
from service.web.pages.lookup import PROOF_SALT
from tests.conftest import local, make_settings
from tests.pages_support import csrf_from, proof_from

NOW = local(2026, 3, 4, 10)
PHONE = "0912345678"
ID_NO = "010203004567"
EMAIL = "binh.nguyen@example.vn"


@pytest.fixture
def dossier(make_dossier: Callable[..., Dossier], session: Session) -> Dossier:
    """A dossier being handled, with two history events, committed."""
    row = make_dossier(applicant_phone=PHONE, applicant_id_no=ID_NO, applicant_email=EMAIL,
                       handler="Công chức Tư pháp - Hộ tịch", due_at=local(2026, 3, 5, 16))
    session.add_all([
        StatusEvent(dossier_id=row.id, at=local(2026, 3, 2, 9), status=Status.ACCEPTED,
                    actor="Lê Thị Hoa", note="SĐT 0912345678"),
        StatusEvent(dossier_id=row.id, at=local(2026, 3, 2, 10), status=Status.PROCESSING),
    ])
    session.commit()
    return row


def post_lookup(client: Any, code: str, factor: str) -> Any:
    return client.post("/tra-cuu", data={"code": code, "factor": factor,
                                         "csrf_token": csrf_from(client)})


def test_right_code_and_phone_digits_show_the_progress(session: Session, dossier: Dossier
                                                       ) -> None:
    result = lookup.lookup(session.connection(), dossier.code, "5678", NOW)
    assert result is not None
    assert result.applicant == "Nguyễn V. B."
    assert result.status_text == "Hồ sơ đang được xử lý tại Công chức Tư pháp - Hộ tịch."
    assert [step.text for step in result.timeline] == ["Được tiếp nhận", "Đang xử lý"]
    assert not result.is_late and not result.is_finished


def test_lookup_secret_works_in_any_case_and_spacing(session: Session, dossier: Dossier) -> None:
    spaced = " ".join(dossier.lookup_secret.lower())
    assert lookup.lookup(session.connection(), dossier.code.lower(), spaced, NOW) is not None


@pytest.mark.parametrize("code_ok, factor", [(False, "5678"), (True, "5679"), (True, ""),
                                             (True, "678"), (True, "\x00" * 8),
                                             (True, "\x005678"), (True, "45678"),
                                             (True, "５６７８")])
def test_wrong_code_or_factor_returns_nothing(session: Session, dossier: Dossier, code_ok: bool,
                                              factor: str) -> None:
    code = dossier.code if code_ok else dossier.code + "9"
    assert lookup.lookup(session.connection(), code, factor, NOW) is None


@pytest.mark.parametrize("phone", [None, "", "112", "không có", "0-1-2"])
def test_a_dossier_without_a_usable_phone_opens_only_with_its_secret(
        session: Session, make_dossier: Callable[..., Dossier], phone: str | None) -> None:
    row = make_dossier(applicant_phone=phone)
    tried = ["\x00" * 8, "\x00" * 4, "112", "0112", "0000", " " * 8, "-" * 8, "\x00112"]
    for factor in tried:
        assert lookup.lookup(session.connection(), row.code, factor, NOW) is None, factor
    assert lookup.lookup(session.connection(), row.code, row.lookup_secret, NOW) is not None


@pytest.mark.parametrize("factor, phone, secret, matches", [
    ("5678", "0912 345 678", None, True),
    ("ab-cd 2345", None, "ABCD2345", True),
    ("ABCD2345", "0912345678", "abcd2345", True),
    ("\x00" * 8, None, None, False),
    ("\x00" * 8, "112", "ABCD2345", False),
    ("", None, "", False),
    ("5678", None, "ABCD2345", False),
    ("ABCD2345", "0912345678", "ABCD234", False),   # a stored secret of the wrong shape
    ("ABCD234", None, "ABCD234", False),
    ("1234", "1234", None, True),
])
def test_only_typed_values_of_the_expected_shape_match_real_ones(
        factor: str, phone: str | None, secret: str | None, matches: bool) -> None:
    assert lookup.factor_matches(factor, phone, secret) is matches


def test_wrong_code_and_wrong_factor_do_the_same_database_work(
        runtime: Runtime, session: Session, dossier: Dossier,
        make_dossier: Callable[..., Dossier]) -> None:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    def run(code: str, factor: str) -> list[str]:
        statements.clear()
        lookup.lookup(session.connection(), code, factor, NOW)
        return list(statements)

    no_phone = make_dossier(applicant_phone=None)
    session.commit()
    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        wrong_code = run("000.00.00.X00-000000-0000", "5678")
        misses = [run(dossier.code, "0000"), run(dossier.code, "\x00" * 8),
                  run(dossier.code, "1a"), run(no_phone.code, "\x00" * 8),
                  run(no_phone.code, "5678")]
        right = run(dossier.code, "5678")
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)
    # One indexed query whatever went wrong; the history is read only for a match.
    assert len(wrong_code) == 1 and all(miss == wrong_code for miss in misses)
    assert right[0] == wrong_code[0] and len(right) == 2


def test_extension_shows_both_dates_and_the_apology(session: Session,
                                                    make_dossier: Callable[..., Dossier]
                                                    ) -> None:
    row = make_dossier(source_due_at=local(2026, 3, 5, 16), extension_due_at=local(2026, 3, 9, 16),
                       due_at=local(2026, 3, 9, 16))
    result = lookup.lookup(session.connection(), row.code, row.lookup_secret, NOW)
    assert result is not None
    assert result.original_due_at == local(2026, 3, 5, 16)
    assert result.due_at == local(2026, 3, 9, 16)
    assert result.apology and "xin lỗi" in result.apology


@pytest.mark.parametrize("status, outcome, due, late", [
    (Status.PROCESSING, None, local(2026, 3, 3, 16), True),
    (Status.PROCESSING, None, local(2026, 3, 5, 16), False),
    (Status.WAITING_SUPPLEMENT, None, local(2026, 3, 3, 16), False),
    (Status.RETURNED, Outcome.LATE, local(2026, 3, 3, 16), True),
    (Status.RESOLVED, Outcome.ON_TIME, local(2026, 3, 3, 16), False),
])
def test_late_flag(session: Session, make_dossier: Callable[..., Dossier], status: Status,
                   outcome: Outcome | None, due: Any, late: bool) -> None:
    row = make_dossier(status=status, outcome=outcome, due_at=due, is_open=status.is_open)
    result = lookup.lookup(session.connection(), row.code, "5678", NOW)
    assert result is not None and result.is_late is late


def test_status_texts_cover_every_status_in_vietnamese() -> None:
    for status in Status:
        assert lookup.status_text(status, None).endswith(".")
    assert lookup.status_text(Status.RESOLVED, None) == "Đã có kết quả, mời ông/bà đến nhận."
    assert lookup.status_text(Status.WAITING_SUPPLEMENT, None).startswith(
        "Hồ sơ cần bổ sung giấy tờ")


def test_page_shows_result_without_personal_data(client: Any, dossier: Dossier) -> None:
    response = post_lookup(client, dossier.code, "5678")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nguyễn V. B." in html and "Đang xử lý" in html
    for secret in (PHONE, ID_NO, EMAIL, "Nguyễn Văn Bình", "Lê Thị Hoa", "SĐT"):
        assert secret not in html
    assert response.headers["Cache-Control"] == "no-store"


def test_page_gives_the_same_answer_for_wrong_code_and_wrong_factor(client: Any,
                                                                    dossier: Dossier) -> None:
    wrong_code = post_lookup(client, dossier.code + "9", "5678")
    wrong_factor = post_lookup(client, dossier.code, "1111")
    assert wrong_code.status_code == wrong_factor.status_code == 404
    strip = re.compile(r'value="[^"]*"')
    assert (strip.sub("", wrong_code.get_data(as_text=True))
            == strip.sub("", wrong_factor.get_data(as_text=True)))
    assert 'name="proof"' not in wrong_factor.get_data(as_text=True)


def test_page_works_without_javascript_and_is_accessible(client: Any) -> None:
    html = client.get("/tra-cuu?ma=000.32.26.H26-260302-0001").get_data(as_text=True)
    assert '<html lang="vi">' in html and "<script" not in html
    assert 'value="000.32.26.H26-260302-0001"' in html
    for field in ("code", "factor"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html


def test_form_without_csrf_token_is_refused(client: Any, dossier: Dossier) -> None:
    response = client.post("/tra-cuu", data={"code": dossier.code, "factor": "5678"})
    assert response.status_code == 400


def test_api_lookup_right_and_wrong(client: Any, dossier: Dossier) -> None:
    right = client.get(f"/api/v1/lookup/{dossier.code}?factor=5678")
    assert right.status_code == 200
    body = right.json
    # The answer is built without a schema dump, so it must have the published shape itself.
    assert set(body) == set(LookupSchema().fields) and LookupSchema().validate(body) == {}
    assert body["applicant"] == "Nguyễn V. B." and body["status_code"] == 4
    assert body["due_at"] == "2026-03-05T16:00:00+07:00"
    text = right.get_data(as_text=True)
    assert PHONE not in text and ID_NO not in text and EMAIL not in text
    wrong_code = client.get(f"/api/v1/lookup/{dossier.code}9?factor=5678")
    wrong_factor = client.get(f"/api/v1/lookup/{dossier.code}?factor=1111")
    assert wrong_code.status_code == wrong_factor.status_code == 404
    assert wrong_code.json == wrong_factor.json


@pytest.mark.parametrize("query,message", [
    ("", "Missing data for required field."),
    ("?factor=" + "1" * 33, "Length must be between 1 and 32."),
])
def test_api_lookup_refuses_a_missing_or_oversized_factor(client: Any, dossier: Dossier,
                                                          query: str, message: str) -> None:
    answer = client.get(f"/api/v1/lookup/{dossier.code}{query}")
    assert answer.status_code == 422
    assert answer.json["errors"] == {"query": {"factor": [message]}}
    ignored = client.get(f"/api/v1/lookup/{dossier.code}?factor=5678&utm_source=zalo")
    assert ignored.status_code == 200

@pytest.fixture
def limited_client(tmp_path: Any) -> Iterator[tuple[Any, Runtime]]:
    """A client of an app whose lookup allows 3 requests a minute per address."""
    settings = make_settings(f"sqlite:///{tmp_path / 'limited.db'}",
                             lookup={"rate_limit": "3 per minute", "code_rate_limit": "2 per hour"})
    rt = Runtime.from_settings(settings)
    Base.metadata.create_all(rt.engine)
    app = create_app(rt.settings, rt)
    yield app.test_client(), rt
    rt.engine.dispose()


def test_rate_limit_answers_429_in_vietnamese(limited_client: tuple[Any, Runtime]) -> None:
    client, _ = limited_client
    answers = [client.get(f"/api/v1/lookup/CODE-{n}?factor=1234") for n in range(4)]
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    assert "quá nhiều lần" in answers[-1].json["message"]
    token = csrf_from(client)
    page = [client.post("/tra-cuu", data={"code": f"P-{n}", "factor": "1", "csrf_token": token})
            for n in range(4)]
    assert page[-1].status_code == 429
    assert "quá nhiều lần" in page[-1].get_data(as_text=True)


def test_failures_per_code_are_limited_across_addresses(limited_client: tuple[Any, Runtime]
                                                        ) -> None:
    client, _ = limited_client
    codes = []
    for n, address in enumerate(["10.0.0.1", "10.0.0.2", "10.0.0.3"]):
        answer = client.get(f"/api/v1/lookup/SAME-CODE?factor={n}000",
                            environ_base={"REMOTE_ADDR": address})
        codes.append(answer.status_code)
    assert codes == [404, 404, 429]


def test_rating_is_stored_once_per_dossier(client: Any, session: Session, dossier: Dossier
                                           ) -> None:
    shown = post_lookup(client, dossier.code, "5678")
    page = shown.get_data(as_text=True)
    # The follow-up forms carry the proof, never the factor typed.
    assert 'name="factor" value' not in page and 'value="5678"' not in page
    token, proof = csrf_from(client), proof_from(shown)
    for score in (2, 5):
        answer = client.post("/tra-cuu/danh-gia", data={
            "code": dossier.code, "proof": proof, "score": score, "comment": " Nhanh ",
            "csrf_token": token})
        assert answer.status_code == 200 and "Cảm ơn" in answer.get_data(as_text=True)
    ratings = session.scalars(select(CitizenRating)).all()
    assert [(r.score, r.comment) for r in ratings] == [(5, "Nhanh")]


class SignedAnHourAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return super().get_timestamp() - 3600


def test_rating_needs_a_proof_of_the_lookup_and_a_score(app: Any, client: Any,
                                                         session: Session,
                                                         dossier: Dossier) -> None:
    token = csrf_from(client)
    proof = proof_from(post_lookup(client, dossier.code, "5678"))
    # Signed with another key, or an hour ago: refused like no proof at all.
    other = URLSafeTimedSerializer("another key", salt=PROOF_SALT).dumps(dossier.code)
    old = URLSafeTimedSerializer(app.secret_key, salt=PROOF_SALT,
                                 signer=SignedAnHourAgo).dumps(dossier.code)
    refused = [{"factor": "5678"}, {"proof": other}, {"proof": old}, {"proof": proof[:-2]},
               {"proof": ""}]
    for form in refused:
        answer = client.post("/tra-cuu/danh-gia", data={
            "code": dossier.code, "score": 5, "csrf_token": token, **form})
        assert answer.status_code == 403, form
        assert "Phiên tra cứu đã hết hạn" in answer.get_data(as_text=True)
    missing = client.post("/tra-cuu/danh-gia", data={
        "code": dossier.code, "proof": proof, "score": 9, "csrf_token": token})
    assert missing.status_code == 400
    assert session.scalars(select(CitizenRating)).all() == []


def test_qr_code_is_svg_linking_to_the_lookup(app: Any, client: Any) -> None:
    with_public_url(app, "https://dvc.thanhmien.gov.vn")
    answer = client.get("/tra-cuu/qr.svg?ma=000.32.26.H26-260302-0001")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    assert answer.get_data(as_text=True).lstrip().startswith("<?xml")
    assert answer.headers["Cache-Control"] == "private, max-age=86400"
    assert client.get("/tra-cuu/qr.svg?ma=<script>").status_code == 404


def test_without_a_public_url_there_is_no_qr_code(client: Any) -> None:
    answer = client.get("/tra-cuu/qr.svg?ma=000.32.26.H26-260302-0001",
                        headers={"Host": "evil.example"})
    assert answer.status_code == 404 and answer.mimetype == "text/plain"
    assert "chưa khai báo địa chỉ trang tra cứu" in answer.get_data(as_text=True)
    assert "evil.example" not in answer.get_data(as_text=True)


def test_qr_target_uses_the_public_url_only(app: Any) -> None:
    from service.web.pages.lookup import qr_target

    with app.test_request_context(headers={"Host": "evil.example"}):
        assert qr_target("A-1") is None
    with_public_url(app, "https://dvc.thanhmien.gov.vn")
    with app.test_request_context(headers={"Host": "evil.example"}):
        assert qr_target("A-1") == "https://dvc.thanhmien.gov.vn/tra-cuu?ma=A-1"


def test_receipt_prints_the_secret_and_qr_for_signed_in_staff(app: Any, session: Session,
                                                              dossier: Dossier) -> None:
    from service.models import Role
    from service.users.accounts import create_user

    with_public_url(app, "https://dvc.thanhmien.gov.vn")
    client = app.test_client()
    assert client.get(f"/tra-cuu/phieu/{dossier.code}").status_code == 302
    user = create_user(session, "hoa", "mật-khẩu-dài-đủ", Role.CLERK, ["000.32.26.H26"], NOW)
    session.commit()
    with client.session_transaction() as cookie:
        cookie["uid"], cookie["epoch"] = user.id, user.session_epoch
    page = client.get(f"/tra-cuu/phieu/{dossier.code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and dossier.lookup_secret in html
    # The official form names the applicant the slip is handed to in full.
    assert f"/tra-cuu/qr.svg?ma={dossier.code}" in html and "Nguyễn Văn Bình" in html
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html.upper() and "Bản in thứ 1" in html
    assert PHONE not in html and ID_NO not in html
    assert "Bản in thứ 2" in client.get(f"/tra-cuu/phieu/{dossier.code}").get_data(as_text=True)
    actions = session.scalars(select(AuditLog.action).where(AuditLog.dossier_id == dossier.id)
                              .order_by(AuditLog.id)).all()
    assert actions == ["receipt_printed", "receipt_reprinted"]
    assert client.get("/tra-cuu/phieu/NO-SUCH").status_code == 404


def test_a_viewer_cannot_print_the_slip_and_its_secret(app: Any, session: Session,
                                                       dossier: Dossier) -> None:
    from service.models import Role
    from service.users.accounts import create_user

    client = app.test_client()
    user = create_user(session, "xem", "mật-khẩu-dài-đủ", Role.VIEWER, ["000.32.26.H26"], NOW)
    session.commit()
    with client.session_transaction() as cookie:
        cookie["uid"], cookie["epoch"] = user.id, user.session_epoch
    assert client.get(f"/tra-cuu/phieu/{dossier.code}").status_code == 403
    assert "/tra-cuu/phieu/" not in client.get(f"/ho-so/{dossier.code}").get_data(as_text=True)


def test_lookup_and_rating_on_each_database(database_url: str) -> None:
    from tests.conftest import make_settings

    rt = Runtime.from_settings(make_settings(database_url))
    Base.metadata.create_all(rt.engine)
    try:
        with rt.sessions() as session:
            from service.ingest import national_code
            from service.models import Procedure, Unit
            from service.vocabulary import Channel, LimitUnit

            row = Dossier(code="DB-1", unit=Unit(code="000.32.26.H26", name="UBND"),
                          procedure=Procedure(code=national_code("1.004873"), name="Hộ tịch",
                                              domain_name="Hộ tịch", limit_value=3,
                                              limit_unit=LimitUnit.WORKING_DAYS),
                          applicant_name="Trần Thị Mai", applicant_phone="0912 345 678",
                          channel=Channel.ONLINE, received_at=NOW, status=Status.PROCESSING,
                          is_open=True, source="t", source_id="1", fingerprint="",
                          lookup_secret="ABCD2345", updated_at=NOW, due_at=local(2026, 3, 9, 16))
            session.add(row)
            session.flush()
            session.add(StatusEvent(dossier_id=row.id, at=NOW, status=Status.ACCEPTED))
            session.commit()
            found = lookup.lookup(session.connection(), "db-1", "5678", NOW)
            assert found is not None and found.applicant == "Trần T. M."
            assert [step.text for step in found.timeline] == ["Được tiếp nhận"]
            assert lookup.lookup(session.connection(), "DB-1", "abcd-2346", NOW) is None
            assert lookup.rate(session, "db-1", 4, "", NOW)
            assert not lookup.rate(session, "DB-2", 4, "", NOW)
            session.commit()
            assert session.scalars(select(CitizenRating.score)).all() == [4]
    finally:
        rt.engine.dispose()


@pytest.mark.parametrize("host, port, configured, expected", [
    (None, None, "", "http://127.0.0.1:8080"),
    ("0.0.0.0", 9000, "", "http://localhost:9000"),
    ("::1", None, "", "http://[::1]:8080"),
    (None, None, "https://dvc.thanhmien.gov.vn", "https://dvc.thanhmien.gov.vn"),
])
def test_the_demo_fills_an_empty_public_url_with_its_own_address(
        tmp_path: Any, host: str | None, port: int | None, configured: str,
        expected: str) -> None:
    from service.cli.serve import demo_public_url

    settings = make_settings(f"sqlite:///{tmp_path / 'demo.db'}",
                             lookup={"public_url": configured})
    assert demo_public_url(settings, host, port) == expected
    assert settings["lookup"]["public_url"] == expected


def with_public_url(app: Any, url: str) -> None:
    """Give the app's typed settings a [lookup] public_url, as config.toml would."""
    rt = app.extensions["tthc"]
    rt.config = dataclasses.replace(rt.config,
                                    lookup=dataclasses.replace(rt.config.lookup, public_url=url))

"""The DongBoHoSoMC payload and CapNhatTienDoHoSoMC lines match the portal's recorded shapes."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.models import Dossier, StatusEvent, SupplementRound
from service.portal import PortalOptions, RetryPolicy, build_payload, payload_hash
from service.portal.payload import ordered_events, progress_line
from service.portal.state import find_dossier
from service.privacy import READERS
from service.vocabulary import Channel, Status
from tests.conftest import local

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dvcqg"
SAMPLE = json.loads((FIXTURES / "DongBoHoSoMC_request.json").read_text(encoding="utf-8"))
LINE_SAMPLE = json.loads(
    (FIXTURES / "CapNhatTienDoHoSoMC_request.json").read_text(encoding="utf-8"))
NEWER = json.loads((FIXTURES / "session_lookup_and_newer_spec.json").read_text(encoding="utf-8"))
OPTIONS = PortalOptions()
# Fields the newer gateways accept that dvcqg-sync.md §2 does not describe and the monitor
# has no data for; they are left out rather than guessed.
NOT_IN_SPEC = {"GhiChu", "NoiNopHoSo", "TaiKhoanDuocXacThucVoiVNeID", "DinhDanhCHS",
               "DSKetNoiCSDL"}
# Supplement-round fields of DanhSachHoSoBoSung as one-stop systems send them.
ROUND_FIELDS = {"HoSoBoSungId", "NguoiYeuCauBoSung", "NoiDungBoSung", "NgayBoSung",
                "NguoiTiepNhanBoSung", "ThongTinTiepNhan", "NgayTiepNhanBoSung",
                "TrangThaiBoSung", "DanhSachGiayToBoSung", "DanhSachLePhiBoSung",
                "NgayHenTraTruoc", "NgayHenTraMoi"}
RECEIVED = local(2026, 3, 2, 9, 15)
# The instants of each status's history line in the dossiers below.
STEP = {status: RECEIVED + dt.timedelta(hours=index) for index, status in enumerate(Status)}


def with_history(session: Session, make_dossier: Callable[..., Dossier],
                 statuses: list[Status], **overrides: Any) -> Dossier:
    """A dossier that went through `statuses`, reloaded with what the payload needs."""
    dossier = make_dossier(status=statuses[-1], received_at=RECEIVED, **overrides)
    for status in statuses:
        session.add(StatusEvent(dossier_id=dossier.id, at=STEP[status], status=status,
                                actor="Lê Thị Cúc", department="Bộ phận Một cửa",
                                note=f"Bước {status.value}"))
    session.flush()
    session.expire_all()
    return find_dossier(session, dossier.code)


def test_payload_has_every_field_of_the_recorded_request_with_the_same_types(
        session: Session, make_dossier: Callable[..., Dossier]) -> None:
    dossier = with_history(session, make_dossier, [Status.ACCEPTED, Status.RESOLVED])
    item = build_payload(dossier, OPTIONS)
    for sample in (SAMPLE["data"][0], NEWER["newer_spec_DongBoHoSoMC_body"][0]):
        for key, value in sample.items():
            if key in NOT_IN_SPEC:
                assert key not in item
                continue
            assert key in item, key
            assert type(item[key]) is type(value), key


def test_every_scalar_value_is_a_string(session: Session,
                                        make_dossier: Callable[..., Dossier]) -> None:
    dossier = with_history(session, make_dossier, [Status.ACCEPTED, Status.PROCESSING],
                           applicant_type=2, applicant_email=None, filed_at=None)
    item = build_payload(dossier, OPTIONS)
    scalars = {k: v for k, v in item.items() if not isinstance(v, list)}
    assert all(isinstance(v, str) for v in scalars.values()), scalars
    assert item["LoaiDoiTuong"] == "2" and item["Email"] == "" and item["NgayNopHoSo"] == ""


def test_dates_are_local_yyyymmddhhmmss_even_across_midnight_utc(
        session: Session, make_dossier: Callable[..., Dossier]) -> None:
    late_evening_utc = dt.datetime(2026, 3, 2, 20, 30, 5, tzinfo=dt.UTC)
    dossier = with_history(session, make_dossier, [Status.ACCEPTED], filed_at=late_evening_utc,
                           source_due_at=local(2026, 3, 5, 17))
    item = build_payload(dossier, OPTIONS)
    assert item["NgayNopHoSo"] == "20260303033005"
    assert item["NgayTiepNhan"] == "20260302091500"
    assert item["NgayHenTra"] == "20260305170000"


@pytest.mark.parametrize(("history", "finished", "returned", "refused"), [
    ([Status.REGISTERED], "", "", ""),
    ([Status.ACCEPTED], "", "", ""),
    ([Status.NOT_ACCEPTED], Status.NOT_ACCEPTED, "", Status.NOT_ACCEPTED),
    ([Status.ACCEPTED, Status.PROCESSING], "", "", ""),
    ([Status.ACCEPTED, Status.WAITING_SUPPLEMENT], "", "", ""),
    ([Status.ACCEPTED, Status.WAITING_PAYMENT], "", "", ""),
    ([Status.ACCEPTED, Status.WITHDRAWN], Status.WITHDRAWN, "", ""),
    ([Status.ACCEPTED, Status.PROCESSING, Status.STOPPED], Status.STOPPED, "", Status.STOPPED),
    ([Status.ACCEPTED, Status.RESOLVED], Status.RESOLVED, "", ""),
    ([Status.ACCEPTED, Status.RESOLVED, Status.RETURNED], Status.RESOLVED, Status.RETURNED, ""),
])
def test_each_status_fills_its_end_dates(session: Session, make_dossier: Callable[..., Dossier],
                                         history: list[Status], finished: Any, returned: Any,
                                         refused: Any) -> None:
    dossier = with_history(session, make_dossier, history, is_open=history[-1].is_open)
    item = build_payload(dossier, OPTIONS)

    def expected(status: Any) -> str:
        return "" if status == "" else STEP[status].strftime("%Y%m%d%H%M%S")

    assert item["TrangThaiHoSo"] == str(history[-1].value)
    assert item["NgayKetThucXuLy"] == expected(finished)
    assert item["NgayTra"] == expected(returned)
    assert item["NgayTuChoi"] == expected(refused)


def test_stored_finish_instants_win_over_the_history(
        session: Session, make_dossier: Callable[..., Dossier]) -> None:
    dossier = with_history(session, make_dossier, [Status.ACCEPTED, Status.RETURNED],
                           finished_at=local(2026, 3, 3, 10), returned_at=local(2026, 3, 4, 8))
    item = build_payload(dossier, OPTIONS)
    assert (item["NgayKetThucXuLy"], item["NgayTra"]) == ("20260303100000", "20260304080000")


def test_summary_is_cut_at_1000_characters_and_falls_back_to_the_procedure(
        session: Session, make_dossier: Callable[..., Dossier]) -> None:
    long = with_history(session, make_dossier, [Status.ACCEPTED],
                        summary="Xác nhận  tình trạng\nhôn nhân " + "á" * 1500)
    item = build_payload(long, OPTIONS)
    assert len(item["TrichYeuHoSo"]) == 1000
    assert item["TrichYeuHoSo"].startswith("Xác nhận tình trạng hôn nhân á")
    bare = with_history(session, make_dossier, [Status.ACCEPTED], summary=None)
    assert build_payload(bare, OPTIONS)["TrichYeuHoSo"] == bare.procedure.name


def test_lists_are_empty_without_files_fees_or_rounds(
        session: Session, make_dossier: Callable[..., Dossier]) -> None:
    item = build_payload(with_history(session, make_dossier, [Status.ACCEPTED]), OPTIONS)
    for key in ("TaiLieuNop", "DanhSachGiayToKetQua", "DanhSachLePhi", "DanhSachTepDinhKemKhac",
                "DanhSachHoSoBoSung"):
        assert item[key] == [], key


def test_supplement_rounds_carry_their_dates_and_the_restarted_due_date(
        session: Session, make_dossier: Callable[..., Dossier]) -> None:
    dossier = make_dossier(status=Status.PROCESSING, received_at=RECEIVED,
                           statutory_due_at=local(2026, 3, 12, 17))
    session.add_all([
        SupplementRound(dossier_id=dossier.id, requested_at=local(2026, 3, 3, 10),
                        completed_at=local(2026, 3, 6, 9), note="Bổ sung giấy khai sinh"),
        SupplementRound(dossier_id=dossier.id, requested_at=local(2026, 3, 9, 10)),
    ])
    session.flush()
    session.expire_all()
    rounds = build_payload(find_dossier(session, dossier.code), OPTIONS)["DanhSachHoSoBoSung"]
    assert [set(r) for r in rounds] == [ROUND_FIELDS, ROUND_FIELDS]
    first, second = rounds
    assert (first["NgayBoSung"], first["NgayTiepNhanBoSung"]) == ("20260303100000",
                                                                  "20260306090000")
    assert first["TrangThaiBoSung"] == "True" and first["NgayHenTraMoi"] == "20260312170000"
    assert first["NoiDungBoSung"] == "Bổ sung giấy khai sinh"
    assert second["TrangThaiBoSung"] == "False" and second["NgayTiepNhanBoSung"] == ""
    assert second["NoiDungBoSung"] == Status.WAITING_SUPPLEMENT.label


@pytest.mark.parametrize("channel", list(Channel))
def test_channel_goes_to_kenh_thuc_hien(session: Session, make_dossier: Callable[..., Dossier],
                                        channel: Channel) -> None:
    item = build_payload(with_history(session, make_dossier, [Status.ACCEPTED],
                                      channel=channel), OPTIONS)
    assert item["KenhThucHien"] == str(channel.value)
    assert item["HinhThuc"] == ("1" if channel is Channel.POSTAL else "0")


def test_online_payment_and_digitisation_flags(session: Session,
                                               make_dossier: Callable[..., Dossier]) -> None:
    paid = with_history(session, make_dossier, [Status.ACCEPTED], paid_online=True,
                        fee_due=True, digitized=True)
    unpaid = with_history(session, make_dossier, [Status.ACCEPTED], fee_due=True)
    assert build_payload(paid, OPTIONS)["DuocThanhToanTrucTuyen"] == "1"
    assert build_payload(paid, PortalOptions(paid_online_code="2"))[
        "DuocThanhToanTrucTuyen"] == "2"
    assert build_payload(paid, OPTIONS)["HoSoCoThanhPhanSoHoa"] == "1"
    assert build_payload(unpaid, OPTIONS)["DuocThanhToanTrucTuyen"] == "0"
    assert build_payload(unpaid, OPTIONS)["HoSoCoThanhPhanSoHoa"] == "0"


def test_procedure_code_gets_the_province_variant_and_unit_settings_apply(
        session: Session, make_dossier: Callable[..., Dossier]) -> None:
    dossier = with_history(session, make_dossier, [Status.ACCEPTED])
    item = build_payload(dossier, OPTIONS)
    assert item["MaTTHC"] == "1.004873.000.00.00.H26"
    assert item["TenTTHC"] == dossier.procedure.name and item["DonViXuLy"] == "UBND xã Thanh Miện"
    options = PortalOptions(units={"000.32.26.H26": {"madonvi": "000.00.31.H55",
                                                     "procedure_suffix": ""}})
    assert build_payload(dossier, options)["MaTTHC"] == "1.004873"
    assert options.madonvi("000.32.26.H26") == "000.00.31.H55"
    assert PortalOptions(units={"000.32.26.H26": {"madonvi": "000.00.31.H55"}}).procedure_code(
        "1.004873", "000.32.26.H26") == "1.004873.000.00.00.H55"


def test_the_apology_date_replaces_the_receipt_due_date(
        session: Session, make_dossier: Callable[..., Dossier]) -> None:
    dossier = with_history(session, make_dossier, [Status.ACCEPTED],
                           source_due_at=local(2026, 3, 5, 17),
                           extension_due_at=local(2026, 3, 10, 17))
    assert build_payload(dossier, OPTIONS)["NgayHenTra"] == "20260310170000"


def test_progress_lines_have_the_recorded_shape_in_history_order(
        session: Session, make_dossier: Callable[..., Dossier]) -> None:
    dossier = with_history(session, make_dossier,
                           [Status.ACCEPTED, Status.PROCESSING, Status.RESOLVED],
                           source_due_at=local(2026, 3, 5, 17))
    lines = [progress_line(dossier, e, OPTIONS) for e in ordered_events(dossier.events)]
    expected_keys = set(LINE_SAMPLE["data"][0])
    assert all(set(line) == expected_keys for line in lines)
    assert all(isinstance(v, str) for line in lines for v in line.values())
    assert [line["TrangThai"] for line in lines] == ["2", "4", "9"]
    accepted, processing, resolved = lines
    assert accepted["NgayBatDau"] == "" and accepted["NgayKetThucTheoQuyDinh"] == ""
    assert processing["NgayBatDau"] == processing["ThoiDiemXuLy"]
    assert processing["NgayKetThucTheoQuyDinh"] == "20260305170000"
    assert resolved["NgayKetThucTheoQuyDinh"] == "20260305170000"
    assert resolved["NoiDungXuLy"] == "Bước 9" and resolved["PhongBanXuLy"] == "Bộ phận Một cửa"


def test_progress_line_actor_is_cut_at_50_and_defaults_to_the_counter(
        session: Session, make_dossier: Callable[..., Dossier]) -> None:
    dossier = make_dossier(received_at=RECEIVED)
    long = StatusEvent(dossier_id=dossier.id, at=RECEIVED, status=Status.ACCEPTED,
                       actor="Nguyễn " * 20)
    anonymous = StatusEvent(dossier_id=dossier.id, at=RECEIVED, status=Status.PROCESSING)
    assert len(progress_line(dossier, long, OPTIONS)["NguoiXuLy"]) == 50
    line = progress_line(dossier, anonymous, OPTIONS)
    assert line["NguoiXuLy"] == "Cán bộ một cửa" and line["NoiDungXuLy"] == "Đang xử lý"


def test_hash_follows_the_content(session: Session, make_dossier: Callable[..., Dossier]) -> None:
    dossier = with_history(session, make_dossier, [Status.ACCEPTED])
    first = payload_hash(build_payload(dossier, OPTIONS))
    assert first == payload_hash(build_payload(dossier, OPTIONS))
    dossier.status = Status.PROCESSING
    assert payload_hash(build_payload(dossier, OPTIONS)) != first


def test_masking_hides_personal_data_only(session: Session,
                                          make_dossier: Callable[..., Dossier]) -> None:
    dossier = with_history(session, make_dossier, [Status.ACCEPTED],
                           applicant_email="binh.nv@example.vn",
                           summary="Xác nhận tình trạng hôn nhân cho ông Nguyễn Văn Bình")
    item = build_payload(dossier, OPTIONS)
    shown = READERS["viewer"].payload(item)
    personal = ("ChuHoSo", "SoGiayToChuHoSo", "SoDienThoai", "Email", "TrichYeuHoSo")
    assert shown["SoGiayToChuHoSo"] == "•••••••••567" and shown["SoDienThoai"] == "•••••••678"
    assert shown["Email"] == "•••@example.vn" and shown["ChuHoSo"] == "Nguyễn V. B."
    assert shown["TrichYeuHoSo"] == "Xác nhận tình trạng hôn nhân cho ông Nguyễn V. B."
    text = json.dumps(shown, ensure_ascii=False)
    assert "010203004567" not in text and "0912345678" not in text and "Văn Bình" not in text
    assert {k: v for k, v in shown.items() if k not in personal} == \
        {k: v for k, v in item.items() if k not in personal}
    assert READERS["admin"].payload(item) == item


def test_not_required_rules_match_on_every_criterion_given(
        session: Session, make_dossier: Callable[..., Dossier]) -> None:
    dossier = with_history(session, make_dossier, [Status.ACCEPTED])
    rules = PortalOptions(not_required=(
        {"reason": "Trước khi kết nối Cổng", "received_before": dt.date(2026, 3, 2)},
        {"reason": "Thủ tục nội bộ", "procedures": ["1.004873"], "channels": [1]},
    ))
    assert rules.not_required_reason(dossier) == "Thủ tục nội bộ"
    dossier.channel = Channel.ONLINE
    assert rules.not_required_reason(dossier) is None
    assert PortalOptions(not_required=({"reason": "Cũ", "received_before": dt.date(
        2026, 3, 3)},)).not_required_reason(dossier) == "Cũ"


def test_backoff_doubles_with_jitter_below_the_cap() -> None:
    policy = RetryPolicy(base_seconds=60, max_seconds=600, jitter=0.5)
    rng = random.Random(7)
    for attempts, ceiling in [(1, 60), (2, 120), (3, 240), (4, 480), (5, 600), (40, 600)]:
        delays = [policy.delay(attempts, rng).total_seconds() for _ in range(50)]
        assert all(ceiling * 0.5 <= d <= ceiling for d in delays), (attempts, delays)
        assert len(set(delays)) > 1

"""What the portal should hold for a dossier: the DongBoHoSoMC item and its progress lines.

Field names and shapes follow what real one-stop systems send (tests/fixtures/dvcqg): every
value is a string, instants are yyyyMMddHHmmss in the office's time zone, an unknown instant is "".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from service.dossiers.dues import portal_due
from service.models import Dossier, StatusEvent, SupplementRound
from service.portal.options import PortalOptions
from service.vocabulary import Channel, Status

DATE_FORMAT = "%Y%m%d%H%M%S"
SUMMARY_LIMIT = 1000
ACTOR_LIMIT = 50
REFUSED = (Status.NOT_ACCEPTED, Status.STOPPED)
ENDED = (Status.NOT_ACCEPTED, Status.WITHDRAWN, Status.STOPPED)
# Lines of these statuses carry the step's start and its own due time (the samples do).
STEP_STATUSES = (Status.PROCESSING, Status.RESOLVED)


def portal_time(value: dt.datetime | None, zone: ZoneInfo) -> str:
    """An instant as the portal writes it (yyyyMMddHHmmss, local time), or "" when unknown."""
    return "" if value is None else value.astimezone(zone).strftime(DATE_FORMAT)


def build_payload(dossier: Dossier, options: PortalOptions) -> dict[str, Any]:
    """The DongBoHoSoMC data item for a dossier (its unit, procedure and rounds loaded)."""
    zone, procedure, status = options.zone, dossier.procedure, dossier.status
    when = _first_instants(dossier.events)
    return {
        "MaHoSo": dossier.code,
        "MaTTHC": options.procedure_code(procedure.code, dossier.unit.code),
        "TenTTHC": procedure.name,
        "MaLinhVuc": procedure.domain_code or "",
        "TenLinhVuc": procedure.domain_name,
        "KenhThucHien": str(dossier.channel.value),
        "ChuHoSo": dossier.applicant_name,
        "SoGiayToChuHoSo": dossier.applicant_id_no or "",
        "LoaiDoiTuong": str(dossier.applicant_type),
        "MaDoiTuong": "",
        "ThongTinKhac": "",
        "Email": dossier.applicant_email or "",
        "Fax": "",
        "SoDienThoai": dossier.applicant_phone or "",
        "TrichYeuHoSo": summary_text(dossier),
        "NgayNopHoSo": portal_time(dossier.filed_at, zone),
        "NgayTiepNhan": portal_time(dossier.received_at, zone),
        "NgayHenTra": portal_time(portal_due(dossier), zone),
        "TrangThaiHoSo": str(status.value),
        "NgayKetThucXuLy": portal_time(_finished(dossier, when), zone),
        "NgayTra": portal_time(dossier.returned_at or when.get(Status.RETURNED), zone),
        "NgayTuChoi": portal_time(_refused(dossier, when), zone),
        "ThongTinTra": "",
        # The monitor does not know how the result was delivered; a postal filing gets it by post.
        "HinhThuc": "1" if dossier.channel is Channel.POSTAL else "0",
        "DonViXuLy": dossier.unit.name,
        "DuocThanhToanTrucTuyen": options.paid_online_code if dossier.paid_online else "0",
        "HoSoCoThanhPhanSoHoa": "1" if dossier.digitized else "0",
        "TaiLieuNop": [],
        "DanhSachGiayToKetQua": [],
        "DanhSachLePhi": [],
        "DanhSachTepDinhKemKhac": [],
        "DanhSachHoSoBoSung": _rounds(dossier, dossier.supplements, zone),
    }


def summary_text(dossier: Dossier) -> str:
    """TrichYeuHoSo: the dossier's summary (else the procedure's name), at most 1000 characters."""
    text = " ".join((dossier.summary or dossier.procedure.name).split())
    return text[:SUMMARY_LIMIT]


def progress_line(dossier: Dossier, event: StatusEvent, options: PortalOptions) -> dict[str, str]:
    """The CapNhatTienDoHoSoMC item for one history line."""
    zone = options.zone
    step = event.status in STEP_STATUSES
    return {
        "MaHoSo": dossier.code,
        "NguoiXuLy": (event.actor or options.default_actor)[:ACTOR_LIMIT],
        "ChucDanh": "",
        "ThoiDiemXuLy": portal_time(event.at, zone),
        "PhongBanXuLy": event.department or "",
        "NoiDungXuLy": event.note or event.status.label,
        "TrangThai": str(event.status.value),
        "NgayBatDau": portal_time(event.at, zone) if event.status is Status.PROCESSING else "",
        "NgayKetThucTheoQuyDinh": portal_time(portal_due(dossier), zone) if step else "",
    }


def ordered_events(events: Iterable[StatusEvent]) -> list[StatusEvent]:
    """History lines in the order the portal must receive them."""
    return sorted(events, key=lambda e: (e.at, e.id))


def payload_hash(item: dict[str, Any]) -> str:
    """A stable digest of a payload: equal payloads, equal hashes."""
    text = json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def content_key(item_hash: str, event_ids: Iterable[int]) -> str:
    """A digest of the payload and the set of history lines: changes when either changes."""
    text = item_hash + ":" + ",".join(str(i) for i in sorted(event_ids))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _first_instants(events: Sequence[StatusEvent]) -> dict[Status, dt.datetime]:
    first: dict[Status, dt.datetime] = {}
    for event in ordered_events(events):
        first.setdefault(event.status, event.at)
    return first


def _finished(dossier: Dossier, when: dict[Status, dt.datetime]) -> dt.datetime | None:
    """When handling ended (docs/domain.md, Statuses): result ready, else returned, else stop."""
    if dossier.finished_at or dossier.returned_at:
        return dossier.finished_at or dossier.returned_at
    if dossier.status in (Status.RESOLVED, Status.RETURNED):
        return when.get(Status.RESOLVED) or when.get(dossier.status)
    if dossier.status in ENDED:
        return dossier.stopped_at or when.get(dossier.status)
    return None


def _refused(dossier: Dossier, when: dict[Status, dt.datetime]) -> dt.datetime | None:
    if dossier.status not in REFUSED:
        return None
    return dossier.stopped_at or when.get(dossier.status)


def _rounds(dossier: Dossier, rounds: Sequence[SupplementRound],
            zone: ZoneInfo) -> list[dict[str, Any]]:
    """DanhSachHoSoBoSung; only the latest completed round knows its new due date (restart)."""
    last_done = max((r.requested_at for r in rounds if r.completed_at), default=None)
    items = []
    for item in sorted(rounds, key=lambda r: r.requested_at):
        new_due = dossier.statutory_due_at if item.requested_at == last_done else None
        items.append({
            "HoSoBoSungId": str(item.id),
            "NguoiYeuCauBoSung": dossier.handler or "",
            "NoiDungBoSung": item.note or Status.WAITING_SUPPLEMENT.label,
            "NgayBoSung": portal_time(item.requested_at, zone),
            "NguoiTiepNhanBoSung": "",
            "ThongTinTiepNhan": "",
            "NgayTiepNhanBoSung": portal_time(item.completed_at, zone),
            "TrangThaiBoSung": "True" if item.completed_at else "False",
            "DanhSachGiayToBoSung": [],
            "DanhSachLePhiBoSung": [],
            "NgayHenTraTruoc": "",
            "NgayHenTraMoi": portal_time(new_due, zone),
        })
    return items

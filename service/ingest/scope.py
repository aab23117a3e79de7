"""Limits on what a sender outside the office may write: its units, its dossiers, no future.

A webhook's credentials let anyone who holds them send any record. Without limits a push could
rewrite another unit's dossier (its phone number then unlocks the citizen lookup), create units
under any name, or stamp `source_modified_at` in 2030 so that every later, correct update
looks older and is ignored. Each record outside the connector's `WriteScope` is refused on its
own, with the reason a clerk reads on the quarantine page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.base import FIELD_LABELS, DossierRecord, WriteScope

VN = dt.timezone(dt.timedelta(hours=7))


def refusal(scope: WriteScope, source: str, record: DossierRecord, row: Any,
            unit_ids: Mapping[str, int], now: dt.datetime) -> str | None:
    """Why `record` may not be written by `source`, or None when it may.

    `row` is the stored dossier of the same code (with `source` and `unit_id`), if any;
    `unit_ids` maps the unit codes in the database to their ids.
    """
    label = f"«{FIELD_LABELS['unit_code']}» (unit_code) {record.unit_code}"
    if record.unit_code not in scope.units:
        return (f"{label}: kết nối {source} chỉ được ghi hồ sơ của đơn vị "
                f"{', '.join(sorted(scope.units))}")
    if record.unit_code not in unit_ids:
        return (f"{label}: không có trong danh mục đơn vị; đơn vị do quản trị viên khai trong "
                "cấu hình ([[units]]), không tạo từ dữ liệu gửi lên")
    if row is not None and (row.source != source or row.unit_id not in {
            unit_ids[code] for code in scope.units if code in unit_ids}):
        return (f"hồ sơ {record.code} đã có và do nguồn dữ liệu khác quản lý; kết nối {source} "
                "chỉ được cập nhật hồ sơ do chính nó gửi, thuộc đơn vị của nó")
    latest = now + scope.clock_skew
    if record.source_modified_at is not None and record.source_modified_at > latest:
        return (f"«{FIELD_LABELS['source_modified_at']}» (source_modified_at) "
                f"{record.source_modified_at.astimezone(VN):%d/%m/%Y %H:%M} (giờ Việt Nam): "
                f"ở tương lai, quá {duration(scope.clock_skew)} so với giờ máy chủ; hãy kiểm "
                "tra đồng hồ của hệ thống gửi")
    return None


def duration(span: dt.timedelta) -> str:
    """A short span in Vietnamese: '5 phút', '90 giây'."""
    seconds = int(span.total_seconds())
    return f"{seconds // 60} phút" if seconds % 60 == 0 else f"{seconds} giây"

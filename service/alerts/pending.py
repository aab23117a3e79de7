"""Why an alert has not gone out yet, in words an administrator can act on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from zoneinfo import ZoneInfo

from service.models.alerts import DeliveryState

FORMAT = "%H:%M %d/%m/%Y"
NO_CHANNEL = ("Không gửi: khi tạo cảnh báo, người nhận không có kênh gửi nào đang bật "
              "(thư điện tử cần [alerts.email] host, webhook cần [alerts.webhook] url)")


def pending_reason(state: DeliveryState, channel: str, attempts: int,
                   next_attempt_at: dt.datetime, claimed_until: dt.datetime | None,
                   last_error: str | None, now: dt.datetime, active: Collection[str],
                   zone: ZoneInfo) -> str | None:
    """Why a delivery is still waiting at `now` (None unless it is pending)."""
    if state is not DeliveryState.PENDING:
        return None
    when = next_attempt_at.astimezone(zone).strftime(FORMAT)
    if channel not in active:
        return f"Kênh {channel} đang tắt trong cấu hình; lần gửi tới sẽ hủy cảnh báo này"
    if claimed_until is not None and claimed_until > now:
        return "Đang gửi"
    if attempts:
        error = f": {last_error}" if last_error else ""
        return f"Đã gửi lỗi {attempts} lần, thử lại lúc {when}{error}"
    if next_attempt_at > now:
        return f"Chờ giờ hành chính, gửi lúc {when}"
    return "Chờ lượt gửi tới (việc «alerts» của bộ lập lịch chạy mỗi phút)"

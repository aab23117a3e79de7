"""The instant every figure is judged at, how it is written, and each dossier's status then.

A report over a period in progress is judged now; one over a past period at its end, so a
Q1 report printed in Q3 says what it said on the last day of Q1. An auditor may also choose
the instant (`--as-of`, `?as_of=`): the report then says what it said at that moment.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, select

from service.formats import FIRST_DAY, LAST_DAY
from service.models import Dossier, StatusEvent
from service.reports.periods import Period
from service.reports.scope import PAUSED, ReportError


class AsOfError(ReportError):
    """An as-of instant that cannot be reported on; `vietnamese` is what a clerk reads."""

    def __init__(self, message: str, vietnamese: str) -> None:
        super().__init__(message)
        self.vietnamese = vietnamese


# The report page's field, typed as the office writes: 14/03/2026 17:00 (a time is needed: a
# day alone would not say whether that day is counted).
TYPED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})")


def parse_as_of(text: str, timezone: str) -> dt.datetime:
    """Read dd/mm/yyyy hh:mm (the report page's field) or an ISO 8601 instant (links, the API,
    `--as-of`); one without an offset is local office time."""
    typed = TYPED.fullmatch(text.strip())
    try:
        if typed:
            day, month, year, hour, minute = (int(part) for part in typed.groups())
            instant = dt.datetime(year, month, day, hour, minute)
        else:
            instant = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise AsOfError(
            f"as-of: expected dd/mm/yyyy hh:mm or an ISO 8601 instant such as 2026-03-14T17:00,"
            f" got {text!r}",
            f"Thời điểm tính số liệu «{text}» không hợp lệ; viết ngày và giờ dạng dd/mm/yyyy "
            "hh:mm, vd. 14/03/2026 17:00."
        ) from None
    if not FIRST_DAY <= instant.date() <= LAST_DAY:
        # Checked before converting: an instant near year 1 or 9999 cannot change zone.
        raise AsOfError(
            f"as-of: {text!r} is outside {FIRST_DAY.isoformat()}..{LAST_DAY.isoformat()}",
            f"Thời điểm tính số liệu “{text}” phải trong khoảng từ {FIRST_DAY:%d/%m/%Y} đến "
            f"{LAST_DAY:%d/%m/%Y}.")
    zone = ZoneInfo(timezone)
    return instant.replace(tzinfo=zone) if instant.tzinfo is None else instant.astimezone(zone)


def judged_at(period: Period, timezone: str, now: dt.datetime,
              as_of: dt.datetime | None = None) -> dt.datetime:
    """The instant a report is judged at: now (or `as_of`) while the period runs, else its end.

    `as_of` must lie between the period's start and now: figures before the period began are
    empty, and figures of the future are not known yet.
    """
    start, end = period.bounds(timezone)
    if as_of is not None:
        if as_of > now:
            raise AsOfError(f"as-of {as_of.isoformat()} is after now",
                            "Thời điểm tính số liệu không được sau thời điểm hiện tại.")
        if as_of <= start:
            raise AsOfError(f"as-of {as_of.isoformat()} is not after the period's start",
                            "Thời điểm tính số liệu phải sau ngày đầu kỳ báo cáo.")
    return min(as_of or now, end)


def as_of_label(at: dt.datetime, timezone: str) -> str:
    """'Số liệu tính đến HH:MM ngày dd/mm/yyyy' in the office's time zone.

    The end of a period is 00:00 of the day after its last day, written as such.
    """
    local = at.astimezone(ZoneInfo(timezone))
    return f"Số liệu tính đến {local:%H:%M} ngày {local:%d/%m/%Y}"


def status_at_sql(at: dt.datetime) -> ColumnElement[Any]:
    """SQL: each dossier's status at `at`, reconstructed from its append-only history.

    Only ingestion changes a status, and every write stamps `updated_at`; so a dossier not
    written since `at` still has the status it had then (which also holds for a history that
    lacks lines the source never sent), and one written since had the status of its last
    history line at or before `at` (lines at one instant: the higher code is the later step,
    9 then 10, 2 then 4), or its current one when no line is that old. The lookup is a range
    of the history's unique key (dossier_id, at, status), answered from the index alone.
    """
    line = StatusEvent.__table__.c
    last = (select(line.status).where(line.dossier_id == Dossier.id, line.at <= at)
            .order_by(line.at.desc(), line.status.desc()).limit(1).scalar_subquery())
    return case((Dossier.updated_at <= at, Dossier.status),
                else_=func.coalesce(last, Dossier.status, type_=Dossier.status.type))


def paused_at_sql(at: dt.datetime) -> ColumnElement[bool]:
    """SQL: the dossier was waiting for the applicant (supplement or payment) at `at`."""
    return status_at_sql(at).in_(PAUSED)

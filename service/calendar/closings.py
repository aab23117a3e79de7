"""Closing instants of working days, precomputed per day table for the due-date hot path.

A working_days due instant is the close of office hours of the N-th working day after the
local day of the start (Decree 118/2025/NĐ-CP), so it depends only on that local day and N.
Building it the general way (convert the instant to the office's zone, look the day up, build
the aware closing instant) costs several times the look-up itself; this index holds the aware
closing of every working day the table covers, and a per-zone shift that turns an instant
carrying a fixed UTC offset into its office-zone wall date by one addition.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from service.calendar.table import DayTable

# Probe spacing for "the office's zone keeps one UTC offset over the table". Zones change
# offset at transitions months apart; none in the tz database has two within six hours.
PROBE = dt.timedelta(hours=6)


class ClosingIndex:
    """The aware closing instant of each working day of one DayTable, plus zone shifts.

    `closings[k]` is the closing of the k-th working day of the table, aligned with
    `table.workday_ordinals`. `lo`..`hi` are the date ordinals on which an instant's wall
    date in the office's zone is its own wall date shifted by a constant (`offset`, the zone's
    one UTC offset there); outside them, or when the zone changes offset inside the table,
    the caller takes the general path.
    """

    __slots__ = ("closings", "cum", "hi", "lo", "lo_ordinal", "offset", "shifts", "table", "tz")

    def __init__(self, table: DayTable, tz: ZoneInfo, close: dt.time) -> None:
        self.table, self.tz = table, tz
        self.cum = table.cum_list
        self.lo_ordinal = table.lo_ordinal
        self.closings = [
            dt.datetime.combine(dt.date.fromordinal(ordinal), close, tzinfo=tz)
            for ordinal in table.workday_ordinals
        ]
        self.offset = _constant_offset(tz, table.lo_ordinal, table.hi_ordinal)
        # A day of margin each side: an instant whose shifted date lies inside lo..hi is
        # within the probed span, where the offset used for the shift is the true one.
        self.lo, self.hi = table.lo_ordinal + 1, table.hi_ordinal - 1
        if self.offset is None:
            self.lo, self.hi = 1, 0
        # tzinfo -> the timedelta that moves an instant's wall clock onto the office's.
        self.shifts: dict[dt.tzinfo, dt.timedelta] = {tz: dt.timedelta(0)}

    def learn(self, tzinfo: dt.tzinfo | None) -> None:
        """Record the shift of a fixed-offset zone (dt.timezone) once the zone is constant."""
        if self.offset is not None and type(tzinfo) is dt.timezone:
            self.shifts[tzinfo] = self.offset - tzinfo.utcoffset(None)


def _constant_offset(tz: ZoneInfo, lo_ordinal: int, hi_ordinal: int) -> dt.timedelta | None:
    """Return the zone's UTC offset if it is the same from a day before lo to a day after hi."""
    moment = dt.datetime.combine(
        dt.date.fromordinal(lo_ordinal - 1), dt.time(0), tzinfo=dt.UTC
    ) - dt.timedelta(days=1)
    end = dt.datetime.combine(dt.date.fromordinal(hi_ordinal + 2), dt.time(0), tzinfo=dt.UTC)
    offset = moment.astimezone(tz).utcoffset()
    while moment <= end:
        if moment.astimezone(tz).utcoffset() != offset:
            return None
        moment += PROBE
    return offset

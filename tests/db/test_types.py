"""The shared column types read back exactly what was stored, whatever text SQLite holds."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from service.db import UTCDateTime
from service.models.types import CodeEnum
from service.vocabulary import Channel, Status

SQLITE = sqlite.dialect()


@pytest.mark.parametrize(("stored", "instant"), [
    # What UTCDateTime itself writes on SQLite: UTC wall time, no offset.
    ("2026-03-05 08:15:30.123456", dt.datetime(2026, 3, 5, 8, 15, 30, 123456, dt.UTC)),
    ("2026-03-05 08:15:30", dt.datetime(2026, 3, 5, 8, 15, 30, tzinfo=dt.UTC)),
    ("2026-03-05T08:15:30", dt.datetime(2026, 3, 5, 8, 15, 30, tzinfo=dt.UTC)),
    # Text written by other tools, with an offset or Z: converted to UTC, not shifted twice.
    ("2026-03-05 15:15:30+07:00", dt.datetime(2026, 3, 5, 8, 15, 30, tzinfo=dt.UTC)),
    ("2026-03-05 01:15:30.5-07:00", dt.datetime(2026, 3, 5, 8, 15, 30, 500000, dt.UTC)),
    ("2026-03-05T08:15:30Z", dt.datetime(2026, 3, 5, 8, 15, 30, tzinfo=dt.UTC)),
])
def test_sqlite_text_reads_back_as_the_utc_instant(stored: str, instant: dt.datetime) -> None:
    read = UTCDateTime().process_result_value(stored, SQLITE)
    assert read == instant and read.utcoffset() == dt.timedelta(0)


def test_what_is_written_reads_back_unchanged() -> None:
    column = UTCDateTime()
    local = dt.datetime(2026, 12, 2, 20, 37, 1, 5, dt.timezone(dt.timedelta(hours=7)))
    stored = column.process_bind_param(local, SQLITE)
    assert column.process_result_value(stored, SQLITE) == local
    aware = column.process_result_value(local, postgresql.dialect())
    assert aware == local and aware.tzinfo is dt.UTC


def test_coded_enums_read_members_and_refuse_unknown_codes() -> None:
    assert CodeEnum(Status).process_result_value(4, SQLITE) is Status.PROCESSING
    assert CodeEnum(Channel).process_result_value(Channel.ONLINE.value, SQLITE) is Channel.ONLINE
    assert CodeEnum(Status).process_result_value(None, SQLITE) is None
    with pytest.raises(ValueError, match="99"):
        CodeEnum(Status).process_result_value(99, SQLITE)

"""Workbooks sent to the browser as they are written, named by the local time they were made."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response, stream_with_context

from service.reports.sheets import Sheet, xlsx_chunks
from service.web.session import runtime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def local_stamp() -> str:
    """Now in the office's time zone as file names carry it: 20260310-0900."""
    rt = runtime()
    return f"{rt.calendar.local(rt.now()):%Y%m%d-%H%M}"


def xlsx_download(stem: str, sheet: Sheet, rows: Iterable[Sequence[Any]]) -> Response:
    """Stream a workbook as `<stem>-<local time>.xlsx`; the request's session stays open."""
    response = Response(stream_with_context(xlsx_chunks(sheet, rows)), mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}-{local_stamp()}.xlsx"'
    return response

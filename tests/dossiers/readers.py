"""Read what each surface says: the pages, the export, the API and the metrics, as people do."""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import load_workbook

CARD = re.compile(r'<span class="figure">(\d+)</span><span>([^<]+)</span>')
COUNT = re.compile(r'<p class="muted">([\d.]+) hồ sơ phù hợp\.</p>')
GAUGE = re.compile(r'tthc_open_dossiers\{deadline_class="(\w+)"\} (\d+)')


def dashboard_cards(client: Any) -> dict[str, int]:
    """The dashboard's cards by their Vietnamese caption."""
    page = client.get("/tong-quan").get_data(as_text=True)
    return {caption: int(figure) for figure, caption in CARD.findall(page)}


def list_count(client: Any, query: str) -> int:
    """How many dossiers the list says match `query` (e.g. 'class=overdue')."""
    page = client.get(f"/ho-so?{query}").get_data(as_text=True)
    if "Không có hồ sơ nào phù hợp" in page:
        return 0
    match = COUNT.search(page)
    assert match, "an exact count (fewer dossiers than a page holds)"
    return int(match.group(1).replace(".", ""))


def list_badges(client: Any, query: str = "") -> list[str]:
    """The deadline badges of the list's rows, in order."""
    page = client.get(f"/ho-so?{query}").get_data(as_text=True)
    return re.findall(r'<td data-label="Tình trạng"><span class="badge (\w+)">', page)


def export_rows(client: Any, query: str) -> list[dict[str, Any]]:
    """The rows of the list's XLSX export for `query`, keyed by the header."""
    response = client.get(f"/ho-so/xuat.xlsx?{query}")
    assert response.status_code == 200, response.status_code
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    # Title lines stand above the header; the header is the row that starts with the code.
    top = next(n for n, row in enumerate(rows) if row and row[0] == "Mã hồ sơ")
    return [dict(zip(rows[top], row, strict=True)) for row in rows[top + 1:]]


def api_count(client: Any, headers: dict[str, str], query: str) -> int:
    """How many dossiers the REST list gives for `query` (all on one page)."""
    answer = client.get(f"/api/v1/dossiers?{query}&limit=200", headers=headers)
    assert answer.status_code == 200, answer.json
    assert answer.json["next_cursor"] is None
    return len(answer.json["items"])


def gauges(client: Any) -> dict[str, int]:
    """The tthc_open_dossiers gauge by deadline class, scraped from /metrics."""
    text = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(
        as_text=True)
    return {kind: int(count) for kind, count in GAUGE.findall(text)}

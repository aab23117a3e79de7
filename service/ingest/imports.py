"""Spreadsheet imports started by a clerk: which connector reads the file, and the summary.

The command line (`tthc-monitor import`) and the upload page both import through
`run_connector` and tell the clerk the same thing, built here once: the sheet and header rows
read, which header went to which field, the counts, each refused row and the skipped rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from connectors.base import Batch, Connector, ConnectorError, RejectedRecord
from connectors.registry import build_connector
from connectors.spreadsheet import SpreadsheetConnector, SpreadsheetError
from service.config.schema import office_times
from service.config.settings import Settings
from service.ingest.records import IngestStats
from service.ingest.runs import COUNTS, BatchResult

# The name quarantined rows of an import carry when no spreadsheet connector is configured.
DEFAULT_NAME = "spreadsheet"
SKIPPED_SHOWN = 3


class ImportRefused(ValueError):
    """An import that cannot start as asked; the message, in Vietnamese, is for the clerk."""


def spreadsheet_names(settings: Settings) -> list[str]:
    """The configured spreadsheet connectors, by name."""
    return sorted(name for name, options in settings.connectors.items()
                  if options["type"] == "spreadsheet")


def spreadsheet_connector(settings: Settings, name: str | None,
                          sheet: str | None = None) -> SpreadsheetConnector:
    """The named spreadsheet connector, else the first configured, else defaults for unit 1."""
    configured = settings.connectors
    if name is not None and name != DEFAULT_NAME and name not in spreadsheet_names(settings):
        raise ImportRefused(f"không có kết nối bảng tính {name!r} trong cấu hình")
    if name in (None, DEFAULT_NAME):
        name = next(iter(spreadsheet_names(settings)), None)
    if name is not None:
        options = dict(configured[name])
    else:
        units = settings.units
        if not units:
            raise ImportRefused("cấu hình chưa có [[units]] hay kết nối bảng tính nào")
        options = {"type": "spreadsheet", "unit_code": units[0].code,
                   "unit_name": units[0].name,
                   **office_times(settings.timezone, settings.calendar.office_hours)}
    if sheet is not None:
        options["sheet"] = sheet
    return build_connector(name or DEFAULT_NAME, options)  # type: ignore[return-value]


def connector_for(settings: Settings) -> Callable[[str], Connector | None]:
    """Build connectors by name for quarantine retries; None when one cannot be built."""

    def build(name: str) -> Connector | None:
        try:
            if name in settings.connectors:
                return build_connector(name, dict(settings.connectors[name]))
            return spreadsheet_connector(settings, None) if name == DEFAULT_NAME else None
        except (ConnectorError, ImportRefused):
            return None

    return build


def failure_text(path: Path, exc: Exception) -> str:
    """Why a file could not be imported, in one line for the clerk."""
    if isinstance(exc, SpreadsheetError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"Tệp {path.name}: không còn tệp để đọc (đã bị xóa); hãy tải lên hoặc chọn lại tệp"
    return f"Tệp {path.name}: không nhập được ({type(exc).__name__}: {exc})"


@dataclass
class ImportSummary:
    """What one imported file was read as and what became of its rows, for the clerk."""

    file: str
    sheet: str | None = None
    header_rows: tuple[int, ...] = ()
    columns: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # Refused and skipped rows beyond those listed (a stored summary keeps bounded lists).
    more_problems: int = 0
    skipped_total: int = 0

    def heading(self) -> str | None:
        """"trang «Danh sách hồ sơ», dòng tiêu đề 6–7", or None before a header was found."""
        if not self.header_rows:
            return None
        rows = "–".join(str(n) for n in self.header_rows)
        where = f"trang «{self.sheet}», " if self.sheet is not None else ""
        return f"{where}dòng tiêu đề {rows}"

    def counts_line(self) -> str:
        """"tạo mới 4, cập nhật 0, không đổi 0, bị từ chối 1"."""
        counts = self.counts
        return (f"tạo mới {counts.get('created', 0)}, cập nhật {counts.get('updated', 0)}, "
                f"không đổi {counts.get('unchanged', 0)}, bị từ chối {counts.get('rejected', 0)}")

    def skipped_line(self) -> str | None:
        """Rows that are not dossiers (column numbers, group headings, totals), a few named."""
        total = max(self.skipped_total, len(self.skipped))
        if not total:
            return None
        shown = "; ".join(self.skipped[:SKIPPED_SHOWN])
        more = f"; và {total - SKIPPED_SHOWN} dòng khác" if total > SKIPPED_SHOWN else ""
        return f"Bỏ qua {total} dòng không phải hồ sơ ({shown}{more})"

    def more_line(self) -> str | None:
        """How many refused rows the stored list leaves out, and where to find them."""
        if not self.more_problems:
            return None
        return (f"và {self.more_problems} dòng bị từ chối khác (xem danh sách bản ghi bị "
                "cách ly)")

    def lines(self) -> list[str]:
        """The summary as the command line prints it, indented details under each line."""
        lines = []
        heading = self.heading()
        if heading is not None:
            lines.append(f"{self.file}: {heading}")
            lines.extend(f"  {line}" for line in self.columns)
        lines.append(f"{self.file}: {self.counts_line()}")
        extra = [self.more_line(), self.skipped_line()]
        lines.extend(f"  {line}" for line in [*self.problems, *extra] if line is not None)
        return lines

    def stored(self, max_problems: int) -> dict[str, Any]:
        """JSON data to keep, with at most `max_problems` refused rows listed."""
        data = asdict(self)
        data["problems"] = self.problems[:max_problems]
        data["more_problems"] = self.more_problems + max(len(self.problems) - max_problems, 0)
        data["skipped"] = self.skipped[:SKIPPED_SHOWN]
        data["skipped_total"] = max(self.skipped_total, len(self.skipped))
        return data

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> ImportSummary:
        """Rebuild a summary kept by `stored`."""
        return cls(**{**data, "header_rows": tuple(data.get("header_rows") or ())})


class ImportTally:
    """Collects a summary batch by batch while `run_connector` imports one file."""

    def __init__(self, connector: SpreadsheetConnector, path: Path) -> None:
        self.connector, self.path = connector, path
        self.problems: list[str] = []
        self.rows = 0
        self.stats = IngestStats()

    def add(self, batch: Batch, result: BatchResult) -> None:
        """Note a committed batch: its counts, refused rows as 'Dòng N: reason' in file order."""
        self.rows += len(batch.records)
        self.stats.add(result.stats)
        for item, outcome in zip(batch.records, result.results, strict=True):
            if outcome.outcome != "rejected":
                continue
            if isinstance(item, RejectedRecord):
                self.problems.append(outcome.reason or "bị từ chối")
            else:
                row = self.connector.row_of.get(item.code, "?")
                self.problems.append(f"Dòng {row}: {outcome.reason}")

    def summary(self) -> ImportSummary:
        """The summary of what the committed batches stored (all of them once the run ends)."""
        layout = self.connector.layout
        summary = ImportSummary(self.path.name,
                                counts={n: getattr(self.stats, n) for n in COUNTS},
                                problems=list(self.problems),
                                skipped=[f"dòng {s.row}: {s.why}" for s in self.connector.skipped])
        if layout is not None:
            summary.sheet = layout.sheet if self.path.suffix.lower() != ".csv" else None
            summary.header_rows = layout.header_rows
            summary.columns = layout.describe()
        return summary

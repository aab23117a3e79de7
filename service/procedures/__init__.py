"""The procedure catalogue: read and validate it from CSV or XLSX (no database here)."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from service.vocabulary import LimitUnit

COLUMNS = ("code", "name", "linh_vuc", "handler", "limit", "unit")


class CatalogueError(ValueError):
    """A catalogue file that cannot be read; the message names the file, row and column."""


@dataclass(frozen=True)
class ProcedureSpec:
    """One catalogue row."""

    code: str
    name: str
    domain_name: str
    handler: str | None
    limit_value: int
    limit_unit: LimitUnit
    limit_if_verification: int | None = None
    note: str | None = None


def builtin_catalogue() -> list[ProcedureSpec]:
    """Return the catalogue shipped with the package (common commune procedures)."""
    text = files("service").joinpath("data/procedures.csv").read_text(encoding="utf-8")
    return parse_rows(csv.DictReader(io.StringIO(text)), "procedures.csv")


def read_catalogue(path: Path) -> list[ProcedureSpec]:
    """Read a catalogue from a CSV or XLSX file with the columns of procedures.csv."""
    from openpyxl.utils.exceptions import InvalidFileException  # openpyxl only when asked

    try:
        if path.suffix.lower() == ".xlsx":
            return parse_rows(_xlsx_rows(path), path.name)
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return parse_rows(csv.DictReader(handle), path.name)
    except (zipfile.BadZipFile, InvalidFileException, KeyError) as exc:
        # An .xlsx is a zip of XML parts: a damaged or renamed file fails to open as one.
        raise CatalogueError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    except UnicodeDecodeError:
        raise CatalogueError(f"{path.name}: not UTF-8 text; save the CSV as UTF-8") from None


def _xlsx_rows(path: Path) -> list[dict[str, object]]:
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True, data_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        return []
    header = [str(cell).strip() if cell is not None else "" for cell in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:] if any(row)]


def parse_rows(rows: object, source: str) -> list[ProcedureSpec]:
    """Validate catalogue rows; raise CatalogueError naming the first bad row and column."""
    specs = []
    for number, row in enumerate(rows, start=2):  # type: ignore[arg-type]
        missing = [c for c in COLUMNS if c not in row]
        if missing:
            raise CatalogueError(f"{source}: missing column(s) {', '.join(missing)}")
        specs.append(_parse_row(row, f"{source} row {number}"))
    return specs


def _parse_row(row: dict[str, object], where: str) -> ProcedureSpec:
    def text(key: str) -> str:
        return "" if row.get(key) is None else str(row[key]).strip()

    try:
        unit = LimitUnit(text("unit"))
    except ValueError:
        codes = ", ".join(member.value for member in LimitUnit)
        raise CatalogueError(f"{where}, column unit: {text('unit')!r} is not one of "
                             f"{codes}") from None
    limits = {}
    for key in ("limit", "limit_if_verification"):
        value = text(key)
        if value and not value.isdigit():
            raise CatalogueError(f"{where}, column {key}: {value!r} is not a whole number")
        limits[key] = int(value) if value else None
    if not text("code") or not text("name") or not text("linh_vuc") or limits["limit"] is None:
        raise CatalogueError(f"{where}: code, name, linh_vuc and limit are required")
    return ProcedureSpec(code=text("code"), name=text("name"), domain_name=text("linh_vuc"),
                         handler=text("handler") or None, limit_value=limits["limit"],
                         limit_unit=unit, limit_if_verification=limits["limit_if_verification"],
                         note=text("note") or None)

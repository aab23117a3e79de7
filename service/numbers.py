"""Numbers as Vietnamese readers write them: 1.000 (dot between thousands), 66,14 (comma decimal).

One definition for every page, chart, message and export, so no surface mixes 66.14 and 1.000.
A leaf module: it imports nothing of the project.
"""

from __future__ import annotations

import math

DASH = "–"


def vn_number(value: float | int | None, digits: int = 0) -> str:
    """`value` rounded to `digits` decimals: 1234.5 -> '1.234,5'; None or NaN -> '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    text = f"{value:,.{digits}f}"  # "1,234.5": swap the separators
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def vn_percent(value: float | int | None, digits: int = 1) -> str:
    """A percentage given in percent units: 66.14 -> '66,1%'; None -> '–'."""
    if value is None:
        return DASH
    return f"{vn_number(value, digits)}%"

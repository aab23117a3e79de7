"""Configuration files for tests that start real processes: the shipped config.toml with
changes merged in as data, written back as TOML (never edited as text)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w

ROOT = Path(__file__).resolve().parents[1]


def shipped_config() -> dict[str, Any]:
    """The shipped config.toml as a dict."""
    with (ROOT / "config.toml").open("rb") as handle:
        return tomllib.load(handle)


def merged(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `extra` merged in, table by table (a copy; neither is changed)."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def write_config(path: Path, overrides: Mapping[str, Any] | None = None) -> Path:
    """Write the shipped configuration with `overrides` merged in, as TOML; return the path."""
    path.write_text(tomli_w.dumps(merged(shipped_config(), overrides or {})), encoding="utf-8")
    return path


def quick_simulator(days: int) -> dict[str, Any]:
    """Overrides that have the demo's simulator back-fill only `days` days (fewer dossiers)."""
    return {"connectors": {"simulator": {"backfill_days": days}}}

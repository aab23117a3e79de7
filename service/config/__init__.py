"""Read config.toml, apply TTHC_* environment overrides and validate the result once."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from service.config.schema import root_schema

ENV_PREFIX = "TTHC_"
DEFAULT_FILE = "config.toml"
# Variables with the prefix that are not configuration keys.
NOT_KEYS = frozenset({"TTHC_CONFIG", "TTHC_TEST_DATABASE_URL"})


class ConfigError(Exception):
    """A configuration problem, explained in one line that names the key."""


def config_path(path: str | os.PathLike[str] | None) -> Path:
    """Return the file to read: the argument, then TTHC_CONFIG, then ./config.toml."""
    chosen = path or os.environ.get("TTHC_CONFIG") or DEFAULT_FILE
    return Path(chosen)


@dataclass(frozen=True)
class Catalogue:
    """What the configuration may name but the core does not import: jobs and connector types.

    `connector_types` maps a type name to a class with an `options_schema()`.
    """

    job_names: frozenset[str] = frozenset()
    connector_types: Mapping[str, Any] = field(default_factory=dict)


def load_config(
    path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    catalogue: Catalogue,
) -> dict[str, Any]:
    """Load, override and validate the configuration; raise ConfigError on any fault."""
    file = config_path(path)
    raw = read_toml(file) if file.exists() or path else {}
    apply_env(raw, os.environ if environ is None else environ)
    if overrides:
        deep_merge(raw, overrides)
    try:
        loaded = root_schema(catalogue.job_names, catalogue.connector_types).load(raw)
    except ValidationError as exc:
        raise ConfigError(f"{file}: {describe(exc.messages, raw)}") from None
    loaded["source_file"] = str(file)
    return loaded


def read_toml(file: Path) -> dict[str, Any]:
    """Parse a TOML file into a dict, turning I/O and syntax errors into ConfigError."""
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{file}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None


def apply_env(raw: dict[str, Any], environ: Mapping[str, str]) -> None:
    """Override keys from TTHC_* variables; a double underscore descends into a table."""
    for name, value in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or name in NOT_KEYS:
            continue
        parts = name[len(ENV_PREFIX):].lower().split("__")
        target = raw
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise ConfigError(f"{name}: '{part}' is not a table in the configuration")
        target[parts[-1]] = parse_env_value(value)


def parse_env_value(value: str) -> Any:
    """Read a value as a TOML literal (number, boolean, array) or else as a plain string."""
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return value


def deep_merge(target: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Merge nested mappings from extra into target in place."""
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = value


def describe(messages: Any, raw: Any, prefix: str = "") -> str:
    """Turn marshmallow's nested error dict into one line: key, value, what was expected."""
    if isinstance(messages, dict):
        key, inner = next(iter(sorted(messages.items(), key=lambda item: str(item[0]))))
        name = f"{prefix}.{key}" if prefix else str(key)
        value = raw.get(key, None) if isinstance(raw, dict) else None
        if isinstance(raw, list) and isinstance(key, int) and key < len(raw):
            value = raw[key]
            name = f"{prefix}[{key}]"
        return describe(inner, value, name)
    text = "; ".join(str(m) for m in messages) if isinstance(messages, list) else str(messages)
    if text == "Unknown field.":
        return f"unknown key '{prefix}'"
    shown = "" if raw is None else f" (got {raw!r})"
    return f"key '{prefix}'{shown}: {text}"

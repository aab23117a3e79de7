"""Read config.toml, apply TTHC_* environment overrides and validate the result once.

A TTHC_* variable overrides a key only when it names one the schema knows. Other variables
share the prefix (the secrets that `*_env` keys name, such as TTHC_SMTP_PASSWORD, and variables
of other tools): they are left alone, and a start-up warning names those no key refers to, so
a misspelt override is seen rather than silently dropped.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError

from service.config.keys import is_known_key, is_secret_key, secret_references
from service.config.schema import root_schema

log = logging.getLogger(__name__)

ENV_PREFIX = "TTHC_"
DEFAULT_FILE = "config.toml"
# Variables with the prefix that are not configuration keys.
NOT_KEYS = frozenset({"TTHC_CONFIG", "TTHC_TEST_DATABASE_URL"})


class ConfigError(Exception):
    """A configuration problem, explained in one line that names the key."""


def config_path(path: str | os.PathLike[str] | None,
                environ: Mapping[str, str] | None = None) -> Path:
    """Return the file to read: the argument, then TTHC_CONFIG, then ./config.toml."""
    environ = os.environ if environ is None else environ
    chosen = path or environ.get("TTHC_CONFIG") or DEFAULT_FILE
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
    environ = os.environ if environ is None else environ
    file = config_path(path, environ)
    # Only the implicit ./config.toml may be absent: a file named by --config or TTHC_CONFIG
    # that is missing is a typo, not a request for the defaults.
    raw = read_toml(file) if file.exists() or path or environ.get("TTHC_CONFIG") else {}
    schema = root_schema(catalogue.job_names, catalogue.connector_types)
    unused = apply_env(schema, raw, environ)
    if overrides:
        deep_merge(raw, overrides)
    try:
        loaded = schema.load(raw)
    except ValidationError as exc:
        raise ConfigError(f"{file}: {describe(exc.messages, raw)}") from None
    check_references(schema, loaded, unused, file)
    loaded["source_file"] = str(file)
    return loaded


def check_references(schema: Schema, loaded: dict[str, Any], unused: list[str],
                     file: Path) -> None:
    """Refuse a secret reference that is also a key override; warn of stray TTHC_* names."""
    references = secret_references(loaded)
    for where, variable in sorted(references.items()):
        if variable.startswith(ENV_PREFIX) and is_known_key(schema, env_parts(variable), loaded):
            raise ConfigError(f"{file}: key '{where}': {variable} is also the override of the key "
                              f"'{'.'.join(env_parts(variable))}'; name another variable")
    named = set(references.values())
    stray = [name for name in unused if name not in named]
    if stray:
        log.warning("environment variables %s match no configuration key and no *_env "
                    "reference; ignored", ", ".join(stray))


def read_toml(file: Path) -> dict[str, Any]:
    """Parse a TOML file into a dict, turning I/O and syntax errors into ConfigError."""
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{file}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None


def env_parts(name: str) -> list[str]:
    """The key path a TTHC_* variable names: TTHC_SERVER__PORT is ['server', 'port']."""
    return name[len(ENV_PREFIX):].lower().split("__")


def apply_env(schema: Schema, raw: dict[str, Any], environ: Mapping[str, str]) -> list[str]:
    """Override known keys from TTHC_* variables; return the prefixed names that are no key.

    A double underscore descends into a table.
    """
    unused: list[str] = []
    for name, value in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or name in NOT_KEYS:
            continue
        parts = env_parts(name)
        if not is_known_key(schema, parts, raw):
            unused.append(name)
            continue
        target = raw
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise ConfigError(f"{name}: '{part}' is not a table in the configuration")
        target[parts[-1]] = parse_env_value(value)
    return unused


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
    # A rejected secret is still a secret: logs and terminals keep what is printed.
    shown = "" if raw is None or is_secret_key(prefix) else f" (got {raw!r})"
    return f"key '{prefix}'{shown}: {text}"

"""Which key paths the configuration schema knows, and which variables `*_env` keys name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from marshmallow import Schema, fields

from service.config.schema import ConnectorsField


@cache
def _fields_of(schema: type[Schema]) -> dict[str, fields.Field]:
    return dict(schema().fields)


def is_known_key(schema: Schema, parts: Sequence[str], raw: Mapping[str, Any]) -> bool:
    """Whether a key path (['server', 'port']) is one the root schema would accept."""
    return _known(type(schema), list(parts), raw)


def _known(schema: type[Schema], parts: list[str], data: Any) -> bool:
    field = _fields_of(schema).get(parts[0])
    rest = parts[1:]
    inner = data.get(parts[0]) if isinstance(data, Mapping) else None
    if field is None:
        return False
    if not rest:
        return True
    if isinstance(field, ConnectorsField):
        return _known_connector_key(field.types, rest, inner)
    if isinstance(field, fields.Nested):
        return _known(type(field.schema), rest, inner)
    if isinstance(field, fields.Dict):
        # A table keyed by free names ([scheduler.jobs.NAME], [portal.units.CODE]).
        value = field.value_field
        if isinstance(value, fields.Nested) and len(rest) > 1:
            entry = inner.get(rest[0]) if isinstance(inner, Mapping) else None
            return _known(type(value.schema), rest[1:], entry)
        return len(rest) == 1
    return False


def _known_connector_key(types: Mapping[str, Any], parts: list[str], tables: Any) -> bool:
    """[connectors.NAME.KEY]: KEY is checked against the options of NAME's type when known."""
    if len(parts) == 1 or parts[1:] == ["type"]:
        return True
    table = tables.get(parts[0]) if isinstance(tables, Mapping) else None
    kind = table.get("type") if isinstance(table, Mapping) else None
    if kind not in types:
        # A connector defined from the environment alone: the schema then judges every key.
        return True
    return _known(types[kind].options_schema, parts[1:], table)


# Words in a key's name that say its value is a credential (not a reference to one).
SECRET_WORDS = ("secret", "password", "passwd", "token", "api_key", "credential")


def is_secret_key(path: str) -> bool:
    """Whether the key at `path` ('secret_key', 'connectors.x.token') holds a credential.

    `*_env` and `*_file` keys name where a secret is and are shown; a database URL may carry
    a password.
    """
    name = path.rsplit(".", 1)[-1].lower()
    if name.endswith(("_env", "_file")):
        return False
    return name == "database_url" or any(word in name for word in SECRET_WORDS)


def secret_references(loaded: Any, prefix: str = "") -> dict[str, str]:
    """Every `*_env` key of the loaded configuration and the variable it names."""
    found: dict[str, str] = {}
    if isinstance(loaded, Mapping):
        for key, value in loaded.items():
            where = f"{prefix}.{key}" if prefix else str(key)
            if str(key).endswith("_env") and isinstance(value, str) and value:
                found[where] = value
            else:
                found.update(secret_references(value, where))
    elif isinstance(loaded, list):
        for index, value in enumerate(loaded):
            found.update(secret_references(value, f"{prefix}[{index}]"))
    return found

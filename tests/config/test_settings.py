"""The typed settings match the schema key for key and are built once, frozen."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import pytest
from marshmallow import Schema, fields

from service.cli.context import load_settings
from service.config.settings import Settings
from service.runtime import Runtime
from tests.conftest import make_settings


def schema_of(field: fields.Field) -> Schema | None:
    """The nested schema of a field, or of the items of a list field."""
    inner = field.inner if isinstance(field, fields.List) else field
    return inner.schema if isinstance(inner, fields.Nested) else None


def mismatches(schema: Schema, cls: type, where: str) -> list[str]:
    """Keys the schema has and the dataclass lacks (or the reverse), nested tables too."""
    names = {f.name for f in dataclasses.fields(cls) if not f.metadata.get("raw")}
    keys = {field.attribute or name for name, field in schema.fields.items()}
    found = [f"{where}: schema only {sorted(keys - names)}"] if keys - names else []
    found += [f"{where}: dataclass only {sorted(names - keys)}"] if names - keys else []
    hints = typing.get_type_hints(cls)
    for name, field in schema.fields.items():
        kind = hints.get(name)
        if typing.get_origin(kind) is tuple:
            kind = typing.get_args(kind)[0]
        nested = schema_of(field)
        if nested is not None and dataclasses.is_dataclass(kind):
            found += mismatches(nested, kind, f"{where}.{name}")  # type: ignore[arg-type]
    return found


def test_every_schema_key_has_a_typed_field_and_no_field_lacks_a_key() -> None:
    from connectors.registry import connector_types
    from jobs.schedule import JOB_NAMES
    from service.config.schema import root_schema

    assert mismatches(root_schema(JOB_NAMES, connector_types()), Settings, "root") == []


def test_settings_are_typed_frozen_and_keep_the_validated_dict() -> None:
    loaded = load_settings("config.toml", environ={}, overrides={
        "web": {"session_hours": 4}, "units": [{"code": "000.32.26.H26", "name": "UBND xã"}]})
    settings = Settings.from_dict(loaded)
    assert settings.web.session_hours == 4 and settings.server.port == 8080
    assert settings.units[0].code == "000.32.26.H26" and settings.units[0].place == ""
    assert settings.alerts.rules.overdue == ("clerk", "department", "head")
    assert settings.raw is loaded and settings.source_file == "config.toml"
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.web = settings.web  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.portal.units["X"] = {}  # type: ignore[index]


def test_a_key_missing_from_the_dict_fails_when_built_not_when_used(tmp_path: Any) -> None:
    loaded = make_settings(f"sqlite:///{tmp_path / 'a.db'}")
    del loaded["lookup"]["public_url"]
    with pytest.raises(KeyError, match="public_url"):
        Runtime.from_settings(loaded)


def test_the_not_required_rules_digest_is_the_one_of_the_plain_tables() -> None:
    from service.portal import PortalOptions

    loaded = load_settings("config.toml", environ={}, overrides={"portal": {"not_required": [
        {"reason": "Cũ", "procedures": ["1.001193"], "channels": [1]}]}})
    typed = PortalOptions.from_settings(Settings.from_dict(loaded))
    plain = PortalOptions(not_required=tuple(loaded["portal"]["not_required"]))
    assert typed.rules_key == plain.rules_key

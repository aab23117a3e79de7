"""The explicit table of built-in connectors, plus the entry-point group for outside ones."""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from connectors.base import Connector, ConnectorError

ENTRY_POINT_GROUP = "tthc_monitor.connectors"

# Built-in connector types: type name -> "module:Class". A test checks this against connectors/.
BUILTIN: dict[str, str] = {
    "opencps": "connectors.opencps:OpenCPSConnector",
    "simulator": "connectors.simulator:SimulatorConnector",
    "spreadsheet": "connectors.spreadsheet:SpreadsheetConnector",
    "webhook": "connectors.webhook:WebhookConnector",
}


@cache
def connector_types() -> dict[str, type[Connector]]:
    """Return every connector type by name: the built-in table, then entry points."""
    types: dict[str, type[Connector]] = {}
    for name, target in BUILTIN.items():
        module_name, _, class_name = target.partition(":")
        types[name] = getattr(importlib.import_module(module_name), class_name)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name not in types:
            types[point.name] = point.load()
    return types


def build_connector(name: str, options: dict[str, Any], calendar: Any = None) -> Connector:
    """Instantiate the connector configured as [connectors.NAME].

    `calendar` (the office's WorkCalendar) goes to connector types that declare
    `uses_calendar`.
    """
    kind = options.get("type")
    types = connector_types()
    if kind not in types:
        raise ConnectorError(f"connector {name}: unknown type {kind!r}")
    kind_type = types[kind]
    values = {k: v for k, v in options.items() if k != "type"}
    if kind_type.uses_calendar and calendar is not None:
        return kind_type(name, values, calendar=calendar)  # type: ignore[call-arg]
    return kind_type(name, values)

"""The explicit table of built-in connectors, plus the entry-point group for outside ones."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import Any

from connectors.base import Connector, ConnectorError
from connectors.opencps import OpenCPSConnector
from connectors.simulator import SimulatorConnector
from connectors.spreadsheet import SpreadsheetConnector
from connectors.webhook import WebhookConnector

ENTRY_POINT_GROUP = "tthc_monitor.connectors"

# Built-in connector types by name. A test checks this against the modules in connectors/.
BUILTIN: dict[str, type[Connector]] = {
    "opencps": OpenCPSConnector,
    "simulator": SimulatorConnector,
    "spreadsheet": SpreadsheetConnector,
    "webhook": WebhookConnector,
}


@cache
def connector_types() -> dict[str, type[Connector]]:
    """Return every connector type by name: the built-in table, then entry points."""
    types = dict(BUILTIN)
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

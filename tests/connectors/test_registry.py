"""The connector registry agrees with the modules in connectors/."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil

import connectors
from connectors.base import Batch, Connector, DossierRecord, RejectedRecord
from connectors.registry import BUILTIN, connector_types


def connector_classes_in_modules() -> dict[str, type[Connector]]:
    found = {}
    for info in pkgutil.iter_modules(connectors.__path__):
        module = importlib.import_module(f"connectors.{info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Connector) and obj is not Connector and \
                    obj.__module__ == module.__name__ and not inspect.isabstract(obj):
                found[obj.type_name] = obj
    return found


def test_table_lists_every_connector_module_and_nothing_else() -> None:
    assert set(BUILTIN) == set(connector_classes_in_modules())


def test_every_type_name_matches_its_table_key() -> None:
    for name, cls in connector_types().items():
        assert cls.type_name == name


def test_simulator_honours_the_contract() -> None:
    connector = connector_types()["simulator"]("sim", {"backfill_days": 2})
    now = dt.datetime(2026, 3, 20, 10, tzinfo=dt.UTC)
    batches = list(connector.fetch(None, now))
    assert batches and all(isinstance(b, Batch) for b in batches)
    for batch in batches:
        assert all(isinstance(r, DossierRecord | RejectedRecord) for r in batch.records)
        assert batch.cursor is not None
    for record in (r for b in batches for r in b.records):
        assert record.received_at.tzinfo is not None
        assert all(e.at.tzinfo is not None for e in record.events)

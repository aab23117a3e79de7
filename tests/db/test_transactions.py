"""A transaction is one unit on both databases, savepoints inside it included."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from service.ingest.runs import store_batch
from service.models import Base, Dossier, Unit
from service.runtime import Runtime
from tests.builders import record
from tests.conftest import local, make_settings

NOW = local(2026, 3, 10, 9)


@pytest.fixture
def any_runtime(database_url: str) -> Iterator[Runtime]:
    runtime = Runtime.from_settings(make_settings(database_url))
    Base.metadata.create_all(runtime.engine)
    yield runtime
    runtime.engine.dispose()


def count(runtime: Runtime, model: type) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_batch_rolled_back_after_its_savepoints_leaves_nothing(any_runtime: Runtime) -> None:
    # The ingest writes a batch inside savepoints, then its cursor; a process killed between
    # the two must leave neither (SQLite's driver used to commit at the savepoint's release).
    with pytest.raises(RuntimeError), any_runtime.sessions.begin() as session:
        store_batch(session, "test", None, [record("X-1", NOW), record("X-2", NOW)],
                    any_runtime.derive, NOW)
        assert session.scalar(select(func.count()).select_from(Dossier)) == 2
        raise RuntimeError("the process ends before the cursor is written")
    assert count(any_runtime, Dossier) == 0
    assert count(any_runtime, Unit) == 0


def test_a_batch_committed_with_its_savepoints_stays(any_runtime: Runtime) -> None:
    with any_runtime.sessions.begin() as session:
        store_batch(session, "test", None, [record("X-1", NOW)], any_runtime.derive, NOW)
    assert count(any_runtime, Dossier) == 1

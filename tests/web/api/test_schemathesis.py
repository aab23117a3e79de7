"""Property-based checks of the whole API against its own OpenAPI document (schemathesis)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from service.models import Base, StatusEvent
from service.runtime import Runtime
from service.users.tokens import issue_token
from service.vocabulary import Status
from service.web import create_app
from tests.conftest import local, make_settings

NOW = dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC)
# Examples per operation: enough to find crashes and schema drift, few enough to stay quick.
EXAMPLES = 15
# Cursors are opaque and date ranges must be ordered: a schema-valid value may still be refused
# with 422, which is right, so "valid data must be accepted" is not checked.
SEMANTIC = [schemathesis.checks.positive_data_acceptance]
# High enough that generated requests never meet the limits this test does not exercise.
UNLIMITED = {"api": {"rate_limit": "100000 per minute"},
             "lookup": {"rate_limit": "100000 per minute", "code_rate_limit": "100000 per hour"}}


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An app with a few dossiers and an admin token, shared by every generated case."""
    path = tmp_path_factory.mktemp("schemathesis") / "api.db"
    config = make_settings(f"sqlite:///{path}", **UNLIMITED)
    rt = Runtime.from_settings(config)
    Base.metadata.create_all(rt.engine)
    app = create_app(rt.settings, rt)
    with rt.sessions() as session:
        seed(session)
        _, raw = issue_token(session, "schemathesis", ["admin"], NOW)
        session.commit()
    app.config["TEST_TOKEN"] = raw
    yield app
    rt.engine.dispose()


def seed(session: Any) -> None:
    """Two dossiers with history, built like the conftest builder builds them."""
    from service.ingest import national_code
    from service.models import Dossier, Procedure, Unit
    from service.vocabulary import Channel, LimitUnit

    unit = Unit(code="000.32.26.H26", name="UBND xã Thanh Miện")
    procedure = Procedure(code=national_code("1.004873"), name="Cấp Giấy xác nhận",
                          domain_name="Hộ tịch", limit_value=3, limit_unit=LimitUnit.WORKING_DAYS)
    for n in (1, 2):
        received = local(2026, 3, n, 9)
        row = Dossier(code=f"D-{n}", unit=unit, procedure=procedure, applicant_name="Trần Văn An",
                      channel=Channel.ONLINE, received_at=received, status=Status.PROCESSING,
                      is_open=True, source="test", source_id=str(n), fingerprint="",
                      lookup_secret="ABCD2345", updated_at=received, applicant_phone="0987654321",
                      due_at=received + dt.timedelta(days=3))
        session.add(row)
        session.flush()
        session.add(StatusEvent(dossier_id=row.id, at=received, status=Status.ACCEPTED))


def test_api_answers_match_the_schema_and_never_fail(api_app: Any) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", api_app)
    headers = {"Authorization": f"Bearer {api_app.config['TEST_TOKEN']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, excluded_checks=SEMANTIC)

        try:
            check()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)

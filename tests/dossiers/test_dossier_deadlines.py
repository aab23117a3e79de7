"""Deadline columns stored with dossiers, their explanation and the one apology extension."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.deadlines import ExtensionError
from service.dossiers.derive import (
    deadline_columns,
    deadline_input,
    explain_dossier,
)
from service.dossiers.extension import issue_extension
from service.models import Procedure, SupplementRound
from service.runtime import Runtime
from service.vocabulary import LimitUnit, Outcome, Status
from tests.conftest import local

THREE_DAYS = Procedure(code="1.004873", name="Xác nhận tình trạng hôn nhân",
                       domain_name="Hộ tịch", limit_value=3, limit_unit=LimitUnit.WORKING_DAYS)
NOW = local(2026, 3, 2, 10)


def columns(runtime: Runtime, now: dt.datetime = NOW, rounds: tuple = (), **values: Any
            ) -> dict[str, Any]:
    base = {"received_at": local(2026, 3, 2, 9), "status": Status.PROCESSING}
    base.update(values)
    return deadline_columns(runtime.policy, deadline_input(base, THREE_DAYS, rounds), now)


def test_open_dossier_gets_statutory_due_and_near_on_its_last_working_day(
        runtime: Runtime) -> None:
    got = columns(runtime)
    assert got["statutory_due_at"] == local(2026, 3, 5, 17)
    assert got["due_at"] == local(2026, 3, 5, 17)
    assert got["near_at"] == local(2026, 3, 4, 17)
    assert got["outcome"] is None


def test_source_due_date_is_watched_when_configured(runtime: Runtime) -> None:
    got = columns(runtime, source_due_at=local(2026, 3, 6, 9))
    assert got["due_at"] == local(2026, 3, 6, 9)
    assert got["statutory_due_at"] == local(2026, 3, 5, 17)


def test_waiting_dossier_is_never_near(runtime: Runtime) -> None:
    got = columns(runtime, status=Status.WAITING_SUPPLEMENT)
    assert got["near_at"] is None


def test_completed_supplement_restarts_the_clock(runtime: Runtime) -> None:
    rounds = (SupplementRound(requested_at=local(2026, 3, 3, 9),
                              completed_at=local(2026, 3, 9, 10)),)
    got = columns(runtime, rounds=rounds)
    assert got["statutory_due_at"] == local(2026, 3, 12, 17)


def test_finished_dossier_gets_both_verdicts(runtime: Runtime) -> None:
    got = columns(runtime, status=Status.RESOLVED, finished_at=local(2026, 3, 6, 8))
    assert got["outcome"] is Outcome.LATE and got["portal_outcome"] is Outcome.LATE
    assert got["near_at"] is None


def test_deriver_turns_contradicting_dates_into_a_record_error(runtime: Runtime) -> None:
    from service.ingest import RecordError

    values = {"received_at": local(2026, 3, 2, 9), "status": Status.RESOLVED,
              "finished_at": local(2026, 3, 1, 9)}
    with pytest.raises(RecordError, match=r"ngày kết thúc xử lý \(«Ngày có kết quả» hoặc «Ngày "
                                          r"trả kết quả»\) trước «Ngày tiếp nhận»"):
        runtime.derive(values, THREE_DAYS, (), NOW)


def test_extension_moves_the_watched_date_once(runtime: Runtime, session: Session,
                                              make_dossier: Any) -> None:
    row = make_dossier(received_at=local(2026, 3, 2, 9))
    issue_extension(session, runtime.policy, row, local(2026, 3, 10, 17), "Cần xác minh",
                    "Chủ tịch UBND xã", NOW)
    assert row.due_at == local(2026, 3, 10, 17) and row.extension_signer == "Chủ tịch UBND xã"
    with pytest.raises(ExtensionError, match="second extension"):
        issue_extension(session, runtime.policy, row, local(2026, 3, 12, 17), "x", "y", NOW)


def test_extension_is_refused_for_a_finished_dossier(runtime: Runtime, session: Session,
                                                     make_dossier: Any) -> None:
    row = make_dossier(status=Status.RETURNED, is_open=False)
    with pytest.raises(ExtensionError, match="no longer being handled"):
        issue_extension(session, runtime.policy, row, local(2026, 3, 10, 17), "x", "y", NOW)


def test_explanation_reads_in_vietnamese(runtime: Runtime, session: Session,
                                         make_dossier: Any) -> None:
    row = make_dossier(received_at=local(2026, 2, 13, 9))
    session.refresh(row)
    result, lines = explain_dossier(runtime.policy, row, NOW)
    assert result.legal_due == local(2026, 2, 25, 17)
    assert any("Tết Nguyên Đán" in line for line in lines)

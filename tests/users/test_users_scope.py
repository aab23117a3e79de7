"""Unit scope decided in service.users.scope: whose a quarantined row or a run is, the store
guard of a quarantine fix, and what the audit log keeps and shows of an edit."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.base import RejectedRecord
from service.dossiers.filters import EVERYTHING, Scope
from service.dossiers.views import mask_name
from service.ingest import Ingestor, quarantine
from service.ingest.imports import connector_for
from service.models import (
    Alert,
    AuditLog,
    Base,
    ConnectorRun,
    Dossier,
    QuarantinedRecord,
    Unit,
)
from service.models.alerts import AlertKind
from service.runtime import Runtime
from service.users.audit import DossierEdit, changes_between, shown_changes
from service.users.scope import (
    Connectors,
    StoreGuard,
    alert_condition,
    audit_condition,
    quarantine_condition,
    quarantine_unit,
    run_condition,
)
from service.web.pages.access import mask_number
from tests.builders import ingest, record
from tests.conftest import UNIT_CODE, local, make_settings

UNIT_B = "000.32.27.H26"
NOW = local(2026, 3, 2, 10)
SETTINGS = {
    "units": [{"code": UNIT_CODE, "name": "UBND xã Thanh Miện"}],
    "connectors": {
        "simulator": {"type": "simulator", "unit_code": UNIT_CODE},
        "push": {"type": "webhook", "unit_code": UNIT_CODE},
        "push_b": {"type": "webhook", "unit_code": UNIT_B},
        "excel_b": {"type": "spreadsheet", "unit_code": UNIT_B},
        "opencps": {"type": "opencps"},
    },
}


@pytest.fixture
def pg_or_sqlite(database_url: str) -> Any:
    """A migrated-model runtime on each database, with units A and B."""
    rt = Runtime.from_settings(make_settings(database_url))
    Base.metadata.create_all(rt.engine)
    with rt.sessions.begin() as session:
        session.add_all([Unit(code=UNIT_CODE, name="A"), Unit(code=UNIT_B, name="B")])
    yield rt
    rt.engine.dispose()


def _unit_ids(session: Session, *codes: str) -> frozenset[int]:
    return frozenset(session.scalars(select(Unit.id).where(Unit.code.in_(codes))))


def test_connectors_know_their_unit_and_the_default_spreadsheet_takes_the_first_sheets() -> None:
    known = Connectors.configured(SETTINGS["connectors"], [UNIT_CODE])
    assert known.units == {"simulator": UNIT_CODE, "push": UNIT_CODE, "push_b": UNIT_B,
                           "excel_b": UNIT_B, "spreadsheet": UNIT_B}
    assert known.pushed == frozenset({"push", "push_b"})
    alone = Connectors.configured({}, [UNIT_CODE])
    assert alone.units == {"spreadsheet": UNIT_CODE}


def test_a_quarantined_rows_unit_is_its_records_a_pushed_items_or_its_connectors(
        pg_or_sqlite: Runtime) -> None:
    rows = {
        "record_b": ("simulator", [(record("R-B", NOW, unit_code=UNIT_B), "x")]),
        "pushed_b": ("push", [RejectedRecord({"code": "P", "unit_code": UNIT_B}, "x", "p")]),
        "pushed_plain": ("push_b", [RejectedRecord({"code": "Q"}, "x", "q")]),
        # A spreadsheet's cells are not read for a unit: the connector's own unit counts.
        "sheet": ("excel_b", [RejectedRecord({"_row": 3, "unit_code": UNIT_CODE}, "x", "s")]),
        "unknown": ("opencps", [RejectedRecord({"dossierNo": "H26.1"}, "x", "o")]),
        "unconfigured": ("gone", [RejectedRecord({"code": "G"}, "x", "g")]),
    }
    known = Connectors.configured(SETTINGS["connectors"], [UNIT_CODE])
    with pg_or_sqlite.sessions.begin() as session:
        for connector, items in rows.values():
            quarantine.quarantine(session, connector, None, items, NOW)
        found = dict(session.execute(select(QuarantinedRecord.connector,
                                            quarantine_unit(known))).all())
        assert found == {"simulator": UNIT_B, "push": UNIT_B, "push_b": UNIT_B,
                         "excel_b": UNIT_B, "opencps": None, "gone": None}
        mine = Scope(unit_ids=_unit_ids(session, UNIT_CODE))
        theirs = Scope(unit_ids=_unit_ids(session, UNIT_B))
        listed = {name: sorted(session.scalars(select(QuarantinedRecord.connector).where(
            quarantine_condition(scope, known)))) for name, scope in
            (("a", mine), ("b", theirs), ("admin", EVERYTHING))}
    assert listed == {"a": [], "b": ["excel_b", "push", "push_b", "simulator"],
                      "admin": sorted(c for c, _ in rows.values())}


def test_runs_belong_to_their_connectors_unit(pg_or_sqlite: Runtime) -> None:
    known = Connectors.configured(SETTINGS["connectors"], [UNIT_CODE])
    with pg_or_sqlite.sessions.begin() as session:
        for name in ("simulator", "push_b", "opencps"):
            session.add(ConnectorRun(connector=name, started_at=NOW))
        session.flush()
        scope = Scope(unit_ids=_unit_ids(session, UNIT_B))
        assert session.scalars(select(ConnectorRun.connector).where(
            run_condition(scope, known))).all() == ["push_b"]


@pytest.fixture
def stored(runtime: Runtime) -> Runtime:
    """Dossier A-1 of unit A and B-1 of unit B."""
    ingest(runtime, NOW, record(f"{UNIT_CODE}-1", NOW),
           record(f"{UNIT_B}-1", NOW, unit_code=UNIT_B, unit_name="B"))
    return runtime


def test_the_guard_refuses_a_record_of_another_unit_and_another_units_code(
        stored: Runtime) -> None:
    with stored.sessions() as session:
        scope = Scope(unit_ids=_unit_ids(session, UNIT_CODE))
        guard = StoreGuard(session, scope)
        moved = guard.before(record(f"{UNIT_CODE}-2", NOW, unit_code=UNIT_B))
        assert moved == (f"hồ sơ {UNIT_CODE}-2 thuộc đơn vị {UNIT_B}, không thuộc đơn vị của "
                         "tài khoản này; không lưu thay đổi nào")
        taken = guard.before(record(f"{UNIT_B}-1", NOW))
        assert taken is not None and "không được ghi đè hồ sơ đó" in taken
        assert guard.before(record(f"{UNIT_CODE}-1", NOW)) is None
        assert guard.before(record(f"{UNIT_CODE}-9", NOW)) is None
        assert guard.after(f"{UNIT_B}-1") is not None
        assert guard.after(f"{UNIT_CODE}-1") is None
        # An admin may store anything.
        assert StoreGuard(session, EVERYTHING).before(record(f"{UNIT_B}-1", NOW)) is None


def test_a_retry_the_guard_refuses_raises_and_the_rollback_leaves_the_dossier(
        stored: Runtime) -> None:
    with stored.sessions() as session:
        quarantine.quarantine(session, "simulator", None, [(record(
            f"{UNIT_B}-1", NOW, unit_code=UNIT_CODE, applicant_name="Kẻ Tấn Công",
            source_modified_at=NOW + dt.timedelta(hours=1)), "x")], NOW)
        session.commit()
        item = session.scalar(select(QuarantinedRecord.id))
        guard = StoreGuard(session, Scope(unit_ids=_unit_ids(session, UNIT_CODE)))
        with pytest.raises(quarantine.QuarantineError, match="không được ghi đè"):
            quarantine.retry(session, [item], stored.derive, NOW,
                             connector_for(stored.config), guard)
        session.rollback()
        dossier = session.scalar(select(Dossier).where(Dossier.code == f"{UNIT_B}-1"))
        assert dossier.applicant_name == "Nguyễn Văn Bình" and dossier.unit.code == UNIT_B
        assert session.get_one(QuarantinedRecord, item).state == quarantine.OPEN


def test_an_edit_is_kept_field_by_field_and_shown_masked_to_who_may_not_see_it(
        stored: Runtime) -> None:
    code = f"{UNIT_CODE}-1"
    with stored.sessions() as session:
        edit = DossierEdit(session, code=code)
        ingest(stored, NOW, record(code, NOW, applicant_phone="0911222333",
                                   applicant_name="Nguyễn Thị Lan",
                                   source_modified_at=NOW + dt.timedelta(hours=1)))
        changes = edit.changes()
    assert edit.dossier_id is not None
    assert {c["field"]: (c["old"], c["new"]) for c in changes} == {
        "applicant_name": ("Nguyễn Văn Bình", "Nguyễn Thị Lan"),
        "applicant_phone": ("0912345678", "0911222333")}
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    masked = shown_changes(changes, False, mask_number, mask_name, zone)
    assert [(c["label"], c["old"], c["new"]) for c in masked] == [
        ("Chủ hồ sơ", "Nguyễn V. B.", "Nguyễn T. L."),
        ("Số điện thoại", "•••••••678", "•••••••333")]
    assert shown_changes(changes, True, mask_number, mask_name, zone)[1]["new"] == "0911222333"


def test_changes_name_only_what_differs_and_show_instants_in_office_time() -> None:
    before = {"status": 4, "due_at": "2026-03-05T10:00:00+00:00", "extension_late": False}
    after = {"status": 4, "due_at": "2026-03-10T10:00:00+00:00", "extension_late": True}
    changes = changes_between(before, after)
    assert [c["field"] for c in changes] == ["due_at", "extension_late"]
    shown = shown_changes(changes, True, mask_number, mask_name, ZoneInfo("Asia/Ho_Chi_Minh"))
    assert [(c["old"], c["new"]) for c in shown] == [("05/03/2026 17:00", "10/03/2026 17:00"),
                                                     ("không", "có")]


def test_a_record_naming_another_unit_for_a_stored_code_is_set_aside(stored: Runtime) -> None:
    code = f"{UNIT_B}-1"
    with stored.sessions.begin() as session:
        ingestor = Ingestor(session, "excel_a", stored.derive)
        stats = ingestor.store([record(code, NOW, applicant_name="Kẻ Tấn Công",
                                       source_modified_at=NOW + dt.timedelta(hours=1))], NOW)
        assert stats.rejected == 1
        assert ingestor.rejects[0][1] == (
            f"mã hồ sơ {code} đã là mã của một hồ sơ thuộc đơn vị khác, không phải đơn vị "
            f"{UNIT_CODE} của bản ghi; không ghi đè hồ sơ đó")
    with stored.sessions() as session:
        dossier = session.scalar(select(Dossier).where(Dossier.code == code))
        assert (dossier.applicant_name, dossier.unit.code) == ("Nguyễn Văn Bình", UNIT_B)


def test_alerts_and_audit_entries_follow_their_dossiers_unit(pg_or_sqlite: Runtime) -> None:
    ingest(pg_or_sqlite, NOW, record(f"{UNIT_CODE}-1", NOW),
           record(f"{UNIT_B}-1", NOW, unit_code=UNIT_B, unit_name="B"))
    with pg_or_sqlite.sessions.begin() as session:
        ids = dict(session.execute(select(Dossier.code, Dossier.id)).all())
        for code, dossier_id in ids.items():
            session.add(Alert(dossier_id=dossier_id, kind=AlertKind.NEAR, level=1,
                              recipient=f"email:{code}", recipient_name=code,
                              recipient_role="clerk", due_at=NOW, created_at=NOW,
                              send_after=NOW))
            session.add(AuditLog(at=NOW, username="x", action="resync_requested",
                                 dossier_id=dossier_id, target=code))
        session.add(AuditLog(at=NOW, user_id=None, username="system", action="report_reminder",
                             target="bieu-06"))
        session.flush()
        scope = Scope(unit_ids=_unit_ids(session, UNIT_CODE))
        alerts = session.scalars(select(Alert.recipient_name).where(alert_condition(scope)))
        assert list(alerts) == [f"{UNIT_CODE}-1"]
        entries = session.scalars(select(AuditLog.target).where(audit_condition(scope, None)))
        assert list(entries) == [f"{UNIT_CODE}-1"]
        head = Scope(unit_ids=scope.unit_ids, handler="Công an xã")
        assert session.scalars(select(Alert.id).where(alert_condition(head))).all() == []
        assert session.scalar(select(func.count()).select_from(AuditLog).where(
            audit_condition(EVERYTHING, None))) == 3

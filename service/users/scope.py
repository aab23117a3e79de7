"""What a user or an API token may see and change: unit scope, decided here and nowhere else.

A staff user is linked to units and sees only what belongs to them (an admin sees everything;
a head of a handling body only that body's dossiers). What belongs to a unit:

- a dossier or a complaint: its unit (and, for a head, its handling body);
- an alert: its dossier's or complaint's;
- a quarantined record: the unit code in its record, or in a pushed item, else the unit
  configured for its connector; a row whose unit cannot be told is seen by admins only;
- a connector run: its connector's configured unit (none configured: admins only);
- an audit entry: its dossier's (or its complaint's); an entry about neither is seen by its
  author and admins.

API tokens are issued by an administrator to another system of the commune, not to a person:
they see every unit, and only a token with the admin scope may search by personal data.
Pages and resources build one `Scope` here and filter with the conditions below, so a list,
its export and the page of one object always agree; an object outside the scope answers 404.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from connectors.base import DossierRecord
from service.dossiers.filters import EVERYTHING, Scope
from service.models import (
    Alert,
    ApiToken,
    AuditLog,
    Complaint,
    ConnectorRun,
    Dossier,
    QuarantinedRecord,
    Role,
    Unit,
    User,
)
from service.privacy import for_token
from service.users.accounts import audit
from service.users.audit import DossierEdit

# The name quarantined rows of an import carry when no spreadsheet connector is configured
# (service.ingest.imports reads them with the first spreadsheet connector, else unit 1).
DEFAULT_SPREADSHEET = "spreadsheet"
NOT_YOURS = ("hồ sơ {code} thuộc đơn vị {unit}, không thuộc đơn vị của tài khoản này; "
             "không lưu thay đổi nào")
TAKEN = ("mã hồ sơ {code} là mã của một hồ sơ không thuộc đơn vị của tài khoản này; không "
         "được ghi đè hồ sơ đó, không lưu thay đổi nào")


def user_scope(user: User | None, personal: bool) -> Scope:
    """The dossiers this user may see: their units, and a head only their handling body's.

    `personal`: whether their role may find dossiers by the applicant's phone or ID number.
    """
    if user is None:
        return Scope(unit_ids=frozenset(), personal=False)
    if user.role is Role.ADMIN:
        return EVERYTHING
    handler = user.handler if user.role is Role.HEAD else None
    return Scope(unit_ids=frozenset(u.id for u in user.units), handler=handler,
                 personal=personal)


def token_scope(token: ApiToken) -> Scope:
    """What an API token sees: every unit; search by personal data as service.privacy allows."""
    return Scope(personal=for_token(token).search)


def _codes(scope: Scope) -> Select[tuple[str]]:
    """The scope's unit codes, as a subquery."""
    return select(Unit.code).where(Unit.id.in_(sorted(scope.unit_ids or ())))


def subject_condition(scope: Scope, unit: Any, handler: Any) -> ColumnElement[bool]:
    """SQL: an object with this unit and handling body column lies inside the scope."""
    found: list[ColumnElement[bool]] = []
    if scope.unit_ids is not None:
        found.append(unit.in_(sorted(scope.unit_ids)))
    if scope.handler is not None:
        found.append(handler == scope.handler)
    return and_(true(), *found)


def unit_condition(scope: Scope) -> ColumnElement[bool]:
    """SQL: the Unit is one of the scope's (what a unit chooser offers, a report covers)."""
    return Unit.id.in_(sorted(scope.unit_ids)) if scope.unit_ids is not None else true()


def dossier_condition(scope: Scope) -> ColumnElement[bool]:
    """SQL: the Dossier lies inside the scope."""
    return subject_condition(scope, Dossier.unit_id, Dossier.handler)


def complaint_condition(scope: Scope) -> ColumnElement[bool]:
    """SQL: the Complaint lies inside the scope."""
    return subject_condition(scope, Complaint.unit_id, Complaint.handler)


def alert_condition(scope: Scope) -> ColumnElement[bool]:
    """SQL: the Alert's dossier or complaint lies inside the scope."""
    if scope.unit_ids is None and scope.handler is None:
        return true()
    return or_(Alert.dossier_id.in_(select(Dossier.id).where(dossier_condition(scope))),
               Alert.complaint_id.in_(select(Complaint.id).where(complaint_condition(scope))))


def audit_condition(scope: Scope, user_id: int | None) -> ColumnElement[bool]:
    """SQL: the AuditLog entry is about a dossier inside the scope, or the user's own entry
    about no dossier."""
    if scope.unit_ids is None and scope.handler is None:
        return true()
    own = and_(AuditLog.dossier_id.is_(None), AuditLog.user_id == user_id) \
        if user_id is not None else false()
    complaint = and_(AuditLog.dossier_id.is_(None), AuditLog.target.in_(
        select(Complaint.code).where(complaint_condition(scope))))
    return or_(AuditLog.dossier_id.in_(select(Dossier.id).where(dossier_condition(scope))),
               complaint, own)


@dataclass(frozen=True)
class Connectors:
    """The unit configured for each connector, and which connectors push items that name
    their own unit (webhooks: an item's unit code wins over the configured one)."""

    units: dict[str, str] = field(default_factory=dict)
    pushed: frozenset[str] = frozenset()

    @classmethod
    def configured(cls, configured: Mapping[str, Mapping[str, Any]],
                   unit_codes: Sequence[str]) -> Connectors:
        """Read [connectors.*] unit_code (and the default spreadsheet's, else the first of
        [[units]]); connector options differ per type, so unit_code may be absent."""
        units = {name: options["unit_code"] for name, options in configured.items()
                 if options.get("unit_code")}
        sheets = sorted(name for name, options in configured.items()
                        if options["type"] == "spreadsheet")
        if DEFAULT_SPREADSHEET not in configured:
            first = units.get(sheets[0]) if sheets else next(iter(unit_codes), None)
            if first:
                units[DEFAULT_SPREADSHEET] = first
        pushed = frozenset(name for name, options in configured.items()
                           if options["type"] == "webhook")
        return cls(units, pushed)

    def unit_of(self, connector: Any) -> ColumnElement[Any]:
        """SQL: the unit code configured for the connector named by this column (or NULL)."""
        if not self.units:
            return null()
        return case(self.units, value=connector, else_=null())


def quarantine_unit(connectors: Connectors) -> ColumnElement[Any]:
    """SQL: the unit code of a QuarantinedRecord, NULL when it cannot be told."""
    named = QuarantinedRecord.payload["unit_code"].as_string()
    told = func.coalesce(named, literal("")) != ""
    return case((QuarantinedRecord.kind == "record", named),
                (and_(QuarantinedRecord.connector.in_(sorted(connectors.pushed)), told), named),
                else_=connectors.unit_of(QuarantinedRecord.connector))


def quarantine_condition(scope: Scope, connectors: Connectors) -> ColumnElement[bool]:
    """SQL: the QuarantinedRecord belongs to a unit of the scope (any row for admins)."""
    if scope.unit_ids is None:
        return true()
    return quarantine_unit(connectors).in_(_codes(scope))


def run_condition(scope: Scope, connectors: Connectors) -> ColumnElement[bool]:
    """SQL: the ConnectorRun's connector is configured for a unit of the scope."""
    if scope.unit_ids is None:
        return true()
    return connectors.unit_of(ConnectorRun.connector).in_(_codes(scope))


def connector_allowed(session: Session, scope: Scope, connectors: Connectors,
                      name: str) -> bool:
    """Whether the user may import with (and see the runs of) this connector."""
    if scope.unit_ids is None:
        return True
    unit = connectors.units.get(name)
    return unit is not None and session.scalar(
        select(func.count()).select_from(Unit).where(Unit.code == unit,
                                                     Unit.id.in_(sorted(scope.unit_ids)))) == 1


def quarantined_visible(session: Session, scope: Scope, connectors: Connectors,
                        row: QuarantinedRecord) -> bool:
    """Whether one quarantined row lies inside the scope (by the same SQL as the list)."""
    return session.scalar(select(QuarantinedRecord.id).where(
        QuarantinedRecord.id == row.id, quarantine_condition(scope, connectors))) is not None


class StoreGuard:
    """Checks a record a user stores from the quarantine, before and after it is written.

    Before: the record's unit must be one of the user's, and a dossier already holding its
    code must lie inside the user's scope (a fix must not overwrite another unit's dossier).
    After: the dossier stored must lie inside the scope. Each check returns the refusal, in
    Vietnamese, or None; the caller then rolls back so nothing is stored. The guard also keeps
    what the store changed, for the audit log.
    """

    def __init__(self, session: Session, scope: Scope) -> None:
        self.session, self.scope = session, scope
        self.edit: DossierEdit | None = None
        self.code: str | None = None

    def before(self, record: DossierRecord) -> str | None:
        """Why the record may not be stored by this user, or None."""
        self.code, self.edit = record.code, DossierEdit(self.session, code=record.code)
        if self.scope.unit_ids is not None:
            mine = self.session.scalar(select(func.count()).select_from(Unit).where(
                Unit.code == record.unit_code, Unit.id.in_(sorted(self.scope.unit_ids))))
            if not mine:
                return NOT_YOURS.format(code=record.code, unit=record.unit_code)
        if self.edit.dossier_id is not None and not self._inside(self.edit.dossier_id):
            return TAKEN.format(code=record.code)
        return None

    def after(self, code: str) -> str | None:
        """Why the dossier just stored under `code` may not stay, or None."""
        found = self.session.scalar(select(Dossier.id).where(Dossier.code == code))
        if found is None or not self._inside(found):
            return TAKEN.format(code=code)
        return None

    def changes(self) -> list[dict[str, Any]]:
        """What the store changed in the dossier, field by field."""
        return self.edit.changes(code=self.code) if self.edit else []

    @property
    def dossier_id(self) -> int | None:
        """The dossier stored (known once `changes` was read)."""
        return self.edit.dossier_id if self.edit else None

    def _inside(self, dossier_id: int) -> bool:
        return self.session.scalar(select(Dossier.id).where(
            Dossier.id == dossier_id, dossier_condition(self.scope))) is not None


def audit_quarantine(session: Session, user: Any, action: str, item_id: int,
                     now: Any, guard: StoreGuard | None = None, detail: str | None = None,
                     actor: str | None = None) -> None:
    """Audit a quarantine action, from a page (`user`) or the command line (`actor`): for a
    record stored, the dossier it went to and what changed in it, the item in the detail;
    otherwise the item itself. Flush, no commit."""
    item = f"quarantine #{item_id}"
    changes = guard.changes() if guard is not None else None  # before dossier_id: it finds it
    stored = guard.dossier_id if guard is not None else None
    target = item
    if guard is not None and stored is not None:
        target, detail = guard.code, detail or item
    audit(session, user, action, now, target=target, dossier_id=stored, detail=detail,
          changes=changes, actor=actor)

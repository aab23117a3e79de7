"""Users: argon2 hashes, authentication, unit scoping rules, and the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import AuditLog, Role
from service.users import (
    UserError,
    audit,
    authenticate,
    create_user,
    session_token,
    set_password,
)
from tests.conftest import UNIT_CODE
from tests.pages_support import NOW, PASSWORD, ensure_unit


def test_password_is_stored_as_an_argon2id_hash(session: Session) -> None:
    ensure_unit(session)
    user = create_user(session, "lan", PASSWORD, "clerk", [UNIT_CODE], NOW)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert [u.code for u in user.units] == [UNIT_CODE]


def test_authenticate_accepts_the_right_password_only(session: Session) -> None:
    ensure_unit(session)
    create_user(session, "Lan", PASSWORD, Role.CLERK, [UNIT_CODE], NOW)
    assert authenticate(session, "lan", PASSWORD, NOW).last_login_at == NOW
    assert authenticate(session, "lan", "sai-mật-khẩu", NOW) is None
    assert authenticate(session, "không-có", PASSWORD, NOW) is None


def test_a_disabled_user_cannot_sign_in(session: Session) -> None:
    ensure_unit(session)
    user = create_user(session, "lan", PASSWORD, "clerk", [UNIT_CODE], NOW)
    user.active = False
    assert authenticate(session, "lan", PASSWORD, NOW) is None


@pytest.mark.parametrize(("args", "message"), [
    (("lan", "ngắn", "clerk", [UNIT_CODE]), "at least 8"),
    (("lan", PASSWORD, "clerk", []), "at least one unit"),
    (("lan", PASSWORD, "clerk", ["000.00.00.H99"]), "unknown unit 000.00.00.H99"),
    (("lan", PASSWORD, "head", [UNIT_CODE]), "handling body"),
    (("", PASSWORD, "clerk", [UNIT_CODE]), "username"),
])
def test_bad_users_are_refused_with_a_reason(session: Session, args: tuple, message: str) -> None:
    ensure_unit(session)
    with pytest.raises(UserError, match=message):
        create_user(session, *args, NOW)


def test_usernames_are_unique_whatever_the_case(session: Session) -> None:
    ensure_unit(session)
    create_user(session, "lan", PASSWORD, "clerk", [UNIT_CODE], NOW)
    with pytest.raises(UserError, match="already exists"):
        create_user(session, "LAN", PASSWORD, "clerk", [UNIT_CODE], NOW)


def test_a_new_password_changes_the_session_token(session: Session) -> None:
    ensure_unit(session)
    user = create_user(session, "lan", PASSWORD, "clerk", [UNIT_CODE], NOW)
    before = session_token(user)
    set_password(user, "một-mật-khẩu-mới")
    assert session_token(user) != before


def test_audit_records_who_did_what_to_which_dossier(session: Session, make_dossier) -> None:
    dossier = make_dossier()
    user = create_user(session, "lan", PASSWORD, "clerk", [UNIT_CODE], NOW)
    audit(session, user, "extension_issued", NOW, dossier=dossier, detail="new due")
    session.commit()
    entry = session.scalar(select(AuditLog))
    assert (entry.username, entry.action, entry.dossier_id, entry.target) == (
        "lan", "extension_issued", dossier.id, dossier.code)

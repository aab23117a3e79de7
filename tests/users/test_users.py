"""Users: argon2 hashes, authentication, unit scoping rules, and the audit log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from service.cli import cli
from service.cli.context import load_settings
from service.models import AuditLog, Base, Role
from service.users.accounts import (
    UserError,
    audit,
    authenticate,
    create_user,
    password_hasher,
    set_password,
)
from service.web import create_app
from tests.conftest import UNIT_CODE
from tests.pages_support import NOW, PASSWORD, ensure_unit, login

FAST = password_hasher(time_cost=1, memory_kib=1024)


def test_password_is_stored_as_an_argon2id_hash(session: Session) -> None:
    ensure_unit(session)
    user = create_user(session, "lan", PASSWORD, "clerk", [UNIT_CODE], NOW)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert [u.code for u in user.units] == [UNIT_CODE]


def test_authenticate_accepts_the_right_password_only(session: Session) -> None:
    ensure_unit(session)
    create_user(session, "Lan", PASSWORD, Role.CLERK, [UNIT_CODE], NOW, hasher=FAST)
    assert authenticate(session, "lan", PASSWORD, NOW, FAST).last_login_at == NOW
    assert authenticate(session, "lan", "sai-mật-khẩu", NOW, FAST) is None
    assert authenticate(session, "không-có", PASSWORD, NOW, FAST) is None


def test_a_weaker_hash_is_upgraded_at_sign_in(session: Session) -> None:
    ensure_unit(session)
    user = create_user(session, "lan", PASSWORD, "clerk", [UNIT_CODE], NOW, hasher=FAST)
    assert "m=1024" in user.password_hash
    authenticate(session, "lan", PASSWORD, NOW, password_hasher())
    assert "m=65536" in user.password_hash


def test_a_disabled_user_cannot_sign_in(session: Session) -> None:
    ensure_unit(session)
    user = create_user(session, "lan", PASSWORD, "clerk", [UNIT_CODE], NOW, hasher=FAST)
    user.active = False
    assert authenticate(session, "lan", PASSWORD, NOW, FAST) is None


@pytest.mark.parametrize(("args", "message"), [
    (("lan", "ngắn", "clerk", [UNIT_CODE]), "at least 10"),
    (("lan", "12345678910", "clerk", [UNIT_CODE]), "most common"),
    (("lan", "Lan-2026-Thanh", "clerk", [UNIT_CODE]), "user name"),
    (("lan", PASSWORD, "clerk", []), "at least one unit"),
    (("lan", PASSWORD, "clerk", ["000.00.00.H99"]), "unknown unit 000.00.00.H99"),
    (("lan", PASSWORD, "head", [UNIT_CODE]), "handling body"),
    (("", PASSWORD, "clerk", [UNIT_CODE]), "username"),
])
def test_bad_users_are_refused_with_a_reason(session: Session, args: tuple, message: str) -> None:
    ensure_unit(session)
    with pytest.raises(UserError, match=message):
        create_user(session, *args, NOW, hasher=FAST)


def test_usernames_are_unique_whatever_the_case(session: Session) -> None:
    ensure_unit(session)
    create_user(session, "lan", PASSWORD, "clerk", [UNIT_CODE], NOW, hasher=FAST)
    with pytest.raises(UserError, match="already exists"):
        create_user(session, "LAN", PASSWORD, "clerk", [UNIT_CODE], NOW, hasher=FAST)


def test_a_new_password_ends_the_sessions_and_lifts_a_lockout(session: Session) -> None:
    ensure_unit(session)
    user = create_user(session, "lan", PASSWORD, "clerk", [UNIT_CODE], NOW, hasher=FAST)
    user.failed_logins, user.locked_until = 7, NOW + dt.timedelta(minutes=8)
    set_password(user, "một-mật-khẩu-mới", FAST)
    assert (user.session_epoch, user.failed_logins, user.locked_until) == (1, 0, None)
    with pytest.raises(UserError, match="at least 10"):
        set_password(user, "ngắn-quá", FAST)
    assert authenticate(session, "lan", "một-mật-khẩu-mới", NOW, FAST) is user


def test_audit_records_who_did_what_to_which_dossier(session: Session, make_dossier) -> None:
    dossier = make_dossier()
    user = create_user(session, "lan", PASSWORD, "clerk", [UNIT_CODE], NOW, hasher=FAST)
    audit(session, user, "extension_issued", NOW, dossier=dossier, detail="new due")
    session.commit()
    entry = session.scalar(select(AuditLog))
    assert (entry.username, entry.action, entry.dossier_id, entry.target) == (
        "lan", "extension_issued", dossier.id, dossier.code)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """A configuration on a SQLite file holding every table and the configured unit."""
    database = tmp_path / "users.db"
    engine = create_engine(f"sqlite:///{database}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        ensure_unit(session)
        session.commit()
    engine.dispose()
    path = tmp_path / "config.toml"
    path.write_text(f'database_url = "sqlite:///{database}"\n'
                    "[web]\npassword_time_cost = 1\npassword_memory_kib = 1024\n",
                    encoding="utf-8")
    return path


def tthc(config: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], input=input)


def test_user_add_prompts_for_the_password_twice(config_file: Path) -> None:
    done = tthc(config_file, "user", "add", "lan", "--role", "clerk", "--unit", UNIT_CODE,
                input=f"{PASSWORD}\n{PASSWORD}\n")
    assert done.exit_code == 0, done.output
    assert "User 'lan' (clerk) created for 000.32.26.H26." in done.output
    assert PASSWORD not in done.output
    listed = tthc(config_file, "user", "list")
    assert listed.output.strip() == f"lan\tclerk\t{UNIT_CODE}\t\tactive"
    client = create_app(load_settings(config_file, environ={})).test_client()
    assert login(client, "lan").status_code == 302


def test_user_add_refuses_an_unknown_unit_with_a_hint(config_file: Path) -> None:
    done = tthc(config_file, "user", "add", "lan", "--role", "clerk", "--unit", "000.00.00.H99",
                input=f"{PASSWORD}\n{PASSWORD}\n")
    assert done.exit_code == 1
    assert "unknown unit 000.00.00.H99" in done.output and "db upgrade" in done.output


def test_user_password_and_disable(config_file: Path) -> None:
    tthc(config_file, "user", "add", "root", "--role", "admin",
         input=f"{PASSWORD}\n{PASSWORD}\n")
    new = "mùa-thu-Hà-Nội-2026"  # "mật-khẩu-mới-123" is "matkhaumoi123", a common one
    assert tthc(config_file, "user", "password", "root", input=f"{new}\n{new}\n").exit_code == 0
    client = create_app(load_settings(config_file, environ={})).test_client()
    assert login(client, "root", new).status_code == 302
    assert tthc(config_file, "user", "disable", "root").exit_code == 0
    assert "disabled" in tthc(config_file, "user", "list").output
    assert tthc(config_file, "user", "disable", "nobody").exit_code == 1


@pytest.mark.parametrize(("name", "weak", "reason"), [
    ("lan", "Mật khẩu 123", "one of the most common passwords"),
    ("lan", "lan-12345678", "must not be or contain the user name"),
    ("lan", "12345678", "at least 10 characters"),
])
def test_user_add_and_password_refuse_a_weak_password_without_echoing_it(
        config_file: Path, name: str, weak: str, reason: str) -> None:
    added = tthc(config_file, "user", "add", name, "--role", "clerk", "--unit", UNIT_CODE,
                 input=f"{weak}\n{weak}\n")
    assert added.exit_code == 1 and reason in added.output
    assert weak not in added.output
    assert tthc(config_file, "user", "list").output.strip() == "No users."
    tthc(config_file, "user", "add", name, "--role", "clerk", "--unit", UNIT_CODE,
         input=f"{PASSWORD}\n{PASSWORD}\n")
    changed = tthc(config_file, "user", "password", name, input=f"{weak}\n{weak}\n")
    assert changed.exit_code == 1 and reason in changed.output and weak not in changed.output


def test_user_list_shows_a_lockout_and_unlock_lifts_it(config_file: Path) -> None:
    tthc(config_file, "user", "add", "lan", "--role", "clerk", "--unit", UNIT_CODE,
         input=f"{PASSWORD}\n{PASSWORD}\n")
    app = create_app(load_settings(config_file, environ={}))
    client = app.test_client()
    for _ in range(5):
        assert login(client, "lan", "sai-mật-khẩu").status_code == 401
    assert login(client, "lan").status_code == 401
    assert "\tlocked until " in tthc(config_file, "user", "list").output
    done = tthc(config_file, "user", "unlock", "LAN")
    assert done.exit_code == 0 and "User 'LAN' unlocked." in done.output
    assert tthc(config_file, "user", "list").output.strip().endswith("\tactive")
    assert login(client, "lan").status_code == 302
    assert tthc(config_file, "user", "unlock", "nobody").exit_code == 1

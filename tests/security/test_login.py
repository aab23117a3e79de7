"""Attacks on staff sign-in against the running server: where `next` may send a browser, what
a copied session cookie is worth after sign-out, guessing one account's password from many
addresses, weak new passwords, and form tokens captured long ago."""

from __future__ import annotations

import re
import time
import urllib.parse
from collections.abc import Callable

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from service.runtime import Runtime
from service.users.accounts import create_user, password_hasher
from tests.processes import run_cli
from tests.security.conftest import (
    PASSWORD,
    SEEDED_AT,
    TOKEN_RE,
    Answer,
    Browser,
    Stand,
    default_seed,
)

DEFAULT_PAGE = "/tong-quan"
NEW_PASSWORD = "Một-mật-khẩu-mới-2027"
# Accounts of their own for the attacks that change an account's state (module-wide server).
OWN_USERS = ("dangxuat_a", "doimk_a", "khoa_a", "mokhoa_a", "chinhsach_a", "hethan_a")
# `next` values that must never send the browser anywhere but the default page.
OFF_SITE = [
    "//evil.example/",
    "///evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example/",
    " //evil.example/",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%5Cevil.example",
    "/%252F/evil.example",
    "/\x00/evil.example",
    "/\u2028/evil.example",
]


@pytest.fixture(scope="module")
def stand_seed() -> Callable[[Session, Runtime, dict[str, str]], None]:
    def seed(session: Session, runtime: Runtime, tokens: dict[str, str]) -> None:
        default_seed(session, runtime, tokens)
        for username in OWN_USERS:
            create_user(session, username, PASSWORD, "viewer", ["000.32.26.H26"], SEEDED_AT,
                        hasher=password_hasher(time_cost=1, memory_kib=1024))

    return seed


def lands_off_site(location: str, base: str) -> bool:
    """Whether a browser following `location` from `base` leaves the site (as WHATWG URL
    parsing does: tabs and newlines dropped, backslashes read as slashes)."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("\x00 ").replace("\\", "/")
    target = urllib.parse.urlsplit(urllib.parse.urljoin(base + "/", cleaned))
    return (target.scheme, target.netloc) != tuple(urllib.parse.urlsplit(base)[:2])


def sign_in_from(stand: Stand, source: str, username: str, password: str = PASSWORD,
                 **extra: str) -> tuple[Browser, Answer]:
    client = stand.browser(source)
    token = client.csrf("/dang-nhap")
    answer = client.post("/dang-nhap", {"username": username, "password": password,
                                        "csrf_token": token, **extra})
    return client, answer


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_after_the_login_form_never_leaves_the_site(stand: Stand, target: str) -> None:
    source = f"127.0.1.{OFF_SITE.index(target) + 1}"
    _, answer = sign_in_from(stand, source, "xem_a", next=target)
    assert answer.status in (302, 303), answer.text
    location = answer.header("Location") or ""
    assert not lands_off_site(location, stand.url), location
    assert location == DEFAULT_PAGE


def test_next_of_a_signed_in_visit_never_leaves_the_site(stand: Stand) -> None:
    client = stand.signed_in("xem_a", source="127.0.1.100")
    for target in OFF_SITE:
        answer = client.get(f"/dang-nhap?next={urllib.parse.quote(target, safe='')}")
        assert answer.status == 302, (target, answer.status)
        assert answer.header("Location") == DEFAULT_PAGE, target
    for raw in ("/dang-nhap?next=/%0a/x", "/dang-nhap?next=/%09/evil.example/",
                "/dang-nhap?next=%5C%5Cevil.example"):
        answer = client.get(raw)
        assert (answer.status, answer.header("Location")) == (302, DEFAULT_PAGE), raw


def test_a_page_of_this_site_is_still_followed(stand: Stand) -> None:
    wanted = "/ho-so?q=Nguy%E1%BB%85n&trang=2"
    _, answer = sign_in_from(stand, "127.0.1.101", "xem_a", next=wanted)
    assert answer.header("Location") == wanted
    page = stand.browser("127.0.1.102").get(f"/dang-nhap?next={urllib.parse.quote(wanted)}")
    assert 'name="next" value="/ho-so?q=Nguy%E1%BB%85n&amp;trang=2"' in page.text


def test_a_cookie_copied_before_sign_out_is_refused_after_it(stand: Stand) -> None:
    owner = stand.signed_in("dangxuat_a", source="127.0.3.1")
    elsewhere = stand.signed_in("dangxuat_a", source="127.0.3.2")
    thief = stand.browser("127.0.3.3")
    thief.cookies = dict(owner.cookies)
    assert thief.get(DEFAULT_PAGE).status == 200  # the copy works while its owner is signed in
    assert owner.post("/dang-xuat", {"csrf_token": owner.csrf(DEFAULT_PAGE)}).status == 302
    refused = thief.get(DEFAULT_PAGE)
    assert refused.status == 302 and refused.header("Location").startswith("/dang-nhap")
    # Signing out ends every session of the account, on every device.
    assert elsewhere.get(DEFAULT_PAGE).status == 302
    again = stand.signed_in("dangxuat_a", source="127.0.3.4")
    assert again.get(DEFAULT_PAGE).status == 200


def change_password(client: Browser, new: str, current: str = PASSWORD) -> Answer:
    return client.post("/doi-mat-khau", {"csrf_token": client.csrf("/doi-mat-khau"),
                                         "current": current, "new": new, "confirm": new})


def test_a_password_change_ends_the_other_sessions(stand: Stand) -> None:
    changer = stand.signed_in("doimk_a", source="127.0.4.1")
    other = stand.signed_in("doimk_a", source="127.0.4.2")
    copied = stand.browser("127.0.4.3")
    copied.cookies = dict(changer.cookies)
    assert change_password(changer, NEW_PASSWORD).status == 302
    assert changer.get(DEFAULT_PAGE).status == 200
    assert other.get(DEFAULT_PAGE).status == 302
    assert copied.get(DEFAULT_PAGE).status == 302


@pytest.mark.parametrize(("new", "says"), [
    ("12345678", "ít nhất 10 ký tự"),
    ("1234567890", "quá phổ biến"),
    ("Mat khau 123", "quá phổ biến"),
    ("chinhsach_a", "tên đăng nhập"),
    ("CHINHSACH_A-2026", "tên đăng nhập"),
    ("aaaaabbbbbaaaaa", "ký tự khác nhau"),
])
def test_weak_new_passwords_are_refused_on_the_change_page(stand: Stand, new: str,
                                                           says: str) -> None:
    client = stand.signed_in("chinhsach_a", source="127.0.5.1")
    refused = change_password(client, new)
    assert refused.status == 400 and says in refused.text, refused.text
    assert f'value="{new}"' not in refused.text  # the refused password is not sent back
    assert client.get(DEFAULT_PAGE).status == 200  # still signed in, password unchanged
    _, fresh = sign_in_from(stand, "127.0.5.2", "chinhsach_a")
    assert fresh.status == 302


def refusal(answer: Answer) -> tuple[int, str]:
    """An answer to a sign-in, without the form token that differs on every page."""
    return answer.status, TOKEN_RE.sub("", answer.text)


def test_one_account_locks_after_five_failures_from_any_addresses(stand: Stand) -> None:
    for number in range(1, 6):
        _, answer = sign_in_from(stand, f"127.0.6.{number}", "khoa_a", "sai-mật-khẩu-số-" * 2)
        assert answer.status == 401
    _, locked = sign_in_from(stand, "127.0.6.10", "khoa_a")
    _, unknown = sign_in_from(stand, "127.0.6.11", "khong_co_ai")
    _, wrong = sign_in_from(stand, "127.0.6.12", "canbo_b", "sai-mật-khẩu-hẳn-hoi")
    assert refusal(locked) == refusal(unknown) == refusal(wrong)
    assert locked.status == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in locked.text


def test_an_admin_unlocks_an_account_from_the_command_line(stand: Stand) -> None:
    for number in range(1, 6):
        sign_in_from(stand, f"127.0.7.{number}", "mokhoa_a", "sai-mật-khẩu-số-" * 2)
    assert sign_in_from(stand, "127.0.7.10", "mokhoa_a")[1].status == 401
    done = run_cli(["user", "unlock", "mokhoa_a"], stand.env)
    assert done.returncode == 0, done.stderr
    assert "unlocked" in done.stdout
    assert sign_in_from(stand, "127.0.7.11", "mokhoa_a")[1].status == 302


class Aged(TimestampSigner):
    """Signs as if it were `age` seconds ago (a token captured then, replayed now)."""

    age = 0

    def get_timestamp(self) -> int:
        return int(time.time()) - self.age


def aged_token(stand: Stand, client: Browser, age: int) -> str:
    """A form token for the client's session, signed `age` seconds ago with the site's key."""
    key = stand.runtime.settings["secret_key"]
    app = Flask(__name__)
    app.secret_key = key
    raw = SecureCookieSessionInterface().get_signing_serializer(app).loads(
        client.cookies["session"])["csrf_token"]
    signer = type("Signer", (Aged,), {"age": age})
    return URLSafeTimedSerializer(key, salt="wtf-csrf-token", signer=signer).dumps(raw)


def test_a_form_token_past_the_session_length_is_refused_with_a_reload_hint(
        stand: Stand) -> None:
    client = stand.browser("127.0.8.1")
    client.csrf("/dang-nhap")
    hours = stand.runtime.settings["web"]["session_hours"]
    old = client.post("/dang-nhap", {"username": "hethan_a", "password": PASSWORD,
                                     "csrf_token": aged_token(stand, client, hours * 3600 + 60)})
    assert old.status == 400
    assert "tải lại trang" in old.text and "hết hạn" in old.text
    recent = client.post("/dang-nhap", {"username": "hethan_a", "password": PASSWORD,
                                        "csrf_token": aged_token(stand, client, 60)})
    assert recent.status == 302

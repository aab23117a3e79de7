"""Which proxy the app believes: [security] trusted_proxy and proxy_hops, and the middleware."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from service.cli.context import load_settings
from service.config import ConfigError
from service.web.proxy import TrustedProxy


def seen(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """A WSGI app that answers with what it was told of the client."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    forwarded = sorted(key for key in environ if "FORWARDED" in key)
    text = (f"{environ['REMOTE_ADDR']} {environ['wsgi.url_scheme']} {environ.get('HTTP_HOST')}"
            f" {','.join(forwarded) or '-'}")
    return [text.encode()]


def ask(proxy: str, hops: int, peer: str, headers: dict[str, str]) -> tuple[int, str]:
    client = Client(TrustedProxy(seen, proxy, hops))
    answer = client.get("/", headers=headers, environ_base={"REMOTE_ADDR": peer})
    return answer.status_code, answer.get_data(as_text=True)


NGINX = {"X-Forwarded-For": "10.0.0.1, 198.51.100.7", "X-Forwarded-Proto": "https",
         "X-Forwarded-Host": "dichvucong.example", "Forwarded": "for=10.0.0.1"}


def test_the_proxy_gives_the_client_address_scheme_and_host() -> None:
    assert ask("127.0.0.1/32", 1, "127.0.0.1", NGINX) == (
        200, "198.51.100.7 https dichvucong.example -")


def test_any_other_peer_has_the_forwarding_headers_removed() -> None:
    assert ask("127.0.0.1/32", 1, "127.0.0.2", NGINX) == (200, "127.0.0.2 http localhost -")
    assert ask("", 0, "127.0.0.1", NGINX) == (200, "127.0.0.1 http localhost -")


def test_two_hops_take_the_second_entry_from_the_right() -> None:
    headers = {"X-Forwarded-For": "6.6.6.6, 203.0.113.5, 10.0.0.9"}
    assert ask("10.0.0.0/24", 2, "10.0.0.3", headers)[1].startswith("203.0.113.5 ")


def test_fewer_entries_than_hops_take_the_farthest_not_the_proxy() -> None:
    # A client that skipped the outer proxy must not keep the inner proxy's own address.
    assert ask("127.0.0.1/32", 2, "127.0.0.1", {"X-Forwarded-For": "203.0.113.5"})[1] \
        .startswith("203.0.113.5 ")


def test_a_forwarded_value_that_is_no_address_is_refused() -> None:
    status, _ = ask("127.0.0.1/32", 1, "127.0.0.1", {"X-Forwarded-For": "1.2.3.4, unknown"})
    assert status == 400


def test_an_ipv4_peer_of_a_dual_stack_socket_is_recognised() -> None:
    headers = {"X-Forwarded-For": "203.0.113.5"}
    assert ask("127.0.0.1/32", 1, "::ffff:127.0.0.1", headers)[1].startswith("203.0.113.5 ")


def settings_with(tmp_path: Path, security: str) -> dict[str, Any]:
    path = tmp_path / "config.toml"
    path.write_text(f"[security]\n{security}\n", encoding="utf-8")
    return load_settings(path, environ={})


def test_trusted_proxy_is_stored_as_a_network(tmp_path: Path) -> None:
    loaded = settings_with(tmp_path, 'trusted_proxy = "127.0.0.1"\nproxy_hops = 1')
    assert loaded["security"]["trusted_proxy"] == "127.0.0.1/32"


@pytest.mark.parametrize(("security", "named"), [
    ("proxy_hops = 1", r"key 'security\.proxy_hops' \(got 1\): set \[security\] trusted_proxy"),
    ('trusted_proxy = "127.0.0.1"', r"key 'security\.trusted_proxy'.*proxy_hops"),
    ('trusted_proxy = "nginx.local"\nproxy_hops = 1',
     r"key 'security\.trusted_proxy' \(got 'nginx\.local'\): expected the proxy's IP address"),
])
def test_proxy_keys_are_set_together_and_validated(tmp_path: Path, security: str,
                                                   named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        settings_with(tmp_path, security)

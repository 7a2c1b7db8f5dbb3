"""Which website addresses strangers can reach (Meta fetching a picture, a reader following a link)."""

from __future__ import annotations

import pytest

from sopkit.channels.addresses import address_problem, is_public_url


@pytest.mark.parametrize(("url", "problem"), [
    ("https://dishub.kalbarprov.go.id/", None),
    ("http://dishub.kalbarprov.go.id/berita/x/a.jpg", None),
    ("https://203.0.113.7/", "private_ip"),  # TEST-NET-3: documentation only, not routed
    ("https://8.8.8.8/", None),
    ("http://127.0.0.1:8080/", "loopback"),  # the desk's default: right for `make run`, wrong for Meta
    ("http://[::1]/", "loopback"),
    ("http://localhost:8080/", "private_name"),
    ("http://10.20.30.40/", "private_ip"),
    ("http://192.168.1.5/", "private_ip"),
    ("http://172.16.0.9/", "private_ip"),
    ("http://169.254.1.1/", "private_ip"),
    ("http://100.64.0.1/", "private_ip"),  # carrier-grade NAT
    ("http://[fd00::1]/", "private_ip"),
    ("http://intranet/", "private_name"),
    ("http://server.local/", "private_name"),
    ("http://dishub.lan/", "private_name"),
    ("https://dishub.example/", "private_name"),  # RFC 2606 names never resolve on the internet
    ("http://web.internal/", "private_name"),
    ("ftp://dishub.kalbarprov.go.id/", "not_web"),
    ("dishub.kalbarprov.go.id", "not_web"),
    ("", "not_web"),
])
def test_address_problem(url: str, problem: str | None) -> None:
    assert address_problem(url) == problem
    assert is_public_url(url) is (problem is None)

"""People are shown by name, not by e-mail address (issue 13 item 4): every page each role may open, over items
at every step (held, returned, scheduled, published) and the compliance page's people, shows no e-mail address
in anything a person reads — text, tables, chart data, option labels, tab and expander labels. Allowed: the admin's
Users tab (where addresses are edited) and the person's own address where their notifications go."""

from __future__ import annotations

import re

import pytest
from desk_helpers import email_for, open_page

from sopkit.i18n import t
from sopkit.permissions import PAGE_ROLES

EMAIL = re.compile(rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]*[A-Za-z]")
ROLES = ("officer", "creator", "supervisor", "administrator", "publisher", "manager", "admin")


def pages_of(role: str) -> list[str]:
    return [p for p, roles in PAGE_ROLES.items() if roles is None or role in roles]


def shown(node, skip: set[str]):  # type: ignore[no-untyped-def]
    """Every element under ``node`` (the tabs labelled in ``skip`` left out), as its message bytes: what the
    browser gets to draw (a dataframe's cells and a chart's data are Arrow bytes, where an address stays
    readable)."""
    label = getattr(node, "label", None)
    if getattr(node, "type", "") == "tab" and label in skip:
        return
    proto = getattr(node, "proto", None)
    if proto is not None and hasattr(proto, "SerializeToString"):
        yield node, proto.SerializeToString()
    children = getattr(node, "children", None) or {}
    for child in children.values():
        yield from shown(child, skip)


def addresses(at, role: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    skip = {t("admin.users")} if role == "admin" else set()
    own = t("notifypage.email_to", email=email_for(role)).encode()
    found = []
    for root in (at.main, at.sidebar):
        for node, data in shown(root, skip):
            for m in EMAIL.finditer(data.replace(own, b"")):
                found.append((getattr(node, "type", type(node).__name__), m.group().decode()))
    return found


@pytest.fixture
def busy(env):  # type: ignore[no-untyped-def]
    """Items held at every step, one sent back to its creator, one scheduled and due, one published."""
    from desk_helpers import session_now

    items = [env.advance(s, title=f"Konten langkah {s}") for s in (1, 2, 3, 4, 5, 6)]
    d = env.desk()
    u = env.user
    back = env.advance(3, title="Dikembalikan ke pembuat")
    back = d.take(u(email_for("supervisor")), back)
    d.reject(u(email_for("supervisor")), back, "Perbaiki judul.")
    held = d.take(u(email_for("creator")), items[1])  # the creator holds step 2 of this one
    done = env.advance(6, title="Sudah tayang", channels=("site",))
    pub = u(email_for("publisher"))
    done = d.take(pub, done)
    done = d.record_channel(pub, done, "site", {"status": "published", "url": "http://127.0.0.1/berita/1"})
    items.append(done)
    assert done.status == "published", done.status
    assert held.creator == email_for("creator") and session_now()
    return items


@pytest.mark.parametrize("role", ROLES)
def test_no_page_shows_an_email_address(app, env, busy, role: str) -> None:
    found = {}
    for page in pages_of(role):
        at = open_page(app(email_for(role)), page)
        if page == "item":  # an item with a full history: its holders, timeline and attempts
            at.query_params["id"] = busy[-1].id
            at.run()
            assert not at.exception, at.exception
        hits = addresses(at, role)
        if hits:
            found[page] = hits
    assert not found, found


def test_the_check_finds_an_address_when_one_is_shown(app, env, busy) -> None:
    """The walker reads tables and captions: an address the page did print is found (the test can fail)."""
    env.store.save_user(env.user(email_for("creator")).__class__(email_for("creator"), "", ("creator",)))
    at = open_page(app(email_for("manager")), "compliance")  # a person without a name: the address is all we have
    assert any(a == email_for("creator") for _, a in addresses(at, "manager"))

"""Sessions in the desk (AppTest): the sign-in form leaves a stored session and a cookie write; a new browser
session (refresh, new tab) comes back signed in from the cookie on the same URL; a link opened signed out lands
where it pointed after signing in; a sign-out or an account change in another tab or process ends the session on
the next click. (The cookie itself travels in a real browser in ``tests/e2e/test_sessions_browser.py``; AppTest
has no browser, so the cookie the browser would send is handed to ``pages._ui.cookie.incoming``.)"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest
from conftest import PASSWORD
from desk_helpers import ROOT, email_for, errors, open_page

from pages._ui import cookie, session
from pages._ui.nav import PAGE_FILES
from sopkit import sessions
from sopkit.i18n import t


def sign_in_with_form(at, email: str) -> None:  # type: ignore[no-untyped-def]
    at.text_input(key="w_login_email").input(email)
    at.text_input(key="w_login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception


def queued_cookie(at) -> str:  # type: ignore[no-untyped-def]
    """The session token the desk asked the browser to keep (``pages._ui.cookie``)."""
    writes = [w for w in at.session_state[cookie.PENDING_KEY] if w[1] == "set" and w[2] == sessions.COOKIE]
    assert len(writes) == 1, writes
    return str(writes[0][3])


@pytest.fixture
def browser_cookie(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """What the browser sends when a session opens: set a value, then start a new AppTest (a refresh)."""
    jar: dict[str, str] = {}
    monkeypatch.setattr(cookie, "incoming", lambda name: jar.get(name))
    return jar


def test_sign_in_stores_a_session_and_asks_the_browser_to_keep_its_token(app, env, browser_cookie) -> None:
    at = app()
    at.run()
    sign_in_with_form(at, email_for("officer"))
    assert [x.value for x in at.title] == [t("page.home")]
    sid = at.session_state[session.AUTH_KEY]
    record = env.store.get_session(sid)
    assert record is not None and record.email == email_for("officer") and not record.revoked_at
    token = queued_cookie(at)
    assert sessions.session_id(token, identity_config()) == sid
    assert email_for("officer") not in token  # the cookie carries no identity, only a signed random id


def identity_config() -> sessions.SessionConfig:
    from pages._ui import identity

    return identity.config()


def test_refresh_and_new_tab_come_back_signed_in_on_the_same_item(app, env, browser_cookie) -> None:
    item = env.advance(3)
    first = app()
    first.run()
    sign_in_with_form(first, email_for("supervisor"))
    browser_cookie[sessions.COOKIE] = queued_cookie(first)
    for _ in range(2):  # F5, then the URL pasted into a new tab of the same browser
        again = app(page=PAGE_FILES["item"])
        again.query_params["id"] = item.id
        again.run()
        assert not again.exception
        assert [x.value for x in again.title] == [t("page.item")]
        assert item.title in [m.value.replace("\\", "") for m in again.markdown][0]
        assert again.session_state[session.AUTH_KEY] == first.session_state[session.AUTH_KEY]


def test_link_opened_signed_out_lands_on_its_item_after_sign_in(app, env, browser_cookie) -> None:
    item = env.advance(2)
    at = app(page=PAGE_FILES["item"])
    at.query_params["id"] = item.id
    at.run()
    assert [x.value for x in at.title] == [t("signin.title")]
    assert t("signin.then", page=t("page.item")) in [c.value for c in at.caption]
    sign_in_with_form(at, email_for("creator"))
    assert [x.value for x in at.title] == [t("page.item")]
    assert at.query_params["id"] == [item.id] or at.query_params["id"] == item.id


def test_sign_out_in_one_tab_signs_the_other_out_on_its_next_click(app, env, browser_cookie) -> None:
    item = env.advance(3)
    tab_a = app()
    tab_a.run()
    sign_in_with_form(tab_a, email_for("supervisor"))
    browser_cookie[sessions.COOKIE] = queued_cookie(tab_a)
    tab_b = open_page(app(), "supervisor")  # opened from the cookie: same stored session
    assert [x.value for x in tab_b.title][:1] == [t("page.supervisor")]
    tab_a.button(key="w_sign_out").click().run()
    assert [x.value for x in tab_a.title] == [t("signin.title")]
    assert any(w[1] == "delete" and w[2] == sessions.COOKIE for w in tab_a.session_state[cookie.PENDING_KEY])
    assert env.store.get_session(tab_b.session_state[session.AUTH_KEY]).revoked_at  # type: ignore[union-attr]
    tab_b.button(key=f"w_take_{item.id}").click().run()  # the other tab's next action
    assert not tab_b.exception
    assert [x.value for x in tab_b.title] == [t("signin.title")]
    assert t("session.signed_out") in errors(tab_b)
    assert env.item(item.id).verifier == ""  # and the click did nothing
    # the browser still sends the old cookie on a refresh: refused, and the desk asks to delete it
    refreshed = app()
    refreshed.run()
    assert [x.value for x in refreshed.title] == [t("signin.title")]
    assert t("session.signed_out") in errors(refreshed)


def test_deactivation_by_another_process_refuses_the_next_click(app, env) -> None:
    """The Users row changes in another process (the CLI, another host): no cache in this process hears of it,
    yet the very next action is refused, because every run checks the session against the store."""
    item = env.advance(3)
    at = open_page(app(email_for("supervisor")), "supervisor")
    subprocess.run([sys.executable, "-m", "sopkit", "users", "deactivate", email_for("supervisor")], check=True,
                   timeout=60, cwd=ROOT, env={**os.environ, "SOPKIT_STORE": f"sqlite:///{env.path}"})
    at.button(key=f"w_take_{item.id}").click().run()
    assert not at.exception
    assert [x.value for x in at.title] == [t("signin.title")]
    assert t("session.inactive") in errors(at)
    assert env.item(item.id).verifier == ""


def test_role_change_ends_the_session_and_a_new_sign_in_gets_the_new_menu(app, env) -> None:
    at = open_page(app(email_for("officer")), "officer")
    env.store.save_user(replace(env.user(email_for("officer")), roles=("creator",)))
    at.run()
    assert [x.value for x in at.title] == [t("signin.title")] and t("session.changed") in errors(at)
    sign_in_with_form(at, email_for("officer"))
    assert t("page.creator") in [link.proto.label for link in at.sidebar.get("page_link")]


def test_forged_cookie_is_ignored_and_deleted(app, browser_cookie) -> None:
    browser_cookie[sessions.COOKIE] = "eyJmb3JnZWQiOnRydWV9.AAAAAA.bm90LWEtc2lnbmF0dXJl"
    at = app()
    at.run()
    assert [x.value for x in at.title] == [t("signin.title")] and errors(at) == []
    assert any(w[1] == "delete" for w in at.session_state[cookie.PENDING_KEY])


def test_oidc_sign_out_in_one_tab_signs_the_other_out(app, env, tmp_path, monkeypatch) -> None:
    """``st.logout`` clears Streamlit's cookie and this tab's ``st.user`` only; the stored OIDC session is what
    makes the user's other tab (same identity token, still in its ``st.user``) refuse its next click."""
    from test_access import OIDC_SECRETS, oidc_claims

    secrets = tmp_path / "secrets.toml"
    secrets.write_text(OIDC_SECRETS, encoding="utf-8")
    monkeypatch.setenv("SOPKIT_SECRETS", str(secrets))
    claims = oidc_claims(email_for("officer"))
    tabs = []
    for _ in range(2):
        tab = app(page=PAGE_FILES["officer"])
        tab.user = dict(claims)
        tab.run()
        assert [x.value for x in tab.title] == [t("page.officer")]
        tabs.append(tab)
    tabs[0].button(key="w_sign_out").click().run()
    tabs[1].run()
    assert [x.value for x in tabs[1].title] == [t("signin.title")]
    assert t("session.signed_out") in errors(tabs[1])
    assert t("signin.oidc") in [b.label for b in tabs[1].button]  # sign in again with the provider


def cookie_scripts(at) -> list[str]:  # type: ignore[no-untyped-def]
    """The bodies of the cookie writes drawn in the sidebar (``st.html`` page scripts)."""
    return [e.proto.body for e in at.sidebar.get("html") if cookie.MARK in e.proto.body]


def test_cookie_writes_are_page_scripts_that_answer_nothing_and_stay_drawn(app, env, browser_cookie) -> None:
    """A cookie write is an ``st.html`` script (no component, no widget: it cannot ask for a rerun), drawn again on
    every run of the session so that a run cut short cannot lose it, and replaced by the next write of the same
    cookie; the browser keeps the ids it has done, so a redraw never repeats a write."""
    at = app()
    at.run()
    assert cookie_scripts(at) == []  # nothing queued, nothing drawn
    sign_in_with_form(at, email_for("officer"))
    token = queued_cookie(at)
    assert at.get("component_instance") == []  # no component frame, which would send a value back
    [body] = cookie_scripts(at)
    assert [e.proto.unsafe_allow_javascript for e in at.sidebar.get("html")] == [True]
    assert f"{sessions.COOKIE}={token}; Path=/; Expires=" in body and "SameSite=Strict" in body
    assert "Secure" not in body  # AppTest is plain http
    at.run()  # any later run (a click) draws the same write again
    assert cookie_scripts(at) == [body]
    at.button(key="w_sign_out").click().run()
    [deleted] = cookie_scripts(at)
    assert token not in deleted and f"{sessions.COOKIE}=; Path=/; Expires=Thu, 01 Jan 1970" in deleted
    assert len(at.session_state[cookie.PENDING_KEY]) == 1  # the delete replaced the set


def test_cookie_header_matches_what_the_browser_is_told() -> None:
    """Values are encoded as ``encodeURIComponent`` would (``incoming`` decodes them), expiry in GMT, ``Secure``
    only over https."""
    value = "a b/ü!'()*~;="
    header = cookie.header("set", "sopkit_next", value, "2026-12-02T13:00:00+07:00", True)
    assert header == ("sopkit_next=a%20b%2F%C3%BC!'()*~%3B%3D; Path=/; Expires=Wed, 02 Dec 2026 06:00:00 GMT; "
                      "SameSite=Strict; Secure")
    from urllib.parse import unquote
    assert unquote(header.split(";")[0].split("=", 1)[1]) == value
    assert cookie.header("delete", "sopkit_session", "", "", False) == (
        "sopkit_session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; SameSite=Strict")

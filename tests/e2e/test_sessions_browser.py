"""Sessions and links in a real browser (Chromium) against a real ``streamlit run``: F5 keeps you signed in on the
same item, a pasted link signs you in and then opens that item, a sign-out in one tab signs the other out on its
next click, a deactivation from another process ends the session at once, and a page of another role or an
unknown URL is answered in Indonesian. Screenshots (desktop and 390 px) go to ``test-artifacts/e2e/sessions``."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from sopkit import auth, sessions
from sopkit.i18n import t
from sopkit.schema import Item, User
from sopkit.store.sqlite import SQLiteStore
from sopkit.timeutil import AGENCY_TZ
from sopkit.workflow import Desk

from .conftest import ARTIFACTS, PASSWORD, running
from .test_browser_flow import idle

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}
TITLE = "Penutupan sementara Jembatan Kapuas I"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> SQLiteStore:
    s = SQLiteStore(tmp_path_factory.mktemp("sessions-e2e") / "sopkit.db")
    s.init()
    hashed = auth.hash_password(PASSWORD)
    for role in ("officer", "creator", "supervisor", "admin"):
        s.save_user(User(f"{role}@demo.test", f"Demo {role.title()}", (role,), password_hash=hashed))
    s.save_user(User("officer2@demo.test", "Demo Officer Dua", ("officer",), password_hash=hashed))
    return s


@pytest.fixture(scope="module")
def item(store: SQLiteStore) -> Item:
    users = {u.email: u for u in store.read_users()[0]}
    desk = Desk(store, now=lambda: dt.datetime.now(AGENCY_TZ))
    started = desk.start(users["officer@demo.test"], title=TITLE, summary="Ditutup Sabtu 06.00-18.00 WIB.",
                         category="Berita", channels=("site",), sources="https://dishub.kalbarprov.go.id")
    return desk.submit(users["officer@demo.test"], started)


@pytest.fixture(scope="module")
def desk_url(store: SQLiteStore, browser_type_launch_args: dict) -> Iterator[str]:  # type: ignore[type-arg]
    with running(store) as url:
        yield url


def new_context(browser: Browser, viewport: dict[str, int] = DESKTOP) -> BrowserContext:
    return browser.new_context(viewport=viewport, locale="id-ID", timezone_id="Asia/Pontianak")


def shot(page: Page, name: str) -> None:
    out = ARTIFACTS / "e2e" / "sessions"
    out.mkdir(parents=True, exist_ok=True)
    idle(page)
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)


def sign_in_here(page: Page, email: str) -> None:
    """Fill the sign-in form shown on the current URL (the guard of whatever page was asked for)."""
    expect(page.get_by_role("heading", name=t("signin.title"))).to_be_visible()
    page.get_by_label(t("signin.email"), exact=True).fill(email)
    page.get_by_label(t("signin.password"), exact=True).fill(PASSWORD)
    page.get_by_label(t("signin.password"), exact=True).press("Enter")
    idle(page)


def wait_for_cookie(context: BrowserContext) -> dict:  # type: ignore[type-arg]
    """The component writes the cookie after the run that signed in; wait for the browser to hold it."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = [c for c in context.cookies() if c["name"] == sessions.COOKIE]
        if found:
            return found[0]  # type: ignore[return-value]
        time.sleep(0.2)
    raise AssertionError(f"no {sessions.COOKIE} cookie: {context.cookies()}")


def expect_item(page: Page, item: Item) -> None:
    expect(page.get_by_role("heading", name=t("page.item"))).to_be_visible()
    expect(page.get_by_text(item.title).first).to_be_visible()
    expect(page.get_by_role("heading", name=t("signin.title"))).to_have_count(0)


def test_refresh_link_and_sign_out_in_another_tab(browser: Browser, desk_url: str, store: SQLiteStore,
                                                  item: Item) -> None:
    link = f"{desk_url}/item?id={item.id}"
    context = new_context(browser)
    page = context.new_page()
    page.goto(link)  # signed out: the sign-in form on the item's own URL
    idle(page)
    expect(page.get_by_text(t("signin.then", page=t("page.item")))).to_be_visible()
    shot(page, "01-link-signed-out")
    sign_in_here(page, "creator@demo.test")
    expect_item(page, item)  # ... and then the item itself, not the home page
    assert page.url == link
    cookie = wait_for_cookie(context)
    assert cookie["sameSite"] == "Strict" and cookie["path"] == "/" and cookie["secure"] is False  # http here
    assert 9.9 * 3600 < cookie["expires"] - time.time() < 10 * 3600 + 60  # a working day
    assert "creator" not in cookie["value"]
    shot(page, "02-item-signed-in")

    page.reload()  # F5: a new Streamlit session, restored from the cookie, on the same item
    idle(page)
    expect_item(page, item)
    assert page.url == link
    shot(page, "03-item-after-F5")

    # the same URL pasted into another browser (a new context has no cookie): sign in, then the same item
    other = new_context(browser, PHONE)
    elsewhere = other.new_page()
    elsewhere.goto(link)
    idle(elsewhere)
    shot(elsewhere, "04-link-in-new-browser-390px")
    sign_in_here(elsewhere, "supervisor@demo.test")
    expect_item(elsewhere, item)
    shot(elsewhere, "05-item-in-new-browser-390px")
    other.close()

    # a second tab of the first browser is signed in by the cookie; signing out in the first ends it too
    tab_b = context.new_page()
    tab_b.goto(f"{desk_url}/creator")
    idle(tab_b)
    expect(tab_b.get_by_role("heading", name=t("page.creator"))).to_be_visible()
    page.get_by_role("button", name=t("guard.sign_out")).click()
    idle(page)
    expect(page.get_by_role("heading", name=t("signin.title"))).to_be_visible()
    tab_b.locator('[data-testid="stSidebar"]').get_by_role("link", name=t("page.home")).click()  # next action
    idle(tab_b)
    expect(tab_b.get_by_role("heading", name=t("signin.title"))).to_be_visible()
    expect(tab_b.get_by_text(t("session.signed_out"))).to_be_visible()
    shot(tab_b, "06-other-tab-signed-out")
    # and the cookie is gone: a refresh asks to sign in again
    deadline = time.monotonic() + 20
    while any(c["name"] == sessions.COOKIE for c in context.cookies()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(c["name"] == sessions.COOKIE for c in context.cookies())
    page.reload()
    idle(page)
    expect(page.get_by_role("heading", name=t("signin.title"))).to_be_visible()
    context.close()


def test_deactivation_from_another_process_ends_the_session(browser: Browser, desk_url: str,
                                                            store: SQLiteStore) -> None:
    context = new_context(browser)
    page = context.new_page()
    page.goto(f"{desk_url}/officer")
    idle(page)
    sign_in_here(page, "officer2@demo.test")
    expect(page.get_by_role("heading", name=t("page.officer"))).to_be_visible()
    wait_for_cookie(context)
    subprocess.run([sys.executable, "-m", "sopkit", "users", "deactivate", "officer2@demo.test"], check=True,
                   timeout=60, cwd=Path(__file__).resolve().parents[2],
                   env={**os.environ, "SOPKIT_DB": str(store.path), "SOPKIT_BACKEND": "sqlite",
                        "SOPKIT_SECRETS": str(store.path.parent / "none.toml")})
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name=t("page.about")).click()
    idle(page)
    expect(page.get_by_role("heading", name=t("signin.title"))).to_be_visible()
    expect(page.get_by_text(t("session.inactive"))).to_be_visible()
    expect(page.get_by_role("heading", name=t("page.about"))).to_have_count(0)
    page.reload()  # the cookie is no good either
    idle(page)
    expect(page.get_by_role("heading", name=t("signin.title"))).to_be_visible()
    shot(page, "07-deactivated")
    context.close()


@pytest.mark.parametrize("viewport,suffix", [(DESKTOP, "desktop"), (PHONE, "390px")])
def test_other_roles_page_and_unknown_url_answer_in_indonesian(browser: Browser, desk_url: str, viewport: dict,
                                                               suffix: str) -> None:  # type: ignore[type-arg]
    context = new_context(browser, viewport)
    page = context.new_page()
    page.goto(f"{desk_url}/admin")
    idle(page)
    sign_in_here(page, "officer@demo.test")
    expect(page.get_by_text(t("guard.refused"))).to_be_visible()
    expect(page.get_by_text(t("admin.users"))).to_have_count(0)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    shot(page, f"08-other-roles-page-{suffix}")
    page.get_by_role("link", name=t("guard.home")).click()
    idle(page)
    expect(page.get_by_role("heading", name=t("page.home"))).to_be_visible()
    page.goto(f"{desk_url}/berita-lama")
    idle(page)
    expect(page.get_by_text(t("guard.not_found", path="/berita-lama"))).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_text("does not seem to exist")).to_have_count(0)
    shot(page, f"09-unknown-url-{suffix}")
    context.close()


def test_cold_link_on_a_fresh_server_signs_in_then_opens_the_item(browser: Browser, store: SQLiteStore,
                                                                  item: Item) -> None:
    """The very first request of a just-started server runs the page script directly (``pages/`` mode): the link
    still signs in and opens its item, and from then on the server is in ``st.navigation`` mode."""
    with running(store) as url:
        context = new_context(browser)
        page = context.new_page()
        page.goto(f"{url}/item?id={item.id}")
        idle(page)
        sign_in_here(page, "supervisor@demo.test")
        expect_item(page, item)
        page.goto(f"{url}/tidak-ada")
        idle(page)
        expect(page.get_by_text(t("guard.not_found", path="/tidak-ada"))).to_be_visible()
        expect(page.get_by_text("Page not found")).to_have_count(0)
        context.close()

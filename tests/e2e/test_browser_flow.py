"""One item from "Mulai" to published through the real UI in Chromium, signing in as each role in turn.
Screenshots of every page go to ``test-artifacts/e2e/`` (look at them)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from pages._ui import cookie
from sopkit import sessions, sop
from sopkit.i18n import channel_title, t
from sopkit.store.sqlite import SQLiteStore

from .conftest import ARTIFACTS, PASSWORD

TITLE = "Uji coba rute bus Trans Kalbar <b>baru</b>"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


COOKIE_WRITES = f"[{cookie.MARK}]:not([data-done])"  # a cookie write the page has drawn but not yet done


def idle(page: Page) -> None:
    """The script has finished and the browser has done every cookie write it drew (``pages._ui.cookie``).

    The first wait lets a rerun that the last action asked for begin (the browser batches widget changes before
    it sends them; Streamlit's own browser tests wait the same 155 ms): ``notRunning`` is also the state before."""
    page.wait_for_timeout(150)
    page.wait_for_selector(IDLE, timeout=30_000)
    page.wait_for_selector('[data-test-connection-state="CONNECTED"]', timeout=30_000)
    page.wait_for_selector(COOKIE_WRITES, state="detached", timeout=30_000)


def wait_for_session_cookie(page: Page, present: bool) -> None:
    """Signed in (or out) means the browser holds the session cookie (or no longer does): wait for exactly that,
    so that the next ``goto`` opens a session the way a person's next visit would."""
    page.wait_for_function("([name, present]) => document.cookie.split('; ').some(c => c.startsWith(name + '='))"
                           " === present", arg=[sessions.COOKIE, present], timeout=30_000)


def shot(page: Page, name: str) -> None:
    """A full-page screenshot: Streamlit scrolls inside its own container, so grow the window to the content."""
    out = ARTIFACTS / "e2e"
    out.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], [data-testid=stMainBlockContainer],"
        " section[data-testid=stSidebar]')].map(e => e.scrollHeight), 900)")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 80, 6000)})
    idle(page)
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})


def sign_in(page: Page, url: str, role: str) -> None:
    page.goto(url)
    idle(page)
    page.get_by_label(t("signin.email"), exact=True).fill(f"{role}@demo.test")
    page.get_by_label(t("signin.password"), exact=True).fill(PASSWORD)
    page.get_by_label(t("signin.password"), exact=True).press("Enter")
    idle(page)
    expect(page.get_by_role("heading", name=t("page.home"))).to_be_visible()
    wait_for_session_cookie(page, present=True)


def go(page: Page, key: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name=t(f"page.{key}")).click()
    idle(page)
    expect(page.get_by_role("heading", name=t(f"page.{key}")).first).to_be_visible()


def click(page: Page, label: str, nth: int = 0) -> None:
    page.get_by_role("button", name=label, exact=True).nth(nth).click()
    idle(page)


def choose(page: Page, widget_label: str, option: str, scope=None,  # type: ignore[no-untyped-def]
           multi: bool = False) -> None:
    """Pick one option of a selectbox (its list closes by itself) or a multiselect (closed with Escape)."""
    root = scope or page
    root.get_by_label(widget_label, exact=True).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    if multi:
        page.keyboard.press("Escape")


def no_errors(page: Page) -> None:
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(0)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_mulai_to_published(page: Page, server: str, demo_store: SQLiteStore) -> None:
    # the sign-in page itself
    page.goto(server)
    idle(page)
    shot(page, "00-sign-in")

    # 1. Petugas
    sign_in(page, server, "officer")
    shot(page, "01-home-officer")
    go(page, "officer")
    form = page.locator('[data-testid="stForm"]').first
    form.get_by_label(t("field.title"), exact=True).fill(TITLE)
    form.get_by_label(t("field.summary"), exact=True).fill("Rute baru mulai Senin, 07.00 WIB.")
    choose(page, t("field.category"), "Layanan", scope=form)
    choose(page, t("field.channels"), channel_title("site"), scope=form, multi=True)
    form.get_by_label(t("field.sources"), exact=True).fill("https://dishub.kalbarprov.go.id/rute")
    click(page, t("officer.start_button"))
    no_errors(page)
    [item] = demo_store.read_register().items
    assert (item.title, item.category, item.channels) == (TITLE, "Layanan", ("site",))
    shot(page, "02-officer-started")
    click(page, t("officer.submit"))
    no_errors(page)
    assert demo_store.get_item(item.id).step == 2
    sign_out(page)

    # 2. Pembuat Konten
    sign_in(page, server, "creator")
    go(page, "creator")
    click(page, t("queue.take"))
    body = page.get_by_label(t("field.body"), exact=True)
    body.fill("Mulai **Senin**, bus Trans Kalbar melayani rute baru Pontianak – Sungai Raya.")
    body.press("Control+Enter")
    idle(page)
    cap = page.get_by_label(t("creator.caption_for", channel=channel_title("site")))
    cap.fill("Rute baru Trans Kalbar mulai Senin.")
    cap.press("Control+Enter")
    idle(page)
    shot(page, "03-creator-editing")
    click(page, t("creator.submit"))
    no_errors(page)
    assert demo_store.get_item(item.id).step == 3
    sign_out(page)

    # 3. Pejabat Pengawas: verification
    sign_in(page, server, "supervisor")
    go(page, "supervisor")
    click(page, t("queue.take"))
    shot(page, "04-supervisor-verify")
    click(page, t("review.approve"))
    no_errors(page)
    assert demo_store.get_item(item.id).step == 4
    sign_out(page)

    # 4. Pejabat Administrator
    sign_in(page, server, "administrator")
    go(page, "administrator")
    click(page, t("queue.take"))
    shot(page, "05-administrator")
    click(page, t("review.approve"))
    no_errors(page)
    assert demo_store.get_item(item.id).step == 5
    sign_out(page)

    # 5. Pejabat Pengawas: scheduling (the default is an hour from now)
    sign_in(page, server, "supervisor")
    go(page, "supervisor")
    page.get_by_role("tab", name=t("supervisor.schedule")).click()
    idle(page)
    click(page, t("queue.take"))
    page.get_by_role("tab", name=t("supervisor.schedule")).click()
    shot(page, "06-supervisor-schedule")
    click(page, t("schedule.button"))
    no_errors(page)
    assert demo_store.get_item(item.id).step == 6
    page.get_by_role("tab", name=t("supervisor.schedule")).click()
    shot(page, "07-supervisor-calendar")
    sign_out(page)

    # 6. Pengelola: record the hand-published URL
    sign_in(page, server, "publisher")
    go(page, "publisher")
    page.get_by_role("tab", name=t("publisher.upcoming", n=1)).click()
    shot(page, "08-publisher")
    page.get_by_text(t("item.open", id=item.id)).first.click()  # a page link: same session, still signed in
    idle(page)
    page.get_by_role("tab", name=t("item.timeline")).click()
    expect(page.get_by_role("heading", name=t("page.item"))).to_be_visible()
    shot(page, "08b-item-detail")
    go(page, "publisher")
    page.get_by_role("tab", name=t("publisher.upcoming", n=1)).click()
    url_box = page.get_by_label(t("publisher.url"), exact=True).first
    url_box.fill("https://dishub.kalbarprov.go.id/berita/rute-baru")
    click(page, t("publisher.record"))
    no_errors(page)
    done = demo_store.get_item(item.id)
    assert done.status == sop.PUBLISHED

    # the item's timeline, the compliance page (as a manager) and the about page
    page.goto(f"{server}/item?id={item.id}")  # a new browser session, signed in again from the session cookie
    idle(page)
    expect(page.get_by_role("heading", name=t("page.item"))).to_be_visible()
    expect(page.get_by_role("heading", name=t("signin.title"))).to_have_count(0)
    sign_out(page)
    page.goto(f"{server}/item?id={item.id}")  # signed out now: the guard asks to sign in
    idle(page)
    expect(page.get_by_role("heading", name=t("signin.title"))).to_be_visible()
    sign_in(page, server, "publisher")
    page.locator('[data-testid="stMain"]').get_by_text(t("page.home"))  # landed on Beranda
    shot(page, "09-home-publisher")
    sign_out(page)
    sign_in(page, server, "manager")
    go(page, "compliance")
    shot(page, "10-compliance")
    go(page, "about")
    shot(page, "11-about")
    sign_out(page)
    sign_in(page, server, "admin")
    go(page, "admin")
    shot(page, "12-admin")


def sign_out(page: Page) -> None:
    page.get_by_role("button", name=t("guard.sign_out")).click()
    idle(page)
    expect(page.get_by_role("heading", name=t("signin.title"))).to_be_visible()
    wait_for_session_cookie(page, present=False)


def test_deep_link_to_another_roles_page_is_refused(page: Page, server: str) -> None:
    """A signed-out visitor opening an admin URL sees only the sign-in form (server already warm)."""
    page.goto(f"{server}/admin")
    idle(page)
    expect(page.get_by_role("heading", name=t("signin.title"))).to_be_visible()
    expect(page.get_by_text(t("admin.users"))).to_have_count(0)
    shot(page, "13-deep-link-admin-signed-out")


def test_cold_deep_link_on_a_fresh_server_meets_the_guard(page: Page, fresh_server: str) -> None:
    """The first visitor of a just-started server opens the admin page's URL directly. Streamlit runs the page
    script (no st.navigation has happened yet in this process): only the page's own guard stops it."""
    page.goto(f"{fresh_server}/admin")
    idle(page)
    expect(page.get_by_role("heading", name=t("signin.title"))).to_be_visible()
    expect(page.get_by_text(t("admin.users"))).to_have_count(0)
    expect(page.get_by_role("heading", name=t("page.admin"))).to_have_count(0)
    # and Streamlit's automatic list of pages/ (every page name) is switched off in .streamlit/config.toml
    expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
    expect(page.locator('[data-testid="stSidebar"]').get_by_role("link")).to_have_count(0)
    shot(page, "14-cold-deep-link-admin-fresh-server")


@pytest.mark.parametrize("path", ["_ui", "session", "guard", "__init__", "about"])
def test_helper_modules_are_not_pages_on_a_fresh_server(page: Page, fresh_server: str, path: str) -> None:
    """The shared helpers live in ``pages/_ui/`` (and ``pages/__init__.py`` makes it a package). A just-started
    server registers every ``pages/*.py`` for its first visitor, but neither a sub-folder nor ``__init__.py``: the
    first visitor's deep link to a helper's name is "Page not found" and runs the main page instead, which
    answers the unknown path with the desk's own not-found page (no helper code runs). (``about``, a real page,
    is the control: found, and its guard asks for sign-in.)"""
    page.goto(f"{fresh_server}/{path}")
    idle(page)
    expect(page.get_by_text("Page not found")).to_have_count(0 if path == "about" else 1)
    if path == "about":
        expect(page.get_by_role("heading", name=t("signin.title"))).to_be_visible()
    else:
        expect(page.get_by_role("heading", name=t("guard.not_found_title"))).to_be_visible()
        expect(page.get_by_text(t("guard.not_found", path=f"/{path}"))).to_be_visible()
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    if path == "_ui":
        shot(page, "15-cold-deep-link-helper-fresh-server")


@pytest.mark.parametrize("path", ["_ui/guard", "pages/_ui/session.py"])
def test_nested_helper_paths_run_nothing_on_a_fresh_server(page: Page, fresh_server: str, path: str) -> None:
    """A nested path gets Streamlit's index page, whose relative script URLs then miss: no app loads, no session
    opens, no script runs (and the source file is never served)."""
    response = page.goto(f"{fresh_server}/{path}")
    assert response is not None and "import streamlit" not in response.text()
    page.wait_for_timeout(3000)
    expect(page.locator('[data-testid="stApp"]')).to_have_count(0)
    assert page.inner_text("body").strip() == ""

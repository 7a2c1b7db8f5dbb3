"""Issue 13 items 5, 9, 10 and 11 in a real Chromium, at desktop width and at 390 px: the publication calendar, a
filtered queue and the admin's settings, screenshotted into ``test-artifacts/e2e/`` (look at them); on the phone
the sidebar closes after a page is chosen and nothing is wider than the screen."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from sopkit import auth
from sopkit.i18n import t
from sopkit.schema import User
from sopkit.store.base import Change
from sopkit.store.sqlite import SQLiteStore
from sopkit.timeutil import AGENCY_TZ
from sopkit.workflow import Desk

from .conftest import ARTIFACTS, PASSWORD, running
from .test_browser_flow import idle, no_errors

ROLES = ("officer", "creator", "supervisor", "administrator", "publisher", "admin")
WIDTHS = {"desktop": 1400, "phone": 390}
TITLES = ("Jembatan Kapuas ditutup sementara untuk perbaikan", "Rute bus Trans Kalbar mulai Senin",
          "Razia helm di Jalan Ahmad Yani", "Uji emisi kendaraan dinas", "Pelabuhan Dwikora: jadwal kapal")


@pytest.fixture(scope="module")
def desk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SQLiteStore]]:
    store = SQLiteStore(tmp_path_factory.mktemp("screens") / "sopkit.db")
    store.init()
    hashed = auth.hash_password(PASSWORD)
    users = {r: User(f"{r}@demo.test", f"Demo {r.title()}", (r,), password_hash=hashed) for r in ROLES}
    for u in users.values():
        store.save_user(u)
    desk = Desk(store)
    now = dt.datetime.now(AGENCY_TZ).replace(second=0, microsecond=0)
    for n, title in enumerate(TITLES):
        channels = (("site", "facebook"), ("x",), ("instagram", "telegram"), ("site",), ("facebook", "x"))[n]
        item = desk.start(users["officer"], title=title, summary="Ringkasan singkat", category="Berita",
                          channels=channels, sources="https://dishub.kalbarprov.go.id")
        item = desk.submit(users["officer"], item)
        item = desk.take(users["creator"], item)
        item = desk.submit(users["creator"], desk.edit(users["creator"], item, body="Isi artikel.",
                                                       captions={c: "Keterangan singkat" for c in channels}))
        if n == 4:
            continue  # waits for the supervisor's verification
        item = desk.approve(users["supervisor"], desk.take(users["supervisor"], item))
        item = desk.approve(users["administrator"], desk.take(users["administrator"], item))
        item = desk.take(users["supervisor"], item)
        item = desk.schedule(users["supervisor"], item, now + dt.timedelta(days=max(n - 1, 0), hours=2, minutes=15))
        if n == 0:  # its time passed an hour ago without a result: flagged on the calendar and the list
            store.commit(Change(item.id, item.rev, {"publish_at": (now - dt.timedelta(hours=1)).isoformat()}))
    # a second item in the verification queue, so the search has something to leave out
    extra = desk.start(users["officer"], title="Sosialisasi keselamatan di sekolah", summary="Ringkasan",
                       category="Keselamatan", channels=("site",), sources="https://dishub.kalbarprov.go.id")
    extra = desk.submit(users["officer"], extra)
    extra = desk.take(users["creator"], extra)
    desk.submit(users["creator"], desk.edit(users["creator"], extra, body="Isi.", captions={"site": "Ket."}))
    with running(store) as url:
        yield url, store


def shot(page: Page, name: str, width: int) -> None:
    """A full-page screenshot at ``width``: the window grows to the content (Streamlit scrolls inside itself)."""
    out = ARTIFACTS / "e2e"
    out.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], [data-testid=stMainBlockContainer]')]"
        ".map(e => e.scrollHeight), 800)")
    page.set_viewport_size({"width": width, "height": min(int(height) + 80, 7000)})
    idle(page)
    # lazily loaded widgets (number and time inputs) show a grey placeholder until their code has arrived
    expect(page.locator('[data-testid="stSkeleton"], [data-testid="stSkeletonElement"]')).to_have_count(0,
                                                                                                   timeout=20_000)
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": width, "height": 844})


def no_overflow(page: Page, width: int) -> None:
    """Nothing in the page is wider than the screen (tables and tab bars scroll inside themselves)."""
    wide = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollWidth")
    assert wide <= width, f"the page is {wide} px wide on a {width} px screen"


def open_menu_page(page: Page, key: str, phone: bool) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    if phone:
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        expect(sidebar.get_by_role("link", name=t(f"page.{key}"))).to_be_visible()
    sidebar.get_by_role("link", name=t(f"page.{key}")).click()
    idle(page)
    expect(page.get_by_role("heading", name=t(f"page.{key}")).first).to_be_visible()
    if phone:  # the menu got out of the way: the page is what the thumb sees now
        expect(page.locator('[data-testid="stExpandSidebarButton"]')).to_be_visible()
        expect(sidebar.get_by_role("link", name=t(f"page.{key}"))).not_to_be_in_viewport()


def sign_in(page: Page, url: str, role: str) -> None:
    page.goto(url)
    idle(page)
    page.get_by_label(t("signin.email"), exact=True).fill(f"{role}@demo.test")
    page.get_by_label(t("signin.password"), exact=True).fill(PASSWORD)
    page.get_by_label(t("signin.password"), exact=True).press("Enter")
    idle(page)
    expect(page.get_by_role("heading", name=t("page.home"))).to_be_visible()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_calendar_filtered_queue_and_settings_screens(page: Page, desk_server, size: str) -> None:
    url, _store = desk_server
    width, phone = WIDTHS[size], size == "phone"
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, url, "supervisor")
    open_menu_page(page, "supervisor", phone)
    no_errors(page)

    # 9. a filtered queue: the search leaves one of the two items waiting for verification
    search = page.get_by_placeholder(t("filter.search_hint")).first
    search.fill("pelabuhan")
    search.press("Enter")
    idle(page)
    expect(page.get_by_text(t("filter.count", shown=1, total=2))).to_be_visible()
    assert "verify.q=pelabuhan" in page.url
    shot(page, f"desk-filtered-queue-{size}", width)
    no_overflow(page, width)

    # 5. the calendar: titles on the grid, the past-due one flagged, countdowns in the list
    page.get_by_role("tab", name=t("supervisor.scheduled")).click()
    idle(page)
    grid = page.locator("table.sk-cal")
    expect(grid).to_be_visible()
    expect(grid.locator("a.e.late")).to_have_count(1)
    expect(grid.locator("a.e").first).to_contain_text(TITLES[0][:12])
    soon = re.compile(re.escape(t("schedule.in", left="2 jam ")) + r"1[45] menit")  # seconds since it was set
    expect(page.get_by_text(soon).first).to_be_visible()
    late = re.compile(t("schedule.overdue", over="1 jam(?: [0-9]+ menit)?"))
    expect(page.get_by_text(late).first).to_be_visible()
    no_errors(page)
    shot(page, f"desk-calendar-month-{size}", width)
    no_overflow(page, width)
    page.get_by_role("radio", name=t("schedule.view.week")).click() if page.get_by_role(
        "radio", name=t("schedule.view.week")).count() else page.get_by_role(
        "button", name=t("schedule.view.week"), exact=True).click()
    idle(page)
    shot(page, f"desk-calendar-week-{size}", width)
    # a click on an entry opens the item's page (signed in again from the session cookie)
    grid.locator("a.e").first.click()
    idle(page)
    expect(page.get_by_role("heading", name=t("page.item")).first).to_be_visible()
    assert "/item?id=" in page.url

    # 10. the admin's settings
    page.context.clear_cookies()
    sign_in(page, url, "admin")
    open_menu_page(page, "admin", phone)
    page.get_by_role("tab", name=t("admin.settings")).click()
    idle(page)
    expect(page.get_by_text(t("admin.national", year=dt.datetime.now(AGENCY_TZ).year))).to_be_visible()
    no_errors(page)
    shot(page, f"desk-admin-settings-{size}", width)
    no_overflow(page, width)


#: Each role's own pages (the home page for everyone), walked at both widths.
ROLE_PAGES = {"officer": ("home", "officer"), "creator": ("creator",), "supervisor": ("supervisor",),
              "administrator": ("administrator",), "publisher": ("publisher", "notifications"),
              "admin": ("admin", "about")}


@pytest.mark.parametrize("size", list(WIDTHS))
@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_every_roles_pages_fit_and_say_nothing_wrong(page: Page, desk_server, role: str, size: str) -> None:
    """Issue 13 item 11 for every role: each of its pages opens from the menu (which closes on a phone), shows
    no error, is no wider than the screen, and is screenshotted (``desk-<role>-<page>-<size>.png``)."""
    url, store = desk_server
    width, phone = WIDTHS[size], size == "phone"
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, url, role)
    for key in ROLE_PAGES[role]:
        if key != "home":
            open_menu_page(page, key, phone)
        no_errors(page)
        expect(page.get_by_text(re.compile(r"\d:\d\d jam"))).to_have_count(0)  # durations in words
        if key not in ("admin", "notifications"):  # the admin's Users tab and "mail goes to <my address>"
            expect(page.get_by_text(re.compile(r"[a-z0-9.]+@demo\.test"))).to_have_count(0)  # names, not e-mail
        shot(page, f"desk-{role}-{key}-{size}", width)
        no_overflow(page, width)
    if role == "publisher":  # an item's own page, with its whole timeline
        item = next(i for i in store.read_register().items if i.status == "scheduled")
        page.goto(f"{url}/item?id={item.id}")
        idle(page)
        expect(page.get_by_role("heading", name=t("page.item")).first).to_be_visible()
        page.get_by_role("tab", name=t("item.timeline")).click()
        idle(page)
        no_errors(page)
        shot(page, f"desk-item-timeline-{size}", width)
        no_overflow(page, width)

"""A notification e-mail as people see it: the message a real SMTP server received, saved as
``test-artifacts/notify-arrived.eml``, its HTML part rendered in Chromium at desktop and phone widths
(``notify-arrived.png``, ``notify-arrived-phone.png``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from notify_support import Clock, at, make_job, new_store, to_step
from playwright.sync_api import Page

from services.smtp import SmtpServer, html_part
from sopkit.notify.smtp import SmtpSender, SmtpSettings
from sopkit.store.sqlite import SQLiteStore
from sopkit.workflow import Desk

from .conftest import ARTIFACTS, running


def test_the_work_arrived_email_renders_readably(page: Page, tmp_path: Path) -> None:
    store = new_store(tmp_path / "mail.db")
    clock = Clock(at(23, 8, 30))
    item = to_step(Desk(store, now=clock), clock, 3, at(23, 8, 30), channels=("site", "instagram", "telegram"),
                   title="Jadwal kapal feri Rasau Jaya–Teluk Batang selama libur akhir tahun")
    clock.set(at(23, 9))
    with SmtpServer(tmp_path) as smtp:
        mailer = SmtpSender(SmtpSettings("127.0.0.1", smtp.port, security="starttls", ca_file=smtp.ca_file,
                                         sender="desk-sop@dishub.kalbarprov.go.id"), clock)
        assert make_job(store, clock, {"email": mailer}).run().sent >= 1
        mail = next(m.message for m in smtp.messages if m.to == "pengawas@x.go.id")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "notify-arrived.eml").write_bytes(mail.as_bytes())
    html = html_part(mail)
    for name, width in (("notify-arrived.png", 900), ("notify-arrived-phone.png", 390)):
        page.set_viewport_size({"width": width, "height": 900})
        page.set_content(html)
        page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        link = page.get_by_role("link", name="Buka konten di desk")
        assert link.get_attribute("href") == f"http://desk.test/item?id={item.id}"
        assert link.is_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the message is wider than a {width} px screen"
        body = page.inner_text("body")
        assert "batas: Senin 23 Nov 2026 09.30 WIB" in body and "Yth. Budi Pengawas," in body
        assert "Periksa sebelum memutuskan" in body


@pytest.fixture
def own_desk(tmp_path: Path, demo_store: SQLiteStore) -> Iterator[tuple[str, SQLiteStore]]:
    """A desk with a store of its own and the demo users: the work this test leaves waiting would otherwise sit
    in the queues of the desk the other browser tests share."""
    store = SQLiteStore(tmp_path / "sopkit.db")
    store.init()
    for user in demo_store.read_users()[0]:
        store.save_user(user)
    with running(store) as url:
        yield url, store


def test_the_desk_shows_counts_preferences_and_the_outbox(page: Page, own_desk: tuple[str, SQLiteStore]) -> None:
    """In a real browser: the menu counts what waits, a person saves their notification settings, and the admin's
    Notifikasi tab lists what the job recorded (no SMTP here: recorded, not sent)."""
    import datetime as dt

    from sopkit.i18n import t
    from sopkit.notify.prefs import read_preferences
    from sopkit.timeutil import AGENCY_TZ

    from .test_browser_flow import click, go, idle, shot, sign_in

    server, demo_store = own_desk
    users = {u.email: u for u in demo_store.read_users()[0]}
    desk = Desk(demo_store)
    item = desk.start(users["officer@demo.test"], title="Notifikasi: uji menu dan kotak keluar", channels=("site",))
    item = desk.submit(users["officer@demo.test"], item)
    now = dt.datetime.now(AGENCY_TZ)
    make_job(demo_store, lambda: now, {}, unavailable={"email": "SMTP not configured"}).run()  # type: ignore[arg-type]

    sign_in(page, server, "creator")
    menu = page.locator('[data-testid="stSidebar"]')
    assert menu.get_by_role("link", name=t("page.creator")).inner_text().strip().endswith(")")
    go(page, "notifications")
    page.get_by_label(t("notifypage.lang")).click()
    page.get_by_role("option", name="English").click()
    click(page, t("notifypage.save"))
    shot(page, "notifications-page")
    prefs, _ = read_preferences(demo_store.read_preferences())
    assert prefs["creator@demo.test"].lang == "en"

    page.context.clear_cookies()
    sign_in(page, server, "admin")
    go(page, "admin")
    page.get_by_role("tab", name=t("admin.outbox")).click()
    idle(page)
    tab = page.get_by_role("tabpanel")
    text = tab.inner_text()
    assert t("admin.no_smtp") in text
    recorded = re.search(r"(\d+) dicatat tanpa dikirim", text)
    assert recorded and int(recorded.group(1)) >= 1, text  # the creator's work arrived (and a digest by day)
    shot(page, "admin-outbox")

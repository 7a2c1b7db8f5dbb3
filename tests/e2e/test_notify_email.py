"""A notification e-mail as people see it: the message a real SMTP server received, saved as
``test-artifacts/notify-arrived.eml``, its HTML part rendered in Chromium at desktop and phone widths
(``notify-arrived.png``, ``notify-arrived-phone.png``)."""

from __future__ import annotations

from pathlib import Path

from notify_support import Clock, at, make_job, new_store, to_step
from playwright.sync_api import Page

from services.smtp import SmtpServer, html_part
from sopkit.notify.smtp import SmtpSender, SmtpSettings
from sopkit.workflow import Desk

from .conftest import ARTIFACTS


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

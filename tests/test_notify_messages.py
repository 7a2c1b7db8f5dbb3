"""The words of every kind of message in both languages: people by name, id_ID dates, escaped HTML, a link to the
item, and chat messages that fit Telegram."""

from __future__ import annotations

import re
from html import escape

import pytest
from notify_support import PEOPLE, Clock, at, due_at, new_store, to_step

from sopkit.clock import WorkCalendar
from sopkit.notify.due import expand
from sopkit.notify.messages import Context, duration, render
from sopkit.notify.prefs import KINDS, Preference
from sopkit.settings import Settings
from sopkit.workflow import Desk

P = {k: u.email for k, u in PEOPLE.items()}


@pytest.fixture(scope="module")
def situation(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Every kind due at once: Monday 23 Nov 2026, 10:30."""
    store = new_store(tmp_path_factory.mktemp("msg") / "m.db")
    clock = Clock(at(23, 8))
    desk = Desk(store, now=clock)
    to_step(desk, clock, 3, at(23, 10, 30), title="Uji <script>alert(1)</script> KIR & kawan-kawan")
    late = to_step(desk, clock, 2, at(20, 9), take=True, title="Jembatan Kapuas I ditutup sementara")
    assert late.step == 2
    back = to_step(desk, clock, 3, at(23, 9))
    clock.set(at(23, 9, 10))
    desk.reject(PEOPLE["supervisor"], back, "Tanggal keliru;\nlihat surat undangan tanggal 12.")
    to_step(desk, clock, 4, at(23, 9, 40), take=True)  # reminder due at 10:25
    sched = to_step(desk, clock, 6, at(23, 9), publish_at=at(23, 9, 30), channels=("site", "telegram"))
    clock.set(at(23, 9, 31))
    failed = {"status": "failed", "error": "Telegram: chat not found", "at": at(23, 9, 31).isoformat()}
    desk.record_channel(PEOPLE["publisher"], sched, "telegram", failed)
    now = at(23, 10, 30)
    due = due_at(store, now)
    users, _ = store.read_users()
    context = Context(store.read_register().by_id(), {u.email: u for u in users}, Settings(), "https://desk.test",
                      0.75, due.clocks, due.digest)
    return due, users, context, now


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_kind_renders_in_both_languages(situation, lang: str) -> None:  # noqa: ANN001
    due, users, context, now = situation
    prefs = {u.email: Preference(u.email, lang) for u in users}
    outgoing = expand(due.notices, users, prefs, WorkCalendar(), now)
    assert {o.notice.kind for o in outgoing} == set(KINDS)
    emails = {u.email for u in users}
    for out in outgoing:
        letter = render(out, context)
        text, html, chat = letter.text(), letter.html(), letter.chat()
        for part in (text, chat):
            assert not any(e in part for e in emails), (out.key, part)  # names, not addresses
        assert "<script>" not in html and "alert(1)" not in html.replace("&lt;script&gt;alert(1)", "")
        assert len(chat) <= 4096 and escape(letter.subject) in html
        if out.notice.item_id:
            assert f"https://desk.test/item?id={out.notice.item_id}" in text
            assert f'href="https://desk.test/item?id={out.notice.item_id}"' in html
        if out.notice.kind in ("arrived", "returned", "reminder", "breach"):
            word = "batas" if lang == "id" else "due"
            assert re.search(rf"{word}: \w+ \d+ \w+ 2026 \d\d[.:]\d\d WIB", text), text
        if lang == "id":
            assert "WIB" in text or out.notice.kind in ("digest", "publish_problem")


def test_the_words_of_each_kind(situation) -> None:  # noqa: ANN001
    due, users, context, now = situation
    outgoing = {(o.notice.kind, o.notice.recipient): o for o in expand(due.notices, users, {}, WorkCalendar(), now)}
    returned = render(outgoing[("returned", P["creator"])], context).text()
    assert "Budi Pengawas mengembalikan konten ini dari langkah 3 (Verifikasi konten) untuk diperbaiki" in returned
    assert "Catatan: Tanggal keliru; lihat surat undangan tanggal 12." in returned
    assert "Percobaan: 2" in returned
    reminder = render(outgoing[("reminder", P["administrator"])], context).text()
    # entered 09:40, the reminder fell due at 10:25 (75 %); told at 10:30, it says how things stand then
    assert "83% dari batas waktu langkah 4, Persetujuan akhir, sudah terpakai; sisa 10 menit" in reminder
    breaches = [render(o, context) for o in expand(due.notices, users, {}, WorkCalendar(), now)
                if o.notice.kind == "breach" and o.notice.recipient == P["manager"]]
    breach = next(b for b in breaches if "Jembatan Kapuas" in b.subject)
    assert breach.subject == "Lewat batas waktu: Mendesain konten — Jembatan Kapuas I ditutup sementara"
    assert "terlambat" in breach.text() and "Dipegang oleh: Hendra Konten" in breach.text()
    problem = render(outgoing[("publish_problem", P["publisher"])], context).text()
    assert "Penayangan ke telegram gagal: Telegram: chat not found" in problem
    digest = render(outgoing[("digest", P["manager"])], context).text()
    assert "Lewat batas waktu (2):\n- Jembatan Kapuas I ditutup sementara — langkah 2, terlambat" in digest
    assert "Ketepatan waktu per langkah, Jumat 20 Nov 2026:" in digest
    assert "Buka laporan kepatuhan: https://desk.test/compliance" in digest


def test_durations() -> None:
    assert [duration(m, "id") for m in (0.2, 15, 60, 75, 451)] == ["1 menit", "15 menit", "1 jam", "1 jam 15 menit",
                                                                   "7 jam 31 menit"]
    assert duration(75, "en") == "1 h 15 min"

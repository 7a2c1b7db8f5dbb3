"""The notification job against a real SMTP server on loopback (aiosmtpd: STARTTLS with a throwaway certificate,
AUTH) and the loopback Telegram Bot API: each message once, failures recorded and contained, links to the item."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
from notify_support import PEOPLE, Clock, at, make_job, new_store, to_step

from services.smtp import SmtpServer, html_part, text_part
from sopkit.notify.job import requeue
from sopkit.notify.outbox import Status, fold
from sopkit.notify.prefs import Preference
from sopkit.notify.smtp import SmtpSender, SmtpSettings
from sopkit.store.sqlite import SQLiteStore
from sopkit.workflow import Desk

P = {k: u.email for k, u in PEOPLE.items()}
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def smtp(tmp_path: Path):  # type: ignore[no-untyped-def]
    with SmtpServer(tmp_path, user="desk", password="rahasia-smtp-123") as server:
        yield server


def mailer(smtp: SmtpServer, clock: Clock, **kw: object) -> SmtpSender:
    settings = dict(host="127.0.0.1", port=smtp.port, username="desk", password="rahasia-smtp-123",
                    security="starttls", sender="desk-sop@dishub.test", ca_file=smtp.ca_file, timeout=10.0)
    settings.update(kw)  # type: ignore[arg-type]
    return SmtpSender(SmtpSettings(**settings), clock)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> Clock:
    return Clock(at(23, 9))


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return new_store(tmp_path / "job.db")


@pytest.fixture
def desk(store: SQLiteStore, clock: Clock) -> Desk:
    return Desk(store, now=clock)


def states(store: SQLiteStore) -> dict[str, Status]:
    return {k: s.status for k, s in fold(store.read_outbox()).items()}


def test_work_arrived_once_over_starttls_with_auth_then_the_next_actor_once(desk, clock, store, smtp) -> None:  # noqa: ANN001
    item = to_step(desk, clock, 3, at(23, 8, 30))
    other = to_step(desk, clock, 2, at(23, 8, 45), title="Jadwal kapal feri <b>libur</b> & Natal", take=True)
    clock.set(at(23, 9))
    lines: list[str] = []
    report = make_job(store, clock, {"email": mailer(smtp, clock)}, lines).run()
    got = Counter(r.to for r in smtp.messages)
    # step 3 in the queue: both supervisors; step 2 taken by its creator; Monday's digest to the manager
    assert got == {P["supervisor"]: 1, P["supervisor2"]: 1, P["creator2"]: 1, P["manager"]: 1}, lines
    assert report.sent == 4 and report.ok and smtp.logins == [("desk", True)]  # one connection, one login
    mail = smtp.to(P["supervisor"])[0]
    assert mail["Subject"] == "Tugas baru: Verifikasi konten — Uji KIR gratis di Pontianak"
    assert mail["To"] == f"Budi Pengawas <{P['supervisor']}>" and mail["From"].addresses[0].addr_spec == \
        "desk-sop@dishub.test"
    text = text_part(mail)
    assert "Yth. Budi Pengawas," in text and "batas: Senin 23 Nov 2026 09.30 WIB" in text
    assert "Ringkasan: Uji KIR gratis bulan ini untuk angkutan umum." in text
    assert "Periksa sebelum memutuskan:\n- Fakta, angka, tanggal, nama dan jabatan sesuai sumber" in text
    assert f"Buka konten di desk: http://desk.test/item?id={item.id}" in text
    assert "@" not in text.replace("http://desk.test", ""), "names, not e-mail addresses, in the text"
    html = html_part(mail)
    assert f'href="http://desk.test/item?id={item.id}"' in html and "Budi Pengawas" in html
    escaped = html_part(smtp.to(P["creator2"])[0])
    assert "&lt;b&gt;libur&lt;/b&gt; &amp; Natal" in escaped and "<b>libur</b>" not in escaped
    assert mail["Message-ID"] != smtp.to(P["supervisor2"])[0]["Message-ID"]
    assert mail["In-Reply-To"] == mail["References"] == f"<item-{item.id}@dishub.test>"

    again = make_job(store, clock, {"email": mailer(smtp, clock)}).run()
    assert again.sent == 0 and len(smtp.messages) == 4  # a second run sends nothing new

    clock.set(at(23, 9, 10))
    desk.approve(PEOPLE["supervisor2"], desk.take(PEOPLE["supervisor2"], item))
    make_job(store, clock, {"email": mailer(smtp, clock)}).run()
    new = smtp.messages[4:]
    assert [(m.to, m.message["Subject"]) for m in new] == [
        (P["administrator"], "Tugas baru: Persetujuan akhir — Uji KIR gratis di Pontianak")]
    step4 = text_part(new[0].message)
    assert "Layak tayang di kanal yang dipilih: site" in step4
    assert new[0].message["In-Reply-To"] == mail["In-Reply-To"]  # one item's messages thread together
    assert other.id  # (its creator was told once, above)


def test_a_refused_recipient_does_not_stop_the_others(desk, clock, store, smtp) -> None:  # noqa: ANN001
    to_step(desk, clock, 3, at(23, 8, 30))
    smtp.refuse[P["supervisor"]] = "550 5.1.1 <pengawas@x.go.id>: Recipient address rejected: User unknown"
    clock.set(at(23, 9))
    report = make_job(store, clock, {"email": mailer(smtp, clock)}).run()
    assert {r.to for r in smtp.messages} == {P["supervisor2"], P["manager"]}
    assert (report.sent, report.failed, report.ok) == (2, 1, False)
    failed = [s for s in fold(store.read_outbox()).values() if s.status == Status.FAILED]
    assert len(failed) == 1 and "refused the recipient Budi Pengawas (550" in failed[0].detail
    assert make_job(store, clock, {"email": mailer(smtp, clock)}).run().failed == 0  # recorded, not re-tried


def test_a_deferred_recipient_is_retried_with_backoff(desk, clock, store, smtp) -> None:  # noqa: ANN001
    to_step(desk, clock, 3, at(23, 8, 30), take=True)
    smtp.defer_next[P["supervisor2"]] = 1  # one 451: the retry inside the attempt gets it through
    clock.set(at(23, 9))
    assert make_job(store, clock, {"email": mailer(smtp, clock)}).run().sent == 2
    assert smtp.rcpt_attempts.count(P["supervisor2"]) == 2
    smtp.defer_next[P["manager"]] = 1
    to_step(desk, clock, 4, at(23, 9, 1))
    smtp.defer_next[P["administrator"]] = 9  # longer than one attempt's tries: recorded, tried on a later run
    clock.set(at(23, 9, 2))
    lines: list[str] = []
    first = make_job(store, clock, {"email": mailer(smtp, clock)}, lines).run()
    assert (first.sent, first.retry) == (0, 1) and not first.ok
    waiting = [s for s in fold(store.read_outbox()).values() if s.status == Status.RETRY]
    assert waiting[0].until == at(23, 10, 2) - dt.timedelta(minutes=59) and "451" in waiting[0].detail
    assert make_job(store, clock, {"email": mailer(smtp, clock)}).run().sent == 0  # not before its time
    smtp.defer_next[P["administrator"]] = 0
    clock.set(at(23, 9, 3))
    assert make_job(store, clock, {"email": mailer(smtp, clock)}).run().sent == 1
    assert fold(store.read_outbox())[waiting[0].key].attempts == 2


def test_a_lost_answer_after_the_data_is_unknown_never_sent_again_blindly(desk, clock, store, smtp) -> None:  # noqa: ANN001
    to_step(desk, clock, 4, at(23, 8, 50))
    smtp.drop_after_data = 1  # the server takes the message, then the connection drops before its "250"
    clock.set(at(23, 9))
    report = make_job(store, clock, {"email": mailer(smtp, clock)}).run()
    arrived = lambda: [m for m in smtp.to(P["administrator"]) if m["Subject"].startswith("Tugas baru")]  # noqa: E731
    assert report.unknown == 1 and len(arrived()) == 1
    for minutes in (1, 40, 120):  # later runs send the reminder and the breach, never the lost one again
        clock.set(at(23, 9) + dt.timedelta(minutes=minutes))
        make_job(store, clock, {"email": mailer(smtp, clock)}).run()
    assert len(arrived()) == 1 and len(smtp.to(P["administrator"])) == 3
    (key,) = [k for k, s in states(store).items() if s == Status.UNKNOWN]
    requeue(store, PEOPLE["admin"], key, clock)  # the admin asked the person and sends it again
    make_job(store, clock, {"email": mailer(smtp, clock)}).run()
    resent = arrived()
    assert len(resent) == 2 and resent[0]["Message-ID"] == resent[1]["Message-ID"]
    assert states(store)[key] == Status.SENT


def test_a_refused_login_stops_email_for_the_run_and_retries_later(desk, clock, store, smtp) -> None:  # noqa: ANN001
    to_step(desk, clock, 3, at(23, 8, 30))
    clock.set(at(23, 9))
    lines: list[str] = []
    report = make_job(store, clock, {"email": mailer(smtp, clock, password="salah")}, lines).run()
    assert report.retry == 3 and report.sent == 0 and smtp.messages == []
    # one login for the run (smtplib tries PLAIN, then LOGIN), not one per message
    assert [ok for _, ok in smtp.logins] == [False, False]
    assert not any("salah" in line for line in lines)
    clock.set(at(23, 9, 1))
    assert make_job(store, clock, {"email": mailer(smtp, clock)}).run().sent == 3


def test_an_unreachable_server_and_certificates_that_do_not_verify(desk, clock, store, smtp) -> None:  # noqa: ANN001
    to_step(desk, clock, 3, at(23, 8, 30))
    clock.set(at(23, 9))
    closed = make_job(store, clock, {"email": mailer(smtp, clock, port=1)}).run()
    assert closed.retry == 3 and closed.sent == 0
    clock.set(at(23, 9, 2))
    untrusted = make_job(store, clock, {"email": mailer(smtp, clock, ca_file="")}).run()
    assert untrusted.retry == 3 and smtp.messages == []
    reason = {s.detail for s in fold(store.read_outbox()).values()}
    assert any("TLS failed" in r and "CERTIFICATE_VERIFY_FAILED" in r for r in reason), reason
    clock.set(at(23, 9, 5))
    plain = make_job(store, clock, {"email": mailer(smtp, clock, security="none", username="")}).run()
    assert plain.sent == 0 and smtp.messages == []  # the server insists on STARTTLS: nothing goes in clear


def test_without_smtp_every_message_is_recorded_in_the_outbox(desk, clock, store) -> None:  # noqa: ANN001
    to_step(desk, clock, 3, at(23, 8, 30))
    clock.set(at(23, 9))
    report = make_job(store, clock, {}, unavailable={"email": "SMTP not configured"}).run()
    assert report.recorded == 3 and report.ok
    rows = [s for s in fold(store.read_outbox()).values()]
    assert {s.status for s in rows} == {Status.RECORDED}
    assert {s.meta.subject for s in rows} >= {"Tugas baru: Verifikasi konten — Uji KIR gratis di Pontianak"}
    assert make_job(store, clock, {}, unavailable={"email": "SMTP not configured"}).run().recorded == 0


def test_english_for_those_who_want_it(desk, clock, store, smtp) -> None:  # noqa: ANN001
    store.save_preference(Preference(P["supervisor"], "en").to_row())
    to_step(desk, clock, 3, at(23, 8, 30))
    clock.set(at(23, 9))
    make_job(store, clock, {"email": mailer(smtp, clock)}).run()
    mail = smtp.to(P["supervisor"])[0]
    assert mail["Subject"] == "New task: Verify the content — Uji KIR gratis di Pontianak"
    assert "due: Monday 23 Nov 2026 09:30 WIB" in text_part(mail) and mail["Content-Language"] == "en"
    assert smtp.to(P["supervisor2"])[0]["Subject"].startswith("Tugas baru")


def test_an_email_saved_for_people_to_look_at(desk, clock, store, smtp) -> None:  # noqa: ANN001
    """Writes test-artifacts/notify-arrived.eml (the message as the server received it); the browser test renders
    its HTML part."""
    item = to_step(desk, clock, 3, at(23, 8, 30), title="Jadwal kapal feri Rasau Jaya–Teluk Batang selama libur "
                                                         "akhir tahun", channels=("site", "instagram"))
    clock.set(at(23, 9))
    make_job(store, clock, {"email": mailer(smtp, clock)}).run()
    mail = smtp.to(P["supervisor"])[0]
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "notify-arrived.eml").write_bytes(mail.as_bytes())
    assert item.id in html_part(mail)
    assert re.search(r"Content-Type: multipart/alternative", mail.as_string())


def test_unset_security_uses_starttls_when_offered_and_verifies_it_for_a_login(desk, clock, store, tmp_path) -> None:  # noqa: ANN001
    """The server of the issue's check may be a Debian postfix offering STARTTLS with its self-signed certificate:
    without a login the message still goes (encrypted, like mail servers among themselves); a password is only
    ever sent after a verified handshake."""
    to_step(desk, clock, 4, at(23, 8, 50))
    clock.set(at(23, 9))
    with SmtpServer(tmp_path / "plain-login") as server:  # STARTTLS required, a certificate the client cannot verify
        report = make_job(store, clock, {"email": mailer(server, clock, security="auto", username="", password="",
                                                         ca_file="")}).run()
        assert report.sent == 2 and {r.to for r in server.messages} == {P["administrator"], P["manager"]}
    to_step(desk, clock, 3, at(23, 9, 5))
    clock.set(at(23, 9, 10))
    with SmtpServer(tmp_path / "with-login", user="desk", password="rahasia-smtp-123") as server:
        report = make_job(store, clock, {"email": mailer(server, clock, security="auto", ca_file="")}).run()
        assert report.sent == 0 and report.retry and server.logins == [] and server.messages == []

"""Telegram direct messages to people, against the loopback Bot API: linking a chat with /start, messages that
wait for working hours, a person who blocked the bot, rate limits, and the token never in the output."""

from __future__ import annotations

from pathlib import Path

import pytest
from notify_support import PEOPLE, Clock, at, make_job, new_store, to_step

from fakes.telegram_api import FakeTelegram, flood, server_error
from sopkit.notify.outbox import Status, fold
from sopkit.notify.prefs import Preference, link_code, read_preferences
from sopkit.notify.telegram import TelegramSender
from sopkit.store.sqlite import SQLiteStore
from sopkit.workflow import Desk

P = {k: u.email for k, u in PEOPLE.items()}


@pytest.fixture
def tg():  # type: ignore[no-untyped-def]
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def clock() -> Clock:
    return Clock(at(23, 9))


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return new_store(tmp_path / "tg.db")


@pytest.fixture
def desk(store: SQLiteStore, clock: Clock) -> Desk:
    return Desk(store, now=clock)


def bot(tg: FakeTelegram) -> TelegramSender:
    return TelegramSender(tg.token, tg.base_url, timeout=(2.0, 5.0))


def link(store: SQLiteStore, who: str, chat: int, channels: tuple[str, ...] = ("telegram",)) -> None:
    store.save_preference(Preference(P[who], channels=channels, telegram_chat_id=str(chat)).to_row())


def test_a_person_links_their_chat_with_start_and_is_told_there(desk, clock, store, tg) -> None:  # noqa: ANN001
    to_step(desk, clock, 3, at(23, 8, 30), take=True)
    code = link_code(tg.token, P["supervisor2"])
    tg.user_says(7001, f"/start {code}", "Sari")
    tg.user_says(7002, "/start bukan-kode-yang-benar")
    tg.user_says(7003, "halo")
    clock.set(at(23, 9))
    lines: list[str] = []
    report = make_job(store, clock, {"telegram": bot(tg)}, lines, unavailable={"email": "no SMTP"}).run()
    prefs, _ = read_preferences(store.read_preferences())
    linked = prefs[P["supervisor2"]]
    assert (linked.telegram_chat_id, linked.channels) == ("7001", ("email", "telegram"))
    assert report.linked == 1
    texts = [m["text"] for m in tg.to_chat(7001)]
    assert texts[0] == "Akun Telegram ini sekarang menerima notifikasi desk SOP Konten untuk Sari Pengawas."
    assert texts[1].startswith("Tugas baru: Verifikasi konten — Uji KIR gratis di Pontianak")
    assert "batas: Senin 23 Nov 2026 09.30 WIB" in texts[1] and texts[1].endswith(
        f"http://desk.test/item?id={store.read_register().items[0].id}")
    assert [m["text"] for m in tg.to_chat(7002)] == [
        "Kode ini tidak dikenal. Buka halaman Notifikasi di desk untuk kode yang benar."]
    assert tg.to_chat(7003) == [] and tg.updates == []  # every update was confirmed
    # the code changed with the link: replaying it links nothing else
    assert link_code(tg.token, P["supervisor2"], "7001") != code


def test_chat_messages_wait_for_working_hours_email_goes_at_once(desk, clock, store, tg) -> None:  # noqa: ANN001
    to_step(desk, clock, 3, at(23, 15, 50), take=True)
    link(store, "supervisor2", 7001, ("email", "telegram"))
    tg.private_chats["7001"] = {"id": 7001, "type": "private"}
    email = []

    class Mail:
        channel = "email"

        def send(self, out, letter) -> str:  # noqa: ANN001
            email.append(out.key)
            return "<id>"

        def close(self) -> None:
            pass

    clock.set(at(23, 19))
    report = make_job(store, clock, {"telegram": bot(tg), "email": Mail()}).run()
    assert report.waiting == 1 and tg.to_chat(7001) == [] and len(email) == 1
    clock.set(at(24, 7, 29))
    assert make_job(store, clock, {"telegram": bot(tg), "email": Mail()}).run().waiting == 1
    clock.set(at(24, 7, 30))
    make_job(store, clock, {"telegram": bot(tg), "email": Mail()}).run()
    assert [m["text"].split("\n")[0] for m in tg.to_chat(7001)] == [
        "Tugas baru: Verifikasi konten — Uji KIR gratis di Pontianak"]


def test_a_blocked_bot_fails_that_message_only_and_rate_limits_are_waited_out(desk, clock, store, tg) -> None:  # noqa: ANN001
    to_step(desk, clock, 3, at(23, 8, 30))
    link(store, "supervisor", 7001)
    link(store, "supervisor2", 7002)
    link(store, "manager", 7003)
    for chat in ("7001", "7002", "7003"):
        tg.private_chats[chat] = {"id": int(chat), "type": "private"}
    tg.blocked.add("7001")
    tg.inject(flood(retry_after=2, path_suffix="/sendMessage"))
    sleeps: list[float] = []
    clock.set(at(23, 9))
    report = make_job(store, clock, {"telegram": bot(tg)}, sleep=sleeps.append).run()
    assert (report.sent, report.failed) == (2, 1) and 2 in sleeps
    failed = [s for s in fold(store.read_outbox()).values() if s.status == Status.FAILED]
    assert "blocked the bot" in failed[0].detail and failed[0].meta.recipient == P["supervisor"]
    assert len(tg.to_chat(7002)) == 1 and len(tg.to_chat(7003)) == 1


def test_the_bot_token_never_appears_in_the_output(desk, clock, store, tg) -> None:  # noqa: ANN001
    to_step(desk, clock, 3, at(23, 8, 30), take=True)
    link(store, "supervisor2", 7002)
    tg.private_chats["7002"] = {"id": 7002, "type": "private"}
    tg.inject(server_error("/sendMessage"), times=10)
    tg.inject(server_error("/getUpdates"), times=10)
    clock.set(at(23, 9))
    lines: list[str] = []
    report = make_job(store, clock, {"telegram": bot(tg)}, lines).run()
    assert report.retry == 1
    rows = "\n".join(str(r) for r in store.read_outbox())
    assert tg.token not in "\n".join(lines) + rows and tg.token.split(":")[1] not in rows
    assert any("500" in line or "Internal Server Error" in line for line in lines)

"""The desk's side of notifications: counts in the menu, overdue first on the home page, each person's
preferences, the admin's outbox with its retry button and its list of users nobody can reach, and the links of
the messages opening the right item."""

from __future__ import annotations

import datetime as dt

from desk_helpers import button, email_for, errors, open_page, session_now

from sopkit.i18n import t
from sopkit.notify.job import NotifyJob
from sopkit.notify.outbox import Status, fold
from sopkit.notify.prefs import read_preferences
from sopkit.settings import Settings
from sopkit.store.base import Change


def menu(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [link.value for link in at.sidebar.page_link]


def test_the_menu_counts_what_waits_on_me_per_page(app, env) -> None:  # noqa: ANN001
    env.advance(3)
    env.advance(3, title="Jadwal kapal feri")
    env.advance(5, title="Rekayasa lalu lintas")
    at = app(email_for("supervisor"))
    at.run()
    assert f"{t('page.supervisor')} (3)" in menu(at) and f"{t('page.home')} (3)" in menu(at)
    officer = app(email_for("officer"))
    officer.run()
    assert t("page.officer") in menu(officer) and f"{t('page.home')}" in menu(officer)
    assert t("page.notifications") in menu(officer)


def test_home_lists_overdue_first(app, env) -> None:  # noqa: ANN001
    """Oldest first would put the long-scheduled item on top; overdue first puts the late verification there."""
    from sopkit.schema import User

    env.store.save_user(User("dua@demo.test", "Dua Peran", ("supervisor", "publisher")))
    waiting = env.advance(6, title="Terjadwal minggu depan")
    future = (session_now() + dt.timedelta(days=7)).isoformat()
    env.store.commit(Change(waiting.id, waiting.rev, {"publish_at": future,
                                                       "step_entered_at": (session_now() - dt.timedelta(days=10))
                                                       .isoformat()}))
    late = env.advance(3, title="Verifikasi terlambat")
    env.store.commit(Change(late.id, late.rev, {"step_entered_at": (session_now() - dt.timedelta(days=5)).isoformat()}))
    at = app("dua@demo.test")
    at.run()
    titles = [m.value for m in at.markdown if "Terjadwal minggu depan" in m.value or "Verifikasi terlambat" in m.value]
    assert len(titles) == 2 and "Verifikasi terlambat" in titles[0], titles


def test_a_person_chooses_kinds_channels_and_language(app, env) -> None:  # noqa: ANN001
    at = open_page(app(email_for("supervisor")), "notifications")
    offered = at.multiselect(key="w_notify_kinds").options
    assert t("notify.kind.digest") not in offered and t("notify.kind.publish_problem") in offered
    at.selectbox(key="w_notify_lang").set_value("en")
    at.multiselect(key="w_notify_kinds").set_value(["arrived", "breach"])
    at.multiselect(key="w_notify_channels").set_value(["email", "telegram"])
    button(at, "notifypage.save").click().run()
    assert not at.exception and not errors(at)
    prefs, problems = read_preferences(env.store.read_preferences())
    pref = prefs[email_for("supervisor")]
    assert (pref.lang, pref.channels) == ("en", ("email", "telegram"))
    assert not pref.wants("reminder") and pref.wants("arrived") and pref.wants("breach")
    assert pref.wants("digest")  # not offered to a supervisor: left as it was, for a role they may gain
    assert not problems
    # no bot configured: no link code is offered, and the admin sees a Telegram choice with no chat
    assert [c.value for c in at.caption if c.value == t("notifypage.tg_none")]
    admin = open_page(app(email_for("admin")), "admin")
    unreachable = [d for d in admin.dataframe if t("col.reason") in d.value.columns]
    assert unreachable and list(unreachable[0].value[t("col.reason")]) == [t("notify.unreachable.no_chat")]


def test_a_telegram_link_code_when_a_bot_is_configured(app, env, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    secrets = tmp_path / "bot.toml"
    secrets.write_text('[telegram]\nbot_token = "123:abc"\nbot_username = "sop_desk_bot"\n', encoding="utf-8")
    monkeypatch.setenv("SOPKIT_SECRETS", str(secrets))
    from sopkit.notify.prefs import link_code

    at = open_page(app(email_for("creator")), "notifications")
    code = link_code("123:abc", email_for("creator"))
    assert any(f"/start {code}" in c.value for c in at.code)
    assert "123:abc" not in str(at)


def test_the_admin_outbox_lists_sends_and_failures_and_sends_again(app, env) -> None:  # noqa: ANN001
    env.advance(3)
    now = session_now()

    class Refusing:
        channel = "email"

        def __init__(self) -> None:
            self.sent: list[str] = []

        def send(self, out, letter) -> str:  # noqa: ANN001
            from sopkit.channels.base import PermanentError

            if out.address == email_for("supervisor2"):
                raise PermanentError("550 5.1.1 mailbox unavailable")
            self.sent.append(out.key)
            return "<id@x>"

        def close(self) -> None:
            pass

    mail = Refusing()
    NotifyJob(env.store, Settings(), {"email": mail}, now=lambda: now, say=lambda s: None).run()
    at = open_page(app(email_for("admin")), "admin")
    table = next(d.value for d in at.dataframe if t("col.subject") in d.value.columns)
    statuses = set(table[t("col.status")])
    assert {t("notify.status.sent"), t("notify.status.failed")} <= statuses
    assert "550 5.1.1 mailbox unavailable" in set(table[t("col.detail")])
    assert email_for("supervisor2") not in set(table[t("col.to")])  # names, not addresses
    at.toggle(key="w_outbox_problems").set_value(True).run()
    problems = next(d.value for d in at.dataframe if t("col.subject") in d.value.columns)
    assert set(problems[t("col.status")]) == {t("notify.status.failed")}
    at.selectbox(key="w_outbox_pick").set_value(0)
    button(at, "admin.outbox_retry").click().run()
    assert not at.exception and t("admin.outbox_requeued") in [s.value for s in at.success]
    failed = [s for s in fold(env.store.read_outbox()).values() if s.meta.recipient == email_for("supervisor2")]
    assert [s.status for s in failed] == [Status.FREE]


def test_the_admin_types_a_chat_id(app, env) -> None:  # noqa: ANN001
    at = open_page(app(email_for("admin")), "admin")
    at.selectbox(key="w_chat_user").set_value(email_for("publisher"))
    at.text_input(key="w_chat_value").input("bukan angka")
    button(at, "admin.chat_save").click().run()
    assert errors(at) == [t("admin.chat_bad")]
    at.selectbox(key="w_chat_user").set_value(email_for("publisher"))
    at.text_input(key="w_chat_value").input("987654")
    button(at, "admin.chat_save").click().run()
    prefs, _ = read_preferences(env.store.read_preferences())
    assert prefs[email_for("publisher")].telegram_chat_id == "987654"
    assert "telegram" in prefs[email_for("publisher")].channels


def test_a_message_link_opens_its_item(app, env) -> None:  # noqa: ANN001
    """What a message links to: ``<base_url>/item?id=<id>`` — the item page reads the id from the URL."""
    item = env.advance(4, title="Perbaikan rambu Jalan Trans Kalimantan")
    other = env.advance(3, title="Yang lain")
    at = app(email_for("administrator"))
    at.query_params["id"] = item.id
    open_page(at, "item")
    assert any("Perbaikan rambu Jalan Trans Kalimantan" in m.value for m in at.markdown)
    assert not any("Yang lain" in m.value for m in at.markdown) and other.id

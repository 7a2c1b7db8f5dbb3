"""The rules compliance judged by, on the desk: Settings revisions on the item timeline and the admin page, and why
an attempt was late (working windows, breaks, weekends and named holidays)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from desk_helpers import button, email_for, open_page, successes

from pages._ui import session
from sopkit.i18n import t
from sopkit.settings import Settings
from sopkit.timeutil import AGENCY_TZ


def wib(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=AGENCY_TZ)


def late_over_idul_fitri(env):  # type: ignore[no-untyped-def]
    """Started on Tue 17 Mar 2026, submitted on Thu 26 Mar: Nyepi, Idul Fitri and its cuti bersama in between;
    an admin revised step 2's limit on the 26th at 11:00, while the item was still at step 1."""
    env.store.save_settings(Settings().to_rows(), source="init", at=wib(2026, 3, 1))
    officer = env.user(email_for("officer"))
    item = env.desk(wib(2026, 3, 17, 15, 0)).start(officer, title="Mudik gratis", summary="Ringkasan",
                                                   category="Berita", channels=("site",), sources="https://x.id")
    env.store.save_settings({"limit_step2": "300"}, actor=email_for("admin"), at=wib(2026, 3, 26, 11, 0))
    item = env.desk(wib(2026, 3, 26, 12, 0)).submit(officer, item)
    return item


@pytest.mark.parametrize("lang,holiday", [("id", "Cuti Bersama Hari Raya Idul Fitri"),
                                          ("en", "Eid al-Fitr Joint Holiday")])
def test_item_page_shows_the_revisions_and_why_it_was_late(app, env, lang: str, holiday: str) -> None:
    item = late_over_idul_fitri(env)
    at = app(email_for("manager"))
    at.session_state[session.LANG_KEY] = lang
    at.query_params["id"] = item.id
    open_page(at, "item")
    timeline, durations = at.dataframe[0].value, at.dataframe[1].value
    assert t("item.settings_changed", lang, rev=2) in list(timeline[t("log.action", lang)])
    assert list(durations[t("att.settings_rev", lang)]) == [1, 2]  # step 2 opened after the revision
    assert list(durations[t("att.limit_minutes", lang)]) == [450, 300]
    assert any(t("item.revision", lang, rev=2, at="", who="", changes="")[:8] in c.value for c in at.caption)
    labels = [e.label for e in at.expander]
    assert t("item.why_late", lang, step=1, attempt=1) in labels
    why = at.dataframe[2].value
    assert holiday in list(why[t("why.name", lang)])
    assert t("why.kind.holiday", lang) in list(why[t("why.kind", lang)])
    counted = why[why[t("why.kind", lang)] == t("why.kind.work", lang)][t("why.minutes", lang)].sum()
    assert counted == pytest.approx(float(durations[t("att.minutes", lang)].iloc[0]), abs=0.2)


def test_admin_save_is_a_revision_by_name_and_a_hand_edit_shows_as_its_own(app, env) -> None:
    env.store.save_settings(Settings().to_rows(), source="init", at=wib(2026, 3, 1))
    at = open_page(app(email_for("admin")), "admin")
    at.number_input(key="w_limit3").set_value(90)
    at.selectbox(key="w_limit3_unit").select("minute")  # 60 minutes show as "1 jam"
    button(at, "admin.save_settings").click().run()
    assert t("admin.saved_settings") in successes(at)
    history = env.store.read_settings_history()
    assert [(h["rev"], h["actor"], h["changes"]) for h in history][1:] == [
        ("2", email_for("admin"), "limit_step3: 60 → 90")]
    # an edit outside the app: the Settings table typed into directly
    with sqlite3.connect(env.path) as conn:
        conn.execute("UPDATE Settings SET value = '2026-12-31' WHERE key = 'extra_holidays'")
    session.after_write()
    at = open_page(app(email_for("admin")), "admin")
    [shown] = [d.value for d in at.dataframe if t("hist.rev") in d.value.columns]
    assert list(shown[t("hist.rev")])[:2] == [3, 2]  # newest first
    assert list(shown[t("hist.source")])[0] == t("hist.source.hand_edit")
    assert list(shown[t("hist.actor")])[1] == "Admin"  # names, not e-mail addresses
    assert env.store.read_settings_history()[-1]["source"] == "hand-edit"


def test_the_live_countdown_keeps_the_limit_in_force_when_the_step_started(app, env) -> None:
    """Publishing waits since 5 minutes (limit 15); an admin then cuts step 6's limit to 1 minute: the item's own
    countdown keeps 15, as the report judges it; an attempt starting from now on gets 1."""
    now = dt.datetime.now(AGENCY_TZ)
    env.store.save_settings(Settings().to_rows(), source="init", at=now - dt.timedelta(days=1))
    item = env.advance(6)
    env.store.save_settings({"limit_step6": "1"}, actor=email_for("admin"), at=now)
    at = app(email_for("manager"))
    at.query_params["id"] = item.id
    open_page(at, "item")
    shown = " ".join(m.value for m in at.markdown)
    assert t("clock.late", over="", deadline="").split()[0] not in shown
    assert t("clock.left", left="", deadline="").split()[0] in shown

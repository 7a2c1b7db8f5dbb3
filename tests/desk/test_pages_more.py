"""Compliance, admin and about pages; the one-read-per-rerun cache."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

from desk_helpers import button, email_for, errors, open_page, successes

from pages._ui import session
from sopkit.i18n import t


def test_a_rerun_reads_the_store_at_most_once_and_an_own_write_needs_no_read(app, env) -> None:
    item = env.advance(5)
    at = app(email_for("supervisor"))
    before = session.READS["count"]
    open_page(at, "supervisor")
    assert session.READS["count"] - before <= 1  # the app script and the page share one read
    reads = session.READS["count"]
    at.run()
    at.run()
    assert session.READS["count"] == reads  # cached (TTL) across reruns
    at.button(key=f"w_take_{item.id}").click().run()
    assert session.READS["count"] == reads  # own write: patched from what the commit returned, no read
    assert f"w_date_{item.id}" in [w.key for w in at.date_input]  # and the page shows the change at once


def test_compliance_page_shows_kpis_charts_and_downloads(app, env) -> None:
    for step in (2, 3, 4, 5, 6, 6):
        env.advance(step)
    at = open_page(app(email_for("manager")), "compliance")
    labels = [m.label for m in at.metric]
    assert labels == [t("kpi.published_period"), t("kpi.on_time"), t("kpi.lead_time"), t("kpi.rework")]
    # per step, the trend as one small chart per step with closed attempts (steps 1-5 here), durations
    assert len(at.get("vega_lite_chart")) == 1 + 5 + 1
    at.button(key="w_prep_csv").click().run()
    assert not at.exception
    with zipfile.ZipFile(io.BytesIO(at.session_state["_csv"])) as z:  # the CSV with its problems and about files
        data = z.read("kepatuhan-sop.csv").decode()
        about = z.read("kepatuhan-sop.about.csv").decode()
    header = next(csv.reader(io.StringIO(data)))  # the CLI's CSV writer: every header cell quoted
    assert header[:4] == ["item_id", "step", "attempt", "started_at"]
    assert "holidays_version" in about and "settings_revisions" in about
    assert any(c.value.startswith(t("compliance.about", as_of="", revs="", holidays="", fingerprint="", rows="")[:12])
               for c in at.caption)
    at.button(key="w_prep_xlsx").click().run()
    assert at.session_state["_xlsx"][:2] == b"PK"  # a zip: the XLSX container
    # filters: a category nobody used leaves nothing
    at.multiselect(key="w_f_cat").select("Regulasi").run()
    assert [m.value for m in at.metric][1] == "—"


def test_admin_edits_users_settings_and_sees_invalid_rows(app, env) -> None:
    env.store.import_rows([{"id": "rusak-1", "status": "entah", "step": "9"}], [])
    at = open_page(app(email_for("admin")), "admin")
    reasons = " ".join(str(v) for v in at.dataframe[-1].value[t("col.reason")])
    assert "status tidak dikenal" in reasons and "unknown status" not in reasons  # in the admin's language
    # settings: a bad working-hours value is refused and nothing is saved
    at.time_input(key="w_hours_mon_1_end").set_value(dt.time(7, 0))  # ends before it starts (07:30)
    button(at, "admin.save_settings").click().run()
    assert errors(at) == [t("settings.window_order", day=t("admin.day.mon"), n=1)]
    assert "hours_mon" not in env.store.read_settings()
    at.time_input(key="w_hours_mon_1_end").set_value(dt.time(12, 0))
    at.text_input(key="w_sop_number").input("800/123/DISHUB-C/2026")
    button(at, "admin.save_settings").click().run()
    assert env.store.read_settings()["sop_number"] == "800/123/DISHUB-C/2026"
    assert successes(at) == [t("admin.saved_settings")]
    # the About page shows it to everyone
    at = open_page(app(email_for("officer")), "about")
    assert "800/123/DISHUB-C/2026" in str(at.table[0].value)


def test_admin_sets_a_password_that_then_signs_in(app, env) -> None:
    at = open_page(app(email_for("admin")), "admin")
    at.selectbox(key="w_pw_user").select(email_for("publisher"))
    at.text_input(key="w_pw_new").input("kata-sandi-baru-2026")
    button(at, "admin.set_password").click().run()
    assert t("admin.password_set", email=env.user(email_for("publisher")).name) in successes(at)  # by name
    from sopkit.auth import authenticate

    assert authenticate(env.store, email_for("publisher"), "kata-sandi-baru-2026").email == email_for("publisher")


def test_english_switch_changes_the_ui_language(app, env) -> None:
    at = open_page(app(email_for("officer")), "officer")
    assert at.title[0].value == "Petugas"
    at.selectbox(key="w_lang").select("en").run()
    assert at.title[0].value == "Officer"


def test_own_write_patch_matches_a_full_read(app, env) -> None:
    """After a user's action the shared snapshot is patched (one item, its new Log rows), not re-read; it must
    equal what a full read of the store gives."""
    import streamlit as st

    other = env.advance(3)
    item = env.advance(5)
    at = open_page(app(email_for("supervisor")), "supervisor")
    at.button(key=f"w_take_{item.id}").click().run()
    at.button(key=f"w_take_{other.id}").click().run()
    at.button(key=f"w_approve_{other.id}").click().run()
    patched = session.snapshot()
    st.cache_resource.clear()
    full = session.snapshot()
    assert patched.register.items == full.register.items
    def cell(row, k):  # type: ignore[no-untyped-def]
        v = str(row.get(k, "") or "")
        return v or "0" if k.startswith("rejections_") else v  # a blank count reads as 0

    diff = [(k, a.get(k), b.get(k)) for a, b in zip(patched.register.rows, full.register.rows, strict=True)
            for k in set(a) | set(b) if cell(a, k) != cell(b, k)]
    assert diff == []
    assert patched.log.astype(str).values.tolist() == full.log.astype(str).values.tolist()


def test_other_users_changes_arrive_by_a_background_reread(app, env) -> None:
    """Past the TTL a run starts a full re-read in the background and is served the current snapshot meanwhile;
    a change made elsewhere (here: straight into the store, as another server process would) shows once it is in."""
    from sopkit.store.base import Change
    from sopkit.store.sqlite import SQLiteStore

    item = env.desk().take(env.user(email_for("creator")), env.advance(2))
    at = open_page(app(email_for("creator")), "creator")
    elsewhere = SQLiteStore(env.path)  # not the test's cache-dropping store: nobody tells this app
    elsewhere.commit(Change(item.id, item.rev, {"title": "Diubah di tempat lain"}))

    def titles() -> str:
        return " ".join(m.value for m in at.markdown)

    at.run()
    assert "Diubah di tempat lain" not in titles()  # within the TTL: the shared snapshot
    held = session._held(*session._key())
    held.read_at -= dt.timedelta(seconds=session.SNAPSHOT_TTL + 1)  # the TTL has passed
    before = session.READS["count"]
    at.run()  # served from the snapshot it has while a re-read starts (which may land during this run)
    assert not at.exception
    session.wait_for_refresh()
    assert session.READS["count"] == before + 1
    at.run()
    assert "Diubah di tempat lain" in titles()

"""A refused save speaks the reader's language (issue 13, items 3 and 4): a store's outcome (a stale write, Google
Sheets staying busy), an admin's refused change and a Settings row that cannot be read are shown from their
catalogue key, never as the exception's English text; Log notes the desk writes itself ("assigned to …",
"published on …", "admin edit: …") are shown in words, with names; the admin picks people by name."""

from __future__ import annotations

import pytest
from desk_helpers import button, email_for, errors, open_page
from test_no_english import NAMES, english_in

from fakes.desk_on_sheets import SheetEnv, sheet_desk
from sopkit.admin import edit_register_row
from sopkit.i18n import t
from sopkit.store.sqlite import SQLiteStore


@pytest.fixture(autouse=True)
def named(env) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """People named as people are (the fixture names them after their role, in English): e-mail → name."""
    from dataclasses import replace

    users = env.store.read_users()[0]
    names = (*NAMES, "Fajar Nugroho", "Lina Marlina", "Rudi Hartono", "Sri Wahyuni", "Taufik Hidayat")
    assert len(users) <= len(names)
    for user, name in zip(users, names, strict=False):
        env.store.save_user(replace(user, name=name))
    return {u.email: name for u, name in zip(users, names, strict=False)}


def _no_english(at) -> None:  # type: ignore[no-untyped-def]
    found = english_in(at)
    assert not found, found


def test_a_stale_register_edit_is_refused_in_indonesian(app, env) -> None:
    item = env.advance(2, title="Jembatan Kapuas ditutup")
    at = open_page(app(email_for("admin")), "admin")
    # another admin's desk (its own connection: this tab's snapshot is not told) corrects the title meanwhile
    elsewhere = SQLiteStore(env.path)
    edit_register_row(elsewhere, env.user(email_for("admin")), item.id, item.rev, {"title": "Jembatan dibuka"})
    at.session_state["w_register"] = {"edited_rows": {0: {"title": "Judul dari tab lama"}}, "added_rows": [],
                                      "deleted_rows": []}
    button(at, "admin.save_register").click().run()
    assert errors(at) == [t("admin.row_refused", id=item.id, reason=t("error.stale"))]
    assert env.item(item.id).title == "Jembatan dibuka"  # nothing of the old tab's edit was written
    assert not any("someone else" in e or "revision" in e for e in errors(at))
    _no_english(at)


def test_an_admin_refusal_is_in_the_admins_language(app, env) -> None:
    at = open_page(app(email_for("admin")), "admin")
    frame = next(d.value for d in at.dataframe if "email" in d.value.columns)
    me = int(frame.index[frame["email"] == email_for("admin")][0])
    at.session_state["w_users"] = {"edited_rows": {me: {"roles": ["officer"]}}, "added_rows": [], "deleted_rows": []}
    button(at, "admin.save_users").click().run()
    assert errors(at) == [t("admin.invalid", reason=t("admin.err.own_admin"))]
    assert "admin" in env.user(email_for("admin")).roles
    _no_english(at)
    at.session_state["w_users"] = {"edited_rows": {}, "deleted_rows": [],
                                   "added_rows": [{"email": "baru@demo.test", "name": "Baru", "roles": ["raja"]}]}
    button(at, "admin.save_users").click().run()
    [said] = errors(at)
    assert said.startswith(t("admin.invalid", reason="")) and "peran tidak dikenal" in said, said
    assert "unknown role" not in said


def test_unreadable_settings_rows_are_listed_in_indonesian(app, env) -> None:
    env.store.save_settings({"limit_step3": "sejam", "hours_mon": "07:30-12:00,11:00-16:00", "warna": "biru"},
                            actor="", source="hand")
    at = open_page(app(email_for("admin")), "admin")
    frames = [d.value for d in at.dataframe if t("col.reason") in d.value.columns]
    assert frames, [list(d.value.columns) for d in at.dataframe]
    reasons = list(frames[-1][t("col.reason")])
    assert t("settings.problem", setting="limit_step3", reason=t("settings.err.minutes", value="sejam")) in reasons
    assert t("settings.unknown", setting="warna") in reasons
    assert any("tumpang tindih" in r for r in reasons), reasons
    assert t("admin.table.Settings") in list(frames[-1][t("col.table")])
    _no_english(at)


def test_the_password_picker_lists_names_and_tells_namesakes_apart(app, env, named) -> None:
    from dataclasses import replace

    sup, sup2, officer = (email_for(r) for r in ("supervisor", "supervisor2", "officer"))
    env.store.save_user(replace(env.user(sup2), name=named[sup]))  # a namesake
    at = open_page(app(email_for("admin")), "admin")
    picker = at.selectbox(key="w_pw_user")
    shown = list(picker.options)  # the labels the browser lists
    assert named[officer] in shown and officer not in " ".join(shown)
    assert f"{named[sup]} ({sup})" in shown and f"{named[sup]} ({sup2})" in shown
    picker.select(officer)
    at.text_input(key="w_pw_new").input("kata-sandi-baru-yang-panjang")
    button(at, "admin.set_password").click().run()
    assert t("admin.password_set", email=named[officer]) in [s.value for s in at.success], errors(at)


def test_log_notes_the_desk_writes_are_shown_in_words_with_names(app, env, named) -> None:
    item = env.advance(3, title="Berita ditugaskan")
    sup = env.user(email_for("supervisor"))
    env.desk().assign(sup, item, env.user(email_for("supervisor2")), log=env.store.read_log(item.id))
    edit_register_row(env.store, env.user(email_for("admin")), item.id, env.item(item.id).rev, {"title": "Baru"})
    at = app(email_for("supervisor"))
    at.query_params["id"] = item.id
    open_page(at, "item")
    cells = [str(v) for d in at.dataframe for col in d.value.columns for v in d.value[col]]
    assert t("log.assigned", who=named[email_for("supervisor2")]) in cells, cells
    assert t("log.admin_edit", fields=t("field.title")) in cells
    assert not any("assigned to" in c or "admin edit" in c or "@" in c for c in cells)
    _no_english(at)
    assert env.store.read_log(item.id)[-2]["note"] == f"assigned to {email_for('supervisor2')}"  # stored as is


@pytest.fixture
def sheet(tmp_path) -> SheetEnv:  # type: ignore[no-untyped-def]
    with sheet_desk(tmp_path) as s:
        yield s


def test_google_sheets_staying_busy_is_said_in_indonesian(sheet: SheetEnv) -> None:
    """A real desk on (the fake) Google Sheets whose writes keep answering 429: the click, and the admin's
    Settings save, say "busy, nothing saved" in Indonesian, not the store's English."""
    from desk_helpers import ROOT
    from streamlit.testing.v1 import AppTest

    from pages._ui import session
    from sopkit import sessions

    def tab(role: str) -> AppTest:
        user = sheet.user(role)
        _, record = sessions.issue(sheet.store, user, sessions.SessionConfig(secret="test-secret"))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.session_state[session.AUTH_KEY] = record.id
        return at

    from dataclasses import replace

    for user, name in zip(sheet.store.read_users()[0], NAMES, strict=False):  # people named as people are
        sheet.store.save_user(replace(user, name=name))
    item = sheet.item_at(3)
    at = open_page(tab("supervisor"), "supervisor")
    sheet.fake.inject("write", 429, retry_after=0, times=50)
    at.button(key=f"w_take_{item.id}").click().run()
    assert errors(at) == [t("error.busy")]
    assert sheet.store.get_item(item.id).verifier == ""
    _no_english(at)
    sheet.fake.clear_faults()

    admin = open_page(tab("admin"), "admin")
    sheet.fake.inject("write", 429, retry_after=0, times=50)
    button(admin, "admin.save_settings").click().run()
    assert errors(admin) == [t("admin.store_failed", reason=t("error.busy"))]
    _no_english(admin)
    sheet.fake.clear_faults()


def test_the_sop_page_states_limits_as_the_sop_does_and_badges_say_hours_in_words(app, env) -> None:
    import re

    at = open_page(app(email_for("manager")), "about")
    [steps] = [tb.value for tb in at.table if t("about.limit") in tb.value.columns]
    assert list(steps[t("about.limit")]) == ["1 hari kerja", "6 jam", "1 jam", "1 jam", "15 menit", "15 menit"]
    env.advance(3, title="Berita verifikasi")
    at = open_page(app(email_for("supervisor")), "supervisor")
    badges = [m.value for m in at.markdown if "-badge[" in m.value]
    assert badges and not any(re.search(r"\d:\d\d", b) for b in badges), badges  # "1 jam", never "1:00 jam"

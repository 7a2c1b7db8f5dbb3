"""Each role's happy path through its page, in the SOP's order, and the refusals on the way."""

from __future__ import annotations

import datetime as dt

from desk_helpers import button, email_for, errors, open_page, session_now, successes

from sopkit import sop
from sopkit.i18n import format_iso, t


def test_one_item_from_mulai_to_published_through_the_pages(app, env) -> None:
    # 1. Petugas: Mulai, then submit
    at = open_page(app(email_for("officer")), "officer")
    at.text_input(key="w_new_title").input("Uji coba rute bus Trans Kalbar")
    at.text_area(key="w_new_summary").input("Rute baru mulai Senin.")
    at.selectbox(key="w_new_category").select("Layanan")
    at.multiselect(key="w_new_channels").select("site").select("x")
    at.text_area(key="w_new_sources").input("https://dishub.kalbarprov.go.id/rute")
    button(at, "officer.start_button").click().run()
    assert not at.exception
    [item] = env.store.read_register().items
    assert (item.step, item.officer, item.channels) == (1, email_for("officer"), ("site", "x"))
    assert successes(at) == [t("done.start", id=item.id)]
    button(at, "officer.submit").click().run()
    assert env.item(item.id).step == 2

    # 2. Pembuat Konten: Ambil, write, submit
    at = open_page(app(email_for("creator")), "creator")
    at.button(key=f"w_take_{item.id}").click().run()
    assert env.item(item.id).creator == email_for("creator")
    at.text_area(key=f"w_body_{item.id}").input("Mulai Senin, bus **Trans Kalbar** melayani rute baru.")
    at.text_area(key=f"w_cap_{item.id}_x").input("Rute baru Trans Kalbar mulai Senin.")
    at.text_area(key=f"w_cap_{item.id}_site").input("Rute baru.")
    at.run()
    assert t("creator.count", n=35, limit=280) in [c.value for c in at.caption]
    at.button(key=f"w_submit_{item.id}").click().run()
    assert not errors(at), errors(at)
    assert env.item(item.id).step == 3

    # 3. Pejabat Pengawas: take, approve
    at = open_page(app(email_for("supervisor")), "supervisor")
    at.button(key=f"w_take_{item.id}").click().run()
    at.button(key=f"w_approve_{item.id}").click().run()
    assert env.item(item.id).step == 4

    # 4. Pejabat Administrator: take, approve
    at = open_page(app(email_for("administrator")), "administrator")
    at.button(key=f"w_take_{item.id}").click().run()
    at.button(key=f"w_approve_{item.id}").click().run()
    assert env.item(item.id).step == 5

    # 5. Pejabat Pengawas: take, schedule tomorrow 09:00
    at = open_page(app(email_for("supervisor")), "supervisor")
    at.button(key=f"w_take_{item.id}").click().run()
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    at.date_input(key=f"w_date_{item.id}").set_value(tomorrow)
    at.time_input(key=f"w_time_{item.id}").set_value(dt.time(9, 0))
    button(at, "schedule.button").click().run()
    assert not errors(at), errors(at)
    scheduled = env.item(item.id)
    assert scheduled.step == 6 and scheduled.publish_at.astimezone(sop_tz()).time() == dt.time(9, 0)
    at = app(email_for("officer"))
    at.query_params["id"] = item.id
    durations = open_page(at, "item").dataframe[1].value
    marks = dict(zip(durations[t("att.step")], durations[t("att.on_time")], strict=True))
    assert marks[6] == "⏳" and marks[5] == "✓", marks  # step 6 runs until tomorrow's post: not "on time" yet

    # 6. Pengelola: paste the URL of each hand-published channel
    at = open_page(app(email_for("publisher")), "publisher")
    for channel in ("site", "x"):
        at.text_input(key=f"w_url_{item.id}_{channel}").input(f"https://example.org/{channel}/1")
        _record(at, item.id, channel)
    done = env.item(item.id)
    assert done.status == sop.PUBLISHED and done.publisher == email_for("publisher")

    # Item detail: the whole timeline from the Log
    at = app(email_for("officer"))
    at.query_params["id"] = item.id
    open_page(at, "item")
    actions = list(at.dataframe[0].value[t("log.action")])
    assert actions[:2] == [t("action.start"), t("action.submit")] and actions[-1] == t("action.publish")
    assert set(at.dataframe[1].value[t("att.step")]) == {1, 2, 3, 4, 5, 6}


def _record(at, item_id: str, channel: str) -> None:  # type: ignore[no-untyped-def]
    """Press the "Catat tayang" button of one channel's form (labels repeat per channel; the form key tells)."""
    form_buttons = [b for b in at.button if b.label == t("publisher.record")]
    order = [b for b in form_buttons if f"w_pub_{item_id}_{channel}" in str(b.form_id)]
    assert len(order) == 1
    order[0].click().run()
    assert not at.exception and not errors(at), errors(at)


def sop_tz():  # type: ignore[no-untyped-def]
    from sopkit.timeutil import AGENCY_TZ

    return AGENCY_TZ


def test_reject_needs_a_note_and_returns_to_the_creator(app, env) -> None:
    item = env.advance(3)
    at = open_page(app(email_for("supervisor")), "supervisor")
    at.button(key=f"w_take_{item.id}").click().run()
    button(at, "review.reject").click().run()
    assert any(e.startswith(t("error.note_required")) for e in errors(at))
    assert env.item(item.id).step == 3
    at.text_area(key=f"w_note_{item.id}").input("Tanggal di paragraf 2 salah.")
    button(at, "review.reject").click().run()
    back = env.item(item.id)
    assert (back.step, back.rejections_step3, back.last_note) == (2, 1, "Tanggal di paragraf 2 salah.")
    at = open_page(app(email_for("creator")), "creator")
    assert t("creator.rework", n=1) in [w.value for w in at.warning]
    assert "Tanggal di paragraf 2 salah." in [x.value for x in at.text]


def test_maker_checker_refused_in_the_page(app, env) -> None:
    """A user with both roles who designed the item may not verify it."""
    from dataclasses import replace

    env.store.save_user(replace(env.user(email_for("creator")), roles=("creator", "supervisor")))
    item = env.advance(3)
    at = open_page(app(email_for("creator")), "supervisor")
    # said before the click (issue 13, item 6): the reason names what they did, and there is no button to refuse
    assert t("mc.design") in [i.value for i in at.info]
    assert f"w_take_{item.id}" not in [b.key for b in at.button]
    assert env.item(item.id).verifier == ""


def test_stale_write_when_two_users_act_on_one_item(app, env) -> None:
    item = env.advance(5)
    first = open_page(app(email_for("supervisor")), "supervisor")
    second = open_page(app(email_for("supervisor2")), "supervisor")
    first.button(key=f"w_take_{item.id}").click().run()
    assert env.item(item.id).scheduler == email_for("supervisor")
    second.button(key=f"w_take_{item.id}").click().run()  # the page still showed the old revision
    assert errors(second) == [t("error.stale")]
    assert env.item(item.id).scheduler == email_for("supervisor")
    # the message came with a reload: the item now shows as held by someone else, so no take button
    assert f"w_take_{item.id}" not in [b.key for b in second.button]


def test_a_user_deactivated_elsewhere_is_refused_at_the_next_click(app, env) -> None:
    """Another process (not this app, whose snapshot still shows the user active) deactivates the supervisor: the
    next action is refused (the session check or, failing that, the store in the read it already makes), in
    Indonesian, and nothing changes."""
    from dataclasses import replace

    from sopkit.store.sqlite import SQLiteStore

    item = env.advance(3)
    at = open_page(app(email_for("supervisor")), "supervisor")
    elsewhere = SQLiteStore(env.path)  # nobody tells this app's cache
    elsewhere.save_user(replace(env.user(email_for("supervisor")), active=False))
    at.button(key=f"w_take_{item.id}").click().run()
    assert errors(at) and set(errors(at)) <= {t("error.actor_refused"), t("session.inactive"), t("error.forbidden")}
    assert env.item(item.id).verifier == "" and env.item(item.id).rev == item.rev


def test_cancel_before_it_goes_out(app, env) -> None:
    item = env.advance(6)
    at = open_page(app(email_for("supervisor")), "supervisor")
    assert f"w_cnote_{item.id}" not in [w.key for w in at.text_input]  # forms open on demand, for the picked item
    at.selectbox(key="w_pick_scheduled").select(item.id).run()
    at.text_input(key=f"w_cnote_{item.id}").input("Acara ditunda.")
    button(at, "cancel.button").click().run()
    assert env.item(item.id).status == sop.CANCELLED


def test_home_shows_my_tasks_with_their_countdown(app, env) -> None:
    item = env.advance(2)
    at = open_page(app(email_for("creator")), "home")
    assert item.title in " ".join(m.value for m in at.markdown)
    # st.badge is Markdown ":<colour>-badge[label]"; fresh work is green, an old one amber or red
    badges = [m.value for m in at.markdown if "-badge[" in m.value]
    assert len(badges) == 1 and badges[0].startswith((":green-badge[Sisa", ":orange-badge[Sisa",
                                                      ":red-badge[Terlambat")), badges


def test_schedule_refuses_a_collision_unless_confirmed(app, env) -> None:
    sup = env.user(email_for("supervisor"))
    first = env.advance(5)  # on site and x
    first = env.desk().schedule(sup, env.desk().take(sup, first), session_now() + dt.timedelta(hours=2))
    second = env.advance(5)
    env.desk().take(env.user(email_for("supervisor")), second)
    at = open_page(app(email_for("supervisor")), "supervisor")
    when = first.publish_at.astimezone(sop_tz())
    at.date_input(key=f"w_date_{second.id}").set_value(when.date())
    at.time_input(key=f"w_time_{second.id}").set_value(when.time())
    button(at, "schedule.button").click().run()
    assert errors(at) == [t("schedule.collision", ids=first.id)]
    assert env.item(second.id).step == 5
    at.checkbox(key=f"w_force_{second.id}").check()
    button(at, "schedule.button").click().run()
    assert env.item(second.id).step == 6


def test_supervisor_assigns_queued_work(app, env) -> None:
    item = env.advance(2)
    at = open_page(app(email_for("supervisor")), "supervisor")
    at.selectbox(key=f"w_assignee_{item.id}").select(email_for("creator"))
    at.button(key=f"w_assign_{item.id}").click().run()
    assert env.item(item.id).creator == email_for("creator")


def test_home_recent_activity_is_newest_first(app, env) -> None:
    env.advance(3)
    env.advance(2)
    at = open_page(app(email_for("officer")), "home")
    shown = list(at.dataframe[0].value[t("log.at")])
    mine = sorted((r["at"] for r in env.store.read_log() if r["actor"] == email_for("officer")), reverse=True)
    assert len(shown) == 4
    assert shown == [format_iso(x, "id", sop_tz()) for x in mine]  # newest first, as staff read times

"""Issue 13 items 9 and 5 in the pages: the search bar above queues and the Register (its URL parameters), and
the supervisor's publication calendar with countdowns and the on-demand reschedule / cancel forms."""

from __future__ import annotations

import datetime as dt
import json

from desk_helpers import email_for, open_page, session_now

from sopkit.i18n import t
from sopkit.store.base import Change


def _headers(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.value for m in at.markdown if m.value.startswith("**")]


def test_search_narrows_the_verify_queue_and_is_kept_in_the_url(app, env) -> None:
    a = env.advance(3, title="Jembatan Kapuas ditutup")
    b = env.advance(3, title="Rute bus baru")
    at = open_page(app(email_for("supervisor")), "supervisor")
    assert {f"w_take_{a.id}", f"w_take_{b.id}"} <= {x.key for x in at.button}
    at.text_input(key="w_f_verify_text").input("kapuas").run()
    keys = {x.key for x in at.button}
    assert f"w_take_{a.id}" in keys and f"w_take_{b.id}" not in keys
    assert at.query_params["verify.q"] == "kapuas"
    assert t("filter.count", shown=1, total=2) in [c.value for c in at.caption]
    # a link with the parameters opens the page already filtered (a fresh session)
    again = app(email_for("supervisor"))
    again.query_params["verify.q"] = "rute"
    open_page(again, "supervisor")
    keys = {x.key for x in again.button}
    assert f"w_take_{b.id}" in keys and f"w_take_{a.id}" not in keys
    assert again.text_input(key="w_f_verify_text").value == "rute"


def test_the_home_task_list_is_searchable_too(app, env) -> None:
    a = env.advance(3, title="Jembatan Kapuas ditutup")
    b = env.advance(3, title="Rute bus baru")
    at = open_page(app(email_for("supervisor")), "home")
    titles = lambda: " ".join(m.value for m in at.markdown)  # noqa: E731
    assert a.title in titles() and b.title in titles()
    at.text_input(key="w_f_home_text").input("kapuas").run()
    assert not at.exception
    assert a.title in titles() and b.title not in titles()
    assert at.query_params["home.q"] == "kapuas"
    assert t("filter.count", shown=1, total=2) in [c.value for c in at.caption]


def test_filters_by_channel_person_and_status_offer_names_and_words_not_codes(app, env) -> None:
    a = env.advance(2, channels=("facebook",))
    b = env.advance(2, channels=("site", "x"))
    at = open_page(app(email_for("supervisor")), "supervisor")
    channels = at.multiselect(key="w_f_assign_channels")
    assert t("channel_name.site") in channels.options and "site" not in channels.options
    people = at.multiselect(key="w_f_assign_people")
    assert env.user(email_for("officer")).name in people.options
    assert email_for("officer") not in people.options  # names, not e-mails
    channels.select("facebook").run()
    assert f"w_assignee_{a.id}" in {x.key for x in at.selectbox}
    assert f"w_assignee_{b.id}" not in {x.key for x in at.selectbox}
    assert at.query_params["assign.ch"] == "facebook"


def test_the_admin_register_editor_is_searchable_and_saves_the_right_row(app, env) -> None:
    a = env.advance(2, title="Jembatan Kapuas ditutup")
    env.advance(2, title="Rute bus baru")
    at = open_page(app(email_for("admin")), "admin")
    at.text_input(key="w_f_register_text").input("kapuas").run()
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    register = [f for f in frames if "id" in f.columns and "rev" in f.columns]
    assert len(register) == 1 and list(register[0]["id"]) == [a.id]  # the editor holds the matching rows only
    # a correction in the filtered editor lands on that item (positions are the shown frame's)
    at.session_state["w_register"] = {"edited_rows": {0: {"title": "Jembatan Kapuas dibuka"}}, "added_rows": [],
                                      "deleted_rows": []}
    [save] = [b for b in at.button if b.key == "w_save_register"]
    save.click().run()
    assert env.item(a.id).title == "Jembatan Kapuas dibuka"


def test_the_calendar_grid_shows_titles_links_channels_and_flags_past_due(app, env) -> None:
    due = env.advance(6, title="Sudah lewat <b>tebal</b>")  # scheduled 5 minutes ago, nothing published
    later = env.advance(5, title="Nanti siang")
    sup = env.user(email_for("supervisor"))
    later = env.desk().schedule(sup, env.desk().take(sup, later), session_now() + dt.timedelta(hours=2, minutes=15))
    at = open_page(app(email_for("supervisor")), "supervisor")
    [grid] = [h.proto.body for h in at.get("html") if "sk-cal" in h.proto.body]
    assert f'href="item?id={later.id}"' in grid and f'href="item?id={due.id}"' in grid
    assert "Nanti siang" in grid
    assert "&lt;b&gt;tebal&lt;/b&gt;" in grid and "<b>tebal" not in grid  # staff text is escaped
    assert 'class="e late"' in grid and grid.count('class="e late"') == 1
    assert t("weekday.short.0") in grid and t("channel_name.site") in grid  # weekday heads, channel legend
    assert t("schedule.past_due_n", n=1) in [w.value for w in at.warning]
    badges = [m.value for m in at.markdown if "-badge[" in m.value]
    assert any(b.startswith(":red-badge[") and t("schedule.overdue", over="5 menit") in b for b in badges), badges
    assert any(t("schedule.in", left="2 jam 15 menit") in b or t("schedule.in", left="2 jam 14 menit") in b
               for b in badges), badges


def test_the_week_view_and_moving_between_months(app, env) -> None:
    item = env.advance(6, title="Minggu ini")
    at = open_page(app(email_for("supervisor")), "supervisor")
    at.button(key="w_cal_next").click().run()
    [grid] = [h.proto.body for h in at.get("html") if "sk-cal" in h.proto.body]
    assert f"item?id={item.id}" not in grid  # next month: not there
    at.button(key="w_cal_today").click().run()
    at.get("button_group")[0].set_value("week").run()
    [grid] = [h.proto.body for h in at.get("html") if "sk-cal" in h.proto.body]
    assert f"item?id={item.id}" in grid and grid.count("<tr>") == 2  # the head and one week


def test_reschedule_and_cancel_forms_open_only_for_the_picked_item(app, env) -> None:
    a = env.advance(6, title="Satu")
    b = env.advance(6, title="Dua")
    at = open_page(app(email_for("supervisor")), "supervisor")
    assert not [w for w in at.date_input if w.key in (f"w_date_{a.id}", f"w_date_{b.id}")]
    at.selectbox(key="w_pick_scheduled").select(b.id).run()
    assert [w.key for w in at.date_input if w.key in (f"w_date_{a.id}", f"w_date_{b.id}")] == [f"w_date_{b.id}"]
    new = (session_now() + dt.timedelta(days=1)).replace(hour=9, minute=0, second=0)
    at.date_input(key=f"w_date_{b.id}").set_value(new.date())
    at.time_input(key=f"w_time_{b.id}").set_value(new.time())
    [button] = [x for x in at.button if x.label == t("schedule.reschedule")]
    button.click().run()
    assert not at.exception and env.item(b.id).publish_at == new
    assert env.item(a.id).publish_at != new


def test_a_result_recorded_elsewhere_clears_the_past_due_flag(app, env) -> None:
    item = env.advance(6, title="Sebagian")
    results = {"site": {"status": "published", "url": "https://e.org/1"},
               "x": {"status": "published", "url": "https://e.org/2"}}
    env.store.commit(Change(item.id, env.item(item.id).rev, {"channel_results": json.dumps(results)}))
    at = open_page(app(email_for("supervisor")), "supervisor")
    [grid] = [h.proto.body for h in at.get("html") if "sk-cal" in h.proto.body]
    assert 'class="e late"' not in grid

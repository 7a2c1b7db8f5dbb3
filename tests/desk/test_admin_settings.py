"""Issue 13 item 10: the admin's settings with units, time pickers and date pickers beside the national
holidays; roles picked from a list. Saving is still one revision of the Settings history."""

from __future__ import annotations

import datetime as dt

from desk_helpers import button, email_for, errors, open_page, successes

from sopkit.clock import holiday_names
from sopkit.i18n import t
from sopkit.settings import Settings


def test_limits_show_with_their_units_and_save_as_minutes(app, env) -> None:
    env.store.save_settings(Settings().to_rows(), source="init")
    at = open_page(app(email_for("admin")), "admin")
    shown = {n: (at.number_input(key=f"w_limit{n}").value, at.selectbox(key=f"w_limit{n}_unit").value)
             for n in range(1, 7)}
    assert shown == {1: (1, "workday"), 2: (6, "hour"), 3: (1, "hour"), 4: (1, "hour"), 5: (15, "minute"),
                     6: (15, "minute")}
    assert at.selectbox(key="w_limit6_unit").options == [t("unit.hour"), t("unit.minute")]
    at.number_input(key="w_limit2").set_value(1)
    at.selectbox(key="w_limit2_unit").select("workday")
    button(at, "admin.save_settings").click().run()
    assert t("admin.saved_settings") in successes(at)
    assert env.store.read_settings()["limit_step2"] == "450"
    history = env.store.read_settings_history()
    assert (history[-1]["actor"], history[-1]["changes"]) == (email_for("admin"), "limit_step2: 360 → 450")


def test_working_hours_are_two_time_picked_sessions_per_day(app, env) -> None:
    at = open_page(app(email_for("admin")), "admin")
    assert at.time_input(key="w_hours_fri_1_end").value == dt.time(11, 30)
    assert at.time_input(key="w_hours_sat_1_start").value is None  # a day off: both empty
    at.time_input(key="w_hours_sat_1_start").set_value(dt.time(8, 0))
    button(at, "admin.save_settings").click().run()
    assert errors(at) == [t("settings.window_half", day=t("admin.day.sat"), n=1)]
    assert "hours_sat" not in env.store.read_settings()  # refused: nothing saved
    at.time_input(key="w_hours_sat_1_end").set_value(dt.time(12, 0))
    at.time_input(key="w_hours_wed_2_start").set_value(dt.time(11, 0))  # overlaps the morning (until 12.00)
    button(at, "admin.save_settings").click().run()
    assert errors(at) == [t("settings.window_overlap", day=t("admin.day.wed"), n=2)]
    at.time_input(key="w_hours_wed_2_start").set_value(dt.time(13, 0))
    button(at, "admin.save_settings").click().run()
    assert not errors(at)
    assert env.store.read_settings()["hours_sat"] == "08:00-12:00"


def test_extra_dates_are_picked_and_the_years_national_holidays_are_shown_beside_them(app, env) -> None:
    at = open_page(app(email_for("admin")), "admin")
    year = dt.date.today().year  # the desk's zone is UTC+7: the same year but for 7 hours at new year
    national = [d.value for d in at.dataframe if t("col.holiday") in d.value.columns]
    assert national, "the national holidays table is missing"
    names = list(national[0][t("col.holiday")])
    assert set(holiday_names(year, "id").values()) <= {n.split(" (")[0] for n in names}
    assert any(n.startswith("Cuti Bersama") for n in names)
    day = dt.date(year, 12, 31)
    at.date_input(key="w_holidays_new").set_value(day)
    at.button(key="w_holidays_add").click().run()
    assert at.multiselect(key="w_holidays").value == [day]
    at.date_input(key="w_workdays_new").set_value(day)
    at.button(key="w_workdays_add").click().run()
    button(at, "admin.save_settings").click().run()
    assert errors(at) == [t("settings.date_both", date=f"31 Des {year}")]
    at.multiselect(key="w_workdays").unselect(day).run()
    button(at, "admin.save_settings").click().run()
    assert t("admin.saved_settings") in successes(at)
    assert env.store.read_settings()["extra_holidays"] == day.isoformat()


def test_roles_are_a_multiselect_of_role_names_and_save_as_codes(app, env) -> None:
    at = open_page(app(email_for("admin")), "admin")
    [editor] = [d for d in at.dataframe if "email" in d.value.columns or t("col.email") in d.value.columns][:1]
    roles = editor.value["roles"]
    assert list(roles[editor.value["email"] == email_for("creator")])[0] == ["creator"]
    at.session_state["w_users"] = {"edited_rows": {1: {"roles": ["creator", "officer"]}}, "added_rows": [],
                                   "deleted_rows": []}
    who = editor.value.iloc[1]["email"]
    button(at, "admin.save_users").click().run()
    assert not errors(at), errors(at)
    assert set(env.user(who).roles) == {"creator", "officer"}

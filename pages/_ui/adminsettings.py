"""The admin's SOP settings inputs: limits with their units, two time-picked sessions per weekday, extra holidays
and working days picked as dates beside the year's national holidays and cuti bersama. The conversions and the
checks are ``sopkit.settings_form``; saving stays ``admin.save_settings`` (one revision of the history).

Not a ``st.form``: adding a date is a button of its own, and a form allows only its submit button.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from sopkit import settings_form as sf
from sopkit import sop
from sopkit.clock import holiday_names, holidays_version
from sopkit.i18n import format_date, step_title
from sopkit.settings import WEEKDAYS, Settings

from . import session
from .session import t

_DATES = ("holidays", "workdays")
_STEP = dt.timedelta(minutes=15)
#: Widths that fit a 390 px phone: a step's amount and unit on one line, two time pickers a line.
_TITLE_PX, _AMOUNT_PX, _UNIT_PX, _TIME_PX = 260, 130, 170, 150


def _date(d: dt.date) -> str:
    return format_date(d, session.lang())


def limits(settings: Settings) -> None:
    st.markdown(f"**{t('admin.limits')}**")
    st.caption(t("admin.limits_help"))
    for n, step in sop.STEPS.items():
        units = sf.units_for(n)
        amount, unit = sf.split_limit(settings.limit(n), units)
        # a horizontal container, not columns: amount and unit stay side by side on a phone
        with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
            st.markdown(f"{n}. {step_title(step, session.lang())}", width=_TITLE_PX)
            st.number_input(t("admin.limit_amount"), min_value=1, value=amount, step=1, key=f"w_limit{n}",
                            width=_AMOUNT_PX)
            st.selectbox(t("admin.limit_unit"), units, index=units.index(unit), key=f"w_limit{n}_unit",
                         format_func=lambda u: t(f"unit.{u}"), width=_UNIT_PX)


def hours(settings: Settings) -> None:
    st.markdown(f"**{t('admin.hours_title')}**")
    st.caption(t("admin.hours_help"))
    for i, day in enumerate(WEEKDAYS):
        pairs, cut = sf.time_pairs(settings.hours[i])
        with st.container(border=True):
            name = t(f"admin.day.{day}")
            st.markdown(f"**{name}**" + ("" if settings.hours[i] else f" · {t('admin.day_off')}"))
            if cut:
                st.warning(t("admin.more_windows", day=name))
            with st.container(horizontal=True, gap="small"):  # wraps to two sessions a line on a phone
                for n, (start, end) in enumerate(pairs, start=1):
                    st.time_input(t("admin.window_start", n=n), value=start, step=_STEP,
                                  key=f"w_hours_{day}_{n}_start", width=_TIME_PX)
                    st.time_input(t("admin.window_end", n=n), value=end, step=_STEP,
                                  key=f"w_hours_{day}_{n}_end", width=_TIME_PX)


def _add(name: str) -> None:
    state = st.session_state
    new = state.get(f"w_{name}_new")
    if isinstance(new, dt.date):
        state[f"_pool_{name}"] = sorted({*state[f"_pool_{name}"], new})
        state[f"w_{name}"] = sorted({*state.get(f"w_{name}", []), new})
        state[f"w_{name}_new"] = None


def _dates(name: str, label: str, current: tuple[dt.date, ...]) -> None:
    state = st.session_state
    if f"_pool_{name}" not in state:
        state[f"_pool_{name}"] = sorted(current)
        state[f"w_{name}"] = sorted(current)
    st.multiselect(label, state[f"_pool_{name}"], key=f"w_{name}", format_func=_date, help=t("admin.dates_help"),
                   placeholder="—")
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    c1.date_input(t("admin.add_date"), value=None, key=f"w_{name}_new", format="DD/MM/YYYY")
    c2.button(t("admin.add"), key=f"w_{name}_add", on_click=_add, args=(name,), icon=":material/add:",
              width="stretch")


def days(settings: Settings) -> None:
    st.markdown(f"**{t('admin.days_title')}**")
    left, right = st.columns(2)
    with left:
        _dates("holidays", t("admin.extra_holidays"), settings.extra_holidays)
        _dates("workdays", t("admin.extra_working_days"), settings.extra_working_days)
    with right:
        year = dt.datetime.now(settings.tz).year
        st.markdown(f"**{t('admin.national', year=year)}**")
        st.caption(t("admin.national_help", version=holidays_version()))
        on = set(settings.extra_working_days)
        found = sorted(holiday_names(year, session.lang()).items())
        st.dataframe(pd.DataFrame(
            {t("col.date"): [_date(d) for d, _ in found],
             t("col.holiday"): [name + (f" ({t('admin.national_off')})" if d in on else "") for d, name in found]}),
            hide_index=True, width="stretch")


def rows() -> tuple[dict[str, str], list[str]]:
    """The Settings rows the inputs ask for, and the form's problems in the user's language."""
    s = st.session_state
    lim = {n: (int(s[f"w_limit{n}"]), str(s[f"w_limit{n}_unit"])) for n in sop.STEPS}
    hrs = {d: [(s.get(f"w_hours_{d}_{n}_start"), s.get(f"w_hours_{d}_{n}_end"))
               for n in range(1, sf.WINDOWS_PER_DAY + 1)] for d in WEEKDAYS}
    found, problems = sf.form_rows(lim, hrs, s.get("w_holidays", []), s.get("w_workdays", []))
    said = []
    for key, values in problems:
        v = dict(values)
        if "day" in v:
            v["day"] = t(f"admin.day.{v['day']}")
        if isinstance(day := v.get("date"), dt.date):
            v["date"] = _date(day)
        said.append(t(key, **v))
    return found, said


def forget() -> None:
    """After a save: the next run starts the inputs from the saved settings."""
    for name in _DATES:
        st.session_state.pop(f"_pool_{name}", None)
        st.session_state.pop(f"w_{name}", None)

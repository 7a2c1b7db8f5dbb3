"""Tentang SOP ini: the SOP's header as the admin filled it in, and its steps with their time limits."""

import pandas as pd
import streamlit as st

from pages._ui import session
from pages._ui.guard import guard
from pages._ui.session import t
from sopkit import sop
from sopkit.i18n import role_title, step_title
from sopkit.settings_form import split_limit, units_for

ctx = guard("about")


def _limit(step: int) -> str:
    """The limit as the SOP states it ("1 hari kerja", "6 jam", "15 menit"), not as minutes (450)."""
    amount, unit = split_limit(settings.limit(step), units_for(step))
    return f"{amount} {t(f'unit.{unit}')}"


settings, _ = session.settings()
st.title(t("page.about"))
st.subheader(sop.SOP_TITLE)
header = {t(f"about.{k}"): settings.header.get(k, "") or "—" for k in sop.SOP_HEADER_DEFAULTS}
st.table(pd.Series(header, name=t("about.value")))
steps = pd.DataFrame([{
    t("about.what"): f"{n}. {step_title(s, ctx.lang)}",
    t("about.role"): role_title(s.role, ctx.lang),
    t("about.limit"): _limit(n),
    t("about.clock"): t(f"about.clock.{s.clock}"),
} for n, s in sop.STEPS.items()])
# the numbered step as the row label: four columns, which fit a 390 px phone (five did not)
st.table(steps.set_index(t("about.what")))
st.caption(t("about.recording"))

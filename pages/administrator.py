"""Pejabat Administrator (step 4): final approval, or back to the creator with a note."""

import streamlit as st

from pages._ui import filters, review
from pages._ui.guard import guard
from pages._ui.session import t
from sopkit.workflow import waiting_on

ctx = guard("administrator")
st.title(t("page.administrator"))
queue = waiting_on(ctx.snap.register.items, ctx.user, "approval")
review.queue(filters.bar("approve", queue), ctx.user)

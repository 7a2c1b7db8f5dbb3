"""Pejabat Administrator (step 4): final approval, or back to the creator with a note."""

import streamlit as st

from sopkit.workflow import waiting_on
from ui import review
from ui.guard import guard
from ui.session import t

ctx = guard("administrator")
st.title(t("page.administrator"))
review.queue([i for i in waiting_on(ctx.snap.register.items, ctx.user) if i.step == 4], ctx.user.email)

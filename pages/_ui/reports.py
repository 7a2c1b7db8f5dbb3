"""The compliance report, computed once per store read and shared by every manager's session."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from sopkit.compliance import Report, compute
from sopkit.dashboard import items_frame
from sopkit.settings import history_from_rows

from . import session


# Shared, not copied (see pages._ui.session._held): the Report's frames are only read and filtered.
@st.cache_resource(ttl=session.SNAPSHOT_TTL, show_spinner=False, max_entries=2)
def _report(read_at: str, _log: pd.DataFrame, settings_rows: dict[str, str], tz: str,
            _history: tuple[dict[str, str], ...]) -> Report:
    history = history_from_rows(_history, settings_rows, default_timezone=tz)
    return compute(_log, history=history, as_of=dt.datetime.fromisoformat(read_at), stored_order=True)


@st.cache_resource(ttl=session.SNAPSHOT_TTL, show_spinner=False, max_entries=2)
def _items(read_at: str, _items: tuple) -> pd.DataFrame:  # type: ignore[type-arg]
    return items_frame(_items)


def report() -> tuple[Report, pd.DataFrame]:
    snap = session.snapshot()
    key = snap.read_at.isoformat()
    return (_report(key, snap.log, snap.settings_rows, session.cfg().timezone, snap.settings_history),
            _items(key, snap.register.items))

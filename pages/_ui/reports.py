"""The compliance report, computed once per snapshot version and shared by every manager's session
(``sopkit.compliance.report_of``), with the Register's items and the report's rejections (who received each);
the page filters their rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from sopkit.compliance import Report, report_of
from sopkit.dashboard import Filters, View, items_of, rejections_of, view_of

from . import session


def report() -> tuple[Report, pd.DataFrame, pd.DataFrame]:
    """The report, the items frame and the rejections, each once per snapshot version."""
    snap = session.snapshot()
    version = _version(snap)
    full = report_of(version, snap.log, session.history(), snap.read_at, stored_order=True)
    return full, items_of(version[0], snap.register.items), rejections_of(version, full)


def view(start: dt.date, end: dt.date, f: Filters, names: Mapping[str, str]) -> tuple[Report, pd.DataFrame, View]:
    """The report, the items frame and the page's :class:`~sopkit.dashboard.View` of the period and filters, once
    per (snapshot version, period, filters)."""
    full, items, received = report()
    return full, items, view_of(_version(session.snapshot()), full, items, received, names, start, end, f)


def _version(snap: session.Snapshot) -> tuple[object, ...]:
    """What the report depends on: the snapshot's version, the configured zone and the Settings."""
    return snap.read_at.isoformat(), session.cfg().timezone, tuple(sorted(snap.settings_rows.items()))

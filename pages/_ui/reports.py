"""The compliance report, computed once per snapshot version and shared by every manager's session
(``sopkit.compliance.report_of``); the page filters its attempts."""

from __future__ import annotations

import pandas as pd

from sopkit.compliance import Report, report_of
from sopkit.dashboard import items_of

from . import session


def report() -> tuple[Report, pd.DataFrame]:
    snap = session.snapshot()
    tz = session.cfg().timezone
    version = (snap.read_at.isoformat(), tz, tuple(sorted(snap.settings_rows.items())))
    return (report_of(version, snap.log, session.history(), snap.read_at, stored_order=True),
            items_of(version[0], snap.register.items))

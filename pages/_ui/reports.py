"""The compliance report, computed once per snapshot version and shared by every manager's session
(``sopkit.compliance.report_of``), with the Register's items and the report's rejections (who received each);
the page filters their rows."""

from __future__ import annotations

import pandas as pd

from sopkit.compliance import Report, report_of
from sopkit.dashboard import items_of, rejections_of

from . import session


def report() -> tuple[Report, pd.DataFrame, pd.DataFrame]:
    """The report, the items frame and the rejections, each once per snapshot version."""
    snap = session.snapshot()
    tz = session.cfg().timezone
    version = (snap.read_at.isoformat(), tz, tuple(sorted(snap.settings_rows.items())))
    full = report_of(version, snap.log, session.history(), snap.read_at, stored_order=True)
    return full, items_of(version[0], snap.register.items), rejections_of(version, full)

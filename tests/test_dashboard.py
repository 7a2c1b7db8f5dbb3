"""The compliance page's numbers from a small, hand-checkable Log."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sopkit import dashboard
from sopkit.compliance import compute
from sopkit.schema import Item

T = "2026-11-{d:02d}T{h:02d}:{m:02d}:00+07:00"


def row(d, h, m, item, step, action, actor="x@d.test", publish_at=""):  # type: ignore[no-untyped-def]
    return {"at": T.format(d=d, h=h, m=m), "item_id": item, "step": str(step), "action": action, "actor": actor,
            "role": "", "note": "", "publish_at": publish_at}


LOG = pd.DataFrame([
    row(23, 8, 0, "a", 1, "start"), row(23, 9, 0, "a", 1, "submit"), row(23, 10, 0, "a", 2, "submit", "c@d.test"),
    row(23, 10, 30, "a", 3, "reject"), row(23, 11, 0, "a", 2, "submit", "c@d.test"), row(23, 13, 30, "a", 3, "approve"),
    row(23, 13, 40, "a", 4, "approve"), row(23, 13, 50, "a", 5, "schedule", publish_at=T.format(d=24, h=9, m=0)),
    row(24, 9, 10, "a", 6, "publish"),
    row(24, 8, 0, "b", 1, "start"),
])
ITEMS = dashboard.items_frame([Item(id="a", category="Berita", channels=("site", "x")),
                               Item(id="b", category="Layanan", channels=("instagram",))])
AS_OF = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def report():  # type: ignore[no-untyped-def]
    return compute(LOG, as_of=AS_OF)


@pytest.mark.parametrize("filters,items", [
    (dashboard.Filters(), {"a", "b"}),
    (dashboard.Filters(categories=("Layanan",)), {"b"}),
    (dashboard.Filters(channels=("x",)), {"a"}),
    (dashboard.Filters(channels=("site",), categories=("Layanan",)), set()),
    (dashboard.Filters(start=dt.date(2026, 11, 24)), {"a", "b"}),  # a's step 6 started on the 24th
    (dashboard.Filters(end=dt.date(2026, 11, 23)), {"a"}),
    (dashboard.Filters(people=("c@d.test",)), {"a"}),
])
def test_filters(report, filters, items) -> None:
    assert set(dashboard.filtered(report, ITEMS, filters).attempts["item_id"]) == items


def test_kpis(report) -> None:
    k = dashboard.kpis(report, AS_OF)
    assert k["published_this_month"] == 1
    assert k["rework_rate"] == 0.5  # a was rejected once, b never


def test_duration_bins_count_every_closed_attempt_and_carry_the_limit(report) -> None:
    bins, limit = dashboard.duration_bins(report, 2)
    assert limit == 360 and bins["count"].sum() == 2 and bins["end"].max() >= 720


def test_at_risk_lists_open_attempts_least_time_first(report) -> None:
    risk = dashboard.at_risk(report, ITEMS)
    assert list(risk["item_id"]) == ["b"] and risk["category"][0] == "Layanan"


@pytest.mark.parametrize("freq", ["M", "W"])
def test_trend(report, freq) -> None:
    tr = dashboard.trend(report, freq)
    assert tr["attempts"].sum() == len(report.closed())


def test_exports(report) -> None:
    import io
    import zipfile

    from sopkit import report_files

    assert report_files.xlsx_bytes(report)[:2] == b"PK"
    with zipfile.ZipFile(io.BytesIO(report_files.csv_zip(report))) as z:
        assert z.read("kepatuhan-sop.csv").decode().count("\n") == len(report.attempts) + 1
        assert {"kepatuhan-sop.problems.csv", "kepatuhan-sop.about.csv"} <= set(z.namelist())

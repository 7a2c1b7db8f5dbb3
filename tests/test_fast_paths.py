"""The report's fast paths give exactly what the general ones give: Arrow's timestamp cast against pandas' ISO
parser, the byte-buffer ISO formatter against Python's, packed-key sorting against ``np.lexsort``, the period
filter by instants against local dates; and a report computed once per snapshot version, even when asked at once."""

from __future__ import annotations

import datetime as dt
import threading
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sopkit import compliance, dashboard
from sopkit.by_version import ByVersion
from sopkit.timeutil import _parse_iso_general, parse_iso_series

CELLS = ["2026-11-26T10:00:00.123+07:00", " 2026-11-26T03:00:00Z ", "2026-11-26 10:00+07:00", "2026-11-26T10:00:00",
         "2026-02-30T10:00:00Z", "", "x", "1999-12-31T23:59:59Z", "2026-11-26T10:00:00z", "2026-11-26",
         "2026-11-26T10:00:00+0700", "2026-11-26T10:00:00.123456789-05:30", "2101-01-01T00:00:00+07:00",
         "2100-12-31T23:59:59Z", "2026-11-26T24:00:00Z", "2026-11-26T10:00:00+07:00"]


def _general(values: pd.Series) -> pd.Series:
    out = _parse_iso_general(values, "Asia/Pontianak")
    years = out.dt.year
    out[(years < 2000) | (years > 2100)] = pd.NaT
    return out


@pytest.mark.parametrize("picks", [list(range(len(CELLS))), [0, 1, 2, 11, 15], [0, 4], [5, 5], [], [12, 13]])
def test_timestamps_read_by_arrow_match_the_general_parser(picks) -> None:
    values = pd.Series([CELLS[i] for i in picks], index=[10 + i for i in range(len(picks))], dtype="str")
    fast = parse_iso_series(values)
    assert str(fast.dtype) == "datetime64[ns, UTC]"
    pd.testing.assert_series_equal(fast, _general(values))


def _iso_python(times: pd.Series, tz: str) -> list[str]:
    return ["" if pd.isna(t) else t.tz_convert(tz).floor("s").isoformat() for t in times]


@pytest.mark.parametrize("tz", ["Asia/Pontianak", "America/New_York", "Asia/Kolkata", "America/St_Johns", "UTC"])
def test_iso_strings_match_python_formatting(tz) -> None:
    rng = np.random.default_rng(3)
    ns = rng.integers(pd.Timestamp("2000-01-01").value, pd.Timestamp("2100-12-31").value, 2000)
    times = pd.Series(pd.to_datetime(ns, utc=True), index=np.arange(2000) + 7)
    times[::9] = pd.NaT
    out = compliance.iso_strings(times, tz)
    assert out.tolist() == _iso_python(times, tz)
    assert (out.index == times.index).all()
    assert compliance.iso_strings(times.iloc[:0], tz).tolist() == []


@pytest.mark.parametrize("n", [0, 1, 7, 5000])
@pytest.mark.parametrize("spread", [2, 10**6, 2**40, 2**61])
def test_lex_order_is_lexsort(n, spread) -> None:
    rng = np.random.default_rng(n + spread % 97)
    a, c = rng.integers(0, 50, n), rng.integers(0, 3, n)
    b = rng.integers(-spread // 2, spread // 2, n, dtype=np.int64)
    assert (compliance.lex_order(a, b, c) == np.lexsort((c, b, a))).all()
    # a rising last key (row numbers) is left to the sort's stability; one that rises but for one pair is not
    rows = np.arange(n) * 3 + 2
    assert (compliance.lex_order(a, b, c, rows) == np.lexsort((rows, c, b, a))).all()
    assert (compliance.lex_order(a, c, rows) == np.lexsort((rows, c, a))).all()
    if n > 1:
        rows[[0, -1]] = rows[[-1, 0]]
        assert (compliance.lex_order(a, c, rows) == np.lexsort((rows, c, a))).all()


def test_period_filter_keeps_the_local_days_asked() -> None:
    starts = pd.Series(pd.to_datetime(["2026-11-25T16:59:59Z", "2026-11-25T17:00:00Z", "2026-11-27T16:59:59.5Z",
                                       "2026-11-27T17:00:00Z"], utc=True, format="ISO8601"))
    attempts = pd.DataFrame({"started_at": starts, "item_id": ["a", "b", "c", "d"]})
    report = compliance.Report(attempts, pd.DataFrame(), dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    f = dashboard.Filters(dt.date(2026, 11, 26), dt.date(2026, 11, 27))
    kept = dashboard.filtered(report, pd.DataFrame(columns=["item_id"]), f).attempts["item_id"].tolist()
    local = starts.dt.tz_convert("Asia/Pontianak").dt.date
    assert kept == attempts["item_id"][(local >= f.start) & (local <= f.end)].tolist() == ["b", "c"]


def test_a_version_is_computed_once_even_by_callers_at_once() -> None:
    cache: ByVersion[int] = ByVersion(keep=2)
    calls: list[str] = []

    def make(v: str) -> int:
        calls.append(v)
        time.sleep(0.2)
        return len(calls)

    got: list[int] = []
    threads = [threading.Thread(target=lambda: got.append(cache.get("v1", lambda: make("v1")))) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert got == [1, 1, 1, 1] and calls == ["v1"]
    cache.get("v2", lambda: make("v2"))
    cache.get("v3", lambda: make("v3"))  # v1 is dropped: two kept
    assert cache.get("v1", lambda: make("v1")) == 4 and calls == ["v1", "v2", "v3", "v1"]


def test_a_failed_computation_is_retried_by_the_next_caller() -> None:
    cache: ByVersion[int] = ByVersion()
    with pytest.raises(RuntimeError):
        cache.get("v", lambda: (_ for _ in ()).throw(RuntimeError("store gone")))
    assert cache.get("v", lambda: 5) == 5


def test_report_of_computes_a_snapshot_version_once() -> None:
    log = pd.DataFrame([("2026-11-26T08:00:00+07:00", "a", "1", "start"), ("2026-11-26T09:00:00+07:00", "a", "1",
                                                                         "submit")],
                       columns=["at", "item_id", "step", "action"])
    history = compliance.History.of(compliance.Settings())
    as_of = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
    before = compliance.REPORTS.computed
    first = compliance.report_of(("test", "v1"), log, history, as_of)
    again = compliance.report_of(("test", "v1"), log, history, as_of)
    assert again is first and compliance.REPORTS.computed == before + 1
    assert first.attempts.equals(compliance.compute(log, history=history, as_of=as_of, stored_order=True).attempts)


def test_register_rows_parse_to_the_items_the_dataclass_builds() -> None:
    """item_from_row builds items without Item's __init__: they equal Item(**fields), mutable defaults not shared,
    still frozen, and a bad counter cell is still a problem."""
    import dataclasses

    from sopkit.schema import Item, item_from_row

    row = {"id": " a1 ", "title": "T", "channels": "site, X", "status": "verifying", "step": "3", "officer": " O@X.ID ",
           "created_at": "2026-11-26T10:00:00.000+07:00", "rejections_step3": "2", "rev": "007", "captions": ""}
    item, problems = item_from_row(row)
    assert problems == [] and item is not None
    assert item == Item(**{f.name: getattr(item, f.name) for f in dataclasses.fields(Item)})
    assert (item.id, item.channels, item.officer, item.rejections_step3, item.rev) == ("a1", ("site", "x"), "o@x.id",
                                                                                        2, 7)
    other, _ = item_from_row({**row, "id": "a2"})
    assert other is not None and other.captions is not item.captions and other.media is not item.media
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.title = "changed"  # type: ignore[misc]
    for cell in ("-1", "1.5", "x", "²"):
        _, problems = item_from_row({**row, "rejections_step3": cell})
        assert [p.column for p in problems] == ["rejections_step3"], cell


@pytest.mark.parametrize("freq", ["M", "W"])
def test_trend_periods_match_pandas_periods(freq) -> None:
    rng = np.random.default_rng(11)
    ns = rng.integers(pd.Timestamp("2024-12-25").value, pd.Timestamp("2026-03-05").value, 3000)
    ends = pd.Series(pd.to_datetime(ns, utc=True))
    attempts = pd.DataFrame({"ended_at": ends, "step": rng.integers(1, 7, 3000), "on_time": rng.random(3000) < 0.7,
                             "item_id": "a", "started_at": ends})
    report = compliance.Report(attempts, pd.DataFrame(), dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    local = ends.dt.tz_convert("Asia/Pontianak").dt.tz_localize(None)
    period = local.dt.to_period("W-SUN" if freq == "W" else "M").dt.start_time.dt.strftime("%Y-%m-%d")
    expected = (attempts.assign(period=period).groupby(["period", "step"])
                .agg(attempts=("on_time", "size"), on_time_rate=("on_time", "mean")).reset_index())
    pd.testing.assert_frame_equal(dashboard.trend(report, freq), expected, check_dtype=False)


# Cells a hand-edited sheet or an old database may hold, per kind of column: the plain case and every odd one.
_REGISTER_CELLS = {
    "id": ["a1", " a2 ", "", None, "a1"],
    "status": ["verifying", " Designing ", "published", "nope", "", None],
    "step": ["3", "2", "6", " 4", "3.0", "9", "x", "", None, 3],
    "channels": ["site", "site, X", "", "site,fax", None, " , "],
    "officer": [" O@X.ID ", "", None, "a@b.c"],
    "title": ["T", "", None, " spaced "],
    "created_at": ["2026-11-26T10:00:00.000+07:00", "2026-11-26T03:00:00Z", " 2026-11-26T10:00:00+07:00 ",
                   "2026-11-26T10:00:00", "2026-11-26T10:00:00z", "1999-01-01T00:00:00+07:00", "bad", "", None],
    "publish_at": ["2026-11-27T08:00:00+07:00", "", "2026-02-30T10:00:00+07:00"],
    "rejections_step3": ["0", "2", "", "007", "-1", "1.5", "1.0", "²", None],
    "rev": ["1", "12", "", "x", "3.0", None],
    "captions": ["", '{"x": "hi"}', "[1]", "{bad", "  ", None],
    "media": ["", '[{"path": "a.jpg"}]', "{}", None],
    "change_id": ["", " c1 ", None],
}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries({c: st.sampled_from(v) for c, v in _REGISTER_CELLS.items()}), max_size=12),
       st.permutations(list(_REGISTER_CELLS)))
def test_register_parsed_by_column_equals_parsed_by_row(rows, order) -> None:
    """``Register.from_tuples`` (what the SQLite store reads: cells as a cursor gives them, parsed column by column)
    gives the very items and problems ``Register.from_rows`` gives for the same rows as dicts, whatever the cells and
    the column order; the raw rows read back as the same dicts."""
    from sopkit.store.base import Register

    names = tuple(order)
    tuples = [tuple(r[c] for c in names) for r in rows]
    by_row = Register.from_rows([dict(zip(names, t, strict=True)) for t in tuples])
    by_column = Register.from_tuples(names, tuples)
    assert by_column.items == by_row.items
    assert by_column.problems == by_row.problems
    assert list(by_column.rows) == list(by_row.rows)


_LOG_CELLS = ["", "x", "2026-11-26T10:00:00+07:00", "a\x1fb", "\x1f", "line\nbreak", "émoji 🙂", "a,b", None, 7]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_LOG_CELLS), min_size=2, max_size=2), max_size=8))
def test_the_log_read_by_columns_equals_the_rows_a_cursor_gives(tmp_path_factory, cells) -> None:
    """The SQLite store reads a whole Log as Arrow columns (one joined string per column, split by Arrow): the
    rows it gives equal those of a plain ``SELECT`` in rowid order, and so does its frame, whatever the cells hold
    — the separator itself, a NULL in a hand-made database (those make it fall back to the rows)."""
    import sqlite3

    from sopkit.store.columns import log_frame
    from sopkit.store.sqlite import LOG_TABLE_COLUMNS, SQLiteStore

    store = SQLiteStore(tmp_path_factory.mktemp("log") / "s.db")
    store.init()
    conn = sqlite3.connect(store.path)
    conn.execute('DROP TABLE "Log"')  # no NOT NULL: a hand-made table may hold NULLs (and numbers, kept as text)
    conn.execute('CREATE TABLE "Log" (' + ", ".join(f'"{c}" TEXT' for c in LOG_TABLE_COLUMNS) + ")")
    conn.execute('CREATE INDEX log_note ON "Log" (note)')  # an index must not set the order
    for at, note in cells:
        conn.execute('INSERT INTO "Log" (at, item_id, step, action, actor, role, note, publish_at, change_id, '
                     "base_rev) VALUES (?, 'i', '1', 'start', 'a', 'r', ?, '', '', '')", (at, note))
    conn.commit()
    expected = [dict(zip(LOG_TABLE_COLUMNS, r, strict=True))
                for r in conn.execute('SELECT * FROM "Log" ORDER BY rowid').fetchall()]
    conn.close()
    got = store.read_log()
    assert list(got) == expected
    pd.testing.assert_frame_equal(log_frame(got, LOG_TABLE_COLUMNS), log_frame(expected, LOG_TABLE_COLUMNS))
    store.close()


def test_a_plain_log_is_read_as_arrow_columns(tmp_path) -> None:
    """The fast path is the one taken for the desk's own cells (no Python string per cell until rows are read)."""
    from sopkit.store.sqlite import SQLiteStore, _read_columns

    store = SQLiteStore(tmp_path / "s.db")
    store.init()
    store.import_rows([], [{"at": f"2026-11-26T10:0{i}:00+07:00", "item_id": f"i{i}", "step": "1",
                            "action": "start", "actor": "a@x", "role": "officer", "note": "n\nm, ü"}
                           for i in range(5)])
    read = _read_columns(store._conn(), "Log", ("at", "item_id", "note"))
    assert read is not None and read._arrow[0] is not None
    assert list(read) == [{"at": f"2026-11-26T10:0{i}:00+07:00", "item_id": f"i{i}", "note": "n\nm, ü"}
                          for i in range(5)]
    assert list(store.read_log()) == [dict(zip(store.read_log().names, (
        f"2026-11-26T10:0{i}:00+07:00", f"i{i}", "1", "start", "a@x", "officer", "n\nm, ü", "", "", ""), strict=True))
        for i in range(5)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "ü", "", None, "a,b"]), max_size=20),
       st.lists(st.sampled_from(["a", "b", "ü", "", "c"]), max_size=4), st.booleans())
def test_arrow_isin_matches_pandas(cells, wanted, arrow) -> None:
    """The filters' ``isin`` by Arrow's hash lookup keeps exactly the rows pandas' ``isin`` keeps (a missing cell
    never matches)."""
    column = pd.Series(cells, dtype=pd.StringDtype("pyarrow", na_value=float("nan")) if arrow else object)
    expected = column.isin(wanted).to_numpy(dtype=bool) & column.notna().to_numpy()
    assert dashboard._isin(column, wanted).tolist() == expected.tolist()


@pytest.mark.parametrize("n", [0, 1, 9, 4000])
def test_attempt_numbers_are_the_groupby_count(n) -> None:
    """The attempt number of each (item, step) row: the running count the report's groupby gave."""
    rng = np.random.default_rng(n)
    item = np.sort(rng.integers(0, max(n // 6, 1), n))
    step = rng.integers(1, 7, n)
    expected = pd.DataFrame({"i": item, "s": step}).groupby(["i", "s"], sort=False).cumcount().to_numpy() + 1
    assert (compliance._occurrence(item, step) == expected).all()

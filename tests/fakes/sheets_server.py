"""Loopback Google Sheets API v4 server for offline tests, with real semantics for what gspread 6.2.1 calls.

Why it exists: Google ships no Sheets emulator, recorded cassettes cannot replay *our* call patterns, and the
bugs we care about live in the gaps between calls: an admin inserts, deletes or sorts rows between the app's
read and its write; quota runs out (429 + ``Retry-After``); a write is applied but its answer is lost; a
date typed by hand in an Indonesian-locale sheet comes back as a serial number. This server keeps
spreadsheets in memory on 127.0.0.1 and answers the endpoints gspread uses so that tests can provoke those
situations deterministically.

Typical use (``tests/conftest.py`` puts ``tests/`` on sys.path, so it imports as ``fakes.sheets_server``)::

    with FakeSheets() as fake:
        key = fake.create_spreadsheet("Desk", sheets=[SheetSpec("Log", values=[["id", "title"]])],
                                      locale="id_ID")
        gc = connect(fake)                        # a real gspread.Client; every call goes to 127.0.0.1
        ws = gc.open_by_key(key).worksheet("Log")
        fake.admin_insert_rows(key, "Log", before_row=2)   # an admin's hand edit between read and write
        fake.inject("values.update", status=429, retry_after=7)
        assert fake.counts["write"] == 0

How production code can take such a client: let its factory accept a session, and build the client with
``gspread.Client(auth=None, session=session)`` when one is given (patching ``gspread.urls`` does nothing,
``gspread.http_client`` imported the constants by name)::

    def open_client(info: dict, session: requests.Session | None = None) -> gspread.Client:
        if session is not None:                   # tests: LoopbackSession(fake.url)
            return gspread.Client(auth=None, session=session)
        return gspread.service_account_from_dict(info)

To exercise the real service-account token flow instead, give ``gspread.service_account_from_dict`` an
``info`` whose ``token_uri`` is ``fake.token_uri`` and ``http_client=loopback_http_client(fake.url)``.

Semantics (as verified against Google's documentation where possible; simplifications are marked *):

* Ranges: ``'Log'``, ``Log``, ``'Log'!A1:Z``, ``A1``, ``A:B``, ``2:3``, ``A2:C`` (open ends run to the grid
  edge); a range without a sheet name means the first sheet. Ranges past the grid → 400 "exceeds grid
  limits". *Named ranges are not supported.
* Reads trim trailing empty cells in each row and trailing empty rows; empty rows in the middle come back as
  ``[]``; ``values`` is omitted when nothing is left. ``majorDimension`` ROWS and COLUMNS.
* ``valueInputOption`` RAW stores strings as strings (``"=1+1"`` and ``"'x"`` stay literal text).
  USER_ENTERED parses like the UI in the spreadsheet's locale: numbers (with the locale's decimal and
  grouping separators, ``"007"`` → 7), ``TRUE``/``FALSE``, percentages, dates and date-times
  (``26/11/2026 10.00`` in id_ID, ``11/26/2026 10:00:00`` in en_US, ISO ``2026-11-26`` everywhere) →
  serial numbers plus a date format; a leading apostrophe forces text; ``=`` starts a formula. A cell with
  an explicit TEXT number format keeps typed text as text. ``null`` skips a cell, ``""`` clears it.
* *Formulas are stored as formulas; only constant arithmetic (``=1+2*3``) is evaluated. Any other formula's
  value is its own text, so FORMATTED/UNFORMATTED reads return the formula text and FORMULA reads return it
  too; do not test formula results beyond arithmetic.
* ``valueRenderOption`` FORMATTED_VALUE (numbers as text with the locale's decimal separator, booleans as
  ``TRUE``/``FALSE``, date serials in the cell's date format), UNFORMATTED_VALUE (numbers as JSON numbers,
  dates as serials unless ``dateTimeRenderOption=FORMATTED_STRING``), FORMULA.
* Number formats belong to cells and survive clears, move with inserted/deleted/sorted rows, and inserted
  rows inherit them from a neighbour, as in Sheets: a RAW number written into a date-formatted cell reads
  back as a date. *Automatic number formatting shows up to 10 decimals and no grouping; currency, scientific
  and custom patterns are not rendered (a ``repeatCell`` numberFormat only sets the type).
* ``values.append`` finds the "table" (*a model of Google's undocumented detection). For a single-cell
  range it is the run of consecutive non-empty rows starting at that cell's row, searching rightwards to
  the grid edge, and there is none if that cell is empty (gspread's ``insert_rows``/``insert_cols`` rely on
  values landing in the blank cell they just inserted). For a larger range (or a whole sheet) it starts at
  the first non-empty row inside the range, within its columns. Values go to the row after the table,
  starting at the table's first column. INSERT_ROWS inserts rows there (shifting what is below; they
  inherit the formats of the row above); OVERWRITE (the default) writes over what is there; both grow the
  grid when needed. A blank row inside the data therefore ends the table, and appended rows land in the
  middle of the data, as in Sheets.
* Faults (``inject``): an error status (429 with ``Retry-After``, 5xx, or a non-JSON body), a delay, a dropped
  connection, and "applied, then failed": the write is applied and its answer is an error or nothing at all.
* ``spreadsheets:batchUpdate`` is atomic: a bad sub-request → 400 and nothing is applied. Implemented:
  addSheet, deleteSheet, duplicateSheet, updateSheetProperties, updateSpreadsheetProperties,
  insertDimension, deleteDimension, appendDimension, moveDimension, sortRange, setDataValidation,
  addProtectedRange, deleteProtectedRange, repeatCell (number format only), updateDimensionProperties
  (accepted, no effect), updateCells and appendCells. Anything else → 400 "Unknown name" like Google's answer
  to an unknown field.
* ``updateCells``/``appendCells`` take RowData of CellData under a ``fields`` mask rooted at CellData
  (``userEnteredValue``, ``userEnteredFormat`` (*number format only), ``dataValidation``, or ``*``; others →
  400). As with every Google field mask, a masked field that a CellData leaves unset is *cleared*: ``{}`` under
  ``userEnteredValue`` empties the cell, it does not skip it (skip a cell by not sending it: one request per
  contiguous run). ``stringValue`` is RAW text (``"=1+1"`` and ``"007"`` stay text); ``formulaValue``,
  ``numberValue`` and ``boolValue`` are supported too. Formats and validation stay unless masked.
  ``updateCells`` with ``start`` writes from that coordinate and leaves cells it does not reach alone (past the
  grid → 400); with ``range``, the range's cells the rows do not cover get their masked fields cleared.
  ``appendCells`` writes from column A in the row after the last row of the *whole sheet* that holds a value
  (format-only cells do not count), growing the grid when needed and inserting nothing: unlike
  ``values.append`` there is no table detection, so a blank row inside the data does not stop it.
  ``values:batchUpdate``/``batchClear`` are atomic too.
* Protected ranges shift with inserted/deleted rows and columns. *They are not enforced (the app's service
  account is an editor), and data validation rules are stored on cells but not enforced on API writes.
* Sorting puts numbers before text before booleans (text case-insensitively) and empty cells last in
  either order; only the range's columns move.
* Auth: any ``Authorization: Bearer …`` is accepted (``strict_tokens=True`` accepts only tokens issued by
  ``POST /token``); without one → 401. *The token endpoint does not verify the JWT signature.
* Drive: ``GET /drive/v3/files/{id}`` and the spreadsheet listing used by ``Client.open(title)``.
"""

from __future__ import annotations

import ast
import base64
import json
import random
import re
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cmp_to_key, lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import gspread
import requests
from gspread.http_client import HTTPClient

JSON = dict[str, Any]
GOOGLE_PREFIXES = ("https://sheets.googleapis.com", "https://www.googleapis.com")

# ----------------------------------------------------------------------------------------------------------
# Errors


class ApiError(Exception):
    """An answer in Google's error shape; raised anywhere below and turned into the HTTP reply."""

    def __init__(self, code: int, message: str, status: str = "INVALID_ARGUMENT", details: list | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details

    def body(self) -> JSON:
        error: JSON = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def _bad(message: str) -> ApiError:
    return ApiError(400, message)


# ----------------------------------------------------------------------------------------------------------
# Locales, number formats and cells


@dataclass(frozen=True)
class LocaleRules:
    """How a spreadsheet locale reads and writes numbers and dates (templates use y m d H M S I p)."""

    order: str  # "DMY" or "MDY": how a typed d/m/y date is read
    decimal: str
    group: str
    time_sep: str  # "." also accepted when typing times (id_ID "10.00")
    date: str
    date_time: str
    time: str


LOCALES: dict[str, LocaleRules] = {
    "id_ID": LocaleRules(
        "DMY", ",", ".", ".", "{d:02}/{m:02}/{y:04}", "{d:02}/{m:02}/{y:04} {H:02}.{M:02}.{S:02}",
        "{H:02}.{M:02}.{S:02}",
    ),
    "en_US": LocaleRules(
        "MDY", ".", ",", ":", "{m}/{d}/{y:04}", "{m}/{d}/{y:04} {H}:{M:02}:{S:02}", "{I}:{M:02}:{S:02} {p}"
    ),
    "en_GB": LocaleRules(
        "DMY", ".", ",", ":", "{d:02}/{m:02}/{y:04}", "{d:02}/{m:02}/{y:04} {H:02}:{M:02}:{S:02}",
        "{H:02}:{M:02}:{S:02}",
    ),
}
ISO_DATE = "{y:04}-{m:02}-{d:02}"
ISO_DATE_TIME = "{y:04}-{m:02}-{d:02} {H:02}:{M:02}:{S:02}"
EPOCH = datetime(1899, 12, 30)
DATE_TYPES = frozenset({"DATE", "TIME", "DATE_TIME"})


def locale_rules(locale: str) -> LocaleRules:
    """Rules for a locale; unknown ones fall back by language (``id`` → id_ID) and then to en_US."""
    if locale in LOCALES:
        return LOCALES[locale]
    lang = locale.split("_")[0]
    for name, rules in LOCALES.items():
        if name.startswith(lang + "_"):
            return rules
    return LOCALES["en_US"]


@dataclass(frozen=True)
class NumberFormat:
    """A cell's number format.

    ``pattern`` is a template for date types; empty means the spreadsheet locale's default for the type, so
    it follows a locale change. ``auto`` means it was set by parsing typed input (vs. an explicit format).
    """

    type: str
    pattern: str = ""
    auto: bool = True


@dataclass(frozen=True)
class Cell:
    """One cell. Immutable so a spreadsheet snapshot (for atomic batches) only copies row lists."""

    value: str | float | bool | None = None
    formula: str | None = None
    fmt: NumberFormat | None = None
    validation: JSON | None = None

    @property
    def empty(self) -> bool:
        return self.value is None and self.formula is None

    def cleared(self) -> Cell | None:
        """What a clear leaves behind: formatting and validation stay, as in Sheets."""
        if self.fmt is None and self.validation is None:
            return None
        return Cell(fmt=self.fmt, validation=self.validation)


def serial_to_datetime(serial: float) -> datetime:
    return EPOCH + timedelta(seconds=round(serial * 86400))


def datetime_to_serial(moment: datetime) -> float:
    delta = moment - EPOCH
    return delta.days + delta.seconds / 86400


def _format_datetime(serial: float, template: str) -> str:
    moment = serial_to_datetime(serial)
    hour12 = moment.hour % 12 or 12
    return template.format(
        y=moment.year, m=moment.month, d=moment.day, H=moment.hour, M=moment.minute, S=moment.second,
        I=hour12, p="AM" if moment.hour < 12 else "PM",
    )


def _format_auto_number(number: float, rules: LocaleRules) -> str:
    if number.is_integer() and abs(number) < 1e15:
        text = str(int(number))
    else:
        text = f"{number:.10f}".rstrip("0").rstrip(".")
    return text.replace(".", rules.decimal) if rules.decimal != "." else text


def _json_number(number: float) -> int | float:
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def render_cell(cell: Cell | None, rules: LocaleRules, value_render: str, date_render: str) -> Any:
    """One cell as values.get shows it; ``None`` for an empty cell (callers trim and pad)."""
    if cell is None or cell.empty:
        return None
    if value_render == "FORMULA" and cell.formula is not None:
        return cell.formula
    value = cell.value
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if value_render == "FORMATTED_VALUE" else value
    if isinstance(value, str) or value is None:
        return value or ""
    fmt = cell.fmt
    is_date = fmt is not None and fmt.type in DATE_TYPES
    if value_render == "FORMATTED_VALUE" or (is_date and date_render == "FORMATTED_STRING"):
        if is_date and fmt is not None:
            default = {"DATE": rules.date, "DATE_TIME": rules.date_time, "TIME": rules.time}[fmt.type]
            return _format_datetime(value, fmt.pattern or default)
        if value_render != "FORMATTED_VALUE":
            return _json_number(value)
        if fmt is not None and fmt.type == "PERCENT":
            return _format_auto_number(round(value * 100, 10), rules) + "%"
        return _format_auto_number(value, rules)
    return _json_number(value)


# ----------------------------------------------------------------------------------------------------------
# USER_ENTERED parsing


@dataclass(frozen=True)
class Parsed:
    value: str | float | bool | None
    formula: str | None = None
    fmt: NumberFormat | None = None  # a format the input sets (dates, percent); None keeps the cell's


@lru_cache(maxsize=16)
def _patterns(rules: LocaleRules) -> dict[str, re.Pattern[str]]:
    group, dec = re.escape(rules.group), re.escape(rules.decimal)
    tsep = ":" + ("." if rules.time_sep == "." else "")
    time_part = rf"(?P<H>\d{{1,2}})[{re.escape(tsep)}](?P<M>\d{{2}})(?:[{re.escape(tsep)}](?P<S>\d{{2}}))?" \
        r"(?:\s*(?P<p>[AaPp][Mm]))?"
    first, second = ("d", "m") if rules.order == "DMY" else ("m", "d")
    return {
        "number": re.compile(
            rf"(?P<sign>[+-]?)(?P<int>\d+|\d{{1,3}}(?:{group}\d{{3}})+)?(?:{dec}(?P<frac>\d+))?"
            r"(?:[eE](?P<exp>[+-]?\d+))?"
        ),
        "iso": re.compile(rf"(?P<y>\d{{4}})[-/](?P<m>\d{{1,2}})[-/](?P<d>\d{{1,2}})(?:[ T]{time_part})?"),
        "local": re.compile(
            rf"(?P<{first}>\d{{1,2}})[/-](?P<{second}>\d{{1,2}})[/-](?P<y>\d{{4}}|\d{{2}})(?:\s+{time_part})?"
        ),
        "time": re.compile(
            r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?(?:\s*(?P<p>[AaPp][Mm]))?"
            + (r"|(?P<H2>\d{1,2})\.(?P<M2>\d{2})\.(?P<S2>\d{2})" if rules.time_sep == "." else "")
        ),
    }


def _parse_number(text: str, rules: LocaleRules) -> float | None:
    match = _patterns(rules)["number"].fullmatch(text)
    if not match or (match["int"] is None and match["frac"] is None):
        return None
    digits = (match["int"] or "0").replace(rules.group, "")
    number = float(f"{match['sign']}{digits}.{match['frac'] or '0'}")
    return number * 10 ** int(match["exp"]) if match["exp"] else number


def _clock(groups: dict[str, str | None]) -> tuple[int, int, int] | None:
    hour, minute, second = int(groups["H"] or 0), int(groups["M"] or 0), int(groups["S"] or 0)
    if groups.get("p"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if groups["p"].lower() == "pm" else 0)  # type: ignore[union-attr]
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second


def _parse_date(text: str, rules: LocaleRules) -> Parsed | None:
    pats = _patterns(rules)
    for name in ("iso", "local"):
        match = pats[name].fullmatch(text)
        if not match:
            continue
        groups = match.groupdict()
        year = int(groups["y"])
        if year < 100:
            year += 2000 if year < 30 else 1900
        clock = _clock(groups) if groups.get("H") else (0, 0, 0)
        try:
            moment = datetime(year, int(groups["m"]), int(groups["d"]), *(clock or (0, 0, 0)))
        except ValueError:
            return None
        if clock is None:
            return None
        iso = name == "iso"
        if groups.get("H"):
            return Parsed(datetime_to_serial(moment), fmt=NumberFormat("DATE_TIME", ISO_DATE_TIME if iso else ""))
        return Parsed(datetime_to_serial(moment), fmt=NumberFormat("DATE", ISO_DATE if iso else ""))
    match = pats["time"].fullmatch(text)
    if match:
        groups = match.groupdict()
        if groups.get("H2"):
            groups = {"H": groups["H2"], "M": groups["M2"], "S": groups["S2"], "p": None}
        clock = _clock(groups)
        if clock is not None:
            serial = (clock[0] * 3600 + clock[1] * 60 + clock[2]) / 86400
            return Parsed(serial, fmt=NumberFormat("TIME"))
    return None


def _evaluate_formula(formula: str) -> str | float:
    """Constant arithmetic only (``=1+2*3``); anything else evaluates to its own text (documented gap)."""
    try:
        tree = ast.parse(formula[1:].strip(), mode="eval")
    except SyntaxError:
        return formula

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
                and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = walk(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            return left / right
        raise ValueError("not constant arithmetic")

    try:
        return walk(tree)
    except ZeroDivisionError:
        return "#DIV/0!"
    except ValueError:
        return formula


def parse_user_entered(raw: str | float | bool, rules: LocaleRules, current: NumberFormat | None) -> Parsed:
    """What the Sheets UI makes of ``raw`` typed into a cell whose format is ``current``."""
    if isinstance(raw, bool):
        return Parsed(raw)
    if isinstance(raw, int | float):
        return Parsed(float(raw))
    if current is not None and current.type == "TEXT" and not current.auto:
        return Parsed(raw)
    if raw.startswith("'"):
        return Parsed(raw[1:])
    if raw.startswith("=") and len(raw) > 1:
        return Parsed(_evaluate_formula(raw), formula=raw)
    text = raw.strip()
    if text.upper() in ("TRUE", "FALSE"):
        return Parsed(text.upper() == "TRUE")
    number = _parse_number(text, rules)
    if number is not None:
        return Parsed(number)
    if text.endswith("%"):
        percent = _parse_number(text[:-1].strip(), rules)
        if percent is not None:
            return Parsed(percent / 100, fmt=NumberFormat("PERCENT"))
    parsed_date = _parse_date(text, rules)
    if parsed_date is not None:
        return parsed_date
    return Parsed(raw)


def make_cell(raw: Any, input_option: str, rules: LocaleRules, old: Cell | None) -> Cell | None:
    """The cell after writing ``raw`` (not None) with RAW or USER_ENTERED over ``old``."""
    fmt = old.fmt if old else None
    validation = old.validation if old else None
    if raw == "" and not isinstance(raw, bool):
        return old.cleared() if old else None
    if input_option == "RAW":
        value = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else raw
        return Cell(value=value, fmt=fmt, validation=validation)
    parsed = parse_user_entered(raw, rules, fmt)
    if parsed.fmt is not None and (fmt is None or fmt.auto):
        fmt = parsed.fmt
    return Cell(value=parsed.value, formula=parsed.formula, fmt=fmt, validation=validation)


# ----------------------------------------------------------------------------------------------------------
# Spreadsheet model


@dataclass
class Rect:
    """A half-open, 0-based block of cells."""

    r0: int
    c0: int
    r1: int
    c1: int


def col_letters(index: int) -> str:
    """0-based column index → ``A``, ``Z``, ``AA``…"""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    """``A`` → 0; also accepts a 1-based int (returned 0-based)."""
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number - 1


def quote_title(title: str) -> str:
    """Sheet name as Google writes it in ranges: bare when plain, quoted otherwise."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not re.fullmatch(r"[A-Za-z]{1,3}\d+", title):
        return title
    return "'" + title.replace("'", "''") + "'"


def a1(title: str, rect: Rect) -> str:
    start = f"{col_letters(rect.c0)}{rect.r0 + 1}"
    if rect.r1 - rect.r0 == 1 and rect.c1 - rect.c0 == 1:
        return f"{quote_title(title)}!{start}"
    return f"{quote_title(title)}!{start}:{col_letters(rect.c1 - 1)}{rect.r1}"


@dataclass
class Sheet:
    """One tab: properties plus a grid of rows (each row a list no longer than the column count)."""

    sheet_id: int
    title: str
    row_count: int = 1000
    col_count: int = 26
    frozen_rows: int = 0
    frozen_cols: int = 0
    hidden: bool = False
    extra: JSON = field(default_factory=dict)
    grid: list[list[Cell | None]] = field(default_factory=list)
    protected: list[JSON] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.grid:
            self.grid = [[] for _ in range(self.row_count)]

    def clone(self) -> Sheet:
        return replace(
            self, grid=[row[:] for row in self.grid], protected=json.loads(json.dumps(self.protected)),
            extra=json.loads(json.dumps(self.extra)),
        )

    def get(self, row: int, col: int) -> Cell | None:
        cells = self.grid[row]
        return cells[col] if col < len(cells) else None

    def put(self, row: int, col: int, cell: Cell | None) -> None:
        cells = self.grid[row]
        if col >= len(cells):
            if cell is None:
                return
            cells.extend([None] * (col + 1 - len(cells)))
        cells[col] = cell

    def row_is_empty(self, row: int, c0: int = 0, c1: int | None = None) -> bool:
        return all(c is None or c.empty for c in self.grid[row][c0:c1])

    def resize(self, rows: int | None = None, cols: int | None = None) -> None:
        if rows is not None:
            if rows < self.row_count:
                del self.grid[rows:]
            else:
                self.grid.extend([] for _ in range(rows - self.row_count))
            self.row_count = rows
        if cols is not None:
            if cols < self.col_count:
                for cells in self.grid:
                    del cells[cols:]
            self.col_count = cols

    def properties(self, index: int) -> JSON:
        grid: JSON = {"rowCount": self.row_count, "columnCount": self.col_count}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        if self.frozen_cols:
            grid["frozenColumnCount"] = self.frozen_cols
        grid.update(self.extra.get("gridProperties", {}))
        props: JSON = {"sheetId": self.sheet_id, "title": self.title, "index": index, "sheetType": "GRID",
                       "gridProperties": grid}
        if self.hidden:
            props["hidden"] = True
        props.update({k: v for k, v in self.extra.items() if k != "gridProperties"})
        return props


@dataclass
class Workbook:
    """One spreadsheet's state; cloned for every write so a failed batch leaves the original untouched."""

    key: str
    title: str
    locale: str
    time_zone: str
    sheets: list[Sheet]
    created: datetime
    modified: datetime
    next_protected_id: int = 1_000_000

    @property
    def rules(self) -> LocaleRules:
        return locale_rules(self.locale)

    def clone(self) -> Workbook:
        return replace(self, sheets=[s.clone() for s in self.sheets])

    def by_title(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None)

    def by_id(self, sheet_id: Any, where: str = "") -> Sheet:
        found = next((s for s in self.sheets if s.sheet_id == sheet_id), None)
        if found is None:
            raise _bad(f"{where}No grid with id: {sheet_id}")
        return found

    def metadata(self) -> JSON:
        sheets = []
        for index, sheet in enumerate(self.sheets):
            entry: JSON = {"properties": sheet.properties(index)}
            if sheet.protected:
                entry["protectedRanges"] = json.loads(json.dumps(sheet.protected))
            sheets.append(entry)
        return {
            "spreadsheetId": self.key,
            "properties": {
                "title": self.title, "locale": self.locale, "autoRecalc": "ON_CHANGE",
                "timeZone": self.time_zone,
                "defaultFormat": {"verticalAlignment": "BOTTOM", "wrapStrategy": "OVERFLOW_CELL"},
            },
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.key}/edit",
        }


# ----------------------------------------------------------------------------------------------------------
# A1 ranges

_CELL = re.compile(r"\$?([A-Za-z]{0,3})\$?(\d*)")


@dataclass
class Target:
    """A resolved range: the sheet, the block, and whether it was a single anchor cell."""

    sheet: Sheet
    rect: Rect
    anchor: bool
    text: str


def _split_sheet(text: str) -> tuple[str | None, str | None]:
    """``'It''s'!A1`` → ("It's", "A1"); ``Log`` → ("Log", None) or (None, "Log") decided by the caller."""
    if text.startswith("'"):
        match = re.match(r"'((?:[^']|'')*)'(?:!(.*))?$", text, re.S)
        if not match:
            raise _bad(f"Unable to parse range: {text}")
        return match[1].replace("''", "'"), match[2]
    if "!" in text:
        sheet, _, rng = text.rpartition("!")
        return sheet, rng
    return None, text


def resolve(book: Workbook, text: str) -> Target:
    """Parse an A1 range against ``book`` the way the Sheets API does, with its error messages."""
    sheet_name, rng = _split_sheet(text.strip())
    if sheet_name is None and rng is not None and book.by_title(rng) is not None:
        sheet_name, rng = rng, None
    sheet = book.by_title(sheet_name) if sheet_name is not None else book.sheets[0]
    if sheet is None:
        raise _bad(f"Unable to parse range: {text}")
    if not rng:
        return Target(sheet, Rect(0, 0, sheet.row_count, sheet.col_count), False, text)
    parts = rng.split(":")
    cells = [_CELL.fullmatch(p) for p in parts]
    if len(parts) > 2 or not all(cells) or any(not (m[1] or m[2]) for m in cells if m):
        raise _bad(f"Unable to parse range: {text}")
    start = cells[0]
    assert start is not None
    if len(parts) == 1:
        if not (start[1] and start[2]):
            raise _bad(f"Unable to parse range: {text}")
        row, col = int(start[2]) - 1, col_index(start[1])
        rect, anchor = Rect(row, col, row + 1, col + 1), True
    else:
        end = cells[1]
        assert end is not None
        r0 = int(start[2]) - 1 if start[2] else 0
        c0 = col_index(start[1]) if start[1] else 0
        r1 = int(end[2]) if end[2] else sheet.row_count
        c1 = col_index(end[1]) + 1 if end[1] else sheet.col_count
        if start[2] and not start[1] and end[1]:  # "2:C" is not a range
            raise _bad(f"Unable to parse range: {text}")
        r0, r1 = min(r0, r1 - 1), max(r0 + 1, r1)
        c0, c1 = min(c0, c1 - 1), max(c0 + 1, c1)
        rect, anchor = Rect(r0, c0, r1, c1), False
    if rect.r0 < 0 or rect.r1 > sheet.row_count or rect.c1 > sheet.col_count:
        raise _bad(f"Range ({text}) exceeds grid limits. Max rows: {sheet.row_count}, "
                   f"max columns: {sheet.col_count}")
    return Target(sheet, rect, anchor, text)


# ----------------------------------------------------------------------------------------------------------
# values.* operations


def _option(params: dict[str, str], name: str, default: str, allowed: Sequence[str]) -> str:
    value = params.get(name) or default
    if value not in allowed:
        raise _bad(f"Invalid value at '{name}' ({value})")
    return value


def _flag(value: Any) -> bool:
    return str(value).lower() == "true"


def read_block(book: Workbook, target: Target, major: str, value_render: str, date_render: str) -> JSON:
    sheet, rect = target.sheet, target.rect
    rows = [
        [render_cell(sheet.get(r, c), book.rules, value_render, date_render) for c in range(rect.c0, rect.c1)]
        for r in range(rect.r0, rect.r1)
    ]
    if major == "COLUMNS":
        rows = [list(col) for col in zip(*rows, strict=True)] if rows else []
    trimmed: list[list[Any]] = []
    for cells in rows:
        while cells and cells[-1] is None:
            cells.pop()
        trimmed.append(["" if v is None else v for v in cells])
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    out: JSON = {"range": a1(sheet.title, rect), "majorDimension": major}
    if trimmed:
        out["values"] = trimmed
    return out


def _read_options(params: dict[str, Any], prefix: str = "") -> tuple[str, str, str]:
    def name(n: str) -> str:
        return prefix + n[0].upper() + n[1:] if prefix else n

    major = _option(params, "majorDimension", "ROWS", ("ROWS", "COLUMNS"))
    value_render = _option(params, name("valueRenderOption"), "FORMATTED_VALUE",
                           ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"))
    date_render = _option(params, name("dateTimeRenderOption"), "SERIAL_NUMBER",
                          ("SERIAL_NUMBER", "FORMATTED_STRING"))
    return major, value_render, date_render


def _check_values(values: Any, where: str) -> list[list[Any]]:
    if values is None:
        return []
    if not isinstance(values, list):
        raise _bad(f"Invalid value at '{where}' (type.googleapis.com/google.protobuf.ListValue), {values!r}")
    for i, row in enumerate(values):
        if not isinstance(row, list):
            raise _bad(f"Invalid value at '{where}[{i}]' (type.googleapis.com/google.protobuf.ListValue), "
                       f"{json.dumps(row)}")
        for j, value in enumerate(row):
            if isinstance(value, list | dict):
                kind = "list_value" if isinstance(value, list) else "struct_value"
                raise _bad(f"Invalid values[{i}][{j}]: {kind} {json.dumps(value)}")
    return values


def _as_rows(values: list[list[Any]], major: str) -> list[list[Any]]:
    if major != "COLUMNS" or not values:
        return values
    height = max(len(col) for col in values)
    return [[col[r] if r < len(col) else None for col in values] for r in range(height)]


def write_block(book: Workbook, sheet: Sheet, row: int, col: int, rows: list[list[Any]], option: str) -> JSON:
    """Write ``rows`` with top-left at (row, col); returns the UpdateValuesResponse counters."""
    touched_rows, touched_cols, cells = set(), set(), 0
    for i, values in enumerate(rows):
        for j, raw in enumerate(values):
            if raw is None:
                continue
            r, c = row + i, col + j
            sheet.put(r, c, make_cell(raw, option, book.rules, sheet.get(r, c)))
            touched_rows.add(r)
            touched_cols.add(c)
            cells += 1
    width = max((len(v) for v in rows), default=0)
    out: JSON = {"spreadsheetId": book.key}
    if rows and width:
        out["updatedRange"] = a1(sheet.title, Rect(row, col, row + len(rows), col + width))
        out.update(updatedRows=len(touched_rows), updatedColumns=len(touched_cols), updatedCells=cells)
    return out


def update_range(book: Workbook, range_text: str, body: JSON, option: str, echo: JSON | None) -> JSON:
    """values.update semantics: fits inside the range (a single cell is an anchor), inside the grid."""
    target = resolve(book, range_text)
    rows = _as_rows(_check_values(body.get("values"), "data.values"), body.get("majorDimension") or "ROWS")
    sheet, rect = target.sheet, target.rect
    height, width = len(rows), max((len(v) for v in rows), default=0)
    if not target.anchor:
        if height > rect.r1 - rect.r0:
            raise _bad(f"Requested writing within range [{range_text}], but tried writing to row "
                       f"[{rect.r0 + height}]")
        if width > rect.c1 - rect.c0:
            raise _bad(f"Requested writing within range [{range_text}], but tried writing to column "
                       f"[{col_letters(rect.c0 + width - 1)}]")
    if rect.r0 + height > sheet.row_count or rect.c0 + width > sheet.col_count:
        raise _bad(f"Range ({range_text}) exceeds grid limits. Max rows: {sheet.row_count}, "
                   f"max columns: {sheet.col_count}")
    out = write_block(book, sheet, rect.r0, rect.c0, rows, option)
    if echo is not None and "updatedRange" in out:
        out["updatedData"] = read_block(book, resolve(book, out["updatedRange"]), "ROWS", *echo)
    return out


def _echo_options(source: JSON) -> tuple[str, str] | None:
    if not _flag(source.get("includeValuesInResponse")):
        return None
    _, value_render, date_render = _read_options(
        {k: v for k, v in source.items() if v is not None and k.startswith("response")}, prefix="response")
    return value_render, date_render


def find_table(sheet: Sheet, target: Target) -> Rect | None:
    """The logical table values.append appends to (see the module docstring for the rule)."""
    rect = target.rect
    c0 = rect.c0
    c1 = sheet.col_count if (target.anchor or rect.c1 - rect.c0 == sheet.col_count) else rect.c1
    if target.anchor:  # a single cell: no table unless that cell holds data (insert_rows/cols rely on this)
        anchor = sheet.get(rect.r0, rect.c0)
        first = rect.r0 if anchor is not None and not anchor.empty else None
    else:
        first = next((r for r in range(rect.r0, rect.r1) if not sheet.row_is_empty(r, c0, c1)), None)
    if first is None:
        return None
    last = first
    while last + 1 < sheet.row_count and not sheet.row_is_empty(last + 1, c0, c1):
        last += 1
    used = [c for r in range(first, last + 1) for c in range(c0, min(c1, len(sheet.grid[r])))
            if sheet.get(r, c) is not None and not sheet.get(r, c).empty]  # type: ignore[union-attr]
    return Rect(first, min(used), last + 1, max(used) + 1)


def append_rows(book: Workbook, range_text: str, params: dict[str, Any], body: JSON) -> JSON:
    option = _option(params, "valueInputOption", "", ("RAW", "USER_ENTERED"))
    insert = _option(params, "insertDataOption", "OVERWRITE", ("OVERWRITE", "INSERT_ROWS"))
    target = resolve(book, range_text)
    rows = _as_rows(_check_values(body.get("values"), "data.values"), body.get("majorDimension") or "ROWS")
    sheet = target.sheet
    table = find_table(sheet, target)
    row, col = (table.r1, table.c0) if table else (target.rect.r0, target.rect.c0)
    height, width = len(rows), max((len(v) for v in rows), default=0)
    if insert == "INSERT_ROWS" and height:
        insert_dimension(sheet, "ROWS", row, row + height, inherit_before=row > 0)
    if row + height > sheet.row_count:
        sheet.resize(rows=row + height)
    if col + width > sheet.col_count:
        sheet.resize(cols=col + width)
    out: JSON = {"spreadsheetId": book.key}
    if table:
        out["tableRange"] = a1(sheet.title, table)
    out["updates"] = write_block(book, sheet, row, col, rows, option)
    echo = _echo_options(params)
    if echo is not None and "updatedRange" in out["updates"]:
        out["updates"]["updatedData"] = read_block(
            book, resolve(book, out["updates"]["updatedRange"]), "ROWS", *echo)
    return out


def clear_range(book: Workbook, range_text: str) -> str:
    target = resolve(book, range_text)
    rect, sheet = target.rect, target.sheet
    for r in range(rect.r0, rect.r1):
        for c in range(rect.c0, min(rect.c1, len(sheet.grid[r]))):
            old = sheet.get(r, c)
            if old is not None:
                sheet.put(r, c, old.cleared())
    return a1(sheet.title, rect)


# ----------------------------------------------------------------------------------------------------------
# spreadsheets:batchUpdate requests


def _shift_point(pos: int, start: int, end: int, inserted: bool) -> int:
    """Where an index lands after inserting [start, end) or deleting it."""
    size = end - start
    if inserted:
        return pos + size if pos >= start else pos
    if pos <= start:
        return pos
    return pos - size if pos >= end else start


def _move_ranges(sheet: Sheet, dim: str, start: int, end: int, inserted: bool) -> None:
    keys = ("startRowIndex", "endRowIndex") if dim == "ROWS" else ("startColumnIndex", "endColumnIndex")
    kept = []
    for protected in sheet.protected:
        grid = protected.get("range", {})
        lo, hi = grid.get(keys[0]), grid.get(keys[1])
        if inserted and lo is not None and hi is not None and lo < start < hi:
            grid[keys[1]] = hi + end - start  # inserting inside a range grows it
        else:
            if lo is not None:
                grid[keys[0]] = _shift_point(lo, start, end, inserted)
            if hi is not None:
                grid[keys[1]] = _shift_point(hi, start, end, inserted) if not inserted or hi > start else hi
        if grid.get(keys[0]) is not None and grid.get(keys[0]) == grid.get(keys[1]):
            continue  # the whole protected block was deleted
        kept.append(protected)
    sheet.protected = kept


def _inherited(cells: list[Cell | None]) -> list[Cell | None]:
    return [Cell(fmt=c.fmt, validation=c.validation) if c and (c.fmt or c.validation) else None for c in cells]


def insert_dimension(sheet: Sheet, dim: str, start: int, end: int, inherit_before: bool) -> None:
    count = end - start
    if dim == "ROWS":
        source = start - 1 if inherit_before else start
        template = sheet.grid[source] if 0 <= source < sheet.row_count else []
        sheet.grid[start:start] = [_inherited(template) for _ in range(count)]
        sheet.row_count += count
        if start < sheet.frozen_rows:
            sheet.frozen_rows += count
    else:
        source = start - 1 if inherit_before else start
        for cells in sheet.grid:
            if len(cells) > start:
                template = cells[source] if 0 <= source < len(cells) else None
                cells[start:start] = _inherited([template] * count)
        sheet.col_count += count
        if start < sheet.frozen_cols:
            sheet.frozen_cols += count
    _move_ranges(sheet, dim, start, end, inserted=True)


def delete_dimension(sheet: Sheet, dim: str, start: int, end: int) -> None:
    if dim == "ROWS":
        del sheet.grid[start:end]
        sheet.row_count -= end - start
        sheet.frozen_rows -= max(0, min(end, sheet.frozen_rows) - start)
    else:
        for cells in sheet.grid:
            del cells[start:end]
        sheet.col_count -= end - start
        sheet.frozen_cols -= max(0, min(end, sheet.frozen_cols) - start)
    _move_ranges(sheet, dim, start, end, inserted=False)


def _sort_rank(cell: Cell | None) -> tuple[int, Any]:
    value = cell.value if cell else None
    if isinstance(value, bool):
        return 2, value
    if isinstance(value, float):
        return 0, value
    return 1, str(value).casefold()


def sort_rows(sheet: Sheet, rect: Rect, specs: list[tuple[int, bool]]) -> None:
    """Sort rows of ``rect`` by (column, descending) specs; empties last either way; stable."""

    def compare(a: list[Cell | None], b: list[Cell | None]) -> int:
        for col, descending in specs:
            ca, cb = a[col - rect.c0], b[col - rect.c0]
            ea, eb = ca is None or ca.empty, cb is None or cb.empty
            if ea or eb:
                if ea and eb:
                    continue
                return 1 if ea else -1
            ka, kb = _sort_rank(ca), _sort_rank(cb)
            order = (ka > kb) - (ka < kb)
            if order:
                return -order if descending else order
        return 0

    blocks = [[sheet.get(r, c) for c in range(rect.c0, rect.c1)] for r in range(rect.r0, rect.r1)]
    blocks.sort(key=cmp_to_key(compare))
    for r, cells in zip(range(rect.r0, rect.r1), blocks, strict=True):
        for c, cell in zip(range(rect.c0, rect.c1), cells, strict=True):
            sheet.put(r, c, cell)


def _grid_rect(book: Workbook, grid: JSON, where: str) -> tuple[Sheet, Rect]:
    sheet = book.by_id(grid.get("sheetId", 0), where)
    rect = Rect(grid.get("startRowIndex", 0), grid.get("startColumnIndex", 0),
                grid.get("endRowIndex", sheet.row_count), grid.get("endColumnIndex", sheet.col_count))
    if not (0 <= rect.r0 <= rect.r1 <= sheet.row_count and 0 <= rect.c0 <= rect.c1 <= sheet.col_count):
        raise _bad(f"{where}Range ({quote_title(sheet.title)}!{grid}) exceeds grid limits. "
                   f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}")
    return sheet, rect


def _field_tree(text: str) -> JSON:
    """Parse a FieldMask (``a.b,c/d,e(f,g)``) into a nested dict; an empty dict means "everything"."""
    pos = 0

    def parse_list() -> JSON:
        nonlocal pos
        tree: JSON = {}
        while True:
            match = re.compile(r"\s*([A-Za-z0-9_*]+(?:[./][A-Za-z0-9_*]+)*)\s*").match(text, pos)
            if not match:
                raise _bad(f"Invalid field selection {text}")
            pos = match.end()
            node = tree
            for part in re.split(r"[./]", match[1]):
                node = node.setdefault(part, {})
            if text.startswith("(", pos):
                pos += 1
                node.update(parse_list())
                if not text.startswith(")", pos):
                    raise _bad(f"Invalid field selection {text}")
                pos += 1
            if text.startswith(",", pos):
                pos += 1
                continue
            return tree

    tree = parse_list()
    if pos != len(text):
        raise _bad(f"Invalid field selection {text}")
    return tree


def apply_field_mask(obj: Any, tree: JSON) -> Any:
    if not tree or "*" in tree:
        return obj
    if isinstance(obj, list):
        return [apply_field_mask(item, tree) for item in obj]
    if isinstance(obj, dict):
        return {k: apply_field_mask(obj[k], sub) for k, sub in tree.items() if k in obj}
    return obj


def _mask_paths(fields: str, where: str) -> list[list[str]]:
    if not fields:
        raise _bad(f"{where}At least one field must be updated, but none was specified.")

    def flatten(tree: JSON, prefix: list[str]) -> Iterator[list[str]]:
        for key, sub in tree.items():
            yield from flatten(sub, prefix + [key]) if sub else [prefix + [key]]

    return list(flatten(_field_tree(fields), []))


def _extended_value(value: Any, where: str) -> tuple[str | float | bool | None, str | None]:
    """An ExtendedValue → (value, formula). ``stringValue`` is RAW text (``"=1+1"``, ``"007"`` stay text);
    an absent value or ``stringValue: ""`` clears the cell's value."""
    if value is None or value == {}:
        return None, None
    if not isinstance(value, dict) or len(value) != 1:
        raise _bad(f"{where}Invalid ExtendedValue {json.dumps(value)}: exactly one kind must be set")
    (kind, raw), = value.items()
    if kind == "stringValue" and isinstance(raw, str):
        return (raw or None), None
    if kind == "numberValue" and isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw), None
    if kind == "boolValue" and isinstance(raw, bool):
        return raw, None
    if kind == "formulaValue" and isinstance(raw, str) and raw.startswith("="):
        return _evaluate_formula(raw), raw
    raise _bad(f"{where}Invalid ExtendedValue {json.dumps(value)}")


class BatchUpdate:
    """Applies spreadsheets:batchUpdate requests to a (cloned) workbook; raises ApiError on the first bad one."""

    def __init__(self, book: Workbook, rng: random.Random):
        self.book = book
        self.rng = rng

    def run(self, requests_: list[JSON]) -> list[JSON]:
        replies = []
        for i, request in enumerate(requests_):
            if not isinstance(request, dict) or len(request) != 1:
                raise _bad(f"Invalid requests[{i}]: exactly one request kind must be set")
            (kind, payload), = request.items()
            handler: Callable[[JSON, str], JSON] | None = getattr(self, f"_{kind}", None)
            if handler is None:
                raise _bad(f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{i}]': "
                           "Cannot find field.")
            replies.append(handler(payload or {}, f"Invalid requests[{i}].{kind}: "))
        return replies

    # -- sheets ------------------------------------------------------------------------------------------
    def _new_sheet_id(self) -> int:
        while True:
            candidate = self.rng.randrange(1, 2**31 - 1)
            if all(s.sheet_id != candidate for s in self.book.sheets):
                return candidate

    def _addSheet(self, payload: JSON, where: str) -> JSON:
        props = payload.get("properties", {})
        title = props.get("title") or f"Sheet{len(self.book.sheets) + 1}"
        if self.book.by_title(title) is not None:
            raise _bad(f"{where}A sheet with the name \"{title}\" already exists. Please enter another name.")
        sheet_id = props.get("sheetId")
        sheet_id = self._new_sheet_id() if sheet_id is None else sheet_id
        if any(s.sheet_id == sheet_id for s in self.book.sheets):
            raise _bad(f"{where}Sheet with id {sheet_id} already exists.")
        grid = props.get("gridProperties", {})
        sheet = Sheet(sheet_id, title, grid.get("rowCount", 1000), grid.get("columnCount", 26),
                      frozen_rows=grid.get("frozenRowCount", 0), frozen_cols=grid.get("frozenColumnCount", 0),
                      hidden=bool(props.get("hidden", False)))
        index = min(props.get("index", len(self.book.sheets)), len(self.book.sheets))
        self.book.sheets.insert(index, sheet)
        return {"addSheet": {"properties": sheet.properties(index)}}

    def _deleteSheet(self, payload: JSON, where: str) -> JSON:
        sheet = self.book.by_id(payload.get("sheetId"), where)
        if len(self.book.sheets) == 1:
            raise _bad(f"{where}You can't remove all the sheets in a document.")
        self.book.sheets.remove(sheet)
        return {}

    def _duplicateSheet(self, payload: JSON, where: str) -> JSON:
        source = self.book.by_id(payload.get("sourceSheetId"), where)
        title = payload.get("newSheetName") or f"Copy of {source.title}"
        if self.book.by_title(title) is not None:
            raise _bad(f"{where}A sheet with the name \"{title}\" already exists. Please enter another name.")
        copy = replace(source.clone(), sheet_id=payload.get("newSheetId") or self._new_sheet_id(), title=title,
                       protected=[])
        index = min(payload.get("insertSheetIndex", len(self.book.sheets)), len(self.book.sheets))
        self.book.sheets.insert(index, copy)
        return {"duplicateSheet": {"properties": copy.properties(index)}}

    def _updateSheetProperties(self, payload: JSON, where: str) -> JSON:
        props = payload.get("properties", {})
        sheet = self.book.by_id(props.get("sheetId", 0), where)
        paths = _mask_paths(payload.get("fields", ""), where)
        if ["*"] in paths:
            paths = [[k] for k in props if k != "sheetId"]
        grid = props.get("gridProperties", {})
        rows, cols = sheet.row_count, sheet.col_count
        frozen_rows, frozen_cols = sheet.frozen_rows, sheet.frozen_cols
        for path in paths:
            head = path[0]
            if head == "title":
                title = props.get("title")
                if not title:
                    raise _bad(f"{where}The sheet name cannot be empty.")
                other = self.book.by_title(title)
                if other is not None and other is not sheet:
                    raise _bad(f"{where}A sheet with the name \"{title}\" already exists. "
                               "Please enter another name.")
                sheet.title = title
            elif head == "index":
                self.book.sheets.remove(sheet)
                self.book.sheets.insert(min(props.get("index", 0), len(self.book.sheets)), sheet)
            elif head == "hidden":
                sheet.hidden = bool(props.get("hidden", False))
            elif head == "gridProperties":
                for sub in [path[1]] if len(path) > 1 else list(grid):
                    value = grid.get(sub, 0)
                    if sub == "rowCount":
                        rows = value
                    elif sub == "columnCount":
                        cols = value
                    elif sub == "frozenRowCount":
                        frozen_rows = value
                    elif sub == "frozenColumnCount":
                        frozen_cols = value
                    else:
                        sheet.extra.setdefault("gridProperties", {})[sub] = value
            elif head == "sheetId":
                raise _bad(f"{where}sheetId cannot be updated")
            else:
                if head in props:
                    sheet.extra[head] = props[head]
                else:
                    sheet.extra.pop(head, None)
        if rows < 1 or cols < 1:
            raise _bad(f"{where}Sheet must have at least one row and one column.")
        if frozen_rows >= rows:
            raise _bad(f"{where}You can't freeze all visible rows on the sheet.")
        if frozen_cols >= cols:
            raise _bad(f"{where}You can't freeze all visible columns on the sheet.")
        sheet.resize(rows, cols)
        sheet.frozen_rows, sheet.frozen_cols = frozen_rows, frozen_cols
        return {}

    def _updateSpreadsheetProperties(self, payload: JSON, where: str) -> JSON:
        props = payload.get("properties", {})
        for path in _mask_paths(payload.get("fields", ""), where):
            if path[0] == "title":
                self.book.title = props.get("title", "")
            elif path[0] == "locale":
                self.book.locale = props.get("locale", "en_US")
            elif path[0] == "timeZone":
                self.book.time_zone = props.get("timeZone", "Etc/GMT")
        return {}

    # -- dimensions --------------------------------------------------------------------------------------
    def _dim_range(self, rng: JSON, where: str) -> tuple[Sheet, str, int, int, int]:
        sheet = self.book.by_id(rng.get("sheetId", 0), where)
        dim = rng.get("dimension")
        if dim not in ("ROWS", "COLUMNS"):
            raise _bad(f"{where}range.dimension must be ROWS or COLUMNS")
        size = sheet.row_count if dim == "ROWS" else sheet.col_count
        start, end = rng.get("startIndex", 0), rng.get("endIndex", size)
        if not 0 <= start <= end:
            raise _bad(f"{where}Invalid dimension range: startIndex {start}, endIndex {end}")
        return sheet, dim, start, end, size

    def _insertDimension(self, payload: JSON, where: str) -> JSON:
        sheet, dim, start, end, size = self._dim_range(payload.get("range", {}), where)
        inherit = bool(payload.get("inheritFromBefore", False))
        if start > size:
            raise _bad(f"{where}Invalid insertDimension: startIndex {start} is after the end of the grid ({size})")
        if start == 0 and inherit:
            raise _bad(f"{where}Cannot inherit from before when inserting at the start of the sheet.")
        if start == end:
            raise _bad(f"{where}Invalid insertDimension: the range must not be empty.")
        insert_dimension(sheet, dim, start, end, inherit)
        return {}

    def _deleteDimension(self, payload: JSON, where: str) -> JSON:
        sheet, dim, start, end, size = self._dim_range(payload.get("range", {}), where)
        if end > size:
            raise _bad(f"{where}Range exceeds grid limits. Max {dim.lower()}: {size}")
        if start == 0 and end == size:
            raise _bad(f"{where}You can't delete all the {dim.lower()} on the sheet.")
        frozen = sheet.frozen_rows if dim == "ROWS" else sheet.frozen_cols
        if start <= frozen and end == size:
            raise _bad(f"{where}Sorry, it is not possible to delete all non-frozen {dim.lower()}.")
        delete_dimension(sheet, dim, start, end)
        return {}

    def _appendDimension(self, payload: JSON, where: str) -> JSON:
        sheet = self.book.by_id(payload.get("sheetId", 0), where)
        length = payload.get("length", 0)
        if length < 1:
            raise _bad(f"{where}length must be positive")
        if payload.get("dimension") == "ROWS":
            sheet.resize(rows=sheet.row_count + length)
        elif payload.get("dimension") == "COLUMNS":
            sheet.resize(cols=sheet.col_count + length)
        else:
            raise _bad(f"{where}dimension must be ROWS or COLUMNS")
        return {}

    def _moveDimension(self, payload: JSON, where: str) -> JSON:
        sheet, dim, start, end, size = self._dim_range(payload.get("source", {}), where)
        dest = payload.get("destinationIndex", 0)
        if end > size or not 0 <= dest <= size or start < dest < end:
            raise _bad(f"{where}Invalid moveDimension destinationIndex {dest}")
        if dim == "ROWS":
            moved = sheet.grid[start:end]
            del sheet.grid[start:end]
            at = dest if dest < start else dest - (end - start)
            sheet.grid[at:at] = moved
        else:
            for cells in sheet.grid:
                cells.extend([None] * (size - len(cells)))
                moved = cells[start:end]
                del cells[start:end]
                at = dest if dest < start else dest - (end - start)
                cells[at:at] = moved
                while cells and cells[-1] is None:
                    cells.pop()
        return {}

    def _updateDimensionProperties(self, payload: JSON, where: str) -> JSON:
        self._dim_range(payload.get("range", {}), where)  # validated, otherwise no effect (documented)
        return {}

    # -- cells -------------------------------------------------------------------------------------------
    def _sortRange(self, payload: JSON, where: str) -> JSON:
        sheet, rect = _grid_rect(self.book, payload.get("range", {}), where)
        specs = []
        for spec in payload.get("sortSpecs", []):
            col = spec.get("dimensionIndex", 0)
            if not rect.c0 <= col < rect.c1:
                raise _bad(f"{where}sortSpecs dimensionIndex {col} is outside the range")
            specs.append((col, spec.get("sortOrder", "ASCENDING") == "DESCENDING"))
        sort_rows(sheet, rect, specs)
        return {}

    def _setDataValidation(self, payload: JSON, where: str) -> JSON:
        sheet, rect = _grid_rect(self.book, payload.get("range", {}), where)
        rule = payload.get("rule")
        for r in range(rect.r0, rect.r1):
            for c in range(rect.c0, rect.c1):
                old = sheet.get(r, c) or Cell()
                new = replace(old, validation=rule)
                sheet.put(r, c, None if new == Cell() else new)
        return {}

    def _repeatCell(self, payload: JSON, where: str) -> JSON:
        sheet, rect = _grid_rect(self.book, payload.get("range", {}), where)
        fields = payload.get("fields", "")
        fmt_json = payload.get("cell", {}).get("userEnteredFormat", {}).get("numberFormat")
        if "numberFormat" not in fields and fields not in ("*", "userEnteredFormat"):
            return {}
        fmt = None
        if fmt_json:
            fmt = NumberFormat(fmt_json.get("type", "TEXT"), auto=False)
        for r in range(rect.r0, rect.r1):
            for c in range(rect.c0, rect.c1):
                new = replace(sheet.get(r, c) or Cell(), fmt=fmt)
                sheet.put(r, c, None if new == Cell() else new)
        return {}

    # -- cell data (updateCells, appendCells) -------------------------------------------------------------
    def _cell_paths(self, fields: str, where: str) -> set[str]:
        """The CellData fields a mask names; ``*`` means all the ones the fake models."""
        known = {"userEnteredValue", "userEnteredFormat", "dataValidation"}
        paths = {path[0] for path in _mask_paths(fields, where)}
        if "*" in paths:
            return known
        unknown = paths - known
        if unknown:
            raise _bad(f"{where}The fake Sheets server does not implement CellData field(s) "
                       f"{', '.join(sorted(unknown))}")
        return paths

    def _write_cell(self, sheet: Sheet, row: int, col: int, data: Any, paths: set[str], where: str) -> None:
        """Apply one CellData under a field mask: a masked field absent from ``data`` is cleared."""
        if not isinstance(data, dict):
            raise _bad(f"{where}Invalid CellData {json.dumps(data)}")
        old = sheet.get(row, col) or Cell()
        new = old
        if "userEnteredValue" in paths:
            value, formula = _extended_value(data.get("userEnteredValue"), where)
            new = replace(new, value=value, formula=formula)
        if "userEnteredFormat" in paths:
            fmt_json = (data.get("userEnteredFormat") or {}).get("numberFormat")
            new = replace(new, fmt=NumberFormat(fmt_json.get("type", "TEXT"), auto=False) if fmt_json else None)
        if "dataValidation" in paths:
            new = replace(new, validation=data.get("dataValidation"))
        sheet.put(row, col, None if new == Cell() else new)

    def _write_rows(self, sheet: Sheet, row: int, col: int, rows: Any, paths: set[str], where: str) -> None:
        if not isinstance(rows, list):
            raise _bad(f"{where}rows must be a list of RowData")
        for i, row_data in enumerate(rows):
            for j, data in enumerate((row_data or {}).get("values", [])):
                self._write_cell(sheet, row + i, col + j, data, paths, where)

    def _updateCells(self, payload: JSON, where: str) -> JSON:
        paths = self._cell_paths(payload.get("fields", ""), where)
        rows = payload.get("rows", [])
        height = len(rows) if isinstance(rows, list) else 0
        width = max((len((r or {}).get("values", [])) for r in rows), default=0) if height else 0
        if ("start" in payload) == ("range" in payload):
            raise _bad(f"{where}Exactly one of start or range must be set")
        if "start" in payload:
            start = payload["start"]
            sheet = self.book.by_id(start.get("sheetId", 0), where)
            r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
            if r0 < 0 or c0 < 0 or r0 + height > sheet.row_count or c0 + width > sheet.col_count:
                raise _bad(f"{where}Range ({quote_title(sheet.title)}!{col_letters(c0)}{r0 + 1}) exceeds grid "
                           f"limits. Max rows: {sheet.row_count}, max columns: {sheet.col_count}")
            self._write_rows(sheet, r0, c0, rows, paths, where)
            return {}
        sheet, rect = _grid_rect(self.book, payload["range"], where)
        if height > rect.r1 - rect.r0 or width > rect.c1 - rect.c0:
            raise _bad(f"{where}The rows do not fit in the range")  # *the fake refuses; Google's answer unverified
        for r in range(rect.r0, rect.r1):  # the range's cells the rows do not cover get the masked fields cleared
            for c in range(rect.c0, rect.c1):
                self._write_cell(sheet, r, c, {}, paths, where)
        self._write_rows(sheet, rect.r0, rect.c0, rows, paths, where)
        return {}

    def _appendCells(self, payload: JSON, where: str) -> JSON:
        sheet = self.book.by_id(payload.get("sheetId", 0), where)
        paths = self._cell_paths(payload.get("fields", ""), where)
        rows = payload.get("rows", [])
        if not isinstance(rows, list):
            raise _bad(f"{where}rows must be a list of RowData")
        last = next((r for r in range(sheet.row_count - 1, -1, -1) if not sheet.row_is_empty(r)), -1)
        width = max((len((r or {}).get("values", [])) for r in rows), default=0)
        if width > sheet.col_count:
            raise _bad(f"{where}Range ({quote_title(sheet.title)}) exceeds grid limits. "
                       f"Max columns: {sheet.col_count}")
        if last + 1 + len(rows) > sheet.row_count:
            sheet.resize(rows=last + 1 + len(rows))
        self._write_rows(sheet, last + 1, 0, rows, paths, where)
        return {}

    def _addProtectedRange(self, payload: JSON, where: str) -> JSON:
        protected = json.loads(json.dumps(payload.get("protectedRange", {})))
        grid = protected.get("range", {})
        _grid_rect(self.book, grid, where)
        sheet = self.book.by_id(grid.get("sheetId", 0), where)
        grid["sheetId"] = sheet.sheet_id
        protected = {k: v for k, v in protected.items() if v is not None}
        protected["protectedRangeId"] = self.book.next_protected_id
        self.book.next_protected_id += 1
        sheet.protected.append(protected)
        return {"addProtectedRange": {"protectedRange": json.loads(json.dumps(protected))}}

    def _deleteProtectedRange(self, payload: JSON, where: str) -> JSON:
        wanted = payload.get("protectedRangeId")
        for sheet in self.book.sheets:
            for protected in sheet.protected:
                if str(protected["protectedRangeId"]) == str(wanted):
                    sheet.protected.remove(protected)
                    return {}
        raise _bad(f"{where}No protected range with id: {wanted}")


# ----------------------------------------------------------------------------------------------------------
# Faults, routing and the server


READ_KINDS = frozenset({"spreadsheets.get", "values.get", "values.batchGet", "drive.files.get",
                        "drive.files.list"})
WRITE_KINDS = frozenset({"values.update", "values.batchUpdate", "values.append", "values.clear",
                         "values.batchClear", "spreadsheets.batchUpdate"})


def category(kind: str) -> str:
    """``read``/``write`` as Google's per-minute quotas count them; ``auth`` for the token endpoint."""
    if kind in READ_KINDS:
        return "read"
    if kind in WRITE_KINDS:
        return "write"
    return "auth" if kind == "token" else "other"


@dataclass
class Fault:
    """An injected failure: matches a kind, a category (``read``/``write``) or ``any`` (not ``token``)."""

    match: str
    status: int | None = 429
    retry_after: float | None = None
    times: int = 1
    delay: float = 0.0
    drop: bool = False
    after_apply: bool = False
    body: str | None = None
    hits: int = 0

    def matches(self, kind: str) -> bool:
        if self.match == "any":
            return kind != "token"
        return self.match in (kind, category(kind))


@dataclass
class Reply:
    status: int
    payload: JSON | str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Route:
    kind: str
    key: str | None = None
    range: str | None = None
    item: str | None = None


def route(method: str, path: str) -> Route:
    """Map a request line to an endpoint kind (ranges arrive percent-encoded, ``:`` included)."""
    if path == "/token":
        return Route("token") if method == "POST" else Route("unknown")
    prefix = "/v4/spreadsheets/"
    if path.startswith(prefix):
        rest = path[len(prefix):]
        if "/values" in rest:
            key, _, tail = rest.partition("/values")
            key = unquote(key)
            verbs = {(":batchGet", "GET"): "values.batchGet", (":batchUpdate", "POST"): "values.batchUpdate",
                     (":batchClear", "POST"): "values.batchClear"}
            if (tail, method) in verbs:
                return Route(verbs[(tail, method)], key)
            if tail.startswith("/") and len(tail) > 1:
                rng = tail[1:]
                if method == "POST" and rng.endswith(":append"):
                    return Route("values.append", key, unquote(rng[: -len(":append")]))
                if method == "POST" and rng.endswith(":clear"):
                    return Route("values.clear", key, unquote(rng[: -len(":clear")]))
                if method in ("GET", "PUT"):
                    return Route("values.get" if method == "GET" else "values.update", key, unquote(rng))
        elif rest.endswith(":batchUpdate") and method == "POST":
            return Route("spreadsheets.batchUpdate", unquote(rest[: -len(":batchUpdate")]))
        elif "/" not in rest and ":" not in rest and method == "GET":
            return Route("spreadsheets.get", unquote(rest))
    if path == "/drive/v3/files" and method == "GET":
        return Route("drive.files.list")
    if path.startswith("/drive/v3/files/") and method == "GET" and path.count("/") == 4:
        return Route("drive.files.get", unquote(path.rsplit("/", 1)[1]))
    return Route("unknown")


def _fault_reply(fault: Fault, kind: str) -> Reply:
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = f"{fault.retry_after:g}"
    status = fault.status or 500
    if fault.body is not None:
        headers["Content-Type"] = "text/html; charset=UTF-8"
        return Reply(status, fault.body, headers)
    if status == 429:
        metric = "Read" if category(kind) == "read" else "Write"
        error = ApiError(
            429,
            f"Quota exceeded for quota metric '{metric} requests' and limit '{metric} requests per minute per "
            "user' of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'.",
            "RESOURCE_EXHAUSTED",
            [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED",
              "domain": "googleapis.com",
              "metadata": {"service": "sheets.googleapis.com", "quota_metric":
                           f"sheets.googleapis.com/{metric.lower()}_requests"}}],
        )
    elif status == 503:
        error = ApiError(503, "The service is currently unavailable.", "UNAVAILABLE")
    elif status >= 500:
        error = ApiError(status, "Internal error encountered.", "INTERNAL")
    else:
        error = ApiError(status, "Injected failure.", "FAILED_PRECONDITION")
    return Reply(status, error.body(), headers)


@dataclass
class SheetSpec:
    """A tab for ``create_spreadsheet``: size, frozen header rows, and seed values (RAW by default)."""

    title: str
    values: list[list[Any]] | None = None
    rows: int = 1000
    cols: int = 26
    frozen_rows: int = 0
    input_option: str = "RAW"


@dataclass
class RequestRecord:
    method: str
    kind: str
    path: str
    status: int | None  # None: the connection was dropped
    bearer: str | None


class FakeSheets:
    """In-memory spreadsheets behind a threaded HTTP server on 127.0.0.1 (see the module docstring)."""

    def __init__(self, *, strict_tokens: bool = False, seed: int = 20261126):
        self._lock = threading.RLock()
        self._books: dict[str, Workbook] = {}
        self._counts: Counter[str] = Counter()
        self._faults: list[Fault] = []
        self._rng = random.Random(seed)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.strict_tokens = strict_tokens
        self.issued_tokens: list[str] = []
        self.token_claims: list[JSON] = []
        self.log: list[RequestRecord] = []

    # -- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> FakeSheets:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.block_on_close = False  # keep-alive client connections must not block stop()
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-sheets", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSheets:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSheets is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def token_uri(self) -> str:
        return self.url + "/token"

    # -- spreadsheets ------------------------------------------------------------------------------------
    def create_spreadsheet(
        self,
        title: str = "Untitled spreadsheet",
        sheets: Sequence[str | SheetSpec] = ("Sheet1",),
        *,
        locale: str = "en_US",
        time_zone: str = "Asia/Jakarta",
        key: str | None = None,
    ) -> str:
        """Create a spreadsheet and return its key; the first tab gets sheetId 0 like a new Google file."""
        specs = [SheetSpec(s) if isinstance(s, str) else s for s in sheets]
        with self._lock:
            key = key or "".join(self._rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                  "0123456789-_") for _ in range(44))
            now = datetime.now(UTC)
            book = Workbook(key, title, locale, time_zone, [], now, now)
            updater = BatchUpdate(book, self._rng)
            for index, spec in enumerate(specs):
                updater._addSheet({"properties": {"title": spec.title, "sheetId": 0 if index == 0 else None,
                                                  "gridProperties": {"rowCount": spec.rows,
                                                                     "columnCount": spec.cols,
                                                                     "frozenRowCount": spec.frozen_rows}}},
                                  "")
            for spec in specs:
                if spec.values:
                    sheet = book.by_title(spec.title)
                    assert sheet is not None
                    rows = _check_values(spec.values, "values")
                    sheet.resize(rows=max(sheet.row_count, len(rows)),
                                 cols=max(sheet.col_count, max(len(r) for r in rows)))
                    write_block(book, sheet, 0, 0, rows, spec.input_option)
            self._books[key] = book
        return key

    def _book(self, key: str | None) -> Workbook:
        book = self._books.get(key or "")
        if book is None:
            raise ApiError(404, "Requested entity was not found.", "NOT_FOUND")
        return book

    @contextmanager
    def _transaction(self, key: str | None) -> Iterator[Workbook]:
        """Apply changes to a clone and publish it only if no ApiError escaped: atomic like Google."""
        with self._lock:
            work = self._book(key).clone()
            yield work
            work.modified = datetime.now(UTC)
            self._books[work.key] = work

    # -- instrumentation ---------------------------------------------------------------------------------
    @property
    def counts(self) -> Counter[str]:
        """Requests that arrived, per kind (``values.get``…) and per ``read``/``write``/``auth``/``total``."""
        with self._lock:
            return Counter(self._counts)

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()
            self.log.clear()

    def inject(
        self,
        match: str = "any",
        status: int | None = 429,
        *,
        retry_after: float | None = None,
        times: int = 1,
        delay: float = 0.0,
        drop: bool = False,
        after_apply: bool = False,
        body: str | None = None,
    ) -> Fault:
        """Make the next ``times`` matching requests fail.

        ``status``: answer with that error in Google's JSON shape (429 → RESOURCE_EXHAUSTED with
        ``RATE_LIMIT_EXCEEDED``), with ``Retry-After`` when ``retry_after`` is given, or with ``body`` as a
        non-JSON text body. ``status=None`` with ``delay``: answer normally, late. ``drop``: close the
        connection without answering; with ``after_apply`` the request is applied first ("applied but no
        answer"), and with ``after_apply`` and a ``status`` it is applied and then answered with that error
        ("applied, but Google answered 500"). ``delay`` applies before anything else in all cases.
        """
        fault = Fault(match, None if drop else status, retry_after, times, delay, drop, after_apply, body)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, kind: str) -> Fault | None:
        for fault in self._faults:
            if fault.matches(kind):
                fault.hits += 1
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # -- admin simulation (no HTTP, not counted) ---------------------------------------------------------
    def _sheet(self, book: Workbook, title: str) -> Sheet:
        sheet = book.by_title(title)
        if sheet is None:
            raise KeyError(f"no sheet {title!r}")
        return sheet

    def admin_insert_rows(self, key: str, sheet: str, before_row: int, count: int = 1) -> None:
        """An admin inserts ``count`` empty rows above 1-based ``before_row`` (formats inherited from above)."""
        with self._transaction(key) as book:
            target = self._sheet(book, sheet)
            BatchUpdate(book, self._rng)._insertDimension(
                {"range": {"sheetId": target.sheet_id, "dimension": "ROWS", "startIndex": before_row - 1,
                           "endIndex": before_row - 1 + count}, "inheritFromBefore": before_row > 1}, "")

    def admin_delete_rows(self, key: str, sheet: str, first_row: int, last_row: int | None = None) -> None:
        """An admin deletes 1-based rows ``first_row``..``last_row`` (inclusive)."""
        with self._transaction(key) as book:
            target = self._sheet(book, sheet)
            BatchUpdate(book, self._rng)._deleteDimension(
                {"range": {"sheetId": target.sheet_id, "dimension": "ROWS", "startIndex": first_row - 1,
                           "endIndex": last_row or first_row}}, "")

    def admin_sort(
        self, key: str, sheet: str, column: int | str, *, ascending: bool = True, header_rows: int | None = None
    ) -> None:
        """An admin sorts the sheet by a column (letter or 1-based); ``header_rows`` defaults to frozen rows."""
        with self._transaction(key) as book:
            target = self._sheet(book, sheet)
            col = col_index(column) if isinstance(column, str) else column - 1
            first = target.frozen_rows if header_rows is None else header_rows
            sort_rows(target, Rect(first, 0, target.row_count, target.col_count), [(col, not ascending)])

    def admin_move_column(self, key: str, sheet: str, from_col: int | str, to_col: int | str) -> None:
        """An admin drags a column so that it ends up at position ``to_col`` (letters or 1-based)."""
        with self._transaction(key) as book:
            target = self._sheet(book, sheet)
            src = col_index(from_col) if isinstance(from_col, str) else from_col - 1
            dst = col_index(to_col) if isinstance(to_col, str) else to_col - 1
            if src == dst:
                return
            BatchUpdate(book, self._rng)._moveDimension(
                {"source": {"sheetId": target.sheet_id, "dimension": "COLUMNS", "startIndex": src,
                            "endIndex": src + 1}, "destinationIndex": dst + 1 if dst > src else dst}, "")

    def admin_edit(self, key: str, range_: str, text: Any) -> None:
        """An admin types ``text`` into one cell (USER_ENTERED semantics, the sheet's locale)."""
        self.admin_set_values(key, range_, [[text]], "USER_ENTERED")

    def admin_set_values(self, key: str, range_: str, values: list[list[Any]],
                         input_option: str = "USER_ENTERED") -> None:
        """Write a block as values.update would, without HTTP (seeding or a pasted block)."""
        with self._transaction(key) as book:
            update_range(book, range_, {"values": values}, input_option, None)

    def peek(self, key: str, range_: str, value_render: str = "FORMATTED_VALUE",
             date_render: str = "SERIAL_NUMBER") -> list[list[Any]]:
        """values.get without HTTP and without counting: for assertions."""
        with self._lock:
            book = self._book(key)
            return read_block(book, resolve(book, range_), "ROWS", value_render, date_render).get("values", [])

    def cell(self, key: str, sheet: str, label: str) -> Cell | None:
        """The stored cell (value, formula, number format, validation) at ``label`` like ``B2``."""
        with self._lock:
            book = self._book(key)
            target = resolve(book, f"{quote_title(sheet)}!{label}")
            return target.sheet.get(target.rect.r0, target.rect.c0)

    def sheet_titles(self, key: str) -> list[str]:
        """The tabs of a spreadsheet, in order."""
        with self._lock:
            return [s["properties"]["title"] for s in self._book(key).metadata()["sheets"]]

    def sheet_properties(self, key: str, sheet: str) -> JSON:
        """The tab's properties and protected ranges as spreadsheets.get would show them."""
        with self._lock:
            book = self._book(key)
            meta = book.metadata()
            return next(s for s in meta["sheets"] if s["properties"]["title"] == sheet)

    # -- HTTP dispatch -----------------------------------------------------------------------------------
    def serve(self, method: str, path: str, query: str, body: bytes, headers: dict[str, str]) -> Reply | None:
        """Answer one request; ``None`` means "drop the connection without answering"."""
        target = route(method, path)
        kind = target.kind
        bearer = None
        auth_header = headers.get("authorization", "")
        if auth_header.lower().startswith("bearer "):
            bearer = auth_header[7:].strip() or None
        with self._lock:
            self._counts[kind] += 1
            self._counts[category(kind)] += 1
            self._counts["total"] += 1
            fault = self._take_fault(kind)
            record = RequestRecord(method, kind, path, None, bearer)
            self.log.append(record)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.drop and not fault.after_apply:
            return None
        if fault is not None and fault.status is not None and not fault.after_apply:
            reply = _fault_reply(fault, kind)
        else:
            try:
                reply = Reply(200, self._dispatch(method, path, target, query, body, bearer))
            except ApiError as err:
                reply = Reply(err.code, err.body())
            except Exception as err:  # a bug in the fake must be loud, not look like a dropped connection
                reply = Reply(500, ApiError(500, f"fake Sheets server bug: {err!r}\n{traceback.format_exc()}",
                                            "INTERNAL").body())
        if fault is not None and fault.drop:
            return None
        if fault is not None and fault.after_apply and fault.status is not None:
            reply = _fault_reply(fault, kind)  # applied (or refused as it would be), then answered with an error
        record.status = reply.status
        return reply

    def _dispatch(self, method: str, path: str, target: Route, query: str, body: bytes,
                  bearer: str | None) -> JSON:
        params_multi = parse_qs(query, keep_blank_values=True)
        params = {k: v[-1] for k, v in params_multi.items()}
        if target.kind == "token":
            return self._token(body)
        if target.kind == "unknown":
            raise ApiError(404, f"The fake Sheets server has no endpoint for {method} {path}", "NOT_FOUND")
        if bearer is None:
            raise ApiError(401, "Request is missing required authentication credential. Expected OAuth 2 access "
                           "token, login cookie or other valid authentication credential.", "UNAUTHENTICATED")
        if self.strict_tokens and bearer not in self.issued_tokens:
            raise ApiError(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED")
        payload: JSON = {}
        if body:
            try:
                payload = json.loads(body)
            except ValueError as err:
                raise _bad(f"Invalid JSON payload received. {err}") from err
            if not isinstance(payload, dict):
                raise _bad("Invalid JSON payload received. Expected an object.")
            payload = _drop_nulls(payload)
        handler = getattr(self, "_api_" + target.kind.replace(".", "_"))
        return handler(target, params, params_multi, payload)

    def _token(self, body: bytes) -> JSON:
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or "assertion" not in form:
            raise ApiError(400, "invalid_grant", "INVALID_ARGUMENT")
        try:
            claims_part = form["assertion"].split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(claims_part + "=" * (-len(claims_part) % 4)))
        except (IndexError, ValueError) as err:
            raise ApiError(400, "invalid_grant: malformed assertion", "INVALID_ARGUMENT") from err
        with self._lock:
            token = f"fake-access-token-{len(self.issued_tokens) + 1}"
            self.issued_tokens.append(token)
            self.token_claims.append(claims)
        return {"access_token": token, "token_type": "Bearer", "expires_in": 3600}

    # -- endpoints (kind "values.get" → _api_values_get) -------------------------------------------------
    def _api_spreadsheets_get(self, target: Route, params: dict, multi: dict, body: JSON) -> JSON:
        if _flag(params.get("includeGridData")):
            raise ApiError(501, "The fake Sheets server does not implement includeGridData=true.",
                           "UNIMPLEMENTED")
        with self._lock:
            meta = self._book(target.key).metadata()
        fields = params.get("fields")
        return apply_field_mask(meta, _field_tree(fields)) if fields else meta

    def _api_values_get(self, target: Route, params: dict, multi: dict, body: JSON) -> JSON:
        major, value_render, date_render = _read_options(params)
        with self._lock:
            book = self._book(target.key)
            return read_block(book, resolve(book, target.range or ""), major, value_render, date_render)

    def _api_values_batchGet(self, target: Route, params: dict, multi: dict, body: JSON) -> JSON:
        major, value_render, date_render = _read_options(params)
        with self._lock:
            book = self._book(target.key)
            ranges = [read_block(book, resolve(book, r), major, value_render, date_render)
                      for r in multi.get("ranges", [])]
        return {"spreadsheetId": book.key, "valueRanges": ranges}

    def _api_values_update(self, target: Route, params: dict, multi: dict, body: JSON) -> JSON:
        option = _option(params, "valueInputOption", "", ("RAW", "USER_ENTERED"))
        with self._transaction(target.key) as book:
            return update_range(book, target.range or "", body, option, _echo_options(params))

    def _api_values_batchUpdate(self, target: Route, params: dict, multi: dict, body: JSON) -> JSON:
        option = _option(body, "valueInputOption", "", ("RAW", "USER_ENTERED"))
        echo = _echo_options(body)
        with self._transaction(target.key) as book:
            responses = []
            for i, data in enumerate(body.get("data", [])):
                if "range" not in data:
                    raise _bad(f"Invalid data[{i}]: range is required")
                responses.append(update_range(book, data["range"], data, option, echo))
            out: JSON = {"spreadsheetId": book.key}
            if responses:
                written = [r for r in responses if "updatedRange" in r]
                out.update(
                    totalUpdatedRows=sum(r["updatedRows"] for r in written),
                    totalUpdatedColumns=sum(r["updatedColumns"] for r in written),
                    totalUpdatedCells=sum(r["updatedCells"] for r in written),
                    totalUpdatedSheets=len({r["updatedRange"].rpartition("!")[0] for r in written}),
                    responses=responses,
                )
            return out

    def _api_values_append(self, target: Route, params: dict, multi: dict, body: JSON) -> JSON:
        with self._transaction(target.key) as book:
            return append_rows(book, target.range or "", params, body)

    def _api_values_clear(self, target: Route, params: dict, multi: dict, body: JSON) -> JSON:
        with self._transaction(target.key) as book:
            return {"spreadsheetId": book.key, "clearedRange": clear_range(book, target.range or "")}

    def _api_values_batchClear(self, target: Route, params: dict, multi: dict, body: JSON) -> JSON:
        with self._transaction(target.key) as book:
            cleared = [clear_range(book, r) for r in body.get("ranges", [])]
            return {"spreadsheetId": book.key, "clearedRanges": cleared}

    def _api_spreadsheets_batchUpdate(self, target: Route, params: dict, multi: dict, body: JSON) -> JSON:
        requests_ = body.get("requests")
        if not requests_:
            raise _bad("Must specify at least one request.")
        with self._transaction(target.key) as book:
            replies = BatchUpdate(book, self._rng).run(requests_)
            return {"spreadsheetId": book.key, "replies": replies}

    def _api_drive_files_get(self, target: Route, params: dict, multi: dict, body: JSON) -> JSON:
        with self._lock:
            book = self._book(target.key)
            return _drive_file(book)

    def _api_drive_files_list(self, target: Route, params: dict, multi: dict, body: JSON) -> JSON:
        wanted = re.search(r'name = "((?:[^"\\]|\\.)*)"', params.get("q", ""))
        with self._lock:
            files = [_drive_file(b) for b in self._books.values() if wanted is None or b.title == wanted[1]]
        return {"kind": "drive#fileList", "files": files}


def _drop_nulls(obj: Any) -> Any:
    """Protobuf JSON treats a ``null`` field as unset (gspread sends many); nulls *in lists* (values) stay."""
    if isinstance(obj, dict):
        return {k: _drop_nulls(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_nulls(v) for v in obj]
    return obj


def _drive_file(book: Workbook) -> JSON:
    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    return {"kind": "drive#file", "id": book.key, "name": book.title,
            "mimeType": "application/vnd.google-apps.spreadsheet",
            "createdTime": stamp(book.created), "modifiedTime": stamp(book.modified)}


class _Handler(BaseHTTPRequestHandler):
    """Thin HTTP shell: reads the request, asks FakeSheets.serve, writes the reply or drops the socket."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body in one segment: no 40 ms delayed-ACK stall per call
    wbufsize = -1

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake: FakeSheets = self.server.fake  # type: ignore[attr-defined]
        reply = fake.serve(self.command, parts.path, parts.query, body, headers)
        if reply is None:
            self.close_connection = True
            return
        if isinstance(reply.payload, str):
            data = reply.payload.encode()
            content_type = reply.headers.pop("Content-Type", "text/plain; charset=UTF-8")
        else:
            data = json.dumps(reply.payload).encode()
            content_type = "application/json; charset=UTF-8"
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature from the base class
        """Silence the default stderr access log; ``FakeSheets.log`` records requests instead."""


# ----------------------------------------------------------------------------------------------------------
# Pointing gspread at the fake


def rewrite_url(url: str, base_url: str) -> str:
    """``https://sheets.googleapis.com/v4/…`` or ``https://www.googleapis.com/drive/…`` → the loopback URL."""
    for prefix in GOOGLE_PREFIXES:
        if url.startswith(prefix):
            return base_url.rstrip("/") + url[len(prefix):]
    return url


class LoopbackSession(requests.Session):
    """A requests.Session that sends Google API calls to the fake and carries a Bearer token."""

    def __init__(self, base_url: str, token: str = "fake-test-token"):
        super().__init__()
        self.base_url = base_url
        self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        text = url.decode() if isinstance(url, bytes) else url
        return super().request(method, rewrite_url(text, self.base_url), *args, **kwargs)


def connect(server: FakeSheets, token: str = "fake-test-token") -> gspread.Client:
    """A real gspread.Client whose every request goes to ``server``."""
    return gspread.Client(auth=None, session=LoopbackSession(server.url, token))  # type: ignore[arg-type]


def loopback_http_client(base_url: str) -> type[HTTPClient]:
    """An HTTPClient class for ``gspread.service_account_from_dict(info, http_client=...)``.

    The credentials' own token refresh goes to ``info["token_uri"]`` (point it at ``FakeSheets.token_uri``);
    this class only redirects the API calls.
    """

    class LoopbackHTTPClient(HTTPClient):
        def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> requests.Response:
            return super().request(method, rewrite_url(endpoint, base_url), *args, **kwargs)

    return LoopbackHTTPClient


@contextmanager
def gspread_pointed_at(server: FakeSheets) -> Iterator[None]:
    """Inside, every gspread client, however it is made (the production ``service_account_from_dict`` path
    included), talks to ``server``: the URL constants ``gspread.http_client`` imported are rewritten."""
    import gspread.http_client as module

    saved = {name: value for name, value in vars(module).items() if name.endswith("_URL") and isinstance(value, str)}
    for name, value in saved.items():
        setattr(module, name, rewrite_url(value, server.url))
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


@lru_cache(maxsize=1)
def private_key_pem() -> str:
    """An RSA key for a test service account (made once per process)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def service_account_info(server: FakeSheets, private_key_pem: str,
                         client_email: str = "desk@fake-project.iam.gserviceaccount.com") -> JSON:
    """A service-account dict whose ``token_uri`` is the fake's token endpoint."""
    return {
        "type": "service_account", "project_id": "fake-project", "private_key_id": "fake-key-1",
        "private_key": private_key_pem, "client_email": client_email, "client_id": "100000000000000000000",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": server.token_uri,
    }


__all__ = [
    "ApiError", "Cell", "FakeSheets", "Fault", "LoopbackSession", "NumberFormat", "SheetSpec", "col_index",
    "col_letters", "connect", "datetime_to_serial", "gspread_pointed_at", "loopback_http_client", "rewrite_url",
    "serial_to_datetime", "service_account_info", "private_key_pem",
]

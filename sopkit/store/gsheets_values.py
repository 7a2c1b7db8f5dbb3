"""Cell values of a Google Sheet as the store's text, and the A1 notation the Sheets backend uses.

Reads ask for ``UNFORMATTED_VALUE`` with ``SERIAL_NUMBER`` dates, so what an admin typed by hand comes back as a
JSON number (``2`` in the step column, a date serial in a time column) and text written by the app (RAW) comes
back as it was written. :func:`cell_text` turns both into the text the schema parses; what it cannot normalise
is left as it is, and the schema's parser reports it as a RowProblem.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import timeutil
from ..schema import TIME_COLUMNS
from ..timeutil import to_iso

#: Columns (any sheet) whose numbers are date serials and whose text may be a date typed in the sheet's locale.
DATE_COLUMNS: frozenset[str] = frozenset(TIME_COLUMNS) | {"at"}
EPOCH = dt.datetime(1899, 12, 30)
SERIAL_MIN, SERIAL_MAX = 36526.0, 73051.0  # 2000-01-01 .. 2100-01-01
READ_PARAMS = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}

_LOCALE_DATE = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T,]+(\d{1,2})[.:](\d{2})(?:[.:](\d{2}))?)?$"
)


def zone(name: str | None) -> dt.tzinfo:
    try:
        return ZoneInfo(name) if name else timeutil.zone()
    except (ZoneInfoNotFoundError, ValueError):
        return timeutil.zone()


def serial_to_iso(serial: float, tz: dt.tzinfo) -> str:
    """A date serial (days since 1899-12-30, wall time in the sheet's zone) → ISO 8601 with an offset."""
    moment = EPOCH + dt.timedelta(seconds=round(serial * 86400))
    return to_iso(moment.replace(tzinfo=tz))


def locale_date_to_iso(text: str, month_first: bool, tz: dt.tzinfo) -> str | None:
    """``26/11/2026 10.00`` (``11/26/2026 10:00`` when ``month_first``) → ISO 8601; None when not such a date."""
    m = _LOCALE_DATE.match(text.strip())
    if not m:
        return None
    a, b, year, hour, minute, second = (int(g) if g else 0 for g in m.groups())
    month, day = (a, b) if month_first else (b, a)
    try:
        return to_iso(dt.datetime(year, month, day, hour, minute, second, tzinfo=tz))
    except ValueError:
        return None


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def cell_text(column: str, value: Any, tz: dt.tzinfo, month_first: bool = False) -> str:
    """One cell as stored text: numbers without a spurious ``.0``, booleans as TRUE/FALSE, dates in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        if column in DATE_COLUMNS and SERIAL_MIN <= value < SERIAL_MAX:
            return serial_to_iso(float(value), tz)
        return _number_text(value)
    text = str(value)
    if column in DATE_COLUMNS and text and text[0].isdigit() and not text[:4].isdigit():
        return locale_date_to_iso(text, month_first, tz) or text
    return text


def needs_locale(column: str, value: Any) -> bool:
    """Whether :func:`cell_text` needs the sheet's time zone and locale for this cell (a date typed by hand);
    text the app wrote never does, so a read needs no metadata call unless an admin typed a date."""
    if column not in DATE_COLUMNS or value is None or isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return SERIAL_MIN <= value < SERIAL_MAX
    text = str(value)
    return bool(text) and text[0].isdigit() and not text[:4].isdigit()


def col_letters(index: int) -> str:
    """0-based column index → ``A``, ``Z``, ``AA``…"""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def column_range(title: str, index: int) -> str:
    letters = col_letters(index)
    return f"{quote(title)}!{letters}:{letters}"


def row_range(title: str, row: int, width: int) -> str:
    """Row ``row`` (1-based) from column A over ``width`` columns."""
    return f"{quote(title)}!A{row}:{col_letters(max(width, 1) - 1)}{row}"


_UPDATED_ROW = re.compile(r"!\$?[A-Z]+\$?(\d+)")


def first_row_of(updated_range: str) -> int | None:
    """``'Register'!A7:AH7`` → 7."""
    m = _UPDATED_ROW.search(updated_range or "")
    return int(m.group(1)) if m else None

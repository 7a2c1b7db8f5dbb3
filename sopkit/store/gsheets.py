"""The Google Sheets store: the Register, Log, Users and Settings worksheets of one spreadsheet, over gspread 6.

API budget (the per-user quota is 60 reads and 60 writes a minute, shared by the app and the publish job):

* ``read_register``/``get_item``/``read_log``/``read_users``/``read_settings``: one ``values.get`` each.
* ``commit``: (1) one ``values:batchGet`` of the Register header row, its ``id`` and ``rev`` columns and the Log
  header row, to find the row by id and check ``rev``; (2) ONE ``spreadsheets:batchUpdate``, atomic: an
  ``updateCells`` per contiguous run of the row's changed cells (with ``rev + 1``; other cells are not sent, so
  they stay untouched) or, for a create, an ``appendCells`` of the new Register row, plus an ``appendCells`` of
  the Log rows (RAW text as ``userEnteredValue.stringValue``, mask ``userEnteredValue``: formats stay). Either
  the Register change and its Log rows are both saved or neither is. (3) For an update only, one ``values.get``
  of the saved row to return the item. An admin who reorders columns between two actions costs one extra read
  of the whole Register, which then saves the read-back. The tabs' sheetIds are read once per store (by
  ``init`` or with the first commit: one metadata read) and cached.
* ``appendCells`` places rows after the last row holding a value anywhere in the tab; unlike ``values.append``
  (used by import and the Users/Settings upserts) it does no table detection, so a blank row typed into the Log
  does not make new rows land above older ones.

Columns are found by header name (unknown columns are never written), rows by ``id`` right before each write,
values are written RAW. There are no conditional writes in the Sheets API: the rev check protects against other
users of the desk, and commits of one process are serialised per spreadsheet; two processes racing inside the
same few hundred milliseconds can still both pass the check (last writer wins on the cells they both wrote).

Every call goes through :func:`sopkit.retry.call_with_retry`: 429 (honouring ``Retry-After``), 408, 5xx and
timeouts are retried with jittered backoff; when the tries run out a :class:`SheetsBusy` is raised.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import gspread
import requests

from .. import sop
from ..retry import Backoff, RetriesExhausted, TransientError, call_with_retry, parse_retry_after
from ..schema import (
    LOG_COLUMNS,
    REGISTER_COLUMNS,
    SESSION_COLUMNS,
    SETTINGS_COLUMNS,
    USER_COLUMNS,
    Item,
    Row,
    RowProblem,
    SessionRecord,
    User,
    item_from_row,
    session_from_row,
    user_from_row,
)
from ..timeutil import parse_iso
from .base import Change, DuplicateId, NotFound, Register, StaleWrite, StoreError
from .gsheets_values import (
    READ_PARAMS,
    cell_text,
    col_letters,
    column_range,
    quote,
    row_range,
    zone,
)

T = TypeVar("T")

REGISTER, LOG, USERS, SETTINGS, SESSIONS = "Register", "Log", "Users", "Settings", "Sessions"
SHEETS: dict[str, tuple[str, ...]] = {
    REGISTER: REGISTER_COLUMNS, LOG: LOG_COLUMNS, USERS: USER_COLUMNS, SETTINGS: SETTINGS_COLUMNS,
    SESSIONS: SESSION_COLUMNS,
}
#: Columns only the app writes: protected with a warning for admins who edit them by hand (Log: the whole tab).
MACHINE_COLUMNS: dict[str, tuple[str, ...]] = {
    REGISTER: ("id", "rev", "updated_at", "updated_by", "channel_results"),
    USERS: ("password_hash", "failed_logins", "locked_until"),
}
DROPDOWNS: dict[str, tuple[str, ...]] = {
    "status": sop.STATUSES,
    "step": tuple(str(s) for s in sop.STEPS),
}
PROTECT_PREFIX = "sopkit: "
SPARE_COLUMNS = 10  # room for an admin's own columns in a new tab
DEFAULT_BACKOFF = Backoff()
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
BUSY_MESSAGE = ("Google Sheets is busy (too many requests or a temporary server error). Nothing was saved; "
                "please try again in a minute.")
ECHO = {"includeValuesInResponse": True, "responseValueRenderOption": "UNFORMATTED_VALUE",
        "responseDateTimeRenderOption": "SERIAL_NUMBER"}

_LOCKS: dict[str, threading.RLock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(key: str) -> threading.RLock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.RLock())


class SheetsBusy(StoreError):
    """Google Sheets kept answering 429/5xx (or timing out) until the retries ran out; nothing was saved."""


class GSheetsStore:
    """The Store contract over one Google Spreadsheet (see the module docstring for the call budget).

    ``client_or_spreadsheet``: a ``gspread.Client`` plus ``key_or_url``, or an opened ``gspread.Spreadsheet``.
    ``on_busy``: called with a message fit for the UI ("Google Sheets is busy, retrying…") before each wait.
    """

    def __init__(
        self,
        client_or_spreadsheet: gspread.Client | gspread.Spreadsheet,
        key_or_url: str = "",
        *,
        backoff: Backoff = DEFAULT_BACKOFF,
        sleep: Callable[[float], None] = time.sleep,
        on_busy: Callable[[str], None] | None = None,
        timeout: float | None = 30.0,
    ):
        if isinstance(client_or_spreadsheet, gspread.Spreadsheet):
            self._client: gspread.Client = client_or_spreadsheet.client
            self._ss: gspread.Spreadsheet | None = client_or_spreadsheet
        else:
            if not key_or_url:
                raise StoreError("No Google Sheet configured: set register.sheet to the sheet's key or URL.")
            self._client, self._ss = client_or_spreadsheet, None
        if timeout is not None:
            self._client.set_timeout(timeout)
        self.key_or_url = key_or_url
        self.backoff, self.sleep, self.on_busy = backoff, sleep, on_busy
        self._open_lock = threading.Lock()
        self._headers: dict[str, list[str]] = {}
        self._sheet_ids: dict[str, int] = {}

    # -- plumbing -------------------------------------------------------------------------------------------
    def _call(self, fn: Callable[[], T], *, idempotent: bool = True) -> T:
        """One API call with bounded retry. A non-idempotent call (append) is not retried when the answer was
        lost (timeout, dropped connection), since it may have been applied."""

        def attempt() -> T:
            try:
                return fn()
            except gspread.exceptions.APIError as e:
                status = e.response.status_code
                if status in RETRYABLE_STATUS:
                    wait = parse_retry_after(e.response.headers.get("Retry-After"))
                    raise TransientError(f"HTTP {status}", wait) from e
                raise _api_error(e) from e
            except (requests.ConnectTimeout, requests.ConnectionError, requests.Timeout) as e:
                not_sent = isinstance(e, requests.ConnectTimeout)
                if idempotent or not_sent:
                    raise TransientError(f"{type(e).__name__}: {e}") from e
                raise StoreError("The connection to Google Sheets was lost while saving; the change may or may "
                                 "not have been saved. Reload and check before trying again.") from e

        def notify(attempt_no: int, delay: float, error: TransientError) -> None:
            if self.on_busy is not None:
                self.on_busy(f"Google Sheets is busy, retrying in {delay:.0f} s (try {attempt_no + 1} of "
                             f"{self.backoff.tries})…")

        try:
            return call_with_retry(attempt, self.backoff, sleep=self.sleep, on_retry=notify)
        except RetriesExhausted as e:
            raise SheetsBusy(BUSY_MESSAGE) from e

    @property
    def spreadsheet(self) -> gspread.Spreadsheet:
        """The opened spreadsheet (one metadata read, then cached)."""
        if self._ss is None:
            with self._open_lock:
                if self._ss is None:
                    target = self.key_or_url.strip()
                    opener = self._client.open_by_url if "/" in target else self._client.open_by_key
                    self._ss = self._call(lambda: opener(target))
        return self._ss

    @property
    def _lock(self) -> threading.RLock:
        return _lock_for(self.spreadsheet.id)

    def _text(self, column: str, value: Any) -> str:
        ss = self.spreadsheet
        props = getattr(ss, "_properties", {})
        return cell_text(column, value, zone(props.get("timeZone")), str(props.get("locale", "")) == "en_US")

    def _get(self, title: str) -> list[list[Any]]:
        resp = self._call(lambda: self.spreadsheet.values_get(quote(title), params=READ_PARAMS))
        return list(resp.get("values", []))

    def _batch_get(self, ranges: list[str]) -> list[list[list[Any]]]:
        resp = self._call(lambda: self.spreadsheet.values_batch_get(ranges, params=READ_PARAMS))
        return [list(vr.get("values", [])) for vr in resp.get("valueRanges", [])]

    def _append(self, title: str, rows: list[list[str]]) -> dict[str, Any]:
        body = {"values": rows, "majorDimension": "ROWS"}
        params = {"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"}
        return self._call(lambda: self.spreadsheet.values_append(f"{quote(title)}!A1", params, body),
                          idempotent=False)

    def _write_rows(self, title: str, rows: dict[int, list[Any]], echo: bool = False) -> dict[str, Any]:
        """One values:batchUpdate of whole rows where ``None`` cells are skipped (only the others are written)."""
        body: dict[str, Any] = {"valueInputOption": "RAW", "data": [
            {"range": row_range(title, n, len(values)), "majorDimension": "ROWS", "values": [values]}
            for n, values in rows.items()]}
        if echo:
            body.update(ECHO)
        return self._call(lambda: self.spreadsheet.values_batch_update(body))

    def _sheet_id(self, title: str) -> int:
        """The tab's sheetId (spreadsheets:batchUpdate addresses tabs by id): one metadata read, then cached."""
        if title not in self._sheet_ids:
            meta = self._call(lambda: self.spreadsheet.fetch_sheet_metadata(
                params={"fields": "sheets.properties(sheetId,title)"}))
            self._sheet_ids = {s["properties"]["title"]: s["properties"]["sheetId"] for s in meta.get("sheets", [])}
        if title not in self._sheet_ids:
            raise StoreError(f"The Google Sheet has no {title} worksheet. Nothing was saved; run "
                             "`python -m sopkit init` to create it.")
        return self._sheet_ids[title]

    def _batch_write(self, requests_: list[dict[str, Any]]) -> None:
        """One atomic spreadsheets:batchUpdate. Not retried when its answer was lost (it may have been applied):
        the user is told to reload and check, so a retry never doubles the Log rows."""
        try:
            self._call(lambda: self.spreadsheet.batch_update({"requests": requests_}), idempotent=False)
        except StoreError as e:
            if "No grid with id" in str(e):  # a tab was deleted and re-created since the ids were cached
                self._sheet_ids.clear()
            raise

    def _table(self, title: str) -> tuple[list[str], list[tuple[int, Row]]]:
        """Header and non-blank rows (with their sheet row numbers) of one tab, in one values.get."""
        values = self._get(title)
        header = _header(values[0] if values else [])
        self._headers[title] = header
        return header, self._rows(header, values[1:], 2)

    def _rows(self, header: list[str], values: Iterable[list[Any]], first: int) -> list[tuple[int, Row]]:
        out = []
        for n, cells in enumerate(values, start=first):
            if not any(c not in (None, "") for c in cells):
                continue
            row = {}
            for i, name in enumerate(header):
                if name and name not in row:
                    row[name] = self._text(name, cells[i] if i < len(cells) else None)
            out.append((n, row))
        return out

    # -- contract: reads ------------------------------------------------------------------------------------
    def read_register(self) -> Register:
        header, rows = self._table(REGISTER)
        _require(REGISTER, header, ("id",))
        items: list[Item] = []
        problems: list[RowProblem] = []
        seen: dict[str, int] = {}
        for n, row in rows:
            item, found = item_from_row(row, n)
            problems += found
            if item is None:
                continue
            if item.id in seen:
                problems.append(RowProblem(REGISTER, n, "id", item.id, f"duplicate id (first at row {seen[item.id]})"))
                continue
            seen[item.id] = n
            items.append(item)
        return Register(tuple(items), tuple(problems), tuple(row for _, row in rows))

    def get_item(self, item_id: str) -> Item:
        header, rows = self._table(REGISTER)
        for n, row in rows:
            if row.get("id", "").strip() == item_id:
                return _item(row, n)
        raise NotFound(f"No item with id {item_id}.")

    def read_log(self, item_id: str | None = None) -> list[Row]:
        _, rows = self._table(LOG)
        out = [{c: row.get(c, "") for c in LOG_COLUMNS} for _, row in rows]
        return out if item_id is None else [r for r in out if r["item_id"] == item_id]

    def read_users(self) -> tuple[list[User], list[RowProblem]]:
        _, rows = self._table(USERS)
        users, problems = [], []
        for n, row in rows:
            user, found = user_from_row(row, n)
            problems += found
            if user:
                users.append(user)
        return users, problems

    def read_settings(self) -> dict[str, str]:
        _, rows = self._table(SETTINGS)
        return {row["key"].strip(): row.get("value", "") for _, row in rows if row.get("key", "").strip()}

    # -- contract: writes -----------------------------------------------------------------------------------
    def _locate(self) -> tuple[list[str], list[str], list[str], list[list[Any]] | None]:
        """Step 1 of a write, one batchGet: the Register header, its id and rev columns (index = row - 1) and the
        Log header. A changed header (an admin moved or added a column) costs one more read, which reads the whole
        Register: then its rows come back too (else None)."""
        cached = self._headers.get(REGISTER)
        if cached and "id" in cached and "rev" in cached:
            got = self._batch_get([f"{quote(REGISTER)}!1:1", column_range(REGISTER, cached.index("id")),
                                   column_range(REGISTER, cached.index("rev")), f"{quote(LOG)}!1:1"])
            if _header(got[0][0] if got[0] else []) == cached:
                self._headers[LOG] = _header(got[3][0] if got[3] else [])
                return cached, self._column("id", got[1]), self._column("rev", got[2]), None
        got = self._batch_get([quote(REGISTER), f"{quote(LOG)}!1:1"])
        header = _header(got[0][0] if got[0] else [])
        self._headers[REGISTER], self._headers[LOG] = header, _header(got[1][0] if got[1] else [])
        _require(REGISTER, header, ("id", "rev"))
        i_id, i_rev = header.index("id"), header.index("rev")
        ids = [self._text("id", r[i_id] if i_id < len(r) else None) for r in got[0]]
        revs = [self._text("rev", r[i_rev] if i_rev < len(r) else None) for r in got[0]]
        return header, ids, revs, got[0]

    def _column(self, name: str, values: list[list[Any]]) -> list[str]:
        return [self._text(name, r[0] if r else None) for r in values]

    def commit(self, change: Change) -> Item:
        bad = set(change.updates) - set(REGISTER_COLUMNS)
        if bad:
            raise StoreError(f"unknown Register column(s): {', '.join(sorted(bad))}")
        with self._lock:
            header, ids, revs, full = self._locate()
            log_header = self._headers[LOG]
            _require(LOG, log_header, LOG_COLUMNS)
            row_no = next((n for n, v in enumerate(ids, start=1) if n > 1 and v.strip() == change.item_id), None)
            if change.expected_rev is None:
                if row_no is not None:
                    raise DuplicateId(f"An item with id {change.item_id} already exists.")
                row = {**change.updates, "id": change.item_id, "rev": "1"}
                _require(REGISTER, header, tuple(row))
                cells = [row.get(c, "") if c in REGISTER_COLUMNS else "" for c in header]
                requests_ = [_append_cells(self._sheet_id(REGISTER), [cells])]
                requests_ += self._log_requests(change, log_header)
                self._batch_write(requests_)
                item = _item({c: row.get(c, "") for c in REGISTER_COLUMNS}, len(ids) + 1)
            else:
                if row_no is None:
                    raise StaleWrite(change.item_id, change.expected_rev, None)
                actual = _int(revs[row_no - 1] if row_no - 1 < len(revs) else "")
                if actual != change.expected_rev:
                    raise StaleWrite(change.item_id, change.expected_rev, actual)
                updates = {**change.updates, "rev": str(change.expected_rev + 1)}
                _require(REGISTER, header, tuple(updates))
                changed = {i: updates[c] for i, c in enumerate(header) if c in updates and c in REGISTER_COLUMNS}
                requests_ = _update_runs(self._sheet_id(REGISTER), row_no - 1, changed)
                requests_ += self._log_requests(change, log_header)
                self._batch_write(requests_)
                if full is not None and row_no - 1 < len(full):  # the whole Register was just read: no read-back
                    ((_, row),) = self._rows(header, [full[row_no - 1]], row_no)
                    item = _item({**row, **{c: v for c, v in updates.items() if c in REGISTER_COLUMNS}}, row_no)
                else:
                    item = self._read_back(header, row_no, change)
        return item

    def _log_requests(self, change: Change, log_header: list[str]) -> list[dict[str, Any]]:
        if not change.log:
            return []
        rows = [[r.to_row().get(c, "") for c in log_header] for r in change.log]
        return [_append_cells(self._sheet_id(LOG), rows)]

    def _read_back(self, header: list[str], row_no: int, change: Change) -> Item:
        """The saved row, read back (one values.get): the write itself is done, so a failure here says so."""
        saved = f"Item {change.item_id} was saved (revision {(change.expected_rev or 0) + 1})"
        try:
            rng = row_range(REGISTER, row_no, len(header))
            data = self._call(lambda: self.spreadsheet.values_get(rng, params=READ_PARAMS)).get("values", [])
            rows = self._rows(header, data, row_no)
            row = rows[0][1] if rows else {}
            if row.get("id", "").strip() == change.item_id:
                return _item(row, row_no)
            item = self.get_item(change.item_id)  # the rows moved since the write: find it by id (one more read)
        except StoreError as e:
            raise StoreError(f"{saved}, but it could not be read back: {e} Reload to see it.") from e
        if item.rev != (change.expected_rev or 0) + 1:
            raise StoreError(f"The Register was rearranged while item {change.item_id} was being saved: the change "
                             f"landed on row {row_no}, which now holds item {row.get('id')!r}. Check that row.")
        return item

    def import_rows(self, register: list[Row], log: list[Row]) -> None:
        with self._lock:
            header, ids, _, _ = self._locate()
            existing = {v.strip() for v in ids[1:]}
            new_ids = [str(r.get("id", "")).strip() for r in register]
            clash = [i for n, i in enumerate(new_ids) if i in existing or i in new_ids[:n]]
            if clash:
                raise DuplicateId(f"An item with id {clash[0]} already exists; nothing was imported.")
            if register:
                _require(REGISTER, header, tuple(k for r in register for k in r if k in REGISTER_COLUMNS))
                self._append(REGISTER, [[str(r.get(c, "") or "") if c in REGISTER_COLUMNS else "" for c in header]
                                        for r in register])
            if log:
                log_header = self._headers[LOG]
                _require(LOG, log_header, LOG_COLUMNS)
                self._append(LOG, [[str(r.get(c, "") or "") if c in LOG_COLUMNS else "" for c in log_header]
                                   for r in log])

    def _upsert(self, title: str, key: str, rows: list[Row], norm: Callable[[str], str]) -> None:
        """Update rows whose ``key`` exists (one values:batchUpdate), append the rest (one append)."""
        with self._lock:
            header, current = self._table(title)
            _require(title, header, SHEETS[title])
            where = {}
            for n, row in current:
                where.setdefault(norm(row.get(key, "")), n)
            updates: dict[int, list[Any]] = {}
            new: dict[str, list[str]] = {}
            for row in rows:
                cells = [row.get(c) if c in SHEETS[title] else None for c in header]
                n = where.get(norm(row[key]))
                if n is not None:
                    updates[n] = cells
                else:
                    new[norm(row[key])] = ["" if v is None else v for v in cells]
            if updates:
                self._write_rows(title, updates)
            if new:
                self._append(title, list(new.values()))

    def save_user(self, user: User) -> None:
        self._upsert(USERS, "email", [user.to_row()], lambda s: s.strip().lower())

    def save_settings(self, rows: dict[str, str]) -> None:
        self._upsert(SETTINGS, "key", [{"key": k, "value": str(v)} for k, v in rows.items()], str.strip)

    # -- sign-in sessions: one read to check, a read and a write to save or purge ---------------------------
    def save_session(self, session: SessionRecord) -> None:
        self._upsert(SESSIONS, "id", [session.to_row()], str.strip)

    def get_session(self, session_id: str) -> SessionRecord | None:
        _, rows = self._table(SESSIONS)
        return next((s for _, row in rows if (s := session_from_row(row)) and s.id == session_id), None)

    def purge_sessions(self, before: dt.datetime) -> int:
        """One read, then one batchUpdate deleting the expired rows from the bottom up (row numbers stay valid)."""
        with self._lock:
            _, rows = self._table(SESSIONS)
            gone = sorted((n for n, row in rows if _expired(row.get("expires_at", ""), before)), reverse=True)
            if gone:
                sheet_id = self._sheet_id(SESSIONS)
                self._batch_write([{"deleteDimension": {"range": {
                    "sheetId": sheet_id, "dimension": "ROWS", "startIndex": n - 1, "endIndex": n}}} for n in gone])
        return len(gone)

    # -- init -----------------------------------------------------------------------------------------------
    def init(self) -> None:
        """Create or repair the four tabs: header rows (missing columns appended at the end, others kept), a
        frozen header, dropdowns for status/step, warning-only protection of machine-owned columns. Two reads;
        a second run writes nothing."""
        with self._lock:
            meta = self._call(lambda: self.spreadsheet.fetch_sheet_metadata())
            tabs = {s["properties"]["title"]: s for s in meta.get("sheets", [])}
            self._sheet_ids = {t: s["properties"]["sheetId"] for t, s in tabs.items()}
            used_ids = {s["properties"]["sheetId"] for s in tabs.values()}
            present = [t for t in SHEETS if t in tabs]
            got = self._batch_get([f"{quote(t)}!1:1" for t in present]) if present else []
            headers = {t: _header(v[0] if v else []) for t, v in zip(present, got, strict=True)}
            structure: list[dict[str, Any]] = []
            values: list[dict[str, Any]] = []
            for title, columns in SHEETS.items():
                header = headers.get(title, [])
                missing = [c for c in columns if c not in header]
                final = header + missing
                if title in tabs:
                    props = tabs[title]["properties"]
                    sheet_id, grid = props["sheetId"], props.get("gridProperties", {})
                    if grid.get("columnCount", 0) < len(final):
                        structure.append({"appendDimension": {"sheetId": sheet_id, "dimension": "COLUMNS",
                                                              "length": len(final) - grid.get("columnCount", 0)}})
                    if grid.get("frozenRowCount", 0) < 1:
                        structure.append({"updateSheetProperties": {
                            "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": 1}},
                            "fields": "gridProperties.frozenRowCount"}})
                    protected = {p.get("description", "") for p in tabs[title].get("protectedRanges", [])}
                else:
                    sheet_id = _new_sheet_id(title, used_ids)
                    used_ids.add(sheet_id)
                    self._sheet_ids[title] = sheet_id
                    structure.append({"addSheet": {"properties": {
                        "sheetId": sheet_id, "title": title,
                        "gridProperties": {"rowCount": 1000, "columnCount": max(26, len(final) + SPARE_COLUMNS),
                                           "frozenRowCount": 1}}}})
                    protected = set()
                structure += _protections(title, sheet_id, final, protected)
                if missing:
                    values.append({"range": f"{quote(title)}!{col_letters(len(header))}1",
                                   "majorDimension": "ROWS", "values": [missing]})
                self._headers[title] = final
            if structure:  # addSheet/appendDimension come first in their own list order
                structure.sort(key=lambda r: 0 if ("addSheet" in r or "appendDimension" in r) else 1)
                self._call(lambda: self.spreadsheet.batch_update({"requests": structure}))
            if values:
                self._call(lambda: self.spreadsheet.values_batch_update({"valueInputOption": "RAW",
                                                                          "data": values}))


# -- helpers --------------------------------------------------------------------------------------------------
def _header(cells: list[Any]) -> list[str]:
    header = ["" if c is None else str(c).strip() for c in cells]
    while header and not header[-1]:
        header.pop()
    return header


def _require(title: str, header: list[str], columns: Iterable[str]) -> None:
    missing = sorted({c for c in columns if c not in header})
    if missing:
        raise StoreError(f"The {title} tab of the Google Sheet has no column {', '.join(missing)} (header row 1). "
                         "Nothing was saved; run `python -m sopkit init` to repair the headers.")


def _item(row: Row, row_no: int) -> Item:
    item, problems = item_from_row(row, row_no)
    if item is None:
        raise StoreError(f"Item {row.get('id', '')} cannot be read: " + "; ".join(p.reason for p in problems))
    return item


def _expired(text: str, before: dt.datetime) -> bool:
    try:
        return parse_iso(text) < before
    except ValueError:
        return True


def _int(text: str) -> int:
    try:
        return int(float(text))
    except (TypeError, ValueError):
        return -1


def _new_sheet_id(title: str, used: set[int]) -> int:
    candidate = zlib.crc32(title.encode()) & 0x7FFFFFFF
    while candidate in used or candidate == 0:
        candidate = (candidate + 1) & 0x7FFFFFFF
    return candidate


def _protections(title: str, sheet_id: int, header: list[str], existing: set[str]) -> list[dict[str, Any]]:
    """addProtectedRange (warning only) for machine-owned columns not yet protected, plus the status/step
    dropdowns the first time the Register's id column is protected (a marker: init adds both together)."""
    out: list[dict[str, Any]] = []
    if title in (LOG, SESSIONS):
        description = f"{PROTECT_PREFIX}{title} is written by the app"
        if description not in existing:
            out.append({"addProtectedRange": {"protectedRange": {
                "range": {"sheetId": sheet_id}, "description": description, "warningOnly": True}}})
        return out
    for column in MACHINE_COLUMNS.get(title, ()):
        description = f"{PROTECT_PREFIX}{title}.{column} is written by the app"
        if description in existing:
            continue
        i = header.index(column)
        out.append({"addProtectedRange": {"protectedRange": {
            "range": {"sheetId": sheet_id, "startColumnIndex": i, "endColumnIndex": i + 1},
            "description": description, "warningOnly": True}}})
        if title == REGISTER and column == "id":
            for name, options in DROPDOWNS.items():
                j = header.index(name)
                out.append({"setDataValidation": {
                    "range": {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": j, "endColumnIndex": j + 1},
                    "rule": {"condition": {"type": "ONE_OF_LIST",
                                           "values": [{"userEnteredValue": o} for o in options]},
                             "strict": False, "showCustomUi": True}}})
    return out


def _cell(text: Any) -> dict[str, Any]:
    """CellData for RAW text; ``{}`` for an empty cell (under the ``userEnteredValue`` mask it clears)."""
    text = "" if text is None else str(text)
    return {"userEnteredValue": {"stringValue": text}} if text else {}


def _append_cells(sheet_id: int, rows: list[list[Any]]) -> dict[str, Any]:
    return {"appendCells": {"sheetId": sheet_id, "rows": [{"values": [_cell(v) for v in r]} for r in rows],
                            "fields": "userEnteredValue"}}


def _update_runs(sheet_id: int, row_index: int, cells: dict[int, Any]) -> list[dict[str, Any]]:
    """One updateCells per contiguous run of changed columns (0-based), so unchanged cells are never sent: a
    CellData left empty under a field mask would clear its cell, not skip it."""
    out: list[dict[str, Any]] = []
    run: list[int] = []
    for col in sorted(cells):
        if run and col != run[-1] + 1:
            out.append(_update_run(sheet_id, row_index, run, cells))
            run = []
        run.append(col)
    if run:
        out.append(_update_run(sheet_id, row_index, run, cells))
    return out


def _update_run(sheet_id: int, row_index: int, run: list[int], cells: dict[int, Any]) -> dict[str, Any]:
    return {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": row_index, "columnIndex": run[0]},
                            "rows": [{"values": [_cell(cells[c]) for c in run]}], "fields": "userEnteredValue"}}


def _api_error(e: gspread.exceptions.APIError) -> StoreError:
    status = e.response.status_code
    message = str(e.error.get("message", "")) if isinstance(e.error, dict) else str(e)
    if status == 400 and "Unable to parse range" in message:
        return StoreError("The Google Sheet is missing a worksheet (Register, Log, Users or Settings). Nothing was "
                          "saved; run `python -m sopkit init` to create it.")
    if status in (401, 403):
        return StoreError("The app's service account may not open this Google Sheet: share the sheet with the "
                          "service account's email as an Editor.")
    if status == 404:
        return StoreError("The Google Sheet was not found: check register.sheet (its key or URL).")
    return StoreError(f"Google Sheets refused the request (HTTP {status}: {message}). Nothing was saved.")


def open_gsheets_store(config: Any, **kwargs: Any) -> GSheetsStore:
    """The store for ``config.sheet``, with service-account credentials from the ``[gcp_service_account]``
    secrets section or the file named by ``GOOGLE_APPLICATION_CREDENTIALS``."""
    import os

    if not config.sheet:
        raise StoreError("register.sheet is empty: set it to the Google Sheet's key or URL.")
    info = config.section("gcp_service_account")
    path = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    try:
        if info:
            client = gspread.service_account_from_dict(info)
        elif path:
            client = gspread.service_account(filename=path)
        else:
            raise StoreError("No Google credentials: add a [gcp_service_account] section to secrets.toml or set "
                             "GOOGLE_APPLICATION_CREDENTIALS to a service-account key file.")
    except (ValueError, KeyError, OSError) as e:
        raise StoreError(f"The Google service-account credentials cannot be used: {e}") from e
    return GSheetsStore(client, config.sheet, **kwargs)

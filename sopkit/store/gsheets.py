"""The Google Sheets store (``gsheets://KEY``): the Register, Log, Users, Settings, SettingsHistory, SignIns,
Sessions, Outbox and Preferences worksheets of one spreadsheet.

Why it is shaped like this
==========================

The writers share nothing but the spreadsheet: desk replicas, the publish job, the CLI, on any host, plus admins
editing by hand. The Sheets API has no conditional write, so a "check the rev, then write" done by two processes
at once lets both pass the check (last writer wins, the Log holds both decisions). What the API does guarantee is
that one ``spreadsheets:batchUpdate`` is applied whole or not at all, and that batches on one spreadsheet are
applied one after the other; ``appendCells`` puts rows after the last row holding a value, so the Log's row order
*is* the order in which batches were applied. The protocol makes that order decide (:mod:`sopkit.store.ledger`):

1. **Read** (one ``values:batchGet``): the Register's header, ``id`` column and the item's row (found by id, never
   by a remembered row number alone), the Log rows appended since this process last read it (the last known row
   is read again to verify the known prefix), and the Users table. The item is explained by the Log (the state
   the winning changes leave; see below) and checked: it must equal what the caller read (``Change.seen``: every
   field, so a hand edit of the title, a sort that moved another item into the row, or another process's change
   all refuse the action before anything is written), and the acting user must still be active with the role.
2. **Write** (one atomic ``spreadsheets:batchUpdate``): ``updateCells`` for only the changed cells of that row,
   with ``rev + 1`` and ``change_id`` (plus any cells the Log says a crashed writer left wrong), and
   ``appendCells`` of the Log rows. Every Log row carries the change id, the rev its author read, and ``parent``,
   the change id whose state its author read (the item's *head*); the first carries the payload (cells written
   and their values as read, JSON, split over continuation rows past 45,000 characters).
3. **Verify** (one ``values:batchGet`` of the Log rows since step 1): the change **won** iff its parent is the
   item's head at its position in the Log. Two changes made from the same read have the same parent: the first
   one appended wins, and every process computes the same answer from the Log alone. The winner is told "saved";
   the loser is told "changed by someone else" (StaleWrite), its Log rows are void (``read_log`` never returns
   them), and it repairs the cells its batch wrote over the winner's (one more batchUpdate, recorded as a
   ``sopkit:repair`` row, which also marks its own rows ``void`` for whoever reads the tab). If it dies before
   repairing, every reader still sees the right state: the row's ``change_id`` names the last write it
   received, and a loser's write is undone from the payloads (winner's values, or the values the loser read) in
   the cells that still hold what the loser wrote; the next writer of the item writes those cells back in its
   own batch.

**Retries.** Nothing prepared is ever re-sent: a 429, 5xx, timeout or dropped connection anywhere restarts at
step 1, which re-finds the row by id and re-checks everything; if the failed call was a write that may have been
applied, step 1 first looks for the change's id in the Log (it is there → go on to the verdict, so a Log row is
never doubled). Creates append the Register row and the Log rows in one batch (no row to find), verified alike.

**Settings saves** follow the same three steps, with the SettingsHistory tab as their ledger
(:mod:`sopkit.store.settings_history`): read the Settings and the history rows since the last read, write the
changed Settings cells and the revision rows (``change_id``, ``parent``) in one batchUpdate, verify. Of two saves
made from the same read the first appended counts; the other saves again on top of it from its verifying read,
so no two counted revisions share a number; cells a loser left are read as the counted revision has them.

**Several items at once** (:meth:`GSheetsStore.commit_many`, the publish job's claims and results): the same
three steps once for the whole batch. Step 1 reads the whole Register (every row found by id), the Users and the
Log since; each change is checked as above and a refused one is left out; step 2 is one batchUpdate holding every
accepted change's cells and its own ``appendCells`` (so its rows stay together, with its own change id and
parent); step 3 judges each change by the Log order alone, exactly as a lone commit is judged, so a change that
another host's change to the same item beat is told in its own slot, voided and repaired while the batch's
other changes count. Nothing in the rule ties the changes of one batch together: the batch saves calls, not
meaning.

**Budget** (60 reads + 60 writes a minute per user, shared by the app and the job): an action is 3 calls (read,
write, verify) and returns the saved item, so the page patches its snapshot without reading again; a batch of
any size is 3 calls too (a busy publish run 7: its snapshot, the claims, the results);
:meth:`GSheetsStore.read_snapshot` is one ``values:batchGet`` of Register, Log, Users, Settings,
SettingsHistory and Sessions (so the desk's check of the user's sign-in answers from it), and only reads the Log
and history rows appended since the last snapshot (a cold process reads the Log once without the payload column);
a hand edit of the Settings it finds costs a save's write and verify, once. A settings save is 3 calls (5 after a
lost race). The spreadsheet's metadata is read only when needed: the tab ids a batchUpdate needs are first taken
to be the ones ``init`` gives the tabs it creates (a wrong guess is refused whole, then the ids are read and the
step redone), and locale and time zone only for a date an admin typed. A refused action costs its one read; a
lost race 4 calls. The sign-in ledger (SignIns tab) is read and appended the same way: 2 calls a failed sign-in,
3 a successful one. The notification job's Outbox is
append-only too, its row order deciding which of two claims on one message counts (``sopkit.notify.outbox``):
``read_outbox`` reads only the rows appended since the last read, ``append_outbox`` is one ``appendCells``
(repeating it changes nothing, so it may be retried).

**What it does not cover.** Between the read of step 1 and the write of step 2 (one round trip, never a retry
wait) an admin's sort can still move another row under the write; the ``change_id`` cell then names a change of
another item and the row is listed as a problem, and the item's own row is rolled forward from the payload.
Hand edits of the Log itself are not supported (it is protected, warning only): a known row that changed makes
the store read the whole Log again.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import gspread
import requests

from .. import sop, timeutil
from ..retry import Backoff, RetriesExhausted, TransientError, call_with_retry, parse_retry_after
from ..schema import (
    LOG_COLUMNS,
    OUTBOX_COLUMNS,
    PREFERENCE_COLUMNS,
    REGISTER_COLUMNS,
    SETTINGS_COLUMNS,
    SETTINGS_HISTORY_COLUMNS,
    Item,
    Row,
    RowProblem,
    SessionRecord,
    User,
    item_from_row,
    session_from_row,
    user_from_row,
)
from ..timeutil import parse_iso, server_now, to_iso
from .base import (
    REFUSALS,
    Capabilities,
    Change,
    DuplicateId,
    NotFound,
    Register,
    SignInEvent,
    StaleWrite,
    StoreBusy,
    StoreError,
    StoreSnapshot,
    Unconfirmed,
    check_actor,
    check_batch,
    check_unchanged,
    new_change_id,
)
from .gsheets_values import (
    READ_PARAMS,
    cell_text,
    col_letters,
    column_range,
    needs_locale,
    quote,
    row_range,
    zone,
)
from .ledger import (
    CHANGE_ACTION,
    PARENT,
    PAYLOAD,
    PAYLOAD_ACTION,
    REPAIR_ACTION,
    Ledger,
    MissingPayload,
    encode_payload,
)
from .registry import StoreContext
from .settings_history import (
    CHANGE_ID,
    HISTORY_SHEET_COLUMNS,
    SETTINGS_HISTORY,
    VOID,
    WRITTEN,
    HistoryOrder,
    encode_written,
    saved_revision,
    settings_revisions,
)
from .tables import SIGNIN_COLUMNS, TABLES

T = TypeVar("T")

SHEET_URL = "https://docs.google.com/spreadsheets/d/"
REGISTER, LOG, USERS, SETTINGS, SIGNINS = "Register", "Log", "Users", "Settings", "SignIns"
SESSIONS, OUTBOX, PREFERENCES = "Sessions", "Outbox", "Preferences"
#: Columns the sheet keeps beside a table's own (``tables.TABLES``), hidden when ``init`` adds them: what lets a
#: losing writer be detected (``ledger``, ``settings_history``).
HIDDEN_COLUMNS: dict[str, tuple[str, ...]] = {LOG: (PARENT, PAYLOAD), SETTINGS_HISTORY: (CHANGE_ID, PARENT, WRITTEN)}
LOG_SHEET_COLUMNS: tuple[str, ...] = (*TABLES[LOG].columns, *HIDDEN_COLUMNS[LOG])
DROPDOWNS: dict[str, tuple[str, ...]] = {
    "status": sop.STATUSES,
    "step": tuple(str(s) for s in sop.STEPS),
}
PROTECT_PREFIX = "sopkit: "
SPARE_COLUMNS = 10  # room for an admin's own columns in a new tab
DEFAULT_BACKOFF = Backoff()
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
NOT_APPLIED_STATUS = frozenset({408, 429})  # refused before any work: certainly not applied
BUSY_MESSAGE = ("Google Sheets is busy (too many requests or a temporary server error). Nothing was saved; "
                "please try again in a minute.")
UNCONFIRMED_MESSAGE = ("The change was sent to Google Sheets but its answer was lost, and Google Sheets stayed busy "
                       "while the store looked for it. Reload to see whether it was saved.")
VOID_ACTION = "void"  # a losing change's own Log rows, once its author repaired what it wrote
PAYLOAD_MEMORY = 20_000_000  # characters of Log payload kept in memory before the old ones are dropped

_LOCKS: dict[str, threading.RLock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(key: str) -> threading.RLock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.RLock())


class SheetsBusy(StoreBusy):
    """Google Sheets kept answering 429/5xx (or timing out) until the retries ran out; nothing was saved."""


class _Retry(TransientError):
    """A failed call worth trying again; ``maybe_applied``: it was a write whose effect is unknown."""

    def __init__(self, message: str, retry_after: float | None = None, maybe_applied: bool = False):
        super().__init__(message, retry_after)
        self.maybe_applied = maybe_applied


class _NotInLog(Exception):
    """Looked: the change is not in the Log, so it was not applied."""


@dataclass
class _Tail:
    """What this process knows of an append-only tab: its header and its data rows, in order."""

    header: list[str]
    rows: list[Row]


@dataclass
class _SettingsView:
    """The Settings tab as read, and the history it was read with."""

    header: list[str]
    cells: dict[str, str]  # as stored (a key typed twice: its lower row)
    where: dict[str, list[tuple[int, str]]]  # every sheet row of each key, with its value
    order: HistoryOrder

    @property
    def settings(self) -> dict[str, str]:
        """The Settings as they stand: hand edits included, cells a losing save left read as the history has them."""
        return self.order.explain(self.cells)


@dataclass
class _WriteView:
    """Step 1 of a write: where the item is and what it holds."""

    header: list[str]
    row_no: int | None  # sheet row of the item (None: not in the Register)
    actual: Row  # the row as stored
    explained: Row  # the row as the Log explains it
    users: list[User]


class GSheetsStore:
    """The Store contract over one Google Spreadsheet (see the module docstring for the protocol and budget).

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
        self._props: dict[str, Any] = {}
        if isinstance(client_or_spreadsheet, gspread.Spreadsheet):
            self._http = client_or_spreadsheet.client
            self._key = client_or_spreadsheet.id
            self._props = dict(getattr(client_or_spreadsheet, "_properties", {}))
        else:
            target = key_or_url.strip()
            if not target:
                raise StoreError("No Google Sheet configured: set register.url to gsheets://KEY.")
            self._http = client_or_spreadsheet.http_client
            self._key = gspread.utils.extract_id_from_url(target) if "/" in target else target
        if timeout is not None:
            self._http.set_timeout(timeout)
        self.key_or_url = key_or_url
        self.backoff, self.sleep, self.on_busy = backoff, sleep, on_busy
        self._rng = random.Random()
        self._headers: dict[str, list[str]] = {}
        self._sheet_ids: dict[str, int] = {}
        self._guessing = False  # the ids in _sheet_ids are init's guesses, not read
        self._ledger = Ledger()
        self._log_header: list[str] = []
        self._range_header: list[str] = []
        self._signins = _Tail([], [])
        self._history = _Tail([], [])  # the SettingsHistory rows, as far as this process has read them
        self._history_missing = False  # a sheet made before there was a history (until `init` runs again)
        self._settings_last: _SettingsView | None = None
        self._outbox = _Tail([], [])
        self._row_hint: dict[str, int] = {}
        self._users_read: tuple[int, float, tuple[list[User], list[RowProblem]]] | None = None
        self._lock = _lock_for(self._key)

    # -- plumbing -------------------------------------------------------------------------------------------
    def _once(self, fn: Callable[[], T], *, write: bool = False) -> T:
        """One API call, no retry: a transient failure becomes ``_Retry`` (with whether a write may have been
        applied), any other failure a StoreError."""
        try:
            return fn()
        except gspread.exceptions.APIError as e:
            status = e.response.status_code
            if status in RETRYABLE_STATUS:
                wait = parse_retry_after(e.response.headers.get("Retry-After"))
                raise _Retry(f"HTTP {status}", wait, write and status not in NOT_APPLIED_STATUS) from e
            raise _api_error(e) from e
        except requests.ConnectTimeout as e:  # never reached the server
            raise _Retry(f"{type(e).__name__}: {e}") from e
        except (requests.ConnectionError, requests.Timeout) as e:
            raise _Retry(f"{type(e).__name__}: {e}", maybe_applied=write) from e

    def _call(self, fn: Callable[[], T]) -> T:
        """One idempotent call (a read, or a write whose repetition is harmless) with bounded retry."""
        try:
            return call_with_retry(lambda: self._once(fn), self.backoff, sleep=self.sleep, on_retry=self._notify,
                                   rng=self._rng)
        except RetriesExhausted as e:
            raise SheetsBusy(BUSY_MESSAGE) from e

    def _notify(self, attempt_no: int, delay: float, error: TransientError) -> None:
        if self.on_busy is not None:
            self.on_busy(f"Google Sheets is busy, retrying in {delay:.0f} s (try {attempt_no + 1} of "
                         f"{self.backoff.tries})…")

    def _retrying(self, step: Callable[[], T], *, settle: Callable[[], T] | None = None) -> T:
        """Run ``step`` until it returns, retrying it *whole* after a transient failure (so every retry re-reads
        and re-decides). When the tries run out, ``settle`` (if given) finds out what happened to a write that
        may have been applied: it returns the outcome, or raises."""
        for attempt in range(1, self.backoff.tries + 1):
            try:
                return step()
            except _Retry as e:
                if attempt == self.backoff.tries:
                    break
                delay = self.backoff.wait(attempt, e.retry_after, self._rng)
                self._notify(attempt, delay, e)
                self.sleep(delay)
        if settle is not None:
            return settle()
        raise SheetsBusy(BUSY_MESSAGE)

    @property
    def spreadsheet_id(self) -> str:
        return self._key

    @property
    def capabilities(self) -> Capabilities:
        """Admins edit the sheet by hand (the desk links to it), and every read counts against the quota."""
        return Capabilities(hand_editable=True, edit_url=f"{SHEET_URL}{self._key}/edit", label="Google Sheet",
                            counts_api_calls=True)

    def _metadata(self) -> None:
        """Tab ids, locale and time zone: one read, once per store (or again when a tab id went stale)."""
        meta = self._once(lambda: self._http.fetch_sheet_metadata(self._key, params={
            "fields": "properties(locale,timeZone),sheets.properties(sheetId,title)"}))
        self._props.update(meta.get("properties", {}))
        self._sheet_ids = {s["properties"]["title"]: s["properties"]["sheetId"] for s in meta.get("sheets", [])}
        self._guessing = False

    def _sheet_id(self, title: str) -> int:
        """The tab's id for spreadsheets:batchUpdate. Before the metadata was ever read, the id ``init`` gives a
        tab it creates (a checksum of the title) is tried: a wrong guess is refused by Google as a whole batch
        ("No grid with id"), and then the ids are read and the step redone. So a process's first write costs no
        metadata read on a sheet ``init`` made."""
        if title not in self._sheet_ids and not self._sheet_ids and not self._guessing:
            self._guessing = True
            self._sheet_ids = {t: _new_sheet_id(t, set()) for t in TABLES}
        if title not in self._sheet_ids:
            self._metadata()
        if title not in self._sheet_ids:
            raise StoreError(f"The Google Sheet has no {title} worksheet. Nothing was saved; run "
                             "`python -m sopkit init` to create it.")
        return self._sheet_ids[title]

    def _text(self, column: str, value: Any) -> str:
        if needs_locale(column, value):
            if "timeZone" not in self._props:
                self._call(self._metadata)
            return cell_text(column, value, zone(self._props.get("timeZone")),
                             str(self._props.get("locale", "")) == "en_US")
        return cell_text(column, value, timeutil.zone())

    def _batch_get(self, ranges: Sequence[str], *, retry: bool = True) -> list[list[list[Any]]]:
        def get() -> Any:
            return self._http.values_batch_get(self._key, list(ranges), params=dict(READ_PARAMS))

        resp = self._call(get) if retry else self._once(get)
        return [list(vr.get("values", [])) for vr in resp.get("valueRanges", [])]

    def _batch_update(self, requests_: list[dict[str, Any]], *, retry: bool = False) -> None:
        """One atomic spreadsheets:batchUpdate; not retried unless asked (re-sending a prepared batch is what the
        protocol forbids)."""
        def send() -> Any:
            return self._http.batch_update(self._key, {"requests": requests_})

        try:
            self._call(send) if retry else self._once(send, write=True)
        except StoreError as e:
            if "No grid with id" not in str(e):
                raise
            self._sheet_ids.clear()
            if self._guessing:  # the guessed ids were wrong (tabs not made by init): read them, redo the step
                self._guessing = False
                self._metadata()
                raise _Retry("the tab ids were read", 0.0) from e
            raise  # a tab was deleted and re-created since the ids were read

    def _rows(self, header: list[str], values: Iterable[list[Any]], first: int,
              keep_blank: bool = False) -> list[tuple[int, Row]]:
        out = []
        for n, cells in enumerate(values, start=first):
            if not keep_blank and not any(c not in (None, "") for c in cells):
                continue
            row: Row = {}
            for i, name in enumerate(header):
                if name and name not in row and name != PAYLOAD:
                    row[name] = self._text(name, cells[i] if i < len(cells) else None)
            out.append((n, row))
        return out

    # -- the Log and other append-only tabs -------------------------------------------------------------------
    def _log_ranges(self) -> list[str]:
        """The ranges that bring this process's Log up to date: its header and the rows since the last known one
        (re-read to verify the prefix). A cold read leaves out the payload column."""
        known = len(self._ledger)
        header = self._log_header or list(LOG_SHEET_COLUMNS)
        self._range_header = header
        if known == 0:
            cut = header.index(PAYLOAD) if PAYLOAD in header and header.index(PAYLOAD) == len(header) - 1 \
                else len(header)
            return [f"{quote(LOG)}!1:1", f"{quote(LOG)}!A2:{col_letters(max(cut, 1) - 1)}"]
        return [f"{quote(LOG)}!1:1", f"{quote(LOG)}!A{known + 1}:{col_letters(max(len(header), 1) - 1)}"]

    def _absorb_log(self, header_values: list[list[Any]], tail: list[list[Any]]) -> bool:
        """Take in what :meth:`_log_ranges` returned; False when the Log changed under the known rows (or its
        header did) and must be read again from the top."""
        header = _header(header_values[0] if header_values else [])
        cold = len(self._ledger) == 0
        if header != self._range_header:  # a layout other than the one the range was cut for: read again
            self._reset_log(header)
            return False
        _require(LOG, header, LOG_SHEET_COLUMNS)
        self._log_header = header
        payload_at = header.index(PAYLOAD)
        parsed = self._rows(header, tail, 2 if cold else len(self._ledger) + 1, keep_blank=True)
        payloads = [str(cells[payload_at]) if payload_at < len(cells) and cells[payload_at] is not None else ""
                    for cells in tail]
        if not cold:
            if not parsed or _log_key(parsed[0][1]) != _log_key(self._ledger.rows[-1]):
                self._reset_log(header)
                return False
            parsed, payloads = parsed[1:], payloads[1:]
        without = cold and payload_at == len(header) - 1  # the cold read leaves the payload column out
        self._ledger.extend([r for _, r in parsed], None if without else payloads)
        if self._ledger.payload_size() > PAYLOAD_MEMORY:
            self._ledger.forget_payloads()
        return True

    def _tail_ranges(self, title: str, tail: _Tail) -> list[str]:
        """An append-only tab's header and its rows from the last known one on (re-read to verify the prefix)."""
        known = len(tail.rows)
        return [f"{quote(title)}!1:1", f"{quote(title)}!A{known + 1 if known else 2}:Z"]

    def _absorb_tail(self, title: str, tail: _Tail, columns: Iterable[str], key: Callable[[Row], Any],
                     header_values: list[list[Any]], values: list[list[Any]]) -> bool:
        """Take in what :meth:`_tail_ranges` returned; False when the known rows changed (the last known one no
        longer has the same ``key``, or the header moved): ``tail`` is emptied, to be read again from the top."""
        header = _header(header_values[0] if header_values else [])
        _require(title, header, columns)
        known = len(tail.rows)
        parsed = [r for _, r in self._rows(header, values, known + 1 if known else 2, keep_blank=True)]
        if known:
            if header != tail.header or not parsed or key(parsed[0]) != key(tail.rows[-1]):
                tail.header, tail.rows = header, []
                return False
            parsed = parsed[1:]
        tail.header = header
        tail.rows += parsed
        return True

    def _reset_log(self, header: list[str]) -> None:
        self._ledger = Ledger()
        self._log_header = header

    def _read(self, ranges: list[str], with_log: bool = True, *, retry: bool = True) -> list[list[list[Any]]]:
        """One batchGet of ``ranges`` (plus the Log since the last read when ``with_log``); a Log that changed
        under the known rows costs one more read of it from the top."""
        for _ in range(3):
            log = self._log_ranges() if with_log else []
            got = self._batch_get([*ranges, *log], retry=retry)
            if not with_log or self._absorb_log(got[len(ranges)], got[len(ranges) + 1]):
                return got[:len(ranges)]
        raise StoreError("The Log tab keeps changing under the app; check that nobody edits it by hand.")

    def _explain(self, item_id: str, actual: Row, *, retry: bool = True) -> Row:
        """The row as the Log explains it, reading payloads on demand (a cold process, or an old crash)."""
        for _ in range(3):
            try:
                return self._ledger.explain(item_id, actual)
            except MissingPayload as e:
                self._fetch_payloads(self._ledger.payload_rows(e.rows), retry=retry)
        return self._ledger.explain(item_id, actual)

    def _fetch_payloads(self, rows: list[int], *, retry: bool = True) -> None:
        col = col_letters(self._log_header.index(PAYLOAD))
        ranges = [f"{quote(LOG)}!{col}{i + 2}" for i in rows]
        got = self._batch_get(ranges, retry=retry)
        for index, values in zip(rows, got, strict=True):
            self._ledger.set_payload(index, str(values[0][0]) if values and values[0] else "")

    # -- contract: reads ------------------------------------------------------------------------------------
    def _register(self, values: list[list[Any]]) -> tuple[Register, dict[str, int]]:
        header = _header(values[0] if values else [])
        _require(REGISTER, header, ("id",))
        self._headers[REGISTER] = header
        rows = self._rows(header, values[1:], 2)
        explained: list[Row] = []
        numbers: list[int] = []
        problems: list[RowProblem] = []
        for n, row in rows:
            item_id = row.get("id", "").strip()
            current = row.get("change_id", "").strip()
            entry = self._ledger.entries.get(current)
            if entry is not None and entry.item_id != item_id:
                problems.append(RowProblem(REGISTER, n, "change_id", current,
                                           f"this row was overwritten by a change meant for item {entry.item_id}; "
                                           "check its cells against the Log"))
            explained.append(self._explain(item_id, row) if item_id else row)
            numbers.append(n)
        reg = Register.from_rows(explained, row_numbers=numbers)
        self._row_hint = {}
        for n, row in rows:
            self._row_hint.setdefault(row.get("id", "").strip(), n)
        return Register(reg.items, (*problems, *reg.problems), tuple(explained)), self._row_hint

    def read_register(self) -> Register:
        with self._lock:
            (values,) = self._read([quote(REGISTER)])
            return self._register(values)[0]

    def read_snapshot(self, *, with_log: bool = True, record_hand_edits: bool = False,
                      with_sessions: bool = True) -> StoreSnapshot:
        """One values:batchGet (Register, Users, Settings, Sessions, and the Log and SettingsHistory rows appended
        since the last read; the Sessions ride along so the desk's sign-in check of the same run reads nothing);
        recording a hand edit of the Settings adds a save's write and verifying read, only then. Without the Log,
        rows are explained as far as this process knows the Log (and the Settings as far as it knows their
        history); a row a crashed writer left wrong then shows as stored, and a commit on it is refused (its read
        explains it)."""
        with self._lock:
            ranges = [quote(REGISTER), quote(USERS), quote(SETTINGS), *([quote(SESSIONS)] if with_sessions else [])]
            history = with_log or record_hand_edits
            got = self._read_with_history(ranges, with_log=with_log) if history else self._read(ranges, False)
            register = self._register(got[0])[0]
            users, problems = self._users(got[1])
            view = self._settings_view(got[2])
            sessions = self._session_records(got[3]) if with_sessions else ()
            if history:
                self._settings_last = view
            if record_hand_edits:
                view = self._record_hand_edits(view)
            return StoreSnapshot(register, self._ledger.visible() if with_log else [], tuple(users),
                                 tuple(problems), view.settings,
                                 tuple(view.order.counted()) if history else (), sessions)

    def _session_records(self, values: list[list[Any]]) -> tuple[SessionRecord, ...]:
        header = _header(values[0] if values else [])
        _require(SESSIONS, header, ("id",))
        return tuple(s for _, row in self._rows(header, values[1:], 2) if (s := session_from_row(row)) is not None)

    def get_item(self, item_id: str) -> Item:
        reg = self.read_register()
        item = reg.by_id().get(item_id)
        if item is not None:
            return item
        for row in reg.rows:
            if str(row.get("id", "")).strip() == item_id:
                _, problems = item_from_row(row)
                raise StoreError(f"Item {item_id} cannot be read: " + "; ".join(p.reason for p in problems))
        raise NotFound(f"No item with id {item_id}.")

    def read_log(self, item_id: str | None = None, *, cached: bool = False) -> list[Row]:
        with self._lock:
            if not (cached and len(self._ledger)):
                self._read([])
            return self._ledger.visible(item_id)

    def _users(self, values: list[list[Any]]) -> tuple[list[User], list[RowProblem]]:
        header = _header(values[0] if values else [])
        self._headers[USERS] = header
        users, problems = [], []
        for n, row in self._rows(header, values[1:], 2):
            user, found = user_from_row(row, n)
            problems += found
            if user:
                users.append(user)
        return users, problems

    def read_users(self) -> tuple[list[User], list[RowProblem]]:
        with self._lock:
            stash, self._users_read = self._users_read, None
            if stash is not None and stash[0] == threading.get_ident() and time.monotonic() - stash[1] < 1.0:
                return stash[2]  # read with the session a moment ago, by this same caller
            (values,) = self._read([quote(USERS)], with_log=False)
            return self._users(values)

    # -- contract: commit -------------------------------------------------------------------------------------
    def commit(self, change: Change) -> Item:
        bad = set(change.updates) - set(REGISTER_COLUMNS)
        if bad:
            raise StoreError(f"unknown Register column(s): {', '.join(sorted(bad))}")
        sent = {"maybe": False}

        def step() -> Item:
            try:
                return self._commit_once(change)
            except _Retry as e:
                sent["maybe"] = sent["maybe"] or e.maybe_applied
                raise

        def settle() -> Item:
            return _look_again(sent["maybe"], lambda: self._commit_once(change, write=False))

        with self._lock:
            return self._retrying(step, settle=settle)

    def _write_view(self, item_id: str) -> _WriteView:
        """Step 1: the Register header, id column and the item's row, the Log since the last read, the Users."""
        header = self._headers.get(REGISTER)
        hint = self._row_hint.get(item_id)
        if header and "id" in header:
            width = col_letters(len(header) - 1)
            ranges = [f"{quote(REGISTER)}!1:1", column_range(REGISTER, header.index("id"))]
            if hint:
                ranges.append(f"{quote(REGISTER)}!A{hint}:{width}{hint}")
            got = self._read([*ranges, quote(USERS)], retry=False)
            if _header(got[0][0] if got[0] else []) == header:
                ids = [self._text("id", r[0] if r else None).strip() for r in got[1]]
                row_no = next((n for n, v in enumerate(ids, start=1) if n > 1 and v == item_id), None)
                users = self._users(got[-1])[0]
                if row_no is not None and row_no == hint and len(got) == 4:
                    cells = got[2][0] if got[2] else []
                else:
                    cells = None
                    if row_no is not None:
                        rng = row_range(REGISTER, row_no, len(header))
                        data = self._once(lambda: self._http.values_get(self._key, rng, params=dict(READ_PARAMS)))
                        cells = (data.get("values") or [[]])[0]
                return self._view(item_id, header, row_no, cells, users)
        (values, user_values) = self._read([quote(REGISTER), quote(USERS)], retry=False)
        register, hints = self._register(values)
        header = self._headers[REGISTER]
        row_no = hints.get(item_id)
        cells = values[row_no - 1] if row_no is not None else None
        return self._view(item_id, header, row_no, cells, self._users(user_values)[0])

    def _view(self, item_id: str, header: list[str], row_no: int | None, cells: list[Any] | None,
              users: list[User]) -> _WriteView:
        if row_no is None or cells is None:
            return _WriteView(header, None, {}, {}, users)
        self._row_hint[item_id] = row_no
        ((_, actual),) = self._rows(header, [cells], row_no, keep_blank=True)
        return _WriteView(header, row_no, actual, self._explain(item_id, actual, retry=False), users)

    def _commit_once(self, change: Change, write: bool = True) -> Item:
        view = self._write_view(change.item_id)
        done = self._ledger.outcome(change.change_id)
        if done is not None:  # an earlier try was applied although its answer was lost
            return self._verdict(change, view, None)
        if not write:
            raise _NotInLog(change.change_id)
        requests_, row = self._change_requests(change, view)
        self._batch_update(requests_)
        return self._confirm(change, view, row)

    def _change_requests(self, change: Change, view: _WriteView) -> tuple[list[dict[str, Any]], Row]:
        """Step 2's part for one change, checked against ``view`` (step 1): its sub-requests (Register cells and
        Log rows) and the row as they leave it. Raises StaleWrite, DuplicateId or ActorRefused."""
        _require(REGISTER, view.header, REGISTER_COLUMNS)
        _require(LOG, self._log_header, LOG_SHEET_COLUMNS)
        actor = (change.actor or "").strip().lower()
        check_actor(change, next((u for u in view.users if u.email == actor), None))
        head = self._ledger.head(change.item_id)
        if change.expected_rev is None:
            if view.row_no is not None or head:
                raise DuplicateId(f"An item with id {change.item_id} already exists.")
            row = {**change.updates, "id": change.item_id, "rev": "1", "change_id": change.change_id}
            cells = [row.get(c, "") if c in REGISTER_COLUMNS else "" for c in view.header]
            requests_ = [_append_cells(self._sheet_id(REGISTER), [cells])]
            return requests_ + self._log_requests(change, head, row, None), row
        now = self._current_item(change, view)
        written = {**{c: v for c, v in view.explained.items() if c in REGISTER_COLUMNS
                      and str(view.actual.get(c, "") or "") != v},
                   **change.updates, "rev": str(now.rev + 1), "change_id": change.change_id}
        before = {c: str(view.explained.get(c, "") or "") for c in written}
        assert view.row_no is not None
        requests_ = _update_runs(self._sheet_id(REGISTER), view.row_no - 1,
                                 {i: written[c] for i, c in enumerate(view.header) if c in written})
        requests_ += self._log_requests(change, head, written, before)
        return requests_, {**view.explained, **written}

    # -- contract: several changes at once ---------------------------------------------------------------------
    def commit_many(self, changes: Sequence[Change]) -> list[Item | StoreError]:
        """The three steps once for the whole batch: one ``values:batchGet`` (the Register, the Users and the Log
        since the last read), one atomic ``spreadsheets:batchUpdate`` with every accepted change's cells and Log
        rows (each change its own ``appendCells``, so its rows stay together and carry its own id and parent),
        one verifying read of the Log. Each change is judged by the Log order alone, as a lone commit is: a
        loser is told in its slot, its rows void and its cells repaired (one more batchUpdate each). A retry
        redoes all three steps; a change already in the Log (an earlier try's answer was lost) is not written
        again, only judged."""
        changes = list(changes)
        check_batch(changes)
        if not changes:
            return []
        sent = {"maybe": False}

        def step(write: bool = True) -> list[Item | StoreError]:
            try:
                return self._commit_many_once(changes, write)
            except _Retry as e:
                sent["maybe"] = sent["maybe"] or e.maybe_applied
                raise

        def settle() -> list[Item | StoreError]:
            return _look_again(sent["maybe"], lambda: step(write=False))

        with self._lock:
            return self._retrying(step, settle=settle)

    def _batch_views(self, item_ids: list[str]) -> dict[str, _WriteView]:
        """Step 1 for a batch: the whole Register (rows found by id), the Users and the Log since the last read,
        in one batchGet."""
        values, user_values = self._read([quote(REGISTER), quote(USERS)], retry=False)
        _, hints = self._register(values)
        header, users = self._headers[REGISTER], self._users(user_values)[0]
        views = {}
        for item_id in item_ids:
            row_no = hints.get(item_id)
            views[item_id] = self._view(item_id, header, row_no, values[row_no - 1] if row_no else None, users)
        return views

    def _commit_many_once(self, changes: list[Change], write: bool) -> list[Item | StoreError]:
        views = self._batch_views([c.item_id for c in changes])
        out: list[Item | StoreError | None] = [None] * len(changes)
        requests_: list[dict[str, Any]] = []
        written: list[tuple[int, Row]] = []
        earlier: list[int] = []  # applied by an earlier try whose answer was lost
        for i, change in enumerate(changes):
            if self._ledger.outcome(change.change_id) is not None:
                earlier.append(i)
            elif not write:
                out[i] = SheetsBusy(BUSY_MESSAGE)  # looked: not in the Log, so not saved
            else:
                try:
                    parts, row = self._change_requests(change, views[change.item_id])
                except REFUSALS as e:
                    out[i] = e
                    continue
                requests_ += parts
                written.append((i, row))
        if not write and not earlier:
            raise _NotInLog(",".join(c.change_id for c in changes))
        ids: list[str] | None = None
        if requests_:
            self._batch_update(requests_)
            header = next(iter(views.values())).header
            (id_values,) = self._read([column_range(REGISTER, header.index("id"))], retry=False)
            ids = [self._text("id", r[0] if r else None).strip() for r in id_values]
        settled: list[tuple[int, dict[str, str] | None]] = [*((i, None) for i in earlier), *written]
        for i, wrote in settled:
            change = changes[i]
            try:
                out[i] = self._verdict(change, views[change.item_id], ids if wrote is not None else None, wrote)
            except REFUSALS as e:
                out[i] = e
        return [o if o is not None else SheetsBusy(BUSY_MESSAGE) for o in out]

    def _current_item(self, change: Change, view: _WriteView) -> Item:
        """The item as stored now, checked against what the caller read."""
        return check_unchanged(change, view.explained if view.row_no is not None else None, view.row_no or 0)

    def _confirm(self, change: Change, view: _WriteView, row: Row) -> Item:
        """Step 3: read the Log since step 1 and the id column, and give the verdict."""
        ranges = [column_range(REGISTER, view.header.index("id"))]
        (ids,) = self._read(ranges, retry=False)
        return self._verdict(change, view, [self._text("id", r[0] if r else None).strip() for r in ids], row)

    def _verdict(self, change: Change, view: _WriteView, ids: list[str] | None, row: Row | None = None) -> Item:
        outcome = self._ledger.outcome(change.change_id)
        if outcome is None:  # the write was not applied after all (a failure before it reached the sheet)
            raise _Retry("the change is not in the Log")
        if ids is not None:
            row_no = next((n for n, v in enumerate(ids, start=1) if n > 1 and v == change.item_id), None)
            if row_no is not None:
                self._row_hint[change.item_id] = row_no
        if outcome:
            state = row if row is not None else {**view.explained, "change_id": self._ledger.head(change.item_id)}
            item, problems = item_from_row(state, view.row_no or 0)
            if item is None:
                raise StoreError(f"Item {change.item_id} was saved but cannot be read back: "
                                 + "; ".join(p.reason for p in problems))
            return item
        if change.expected_rev is None:
            raise DuplicateId(f"An item with id {change.item_id} was created at the same moment by someone else.")
        current = self._repair(change, view)
        raise StaleWrite(change.item_id, change.expected_rev, current.rev if current else None, current,
                         why="another change to it was saved first")

    def _repair(self, change: Change, view: _WriteView) -> Item | None:
        """A lost race: put back, in the cells this change wrote, what the Log says they hold (one batchUpdate
        with a ``sopkit:repair`` row). Best effort: if it fails, readers still explain the row and the next
        writer of the item repairs it."""
        entry = self._ledger.entries[change.change_id]
        row_no = self._row_hint.get(change.item_id)
        for _ in range(3):
            try:
                data = entry.payload()
                left = self._ledger.left_by(change.change_id, view.actual)  # the row as this batch left it
                break
            except MissingPayload as e:
                self._fetch_payloads(self._ledger.payload_rows([*e.rows, *entry.rows[:1]]))
        else:
            return None
        truth = self._explain(change.item_id, left)
        fix = {c: str(truth.get(c, "") or "") for c in data["set"] if str(truth.get(c, "") or "") != data["set"][c]}
        current, _ = item_from_row(truth, row_no or 0)
        head = self._ledger.head(change.item_id)
        requests_ = self._void_marks(entry.rows, head)
        if fix and row_no is not None:
            requests_ += _update_runs(self._sheet_id(REGISTER), row_no - 1,
                                      {i: fix[c] for i, c in enumerate(view.header) if c in fix})
            marker = {"at": to_iso(server_now()), "item_id": change.item_id,
                      "action": REPAIR_ACTION, "actor": change.actor or "", "change_id": change.change_id,
                      PARENT: head}
            requests_.append(_append_cells(self._sheet_id(LOG), self._log_cells([marker], encode_payload(fix))))
        try:
            self._batch_update(requests_, retry=True)
        except StoreError:
            pass
        return current

    def _void_marks(self, rows: list[int], winner: str) -> list[dict[str, Any]]:
        """Mark a losing change's own Log rows, for people reading the tab (the rule needs no mark): ``action``
        becomes ``void`` and the note says which action lost to which change."""
        header = self._log_header
        out: list[dict[str, Any]] = []
        for index in rows:
            row = self._ledger.rows[index]
            action = str(row.get("action", "") or "")
            if action.startswith("sopkit:") or action == VOID_ACTION:
                continue
            note = f"{action} not saved: change {winner} was saved first"
            out += _update_runs(self._sheet_id(LOG), index + 1, {header.index("action"): VOID_ACTION,
                                                                 header.index("note"): note})
        return out

    def _log_requests(self, change: Change, head: str, written: Row, before: Row | None) -> list[dict[str, Any]]:
        base = {"change_id": change.change_id, "base_rev": str(change.expected_rev or 0), PARENT: head}
        rows = [{**r.to_row(), **base} for r in change.log] or [
            {"at": to_iso(server_now()), "item_id": change.item_id, "action": CHANGE_ACTION,
             "actor": change.actor or "", **base}]
        return [_append_cells(self._sheet_id(LOG), self._log_cells(rows, encode_payload(written, before)))]

    def _log_cells(self, rows: list[Row], chunks: list[str]) -> list[list[str]]:
        """Log rows in the tab's column order: the payload's first chunk on the first row, the rest on
        continuation rows right after."""
        header = self._log_header
        first = dict(rows[0])
        first[PAYLOAD] = chunks[0]
        rows = [first, *rows[1:]]
        for chunk in chunks[1:]:
            rows.append({"item_id": first.get("item_id", ""), "action": PAYLOAD_ACTION,
                         "change_id": first.get("change_id", ""), PAYLOAD: chunk})
        return [[str(r.get(c, "") or "") if c in LOG_SHEET_COLUMNS else "" for c in header] for r in rows]

    # -- contract: other writes ------------------------------------------------------------------------------
    def import_rows(self, register: list[Row], log: list[Row]) -> None:
        with self._lock:
            (values,) = self._read([quote(REGISTER)])
            _, hints = self._register(values)
            header = self._headers[REGISTER]
            new_ids = [str(r.get("id", "")).strip() for r in register]
            clash = [i for n, i in enumerate(new_ids) if i in hints or i in new_ids[:n]]
            if clash:
                raise DuplicateId(f"An item with id {clash[0]} already exists; nothing was imported.")
            requests_: list[dict[str, Any]] = []
            if register:
                _require(REGISTER, header, tuple(k for r in register for k in r if k in REGISTER_COLUMNS))
                requests_.append(_append_cells(self._sheet_id(REGISTER), [
                    [str(r.get(c, "") or "") if c in REGISTER_COLUMNS else "" for c in header] for r in register]))
            if log:
                _require(LOG, self._log_header, LOG_COLUMNS)
                requests_.append(_append_cells(self._sheet_id(LOG), [
                    [str(r.get(c, "") or "") if c in LOG_COLUMNS else "" for c in self._log_header] for r in log]))
            if requests_:
                self._batch_update(requests_)

    def _upsert(self, title: str, key: str, rows: list[Row], norm: Callable[[str], str]) -> None:
        """Update rows whose ``key`` exists (one values:batchUpdate), append the rest (one append)."""
        with self._lock:
            (values,) = self._read([quote(title)], with_log=False)
            header = _header(values[0] if values else [])
            _require(title, header, sheet_columns(title))
            where: dict[str, int] = {}
            for n, row in self._rows(header, values[1:], 2):
                where.setdefault(norm(row.get(key, "")), n)
            updates: list[dict[str, Any]] = []
            new: dict[str, list[str]] = {}
            for row in rows:
                cells = [row.get(c) if c in sheet_columns(title) else None for c in header]
                at = where.get(norm(row[key]))
                if at is not None:
                    updates.append({"range": row_range(title, at, len(header)), "majorDimension": "ROWS",
                                    "values": [cells]})
                else:
                    new[norm(row[key])] = ["" if v is None else v for v in cells]
            if updates:
                self._call(lambda: self._http.values_batch_update(self._key, {"valueInputOption": "RAW",
                                                                              "data": updates}))
            if new:
                params: dict[str, Any] = {"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"}
                body = {"values": list(new.values()), "majorDimension": "ROWS"}
                self._once(lambda: self._http.values_append(self._key, f"{quote(title)}!A1", params, body),
                           write=True)

    def save_user(self, user: User) -> None:
        self._upsert(USERS, "email", [user.to_row()], lambda s: s.strip().lower())

    # -- Settings and their history (``sopkit.store.settings_history``) ------------------------------------------
    def _read_with_history(self, ranges: list[str], *, with_log: bool = True,
                           retry: bool = True) -> list[list[list[Any]]]:
        """One batchGet of ``ranges`` plus the SettingsHistory rows appended since the last read (and the Log's,
        ``with_log``). A sheet made before there was a history (no tab until ``init`` runs again) reads as one
        without revisions."""
        for _ in range(3):
            if self._history_missing:
                return self._read(ranges, with_log, retry=retry)
            tail = self._tail_ranges(SETTINGS_HISTORY, self._history)
            try:
                got = self._read([*ranges, *tail], with_log, retry=retry)
            except StoreError as e:
                if not _missing_tab(e):
                    raise
                self._history_missing = True
                continue
            if self._absorb_tail(SETTINGS_HISTORY, self._history, SETTINGS_HISTORY_COLUMNS, _history_key,
                                 got[-2], got[-1]):
                return got[:-2]
        raise StoreError("The SettingsHistory tab keeps changing under the app; check that nobody edits it by hand.")

    def _settings_view(self, values: list[list[Any]]) -> _SettingsView:
        header = _header(values[0] if values else [])
        self._headers[SETTINGS] = header
        cells: dict[str, str] = {}
        where: dict[str, list[tuple[int, str]]] = {}
        for n, row in self._rows(header, values[1:], 2):
            key = row.get("key", "").strip()
            if key:  # a key typed twice: the lower row counts, and a save writes both
                cells[key] = row.get("value", "")
                where.setdefault(key, []).append((n, cells[key]))
        return _SettingsView(header, cells, where, HistoryOrder(self._history.rows))

    def _settings_read(self, *, retry: bool = True) -> _SettingsView:
        (values,) = self._read_with_history([quote(SETTINGS)], with_log=False, retry=retry)
        self._settings_last = self._settings_view(values)
        return self._settings_last

    def read_settings(self) -> dict[str, str]:
        with self._lock:
            return self._settings_read().settings

    def read_settings_history(self) -> list[Row]:
        with self._lock:
            return self._settings_read().order.counted()

    def sync_settings_history(self, at: dt.datetime | None = None, *,
                              cached: bool = False) -> tuple[dict[str, str], list[Row]]:
        with self._lock:
            view = self._settings_last if cached and self._settings_last is not None else self._settings_read()
            view = self._record_hand_edits(view, at)
            return view.settings, view.order.counted()

    def _record_hand_edits(self, view: _SettingsView, at: dt.datetime | None = None) -> _SettingsView:
        if self._history_missing or not settings_revisions(view.order.counted(), view.settings, None, "", "", at):
            return view
        return self._save(None, "", "", at, view)[1]

    def save_settings(self, rows: dict[str, str], actor: str = "", source: str = "admin",
                      at: dt.datetime | None = None) -> int | None:
        """Read (Settings and the history since the last read) → one atomic batchUpdate (the changed cells and
        the revision rows, carrying the save's ``change_id`` and ``parent``) → a verifying read of the history:
        3 calls. A save that lost to one appended first saves again on top of it, from the verifying read (2
        calls more). Retries restart from the read and look for the save's id first."""
        rows = {str(k).strip(): str(v) for k, v in rows.items()}
        with self._lock:
            return self._save(rows, actor, source, at)[0]

    def _save(self, rows: dict[str, str] | None, actor: str, source: str, at: dt.datetime | None,
              view: _SettingsView | None = None) -> tuple[int | None, _SettingsView]:
        """The protocol of :meth:`save_settings` (``rows`` None: only record what the Settings tab holds)."""
        if self._history_missing:
            raise StoreError("The Google Sheet has no SettingsHistory worksheet. Nothing was saved; run "
                             "`python -m sopkit init` to create it.")
        state: dict[str, Any] = {"change": new_change_id(), "lost": [], "maybe": False, "view": view}

        def step(write: bool = True) -> tuple[int | None, _SettingsView]:
            current = state["view"] or self._settings_read(retry=False)
            state["view"] = None
            for _ in range(self.backoff.tries):  # a lost race saves again at once, from the verifying read
                outcome = current.order.outcome(state["change"])
                if outcome is None:
                    if not write:
                        raise _NotInLog(state["change"])
                    requests_ = self._settings_requests(current, rows, actor, source, at, state)
                    if requests_ is None:  # no value changes (the winner of a lost race may have saved the same)
                        self._void_saves(current.order, state["lost"])
                        return None, current
                    try:
                        self._batch_update(requests_)
                    except _Retry as e:
                        state["maybe"] = state["maybe"] or e.maybe_applied
                        raise
                    current = self._settings_read(retry=False)
                    outcome = current.order.outcome(state["change"])
                    if outcome is None:
                        raise _Retry("the save is not in the SettingsHistory tab")
                if outcome:
                    return saved_revision(current.order.rows_of(state["change"]), source), current
                state["lost"].append(state["change"])
                state["change"], state["maybe"] = new_change_id(), False
            raise SheetsBusy(BUSY_MESSAGE)

        def settle() -> tuple[int | None, _SettingsView]:
            return _look_again(bool(state["maybe"]), lambda: step(write=False))

        return self._retrying(step, settle=settle)

    def _settings_requests(self, view: _SettingsView, rows: dict[str, str] | None, actor: str, source: str,
                           at: dt.datetime | None, state: dict[str, Any]) -> list[dict[str, Any]] | None:
        """One save's batch (None: no revision to make): the Settings cells that differ from what the save leaves
        (its values, and the values of cells a losing save left), its revision rows, and the void marks of its
        own lost tries."""
        _require(SETTINGS, view.header, SETTINGS_COLUMNS)
        _require(SETTINGS_HISTORY, self._history.header, HISTORY_SHEET_COLUMNS)
        revisions = settings_revisions(view.order.counted(), view.settings, rows, actor, source, at)
        if not revisions:
            return None
        requests_ = self._void_marks_of(view.order, state["lost"])
        after = {**view.settings, **(rows or {})}
        sheet_id = self._sheet_id(SETTINGS)
        i_key, i_value = view.header.index("key"), view.header.index("value")
        written: dict[str, str | None] = {}
        new_rows: list[list[str]] = []
        for key, value in after.items():
            if key not in view.where:
                new_rows.append([{i_key: key, i_value: value}.get(i, "") for i in range(len(view.header))])
                written[key] = value
            for n, held in view.where.get(key, []):
                if held != value:
                    requests_ += _update_runs(sheet_id, n - 1, {i_value: value})
                    written[key] = value
        for key in view.where.keys() - after.keys():  # a key only a losing save added: its rows are cleared
            for n, _ in view.where[key]:
                requests_ += _update_runs(sheet_id, n - 1, {i_key: "", i_value: ""})
            written[key] = None
        if new_rows:
            requests_.append(_append_cells(sheet_id, new_rows))
        ledger = {CHANGE_ID: state["change"], PARENT: view.order.head}
        appended = [{**r, **ledger} for r in revisions]
        appended[-1][WRITTEN] = encode_written(written)
        header = self._history.header
        requests_.append(_append_cells(self._sheet_id(SETTINGS_HISTORY),
                                       [[r.get(c, "") if c in HISTORY_SHEET_COLUMNS else "" for c in header]
                                        for r in appended]))
        return requests_

    def _void_saves(self, order: HistoryOrder, lost: list[str]) -> None:
        """Best effort, on their own: the marks of lost tries when the save has nothing left to write."""
        marks = self._void_marks_of(order, lost)
        if marks:
            try:
                self._batch_update(marks, retry=True)
            except StoreError:
                pass

    def _void_marks_of(self, order: HistoryOrder, lost: list[str]) -> list[dict[str, Any]]:
        """Mark the rows of this save's lost tries for people reading the tab (the rule needs no mark)."""
        header = self._history.header
        out: list[dict[str, Any]] = []
        for change_id in lost:
            for index in order.saves[change_id].rows if change_id in order.saves else []:
                row = order.rows[index]
                if row.get("source", "") == VOID:
                    continue
                note = f"not saved: change {order.head} was saved first ({row.get('changes', '')})"
                out += _update_runs(self._sheet_id(SETTINGS_HISTORY), index + 1,
                                    {header.index("source"): VOID, header.index("changes"): note})
        return out

    # -- sign-in sessions: one read to check, a read and a write to save or purge ---------------------------
    def save_session(self, session: SessionRecord) -> None:
        self._upsert(SESSIONS, "id", [session.to_row()], str.strip)

    def _sessions(self, with_users: bool = False) -> list[tuple[int, Row]]:
        got = self._read([quote(SESSIONS), *([quote(USERS)] if with_users else [])], with_log=False)
        header = _header(got[0][0] if got[0] else [])
        _require(SESSIONS, header, ("id",))
        if with_users:  # a session check reads the Users next: they come with this read (one moment, one call)
            self._users_read = (threading.get_ident(), time.monotonic(), self._users(got[1]))
        return self._rows(header, got[0][1:], 2)

    def get_session(self, session_id: str) -> SessionRecord | None:
        """The Sessions row, in one batchGet with the Users: ``read_users`` right after, in the same thread,
        answers from that read (``sopkit.sessions.check`` reads both: one call instead of two)."""
        with self._lock:
            rows = self._sessions(with_users=True)
        return next((s for _, row in rows if (s := session_from_row(row)) and s.id == session_id), None)

    def purge_sessions(self, before: dt.datetime) -> int:
        """One read, then one batchUpdate deleting the expired rows from the bottom up (row numbers stay valid);
        a retry reads again first (rows may have moved)."""
        def step() -> int:
            rows = self._sessions()
            gone = sorted((n for n, row in rows if _expired(row.get("expires_at", ""), before)), reverse=True)
            if gone:
                sheet_id = self._sheet_id(SESSIONS)
                self._batch_update([{"deleteDimension": {"range": {
                    "sheetId": sheet_id, "dimension": "ROWS", "startIndex": n - 1, "endIndex": n}}} for n in gone])
            return len(gone)

        with self._lock:
            return self._retrying(step)

    # -- sign-in ledger -----------------------------------------------------------------------------------------
    def _signin_ranges(self) -> list[str]:
        return self._tail_ranges(SIGNINS, self._signins)

    def _absorb_signins(self, header_values: list[list[Any]], tail: list[list[Any]]) -> bool:
        return self._absorb_tail(SIGNINS, self._signins, SIGNIN_COLUMNS, _whole_row, header_values, tail)

    def _sync_tail(self, title: str, tail: _Tail) -> None:
        for _ in range(3):
            got = self._batch_get(self._tail_ranges(title, tail))
            if self._absorb_tail(title, tail, sheet_columns(title), _whole_row, got[0], got[1]):
                return
        raise StoreError(f"The {title} tab keeps changing under the app; check that nobody edits it by hand.")

    def _append_signin(self, row: Row) -> None:
        if not self._signins.header:
            self._sync_signins()
        header = self._signins.header
        cells = [[str(row.get(c, "")) for c in header]]
        self._batch_update([_append_cells(self._sheet_id(SIGNINS), cells)])

    def _signin_events(self, email: str) -> list[SignInEvent]:
        out = []
        for row in self._signins.rows:
            if row.get("email", "").strip().lower() != email or not row.get("id"):
                continue
            try:
                at = parse_iso(row.get("at", ""))
            except ValueError:
                continue
            out.append(SignInEvent(row["id"], at, row.get("kind", ""), row.get("attempt", "")))
        return out

    def record_sign_in(self, email: str, at: dt.datetime) -> tuple[str, list[SignInEvent], User | None]:
        email = email.strip().lower()
        attempt = new_change_id()
        sent = {"maybe": False}

        def read() -> tuple[list[SignInEvent], list[list[Any]]]:
            for _ in range(3):
                got = self._batch_get([*self._signin_ranges(), quote(USERS)], retry=False)
                if self._absorb_signins(got[0], got[1]):
                    events = self._signin_events(email)
                    last = max((i for i, e in enumerate(events) if e.kind == "success"), default=0)
                    return events[last:], got[2]  # what counts: since the last success
            raise StoreError("The SignIns tab keeps changing under the app; check that nobody edits it by hand.")

        def step() -> tuple[str, list[SignInEvent], User | None]:
            events, user_values = read()
            if not any(e.id == attempt for e in events):
                if sent["maybe"]:  # an append whose answer was lost did not land: append it now
                    sent["maybe"] = False
                try:
                    self._append_signin({"at": to_iso(at), "email": email, "kind": "attempt", "id": attempt})
                except _Retry as e:
                    sent["maybe"] = e.maybe_applied
                    raise
                events, user_values = read()
            cut = next((i for i, e in enumerate(events) if e.id == attempt), None)
            if cut is None:
                raise _Retry("the attempt is not in the sign-in ledger yet")
            users, _ = self._users(user_values)
            return attempt, events[:cut + 1], next((u for u in users if u.email == email), None)

        with self._lock:
            return self._retrying(step)

    def _sync_signins(self) -> None:
        self._sync_tail(SIGNINS, self._signins)

    def read_sign_ins(self, email: str) -> list[SignInEvent]:
        with self._lock:
            self._sync_signins()
            return self._signin_events(email.strip().lower())

    def record_sign_in_success(self, email: str, attempt: str, at: dt.datetime) -> None:
        row = {"at": to_iso(at), "email": email.strip().lower(), "kind": "success", "attempt": attempt,
               "id": new_change_id()}
        with self._lock:  # appended twice after a lost answer, it still means the same: harmless
            self._retrying(lambda: self._append_signin(row))

    # -- the notification job's tables -------------------------------------------------------------------------
    def read_outbox(self, keys: Collection[str] | None = None) -> list[Row]:
        """One ``values:batchGet``: of the whole tab the first time, then only of the rows appended since."""
        with self._lock:
            self._sync_tail(OUTBOX, self._outbox)
            rows = list(self._outbox.rows)
        wanted = None if keys is None else set(keys)
        return [{c: r.get(c, "") for c in OUTBOX_COLUMNS} for r in rows
                if r.get("key") and (wanted is None or r["key"] in wanted)]

    def append_outbox(self, rows: Sequence[Row]) -> None:
        """One ``appendCells`` (after the last row holding a value). Retried even when its answer was lost: a
        repeated Outbox row changes nothing (``sopkit.notify.outbox``)."""
        if not rows:
            return
        with self._lock:
            if not self._outbox.header:
                self._sync_tail(OUTBOX, self._outbox)
            header = self._outbox.header
            cells = [[str(r.get(c, "") or "") if c in OUTBOX_COLUMNS else "" for c in header] for r in rows]
            self._retrying(lambda: self._batch_update([_append_cells(self._sheet_id(OUTBOX), cells)]))

    def read_preferences(self) -> list[Row]:
        with self._lock:
            (values,) = self._read([quote(PREFERENCES)], with_log=False)
        header = _header(values[0] if values else [])
        return [{c: row.get(c, "") for c in PREFERENCE_COLUMNS} for _, row in self._rows(header, values[1:], 2)
                if row.get("email", "").strip()]

    def save_preference(self, row: Row) -> None:
        if not str(row.get("email", "")).strip():
            raise StoreError("A preferences row needs an email.")
        clean = {c: str(row.get(c, "") or "") for c in PREFERENCE_COLUMNS}
        clean["email"] = clean["email"].strip().lower()
        self._upsert(PREFERENCES, "email", [clean], lambda v: v.strip().lower())

    # -- init -----------------------------------------------------------------------------------------------
    def init(self) -> None:
        """Create or repair the tabs: header rows (missing columns appended at the end, others kept), a frozen
        header, dropdowns for status/step, warning-only protection of machine-owned columns. Two reads; a second
        run writes nothing."""
        with self._lock:
            meta = self._call(lambda: self._http.fetch_sheet_metadata(self._key))
            self._props.update(meta.get("properties", {}))
            tabs = {s["properties"]["title"]: s for s in meta.get("sheets", [])}
            self._sheet_ids = {t: s["properties"]["sheetId"] for t, s in tabs.items()}
            self._guessing = False
            used_ids = {s["properties"]["sheetId"] for s in tabs.values()}
            present = [t for t in TABLES if t in tabs]
            got = self._batch_get([f"{quote(t)}!1:1" for t in present]) if present else []
            headers = {t: _header(v[0] if v else []) for t, v in zip(present, got, strict=True)}
            structure: list[dict[str, Any]] = []
            values: list[dict[str, Any]] = []
            for title in TABLES:
                columns = sheet_columns(title)
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
                for column in HIDDEN_COLUMNS.get(title, ()):  # machine columns nobody needs to see: hidden
                    if column in missing:
                        i = final.index(column)
                        structure.append({"updateDimensionProperties": {
                            "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": i,
                                      "endIndex": i + 1},
                            "properties": {"hiddenByUser": True}, "fields": "hiddenByUser"}})
                self._headers[title] = final
            self._log_header = self._headers[LOG]
            if structure:  # addSheet/appendDimension come first in their own list order
                structure.sort(key=lambda r: 0 if ("addSheet" in r or "appendDimension" in r) else 1)
                self._call(lambda: self._http.batch_update(self._key, {"requests": structure}))
            if values:
                self._call(lambda: self._http.values_batch_update(self._key, {"valueInputOption": "RAW",
                                                                              "data": values}))
            self._ledger = Ledger()  # headers may have grown: the next read starts from the top
            self._history, self._history_missing, self._settings_last = _Tail([], []), False, None


# -- helpers --------------------------------------------------------------------------------------------------
def _header(cells: list[Any]) -> list[str]:
    header = ["" if c is None else str(c).strip() for c in cells]
    while header and not header[-1]:
        header.pop()
    return header


def _whole_row(row: Row) -> Row:
    return row


def _history_key(row: Row) -> tuple[str, ...]:
    """What never changes in a SettingsHistory row (a lost save's ``source`` and ``changes`` get a void mark)."""
    return tuple(str(row.get(c, "") or "") for c in ("rev", "at", "settings", CHANGE_ID))


def _log_key(row: Row) -> tuple[str, ...]:
    return tuple(str(row.get(c, "") or "") for c in ("at", "item_id", "action", "actor", "change_id"))


def sheet_columns(title: str) -> tuple[str, ...]:
    """The columns of the tab ``title``: the table's own, then the sheet's extra ones."""
    return (*TABLES[title].columns, *HIDDEN_COLUMNS.get(title, ()))


def _require(title: str, header: list[str], columns: Iterable[str]) -> None:
    missing = sorted({c for c in columns if c not in header})
    if missing:
        raise StoreError(f"The {title} tab of the Google Sheet has no column {', '.join(missing)} (header row 1). "
                         "Nothing was saved; run `python -m sopkit init` to repair the headers.")


def _expired(text: str, before: dt.datetime) -> bool:
    try:
        return parse_iso(text) < before
    except ValueError:
        return True


def _new_sheet_id(title: str, used: set[int]) -> int:
    candidate = zlib.crc32(title.encode()) & 0x7FFFFFFF
    while candidate in used or candidate == 0:
        candidate = (candidate + 1) & 0x7FFFFFFF
    return candidate


def _protections(title: str, sheet_id: int, header: list[str], existing: set[str]) -> list[dict[str, Any]]:
    """addProtectedRange (warning only) for machine-owned columns not yet protected, plus the status/step
    dropdowns the first time the Register's id column is protected (a marker: init adds both together)."""
    out: list[dict[str, Any]] = []
    table = TABLES[title]
    if table.app_only:
        description = f"{PROTECT_PREFIX}{title} is written by the app"
        if description not in existing:
            out.append({"addProtectedRange": {"protectedRange": {
                "range": {"sheetId": sheet_id}, "description": description, "warningOnly": True}}})
        return out
    for column in table.machine:
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


def _missing_tab(error: StoreError) -> bool:
    """The error was Google's 400 "Unable to parse range": the tab a read named does not exist."""
    cause = error.__cause__
    if not isinstance(cause, gspread.exceptions.APIError) or cause.response.status_code != 400:
        return False
    message = cause.error.get("message", "") if isinstance(cause.error, dict) else str(cause)
    return "Unable to parse range" in str(message)


def _api_error(e: gspread.exceptions.APIError) -> StoreError:
    status = e.response.status_code
    message = str(e.error.get("message", "")) if isinstance(e.error, dict) else str(e)
    if status == 400 and "Unable to parse range" in message:
        return StoreError("The Google Sheet is missing a worksheet (Register, Log, Users, Settings, SignIns, "
                          "Sessions or SettingsHistory). Nothing was saved; run `python -m sopkit init` to create it.")
    if status in (401, 403):
        return StoreError("The app's service account may not open this Google Sheet: share the sheet with the "
                          "service account's email as an Editor.")
    if status == 404:
        return StoreError("The Google Sheet was not found: check register.url (gsheets://KEY).")
    return StoreError(f"Google Sheets refused the request (HTTP {status}: {message}). Nothing was saved.")


def open_url(url: str, context: StoreContext) -> GSheetsStore:
    """``gsheets://KEY`` or the sheet's address (``https://docs.google.com/spreadsheets/d/KEY/edit``), with
    service-account credentials from the ``[gcp_service_account]`` secrets section or the file named by
    ``GOOGLE_APPLICATION_CREDENTIALS``."""
    import os

    text = url.strip()
    parts = urlsplit(text)
    if "/spreadsheets/d/" in text:
        try:
            key = gspread.utils.extract_id_from_url(text)
        except gspread.exceptions.NoValidUrlKeyFound:
            key = ""
    else:
        key = parts.netloc if parts.path in ("", "/") else ""
    if not key:
        raise StoreError(f"The store URL {text!r} names no Google Sheet: write gsheets://KEY (the key is the part "
                         "after /d/ in the sheet's address) or paste the sheet's address.")
    info = context.section("gcp_service_account")
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
    return GSheetsStore(client, key, **dict(context.options))


_T = TypeVar("_T")


def _look_again(maybe_applied: bool, look: Callable[[], _T]) -> _T:
    """The tries ran out. Nothing was sent that could have been applied: busy, nothing saved. A write that may have
    been applied: look for it once more without writing (``look``): found → its outcome; not in the Log → busy,
    nothing saved; the look failed too → unconfirmed (a person checks)."""
    if not maybe_applied:
        raise SheetsBusy(BUSY_MESSAGE)
    try:
        return look()
    except _NotInLog as e:
        raise SheetsBusy(BUSY_MESSAGE) from e
    except _Retry as e:
        raise Unconfirmed(UNCONFIRMED_MESSAGE) from e

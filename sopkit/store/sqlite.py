"""The embedded default store: one SQLite file (stdlib, WAL), tables shaped like the Google Sheet's worksheets.

A commit is one ``BEGIN IMMEDIATE`` transaction: it takes the database's write lock before reading, so the checks
(the item still equals what the caller read, the actor is still active with the role, the change is not already
in the Log) and the writes are one step for every process on the host. The Log rows carry the same ``change_id``
and ``base_rev`` as on Google Sheets; there are never losing rows, since no two commits interleave.
``commit_many`` is one such transaction for the whole batch, each change under a savepoint of its own (a refused
change leaves nothing behind, the others are saved).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from .. import sop
from ..schema import (
    OUTBOX_COLUMNS,
    PREFERENCE_COLUMNS,
    REGISTER_COLUMNS,
    SESSION_COLUMNS,
    SETTINGS_HISTORY_COLUMNS,
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
from ..timeutil import parse_iso, to_iso
from .base import (
    REFUSALS,
    Capabilities,
    Change,
    DuplicateId,
    NotFound,
    Register,
    SignInEvent,
    StoreError,
    StoreSnapshot,
    check_actor,
    check_batch,
    check_unchanged,
    new_change_id,
)
from .columns import ColumnRows, gc_paused
from .registry import StoreContext, local_path
from .settings_history import SETTINGS_HISTORY, saved_revision, settings_revisions
from .tables import TABLES, Table

LOG_TABLE_COLUMNS: tuple[str, ...] = TABLES["Log"].columns
#: Index names of earlier versions, dropped by ``init`` (their columns now get ``<table>_<column>`` indexes).
OLD_INDEXES: tuple[str, ...] = ("log_item", "log_change", "signin_email")


def _ddl(table: Table) -> str:
    cols = ", ".join(f'"{c}" TEXT NOT NULL DEFAULT \'\'' + (" PRIMARY KEY" if c == table.key else "")
                     for c in table.columns)
    return f'CREATE TABLE IF NOT EXISTS "{table.name}" ({cols})'


def _make(c: sqlite3.Connection, table: Table) -> None:
    """Create ``table`` if missing, add the columns a newer version added (``ALTER TABLE ADD COLUMN``, empty text
    in the rows already there) and its indexes."""
    c.execute(_ddl(table))
    have = {r[1] for r in c.execute(f'PRAGMA table_info("{table.name}")')}
    for column in table.columns:  # a store made by an older version: add the new columns
        if column not in have:
            c.execute(f'ALTER TABLE "{table.name}" ADD COLUMN "{column}" TEXT NOT NULL DEFAULT \'\'')
    for column in table.indexed:
        c.execute(f'CREATE INDEX IF NOT EXISTS "{table.name.lower()}_{column}" ON "{table.name}" ("{column}")')


class SQLiteStore:
    capabilities = Capabilities()  # nobody edits the file by hand; reads cost nothing but time

    def __init__(self, path: str | Path, procedure: sop.Procedure = sop.AGENCY):
        self.path = Path(path)
        self.procedure = procedure  # the SOP whose steps and statuses the Register's rows hold
        self._local = threading.local()

    # -- connection -----------------------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the write lock at once, so a rev check and its write are atomic."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- contract -------------------------------------------------------------------------------------------
    def init(self) -> None:
        """Create the missing tables and add the columns a newer version added (``ALTER TABLE ADD COLUMN``,
        empty text in the rows already there; a key column cannot be added that way, and no version adds one).
        A second run changes nothing."""
        with self._tx() as c:
            for table in TABLES.values():
                _make(c, table)
            for name in OLD_INDEXES:
                c.execute(f'DROP INDEX IF EXISTS "{name}"')

    @staticmethod
    def _notify_tables(c: sqlite3.Connection) -> None:
        """The notification job's tables; also made on first use, so a store from before them keeps working
        until its next ``init``."""
        for name in ("Outbox", "Preferences"):
            _make(c, TABLES[name])

    def _require_tables(self) -> None:
        row = self._conn().execute(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='Register'"
        ).fetchone()
        if not row[0]:
            raise StoreError(f"The store at {self.path} is not initialised: run `python -m sopkit init`.")

    def read_register(self) -> Register:
        self._require_tables()
        cur = self._conn().execute('SELECT * FROM "Register" ORDER BY rowid')
        cur.row_factory = None
        rows = cur.fetchall()
        return Register.from_tuples(tuple(d[0] for d in cur.description), rows, procedure=self.procedure)

    def get_item(self, item_id: str) -> Item:
        self._require_tables()
        row = self._conn().execute('SELECT * FROM "Register" WHERE id = ?', (item_id,)).fetchone()
        if row is None:
            raise NotFound(f"No item with id {item_id}.")
        item, problems = item_from_row(dict(row), procedure=self.procedure)
        if item is None:
            raise StoreError(f"Item {item_id} cannot be read: " + "; ".join(p.reason for p in problems))
        return item

    def commit(self, change: Change) -> Item:
        check_batch([change])
        with self._tx() as c:
            return self._apply(c, change)

    def commit_many(self, changes: Sequence[Change]) -> list[Item | StoreError]:
        """One ``BEGIN IMMEDIATE`` transaction for the whole batch; each change under a savepoint of its own, so a
        refused one leaves nothing behind and the others are still saved."""
        changes = list(changes)
        check_batch(changes)
        out: list[Item | StoreError] = []
        if not changes:
            return out
        with self._tx() as c:
            for change in changes:
                c.execute("SAVEPOINT one_change")
                try:
                    out.append(self._apply(c, change))
                except REFUSALS as e:
                    c.execute("ROLLBACK TO one_change")
                    out.append(e)
                c.execute("RELEASE one_change")
        return out

    def _apply(self, c: sqlite3.Connection, change: Change) -> Item:
        """One change inside the caller's write transaction: every check, then its writes."""
        if c.execute('SELECT 1 FROM "Log" WHERE change_id = ? LIMIT 1', (change.change_id,)).fetchone():
            row = c.execute('SELECT * FROM "Register" WHERE id = ?', (change.item_id,)).fetchone()
            if row is not None:  # this very change is already in (a retried call): the same answer again
                return _item(dict(row), self.procedure)
        if change.actor is not None:
            actor = c.execute('SELECT * FROM "Users" WHERE email = ?', (change.actor.strip().lower(),)).fetchone()
            check_actor(change, user_from_row(dict(actor))[0] if actor is not None else None)
        current = c.execute('SELECT * FROM "Register" WHERE id = ?', (change.item_id,)).fetchone()
        updates = {**change.updates, "change_id": change.change_id}
        if change.expected_rev is None:
            if current is not None:
                raise DuplicateId(f"An item with id {change.item_id} already exists.")
            updates.update(id=change.item_id, rev="1")
            cols = ", ".join(f'"{k}"' for k in updates)
            c.execute(f'INSERT INTO "Register" ({cols}) VALUES ({", ".join("?" * len(updates))})',
                      list(updates.values()))
        else:
            check_unchanged(change, dict(current) if current is not None else None, procedure=self.procedure)
            updates["rev"] = str(change.expected_rev + 1)
            sets = ", ".join(f'"{k}" = ?' for k in updates)
            c.execute(f'UPDATE "Register" SET {sets} WHERE id = ?', [*updates.values(), change.item_id])
        ledger = {"change_id": change.change_id, "base_rev": str(change.expected_rev or 0)}
        c.executemany(
            f'INSERT INTO "Log" ({", ".join(LOG_TABLE_COLUMNS)}) '
            f'VALUES ({", ".join("?" * len(LOG_TABLE_COLUMNS))})',
            [[{**r.to_row(), **ledger}[k] for k in LOG_TABLE_COLUMNS] for r in change.log],
        )
        row = c.execute('SELECT * FROM "Register" WHERE id = ?', (change.item_id,)).fetchone()
        return _item(dict(row), self.procedure)

    def read_log(self, item_id: str | None = None, *, cached: bool = False) -> ColumnRows:
        """As columns (no dict per row: 360k of them were most of a 50k-item snapshot's read), seen as dict rows."""
        self._require_tables()
        return _read_log(self._conn(), item_id)

    def read_snapshot(self, *, with_log: bool = True, record_hand_edits: bool = False,
                      with_sessions: bool = True) -> StoreSnapshot:
        """Every table as of one moment: one read transaction (and a write transaction after it only when a hand
        edit of the Settings is to be recorded)."""
        self._require_tables()
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            with gc_paused():
                register = self.read_register()
                log: Sequence[Row] = self.read_log() if with_log else []
            users, problems = self.read_users()
            settings = self.read_settings()
            history = self.read_settings_history() if with_log or record_hand_edits else []
            sessions = self._sessions() if with_sessions else ()
        finally:
            conn.execute("COMMIT")
        if record_hand_edits and settings_revisions(history, settings, None, "", ""):
            settings, history = self.sync_settings_history()
        return StoreSnapshot(register, log, tuple(users), tuple(problems), settings, tuple(history), sessions)

    def _sessions(self) -> tuple[SessionRecord, ...]:
        try:
            rows = self._conn().execute('SELECT * FROM "Sessions" ORDER BY rowid').fetchall()
        except sqlite3.OperationalError:  # no Sessions table yet (a store made before it existed): nobody
            return ()
        return tuple(s for r in rows if (s := session_from_row(dict(r))) is not None)

    def record_sign_in(self, email: str, at: dt.datetime) -> tuple[str, list[SignInEvent], User | None]:
        email = email.strip().lower()
        attempt = new_change_id()
        with self._tx() as c:
            c.execute('INSERT INTO "SignIns" (at, email, kind, attempt, id) VALUES (?, ?, \'attempt\', \'\', ?)',
                      (to_iso(at), email, attempt))
            rows = c.execute(  # what counts: the events since the address's last success
                'SELECT id, at, kind, attempt FROM "SignIns" WHERE email = ? AND rowid >= COALESCE('
                '(SELECT max(rowid) FROM "SignIns" WHERE email = ? AND kind = \'success\'), 0) ORDER BY rowid',
                (email, email)).fetchall()
            user_row = c.execute('SELECT * FROM "Users" WHERE email = ?', (email,)).fetchone()
        user = user_from_row(dict(user_row))[0] if user_row is not None else None
        return attempt, _events(rows), user

    def read_sign_ins(self, email: str) -> list[SignInEvent]:
        self._require_tables()
        rows = self._conn().execute('SELECT id, at, kind, attempt FROM "SignIns" WHERE email = ? ORDER BY rowid',
                                    (email.strip().lower(),)).fetchall()
        return _events(rows)

    def record_sign_in_success(self, email: str, attempt: str, at: dt.datetime) -> None:
        with self._tx() as c:
            c.execute('INSERT INTO "SignIns" (at, email, kind, attempt, id) VALUES (?, ?, \'success\', ?, ?)',
                      (to_iso(at), email.strip().lower(), attempt, new_change_id()))

    def read_users(self) -> tuple[list[User], list[RowProblem]]:
        self._require_tables()
        users, problems = [], []
        for n, row in enumerate(self._conn().execute('SELECT * FROM "Users" ORDER BY rowid'), start=2):
            user, found = user_from_row(dict(row), n)
            problems += found
            if user:
                users.append(user)
        return users, problems

    def save_user(self, user: User) -> None:
        row = user.to_row()
        with self._tx() as c:
            cols = ", ".join(f'"{k}"' for k in USER_COLUMNS)
            c.execute(
                f'INSERT INTO "Users" ({cols}) VALUES ({", ".join("?" * len(USER_COLUMNS))}) '
                f'ON CONFLICT(email) DO UPDATE SET '
                + ", ".join(f'"{k}" = excluded."{k}"' for k in USER_COLUMNS if k != "email"),
                [row[k] for k in USER_COLUMNS],
            )

    def read_settings(self) -> dict[str, str]:
        self._require_tables()
        return {r["key"]: r["value"] for r in self._conn().execute('SELECT key, value FROM "Settings"')}

    def save_settings(self, rows: dict[str, str], actor: str = "", source: str = "admin",
                      at: dt.datetime | None = None) -> int | None:
        with self._tx() as c:
            revisions = self._revisions(c, rows, actor, source, at)
            c.executemany(
                'INSERT INTO "Settings" (key, value) VALUES (?, ?) '
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [(k, str(v)) for k, v in rows.items()],
            )
        return saved_revision(revisions, source)

    def read_settings_history(self) -> list[Row]:
        self._require_tables()
        if not self._has_history():
            return []
        return _dicts(self._conn().execute(f'SELECT * FROM "{SETTINGS_HISTORY}" ORDER BY rowid'))

    def sync_settings_history(self, at: dt.datetime | None = None, *,
                              cached: bool = False) -> tuple[dict[str, str], list[Row]]:
        self._require_tables()
        with self._tx() as c:
            self._revisions(c, None, "", "", at)
            current = {r[0]: r[1] for r in c.execute('SELECT key, value FROM "Settings"')}
            history = _dicts(c.execute(f'SELECT * FROM "{SETTINGS_HISTORY}" ORDER BY rowid'))
        return current, history

    def _has_history(self) -> bool:
        row = self._conn().execute("SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?",
                                   (SETTINGS_HISTORY,)).fetchone()
        return bool(row[0])

    def _revisions(self, c: sqlite3.Connection, rows: dict[str, str] | None, actor: str, source: str,
                   at: dt.datetime | None) -> list[Row]:
        """Inside the caller's write transaction: append the revision(s) ``rows`` make (see settings_revisions)."""
        c.execute(_ddl(TABLES[SETTINGS_HISTORY]))  # a file made before there was a history
        current = {r[0]: r[1] for r in c.execute('SELECT key, value FROM "Settings"')}
        history = _dicts(c.execute(f'SELECT * FROM "{SETTINGS_HISTORY}" ORDER BY rowid'))
        revisions = settings_revisions(history, current, rows, actor, source, at)
        cols = ", ".join(f'"{k}"' for k in SETTINGS_HISTORY_COLUMNS)
        marks = ", ".join("?" * len(SETTINGS_HISTORY_COLUMNS))
        c.executemany(f'INSERT INTO "{SETTINGS_HISTORY}" ({cols}) VALUES ({marks})',
                      [[r[k] for k in SETTINGS_HISTORY_COLUMNS] for r in revisions])
        return revisions

    def import_rows(self, register: list[Row], log: list[Row]) -> None:
        with self._tx() as c:
            for row in register:
                if c.execute('SELECT 1 FROM "Register" WHERE id = ?', (row.get("id", ""),)).fetchone():
                    raise DuplicateId(f"An item with id {row.get('id')} already exists; nothing was imported.")
                cols = [k for k in REGISTER_COLUMNS if k in row]
                c.execute(
                    f'INSERT INTO "Register" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})',
                    [str(row[k]) for k in cols],
                )
            c.executemany(
                f'INSERT INTO "Log" ({", ".join(LOG_TABLE_COLUMNS)}) '
                f'VALUES ({", ".join("?" * len(LOG_TABLE_COLUMNS))})',
                [[str(r.get(k, "") or "") for k in LOG_TABLE_COLUMNS] for r in log],
            )

    # -- sign-in sessions: the table is created on first use too, so a store made before it existed just works --
    def save_session(self, session: SessionRecord) -> None:
        row = session.to_row()
        with self._tx() as c:
            c.execute(_ddl(TABLES["Sessions"]))
            c.execute(f'INSERT OR REPLACE INTO "Sessions" ({", ".join(SESSION_COLUMNS)}) '
                      f'VALUES ({", ".join("?" * len(SESSION_COLUMNS))})', [row[k] for k in SESSION_COLUMNS])

    def get_session(self, session_id: str) -> SessionRecord | None:
        try:
            row = self._conn().execute('SELECT * FROM "Sessions" WHERE id = ?', (session_id,)).fetchone()
        except sqlite3.OperationalError:  # no Sessions table yet: nobody has signed in
            return None
        return session_from_row(dict(row)) if row is not None else None

    def purge_sessions(self, before: dt.datetime) -> int:
        with self._tx() as c:
            c.execute(_ddl(TABLES["Sessions"]))
            gone = [r[0] for r in c.execute('SELECT id, expires_at FROM "Sessions"') if _expired(r[1], before)]
            c.executemany('DELETE FROM "Sessions" WHERE id = ?', [(i,) for i in gone])
        return len(gone)

    # -- the notification job's tables --------------------------------------------------------------------------
    def _notify_conn(self) -> sqlite3.Connection:
        if not getattr(self._local, "notify_ready", False):
            with self._tx() as c:
                self._notify_tables(c)
            self._local.notify_ready = True
        return self._conn()

    def read_outbox(self, keys: Collection[str] | None = None) -> list[Row]:
        """In append order (rowid). ``keys``: only theirs, read in chunks under SQLite's parameter limit."""
        conn = self._notify_conn()
        if keys is None:
            return _dicts(conn.execute('SELECT * FROM "Outbox" ORDER BY rowid'))
        wanted = sorted(set(keys))
        found: list[tuple[int, Row]] = []
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            cur = conn.execute(f'SELECT rowid AS _n, * FROM "Outbox" WHERE key IN ({", ".join("?" * len(chunk))})',
                               chunk)
            found += [(int(r.pop("_n")), r) for r in _dicts(cur)]
        return [r for _, r in sorted(found, key=lambda pair: pair[0])]

    def append_outbox(self, rows: Sequence[Row]) -> None:
        if not rows:
            return
        self._notify_conn()
        cols = ", ".join(f'"{c}"' for c in OUTBOX_COLUMNS)
        with self._tx() as c:
            c.executemany(f'INSERT INTO "Outbox" ({cols}) VALUES ({", ".join("?" * len(OUTBOX_COLUMNS))})',
                          [[str(r.get(k, "") or "") for k in OUTBOX_COLUMNS] for r in rows])

    def read_preferences(self) -> list[Row]:
        return _dicts(self._notify_conn().execute('SELECT * FROM "Preferences" ORDER BY rowid'))

    def save_preference(self, row: Row) -> None:
        email = str(row.get("email", "")).strip().lower()
        if not email:
            raise StoreError("A preferences row needs an email.")
        self._notify_conn()
        values = {**{k: str(row.get(k, "") or "") for k in PREFERENCE_COLUMNS}, "email": email}
        cols = ", ".join(f'"{k}"' for k in PREFERENCE_COLUMNS)
        with self._tx() as c:
            c.execute(f'INSERT INTO "Preferences" ({cols}) VALUES ({", ".join("?" * len(PREFERENCE_COLUMNS))}) '
                      'ON CONFLICT(email) DO UPDATE SET '
                      + ", ".join(f'"{k}" = excluded."{k}"' for k in PREFERENCE_COLUMNS if k != "email"),
                      [values[k] for k in PREFERENCE_COLUMNS])


def exists(url: str, context: StoreContext) -> bool:
    """Whether the file is there (``registry.exists``: a report need not create a store to find none)."""
    return local_path(url, context.root).exists()


def open_url(url: str, context: StoreContext) -> SQLiteStore:
    """``sqlite:///data/sopkit.db`` (relative to the project) or ``sqlite:////srv/sopkit/sopkit.db``."""
    return SQLiteStore(local_path(url, context.root))


def _read_log(c: sqlite3.Connection, item_id: str | None = None) -> ColumnRows:
    """The Log (or one item's rows) on connection ``c``, in rowid order: the whole of it as Arrow columns."""
    cols = ", ".join(f'"{name}"' for name in LOG_TABLE_COLUMNS)
    if item_id is None:
        whole = _read_columns(c, "Log", LOG_TABLE_COLUMNS)
        if whole is not None:
            return whole
        cur = c.execute(f'SELECT {cols} FROM "Log" ORDER BY rowid')
    else:
        cur = c.execute(f'SELECT {cols} FROM "Log" WHERE item_id = ? ORDER BY rowid', (item_id,))
    cur.row_factory = None
    return ColumnRows.from_tuples(LOG_TABLE_COLUMNS, cur.fetchall())


#: Between a column's cells in :func:`_read_columns`: the ASCII unit separator, which no cell the desk writes holds.
_UNIT = "\x1f"


def _read_columns(c: sqlite3.Connection, table: str, columns: Sequence[str]) -> ColumnRows | None:
    """A whole table as Arrow text columns in rowid order, without a Python string per cell; None when it cannot
    be read that way (the caller then reads rows as usual).

    Why: over a 50k-item store the Log is ~360k rows × 10 cells; SQLite scans them in ~0.2 s, but a tuple per row
    and a ``str`` per cell, then an Arrow column from those strings, cost ~2 s more. Here SQLite joins each column
    into one string (``group_concat`` with a separator, in one scan: ``NOT INDEXED`` keeps it a scan of the table
    in rowid order, never of an index), and Arrow splits it in C. A NULL cell (a hand-made table) is counted in
    the same scan and a cell holding the separator makes a column split into more cells than rows: the table is
    then refused; so is a table too large for one SQLite string. (The tables' TEXT columns store a number as its
    text, so every other cell reads as the text a cursor gives.)"""
    joined = ", ".join(f'group_concat("{name}", char(31)), count("{name}")' for name in columns)
    try:
        row = c.execute(f'SELECT count(*), {joined} FROM "{table}" NOT INDEXED').fetchone()
    except (sqlite3.DataError, sqlite3.OperationalError):  # "string or blob too big", a column missing
        return None
    n, texts, counts = row[0], row[1::2], row[2::2]
    if n == 0:
        return ColumnRows(columns, [[] for _ in columns])
    if any(count != n for count in counts):
        return None
    cells = [pc.split_pattern(pa.array([text], pa.large_string()), _UNIT).values for text in texts]
    if any(len(column) != n for column in cells):
        return None
    return ColumnRows(columns, cells)


def _expired(text: str, before: dt.datetime) -> bool:
    try:
        return parse_iso(text) < before
    except ValueError:
        return True


def _dicts(cur: sqlite3.Cursor) -> list[Row]:
    """All rows of a query as dicts; building them from plain tuples is ~3x faster than via sqlite3.Row."""
    cur.row_factory = None
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur]


def _events(rows: list[sqlite3.Row]) -> list[SignInEvent]:
    return [SignInEvent(r["id"], parse_iso(r["at"]), r["kind"], r["attempt"]) for r in rows]


def _item(row: Row, procedure: sop.Procedure) -> Item:
    item, problems = item_from_row(row, procedure=procedure)
    if item is None:
        raise StoreError(f"Item {row.get('id')} cannot be read: " + "; ".join(p.reason for p in problems))
    return item

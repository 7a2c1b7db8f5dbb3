"""The embedded default store: one SQLite file (stdlib, WAL), tables shaped like the Google Sheet's worksheets."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..schema import (
    LOG_COLUMNS,
    REGISTER_COLUMNS,
    SESSION_COLUMNS,
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


def _ddl(table: str, columns: tuple[str, ...], key: str | None) -> str:
    cols = ", ".join(f'"{c}" TEXT NOT NULL DEFAULT \'\'' + (" PRIMARY KEY" if c == key else "") for c in columns)
    return f'CREATE TABLE IF NOT EXISTS "{table}" ({cols})'


class SQLiteStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
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
        with self._tx() as c:
            c.execute(_ddl("Register", REGISTER_COLUMNS, "id"))
            c.execute(_ddl("Log", LOG_COLUMNS, None))
            c.execute(_ddl("Users", USER_COLUMNS, "email"))
            c.execute(_ddl("Settings", ("key", "value"), "key"))
            c.execute('CREATE INDEX IF NOT EXISTS log_item ON "Log" (item_id)')
            c.execute(_SESSIONS_DDL)

    def _require_tables(self) -> None:
        row = self._conn().execute(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='Register'"
        ).fetchone()
        if not row[0]:
            raise StoreError(f"The store at {self.path} is not initialised: run `python -m sopkit init`.")

    def read_register(self) -> Register:
        self._require_tables()
        rows = _dicts(self._conn().execute('SELECT * FROM "Register" ORDER BY rowid'))
        return Register.from_rows(rows)

    def get_item(self, item_id: str) -> Item:
        self._require_tables()
        row = self._conn().execute('SELECT * FROM "Register" WHERE id = ?', (item_id,)).fetchone()
        if row is None:
            raise NotFound(f"No item with id {item_id}.")
        item, problems = item_from_row(dict(row))
        if item is None:
            raise StoreError(f"Item {item_id} cannot be read: " + "; ".join(p.reason for p in problems))
        return item

    def commit(self, change: Change) -> Item:
        bad = set(change.updates) - set(REGISTER_COLUMNS)
        if bad:
            raise StoreError(f"unknown Register column(s): {', '.join(sorted(bad))}")
        with self._tx() as c:
            current = c.execute('SELECT rev FROM "Register" WHERE id = ?', (change.item_id,)).fetchone()
            updates = dict(change.updates)
            if change.expected_rev is None:
                if current is not None:
                    raise DuplicateId(f"An item with id {change.item_id} already exists.")
                updates.update(id=change.item_id, rev="1")
                cols = ", ".join(f'"{k}"' for k in updates)
                c.execute(f'INSERT INTO "Register" ({cols}) VALUES ({", ".join("?" * len(updates))})',
                          list(updates.values()))
            else:
                if current is None:
                    raise StaleWrite(change.item_id, change.expected_rev, None)
                actual = _int(current["rev"])
                if actual != change.expected_rev:
                    raise StaleWrite(change.item_id, change.expected_rev, actual)
                updates["rev"] = str(change.expected_rev + 1)
                sets = ", ".join(f'"{k}" = ?' for k in updates)
                c.execute(f'UPDATE "Register" SET {sets} WHERE id = ?', [*updates.values(), change.item_id])
            if change.log:
                c.executemany(
                    f'INSERT INTO "Log" ({", ".join(LOG_COLUMNS)}) VALUES ({", ".join("?" * len(LOG_COLUMNS))})',
                    [[r.to_row()[k] for k in LOG_COLUMNS] for r in change.log],
                )
        return self.get_item(change.item_id)

    def read_log(self, item_id: str | None = None) -> list[Row]:
        self._require_tables()
        if item_id is None:
            cur = self._conn().execute('SELECT * FROM "Log" ORDER BY rowid')
        else:
            cur = self._conn().execute('SELECT * FROM "Log" WHERE item_id = ? ORDER BY rowid', (item_id,))
        return _dicts(cur)

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

    def save_settings(self, rows: dict[str, str]) -> None:
        with self._tx() as c:
            c.executemany(
                'INSERT INTO "Settings" (key, value) VALUES (?, ?) '
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [(k, str(v)) for k, v in rows.items()],
            )

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
                f'INSERT INTO "Log" ({", ".join(LOG_COLUMNS)}) VALUES ({", ".join("?" * len(LOG_COLUMNS))})',
                [[str(r.get(k, "") or "") for k in LOG_COLUMNS] for r in log],
            )

    # -- sign-in sessions: the table is created on first use too, so a store made before it existed just works --
    def save_session(self, session: SessionRecord) -> None:
        row = session.to_row()
        with self._tx() as c:
            c.execute(_SESSIONS_DDL)
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
            c.execute(_SESSIONS_DDL)
            gone = [r[0] for r in c.execute('SELECT id, expires_at FROM "Sessions"') if _expired(r[1], before)]
            c.executemany('DELETE FROM "Sessions" WHERE id = ?', [(i,) for i in gone])
        return len(gone)


_SESSIONS_DDL = _ddl("Sessions", SESSION_COLUMNS, "id")


def _expired(text: str, before: dt.datetime) -> bool:
    try:
        return parse_iso(text) < before
    except ValueError:
        return True


def _dicts(cur: sqlite3.Cursor) -> list[Row]:
    """All rows of a query as dicts; building them from plain tuples is ~3x faster than via sqlite3.Row."""
    cur.row_factory = None  # type: ignore[assignment]
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur]


def _int(text: str) -> int:
    try:
        return int(float(text))
    except (TypeError, ValueError):
        return -1

"""The store contract: what every backend (embedded SQLite, Google Sheets) offers, and its errors.

A workflow action is one :meth:`Store.commit`: check the item's ``rev``, write the changed Register cells with
``rev + 1`` and append the Log rows, all or nothing. SQLite does it in one transaction; the Sheets backend in three
API calls (a batchGet of the id and rev columns, one atomic ``spreadsheets:batchUpdate`` holding the Register
cells and the Log rows, and a read-back of the saved row).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from ..schema import Item, LogRow, Row, RowProblem, SessionRecord, User, item_from_row


class StoreError(Exception):
    """Base of the store's errors: each message is fit to show a user as it is."""


class NotFound(StoreError):
    pass


class StaleWrite(StoreError):
    """Someone changed the item after it was read; nothing was written."""

    def __init__(self, item_id: str, expected: int, actual: int | None):
        who = "deleted" if actual is None else f"changed (now revision {actual}, you read {expected})"
        super().__init__(
            f"Item {item_id} was {who} by someone else since you opened it. Nothing was saved; "
            "reload to see the latest version."
        )
        self.item_id, self.expected, self.actual = item_id, expected, actual


class DuplicateId(StoreError):
    pass


@dataclass(frozen=True)
class Change:
    """One atomic change: Register cells of one item (or a new row) plus the Log rows that record it."""

    item_id: str
    expected_rev: int | None  # None: create a new Register row
    updates: Row  # column -> stored text; only the columns that change
    log: tuple[LogRow, ...] = ()


@dataclass(frozen=True)
class Register:
    """One read of the Register: the usable items and every problem found on the way."""

    items: tuple[Item, ...]
    problems: tuple[RowProblem, ...] = ()
    rows: tuple[Row, ...] = field(default=(), repr=False)  # raw rows as stored, for the admin's editor

    def by_id(self) -> dict[str, Item]:
        return {i.id: i for i in self.items}

    @classmethod
    def from_rows(cls, rows: list[Row], first_row: int = 2) -> Register:
        """Parse stored rows (data row ``first_row`` is the first under the header); a repeated id is a
        problem and only its first row is used."""
        items: list[Item] = []
        problems: list[RowProblem] = []
        seen: dict[str, int] = {}
        for n, row in enumerate(rows, start=first_row):
            item, found = item_from_row(row, n)
            problems += found
            if item is None:
                continue
            if item.id in seen:
                problems.append(RowProblem("Register", n, "id", item.id,
                                           f"duplicate id (first at row {seen[item.id]})"))
                continue
            seen[item.id] = n
            items.append(item)
        return cls(tuple(items), tuple(problems), tuple(rows))


class Store(Protocol):
    def init(self) -> None:
        """Create the tables (idempotent)."""

    def read_register(self) -> Register: ...

    def get_item(self, item_id: str) -> Item:
        """Raises NotFound."""
        ...

    def commit(self, change: Change) -> Item:
        """Apply atomically or not at all; raises StaleWrite, NotFound, DuplicateId."""
        ...

    def read_log(self, item_id: str | None = None) -> list[Row]:
        """Log rows as stored (text), in append order."""
        ...

    def read_users(self) -> tuple[list[User], list[RowProblem]]: ...

    def save_user(self, user: User) -> None: ...

    def read_settings(self) -> dict[str, str]: ...

    def save_settings(self, rows: dict[str, str]) -> None: ...

    def import_rows(self, register: list[Row], log: list[Row]) -> None:
        """Add already-validated rows (CLI import); Register ids must be new."""
        ...

    # -- sign-in sessions (``sopkit.sessions``) -------------------------------------------------------------
    def save_session(self, session: SessionRecord) -> None:
        """Insert or replace the Sessions row with this ``id``."""
        ...

    def get_session(self, session_id: str) -> SessionRecord | None: ...

    def purge_sessions(self, before: dt.datetime) -> int:
        """Delete sessions that expired before ``before`` (and rows whose expiry cannot be read); returns how
        many went."""
        ...

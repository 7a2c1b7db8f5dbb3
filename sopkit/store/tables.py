"""The tables every store keeps, defined once: their names, columns, keys and which of them only the app writes.

Why one catalogue: ``init`` in every backend creates and repairs its tables from :data:`TABLES` (a missing table
is made, the columns a newer version added are appended, the rows and an admin's own columns are kept), and the
contract suite checks every table in it on every backend. So a new table (a settings history, a notification
outbox) is one :class:`Table` line here plus the store methods that read and write it; the backends' ``init``,
the Google Sheet's protections and the repair tests follow without a change of their own.

A backend may keep columns of its own beside these (the Google Sheet's Log and SettingsHistory also hold what lets
a losing writer be detected, ``gsheets.HIDDEN_COLUMNS``); it never drops or reorders the ones named here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..schema import (
    LEDGER_COLUMNS,
    LOG_COLUMNS,
    OUTBOX_COLUMNS,
    PREFERENCE_COLUMNS,
    REGISTER_COLUMNS,
    SESSION_COLUMNS,
    SETTINGS_COLUMNS,
    SETTINGS_HISTORY_COLUMNS,
    USER_COLUMNS,
)
from .settings_history import SETTINGS_HISTORY

SIGNIN_COLUMNS: tuple[str, ...] = ("at", "email", "kind", "attempt", "id")


@dataclass(frozen=True)
class Table:
    """One table. ``key``: the column a row is found by (unique; None: rows are appended and found by order).
    ``machine``: columns only the app writes; ``app_only``: the whole table is the app's (on a hand-editable
    backend both are protected with a warning). ``indexed``: columns looked up often (an index where the backend
    has them)."""

    name: str
    columns: tuple[str, ...]
    key: str | None = None
    machine: tuple[str, ...] = ()
    app_only: bool = False
    indexed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for column in (*([self.key] if self.key else []), *self.machine, *self.indexed):
            if column not in self.columns:
                raise ValueError(f"table {self.name}: {column!r} is not one of its columns")


def catalogue(*tables: Table) -> dict[str, Table]:
    """Tables by name, in the order a backend creates them."""
    return {t.name: t for t in tables}


#: Every table, in the order a new store gets them (the tabs of a new Google Sheet appear in this order).
TABLES: dict[str, Table] = catalogue(
    Table("Register", REGISTER_COLUMNS, key="id",
          machine=("id", "rev", "updated_at", "updated_by", "channel_results", "change_id")),
    Table("Log", (*LOG_COLUMNS, *LEDGER_COLUMNS), app_only=True, indexed=("item_id", "change_id")),
    Table("Users", USER_COLUMNS, key="email", machine=("password_hash", "failed_logins", "locked_until")),
    Table("Settings", SETTINGS_COLUMNS, key="key"),
    Table("SignIns", SIGNIN_COLUMNS, app_only=True, indexed=("email",)),
    Table("Sessions", SESSION_COLUMNS, key="id", app_only=True),
    Table(SETTINGS_HISTORY, SETTINGS_HISTORY_COLUMNS, app_only=True),
    # The notification job's: the append-only Outbox (its order decides who sends) and each person's choices.
    Table("Outbox", OUTBOX_COLUMNS, app_only=True, indexed=("key",)),
    Table("Preferences", PREFERENCE_COLUMNS, key="email"),
)

"""The store contract: what every backend (embedded SQLite, Google Sheets) offers, and its errors.

A workflow action is one :meth:`Store.commit` of a :class:`Change`: the changed Register cells of one item and the
Log rows that record them, all or nothing, decided against what the store holds *at that moment*:

* the item must still be exactly what the caller read (``seen``: every field, so a hand edit of the title made
  after the page was drawn refuses the action as surely as another user's change), at ``expected_rev``;
* the acting user (``actor``) must still be an active Users row with ``role`` (a deactivation takes effect on the
  next action, whatever the user's session holds);
* every Log row carries the change's id (``change_id``) and the rev its author read (``base_rev``), so a change
  retried after a lost answer is found instead of written twice, and the Register row names the change whose
  state it holds (its ``change_id`` column).

SQLite does all of it in one ``BEGIN IMMEDIATE`` transaction; the Google Sheets backend, which has no conditional
write, by the protocol described in :mod:`sopkit.store.gsheets` (the order of the Log rows decides who wins).

:meth:`Store.commit_many` makes several such changes, each to a different item, at once (the publish job claims
every due channel of a run in one, and records their results in one): decided and written together (one
transaction; on Google Sheets one read, one atomic write and one verifying read for the whole batch) but with an
**outcome per change**, not all or nothing. Each change is checked as :meth:`Store.commit` checks it; one that is
refused (stale, gone, a duplicate id, an actor no longer allowed) or that loses a race is told so in its own slot
(its Log rows void, its cells put back, exactly as for a lone commit) and never keeps the others from being saved.
Why per change: the batch's items have nothing to do with each other, and a person editing one item must not
stop the job from claiming the rest.

Every error has an i18n ``key``: one message per outcome, in the user's language (``sopkit.i18n``).

A store is opened by its URL (:mod:`sopkit.store.registry`); what the pages need to know about a backend beyond
this contract they ask its :class:`Capabilities`, never its name.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .. import sop
from ..channels import registry
from ..schema import (
    REGISTER_COLUMNS,
    Item,
    LogRow,
    Row,
    RowProblem,
    SessionRecord,
    User,
    item_from_row,
    items_from_tuples,
)
from .columns import ColumnRows


class StoreError(Exception):
    """Base of the store's errors. ``key`` names the message for a person (``sopkit.i18n``); the text is the
    English detail for logs and the CLI."""

    key = "error.store"


class NotFound(StoreError):
    key = "error.not_found"


class StaleWrite(StoreError):
    """Someone (another user, a process, an admin editing the sheet by hand) changed the item after it was read,
    or a concurrent change won; nothing was written. ``current`` is the item as the store holds it now (None when
    it is gone or could not be read), so a page can show it without reading again."""

    key = "error.stale"

    def __init__(self, item_id: str, expected: int | None, actual: int | None, current: Item | None = None,
                 why: str = ""):
        if actual is None:
            what = "deleted"
        elif why:
            what = f"changed ({why})"
        else:
            what = f"changed (now revision {actual}, you read {expected})"
        super().__init__(f"Item {item_id} was {what} by someone else since you opened it. Nothing was saved; "
                         "reload to see the latest version.")
        self.item_id, self.expected, self.actual, self.current = item_id, expected, actual, current


class DuplicateId(StoreError):
    key = "error.duplicate"


class ActorRefused(StoreError):
    """The acting user is no longer active or no longer has the role the action needs; nothing was written."""

    key = "error.actor_refused"


class StoreBusy(StoreError):
    """The backend kept refusing (quota, server errors, timeouts) until the retries ran out; nothing was saved."""

    key = "error.busy"


#: The refusals :meth:`Store.commit_many` reports in a change's own slot (anything else fails the whole batch).
REFUSALS: tuple[type[StoreError], ...] = (StaleWrite, NotFound, DuplicateId, ActorRefused)


class Unconfirmed(StoreError):
    """The change was sent but the backend never confirmed whether it counts (the answers were lost): the user
    must reload to see. Never raised when the store knows the outcome."""

    key = "error.unconfirmed"


def new_change_id() -> str:
    """A change's id: 16 random hex digits (64 bits: no two changes ever share one)."""
    return secrets.token_hex(8)


@dataclass(frozen=True)
class Change:
    """One atomic change: Register cells of one item (or a new row) plus the Log rows that record it.

    ``seen``: the item as the caller read it; the store refuses (StaleWrite) unless the item still equals it.
    ``actor``/``role``: re-checked against the Users table in the same read (None: no check, e.g. the publish job's
    service identity or an import). ``change_id`` identifies the change in the Log; keep the same Change object
    when retrying so a change is never recorded twice.
    """

    item_id: str
    expected_rev: int | None  # None: create a new Register row
    updates: Row  # column -> stored text; only the columns that change
    log: tuple[LogRow, ...] = ()
    seen: Item | None = None
    actor: str | None = None
    role: str | None = None
    change_id: str = field(default_factory=new_change_id)


@dataclass(frozen=True)
class Capabilities:
    """What a backend offers beyond the contract, so that pages and settings ask about a feature, not a name.

    ``hand_editable``: admins edit the tables in the backend's own program (``edit_url``, shown as ``label``), so
    the desk links there instead of offering its own Register editor. ``counts_api_calls``: every read spends a
    per-minute quota shared by the whole desk, so a sign-in is re-checked every few seconds rather than on every
    click (``[session] recheck_seconds``)."""

    hand_editable: bool = False
    edit_url: str = ""
    label: str = ""
    counts_api_calls: bool = False


@dataclass(frozen=True)
class Register:
    """One read of the Register: the usable items and every problem found on the way."""

    items: tuple[Item, ...]
    problems: tuple[RowProblem, ...] = ()
    rows: Sequence[Row] = field(default=(), repr=False)  # raw rows as stored, for the admin's editor

    def by_id(self) -> dict[str, Item]:
        return {i.id: i for i in self.items}

    @classmethod
    def from_rows(cls, rows: list[Row], first_row: int = 2, row_numbers: list[int] | None = None,
                  procedure: sop.Procedure = sop.AGENCY) -> Register:
        """Parse stored rows (data row ``first_row`` is the first under the header, or each row's own number in
        ``row_numbers``; steps and statuses of ``procedure``); a repeated id is a problem and only its first row
        is used."""
        numbers = row_numbers or range(first_row, first_row + len(rows))
        known = registry.names()
        parsed = [item_from_row(row, n, procedure, known) for n, row in zip(numbers, rows, strict=False)]
        return cls._of(parsed, numbers, tuple(rows))

    @classmethod
    def from_tuples(cls, names: tuple[str, ...], rows: list[tuple[Any, ...]], first_row: int = 2,
                    procedure: sop.Procedure = sop.AGENCY) -> Register:
        """:meth:`from_rows` for rows as a database cursor gives them (cells in ``names`` order): parsed column by
        column (``schema.items_from_tuples``), the raw rows kept as columns."""
        numbers = range(first_row, first_row + len(rows))
        parsed = items_from_tuples(names, rows, numbers, procedure, registry.names())
        return cls._of(parsed, numbers, ColumnRows.from_tuples(names, rows))

    @classmethod
    def _of(cls, parsed: list[tuple[Item | None, list[RowProblem]]], numbers: Sequence[int],
            rows: Sequence[Row]) -> Register:
        items: list[Item] = []
        problems: list[RowProblem] = []
        seen: dict[str, int] = {}
        for n, (item, found) in zip(numbers, parsed, strict=False):
            problems += found
            if item is None:
                continue
            if item.id in seen:
                problems.append(RowProblem("Register", n, "id", item.id,
                                           f"duplicate id (first at row {seen[item.id]})"))
                continue
            seen[item.id] = n
            items.append(item)
        return cls(tuple(items), tuple(problems), rows)


@dataclass(frozen=True)
class StoreSnapshot:
    """Everything a page shows, from one read: the Register, the Log (rows as ``read_log`` gives them, in append
    order), the Users, the Settings and their history (as ``read_settings_history`` gives it), and the Sessions (so
    the page's sign-in check needs no read of its own)."""

    register: Register
    log: Sequence[Row]  # as read_log gives them (SQLite: columns, seen as dict rows — sopkit.store.columns)
    users: tuple[User, ...]
    user_problems: tuple[RowProblem, ...]
    settings: dict[str, str]
    settings_history: tuple[Row, ...] = ()
    sessions: tuple[SessionRecord, ...] = ()  # the sign-in sessions (``sopkit.sessions``), read in the same moment


@dataclass(frozen=True)
class SignInEvent:
    """One row of the sign-in ledger of an e-mail address: an ``attempt`` (counted before the password is
    checked) or the ``success`` of one (``attempt`` names it)."""

    id: str
    at: dt.datetime
    kind: str  # "attempt" | "success"
    attempt: str = ""


class Store(Protocol):
    capabilities: Capabilities

    def init(self) -> None:
        """Create the tables, or repair a store an older version made: add every missing table and column,
        keeping the data (and an admin's own columns). Idempotent: a second run changes nothing."""

    def read_register(self) -> Register: ...

    def read_snapshot(self, *, with_log: bool = True, record_hand_edits: bool = False,
                      with_sessions: bool = True) -> StoreSnapshot:
        """Register, Log, Users, Settings, the Settings history and the Sessions as of one moment (one read on
        Google Sheets). ``with_log=False``: neither the Log nor the history (both empty), for a caller that needs
        only the items and the settings in force (the publish job); ``with_sessions=False``: no Sessions (the
        publish job has no sign-ins). ``record_hand_edits``: a Settings table that differs from its last revision
        is recorded as a revision of its own first, as :meth:`sync_settings_history` does (writes only then)."""
        ...

    def get_item(self, item_id: str) -> Item:
        """Raises NotFound."""
        ...

    def commit(self, change: Change) -> Item:
        """Apply atomically or not at all; returns the item as saved. Raises StaleWrite, NotFound, DuplicateId,
        ActorRefused, StoreBusy or Unconfirmed (see the module docstring)."""
        ...

    def commit_many(self, changes: Sequence[Change]) -> list[Item | StoreError]:
        """Several changes, each to a different item, decided and written together; one outcome per change, in
        order: the item as saved, or the refusal (one of ``REFUSALS``) that kept that change out (see the module
        docstring). Raises, with nothing of the batch saved: StoreError for a malformed batch (two changes to one
        item, an unknown column), StoreBusy; or Unconfirmed when the answers were lost."""
        ...

    def read_log(self, item_id: str | None = None, *, cached: bool = False) -> Sequence[Row]:
        """Log rows as stored (text: ``LOG_COLUMNS`` plus ``LEDGER_COLUMNS``), in append order; rows of changes
        that did not count (a losing concurrent write) are never among them. ``cached``: rows this store already
        holds are good enough (after its own commit: no read)."""
        ...

    def read_users(self) -> tuple[list[User], list[RowProblem]]: ...

    def save_user(self, user: User) -> None: ...

    def read_settings(self) -> dict[str, str]:
        """The Settings rows (key → value) as they stand, hand edits included."""
        ...

    def save_settings(self, rows: dict[str, str], actor: str = "", source: str = "admin",
                      at: dt.datetime | None = None) -> int | None:
        """Upsert Settings rows and, in the same atomic write, append the revision they make to the Settings
        history (``sopkit.store.settings_history``). Two saves at once are applied one after the other, each a
        revision of its own with its own number. Returns the new revision number, or None when no value changed.
        Raises StoreBusy or Unconfirmed like :meth:`commit`."""
        ...

    def read_settings_history(self) -> list[Row]:
        """Settings revisions (``SETTINGS_HISTORY_COLUMNS``), in append order; [] before any. Revisions that did
        not count (a losing concurrent save) are never among them."""
        ...

    def sync_settings_history(self, at: dt.datetime | None = None, *,
                              cached: bool = False) -> tuple[dict[str, str], list[Row]]:
        """The Settings rows and their history, after recording an edit made outside the app (a hand edit of the
        Settings tab) as a revision of its own, dated when first seen. One read; a save's write and verifying
        read only then. ``cached``: what this store read last is good enough (right after its own save: no
        read on Google Sheets)."""
        ...

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

    # -- the sign-in ledger (``sopkit.auth``) ------------------------------------------------------------------
    def record_sign_in(self, email: str, at: dt.datetime) -> tuple[str, list[SignInEvent], User | None]:
        """Append one sign-in attempt for ``email`` (any address, known or not) *before* its password is checked,
        atomically with respect to every other attempt, and return its id, the address's events up to and
        including it in append order, and the Users row (None if there is none)."""
        ...

    def record_sign_in_success(self, email: str, attempt: str, at: dt.datetime) -> None:
        """Record that ``attempt`` signed in (it resets the count of failures)."""
        ...

    def read_sign_ins(self, email: str) -> list[SignInEvent]:
        """The address's sign-in events, in append order."""
        ...


    # -- the notification job's tables (``sopkit.notify``) -------------------------------------------------------
    def read_outbox(self, keys: Collection[str] | None = None) -> list[Row]:
        """Outbox rows as stored (text), in append order: all of them, or those of ``keys``."""
        ...

    def append_outbox(self, rows: Sequence[Row]) -> None:
        """Append Outbox rows, all or none, after every row already there. Appending the same rows twice is
        harmless (``sopkit.notify.outbox`` reads events idempotently), so a lost answer may be retried."""
        ...

    def read_preferences(self) -> list[Row]:
        """Preferences rows as stored (text), one per person."""
        ...

    def save_preference(self, row: Row) -> None:
        """Insert or replace the Preferences row of ``row["email"]``."""
        ...


def check_batch(changes: Sequence[Change]) -> None:
    """Refuse (StoreError, nothing saved) a batch with two changes to one item or an unknown Register column."""
    seen: set[str] = set()
    for change in changes:
        if change.item_id in seen:
            raise StoreError(f"Two changes to item {change.item_id} in one batch; nothing was saved.")
        seen.add(change.item_id)
        bad = set(change.updates) - set(REGISTER_COLUMNS)
        if bad:
            raise StoreError(f"unknown Register column(s): {', '.join(sorted(bad))}")


def check_actor(change: Change, user: User | None) -> None:
    """Refuse (ActorRefused) unless ``user`` (the actor's Users row as read inside the commit) is active and
    holds the change's role; a change without an actor is not checked."""
    if change.actor is None:
        return
    if user is None or not user.active or (change.role and change.role not in user.roles):
        raise ActorRefused(f"{change.actor} is no longer allowed to do this (deactivated, removed or without the "
                           f"role {change.role}). Nothing was saved.")


def check_unchanged(change: Change, row: Row | None, row_no: int = 0, procedure: sop.Procedure = sop.AGENCY) -> Item:
    """The item in ``row`` (as stored now, inside the commit), or StaleWrite unless it is still what the caller
    read: there, at ``expected_rev``, readable, and equal to ``change.seen`` field for field."""
    if row is None:
        raise StaleWrite(change.item_id, change.expected_rev, None)
    item, problems = item_from_row(row, row_no, procedure)
    if item is None:
        raise StaleWrite(change.item_id, change.expected_rev, None,
                         why="a cell was typed by hand and cannot be read: " + "; ".join(p.reason for p in problems))
    if item.rev != change.expected_rev:
        raise StaleWrite(change.item_id, change.expected_rev, item.rev, item)
    if change.seen is not None and change.seen != item:
        edited = sorted(f for f in REGISTER_COLUMNS if getattr(change.seen, f, None) != getattr(item, f, None))
        raise StaleWrite(change.item_id, change.expected_rev, item.rev, item, why=f"{', '.join(edited)} edited")
    return item

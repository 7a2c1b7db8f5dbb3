"""The tables every store keeps, column for column the worksheets of the Google Sheet, and the typed rows.

All values are stored as text (what a spreadsheet cell holds); :class:`Item` and :class:`User` are the typed
views the workflow works on. Reading a hand-edited row never raises: what cannot be read becomes a
:class:`RowProblem` that names the row, the column, the value and why.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import MISSING, asdict, dataclass, field, fields
from itertools import compress
from typing import Any

from . import sop, text
from .channels import registry
from .i18n import Said, Term
from .timeutil import parse_iso, to_iso

#: Register columns. Groups by owner: the pages write the workflow and content columns, the publish job only
#: ``channel_results``; ``rev``/``updated_*`` are written with every change. The SOP's steps name theirs (holder,
#: stage time, rejection count: ``sop.Step``); the names are the sheet's, so a new step adds its columns here.
REGISTER_COLUMNS: tuple[str, ...] = (
    "id", "title", "summary", "category", "channels", "status", "step",
    "officer", "creator", "verifier", "approver", "scheduler", "publisher",
    "created_at", "step_entered_at", "collected_at", "designed_at", "verified_at", "approved_at",
    "scheduled_at", "published_at", "cancelled_at",
    "rejections_step3", "rejections_step4", "last_note",
    "publish_at", "sources", "body", "captions", "media", "channel_results",
    "rev", "updated_at", "updated_by", "change_id", "versions",
)
TIME_COLUMNS: tuple[str, ...] = (
    "created_at", "step_entered_at", "collected_at", "designed_at", "verified_at", "approved_at",
    "scheduled_at", "published_at", "cancelled_at", "publish_at", "updated_at",
)
JSON_COLUMNS: dict[str, type] = {"captions": dict, "media": list, "channel_results": dict, "versions": list}
JOB_COLUMNS: tuple[str, ...] = ("channel_results",)
#: Columns only the store writes: ``rev`` counts the item's changes, ``change_id`` names the change (a Log
#: ``change_id``) whose state the row holds.
MACHINE_COLUMNS: tuple[str, ...] = ("rev", "change_id")

LOG_COLUMNS: tuple[str, ...] = ("at", "item_id", "step", "action", "actor", "role", "note", "publish_at")
#: Every store also keeps, beside each Log row, the change it belongs to and the ``rev`` its author read
#: (``read_log`` returns them too): rows of one change share the id, and a retried change is found by it.
LEDGER_COLUMNS: tuple[str, ...] = ("change_id", "base_rev")
USER_COLUMNS: tuple[str, ...] = ("email", "name", "roles", "active", "password_hash", "failed_logins",
                                 "locked_until")
SETTINGS_COLUMNS: tuple[str, ...] = ("key", "value")
#: One row per revision of the Settings table (append-only): who, when, what changed, and every row after it.
SETTINGS_HISTORY_COLUMNS: tuple[str, ...] = ("rev", "at", "actor", "source", "changes", "settings")
#: The notification job's record, one row per event, append only (``sopkit.notify.outbox`` reads it): ``until`` is
#: a claim's lease end or a retry's earliest time; ``detail`` an error, a Message-ID or a Telegram message id.
OUTBOX_COLUMNS: tuple[str, ...] = ("at", "key", "event", "job", "until", "kind", "item_id", "recipient", "channel",
                                   "subject", "detail")
#: What each person wants to be told, and where (``sopkit.notify.prefs``); blank cells mean the defaults.
PREFERENCE_COLUMNS: tuple[str, ...] = ("email", "lang", "kinds", "channels", "telegram_chat_id")

Row = dict[str, str]


@dataclass(frozen=True)
class RowProblem:
    table: str
    row: int  # 1-based data row as the user sees it (the header is row 1 in a sheet, so data starts at 2)
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        col = f", column {self.column}" if self.column else ""
        return f"{self.table} row {self.row}{col}: {self.reason} (value: {self.value!r})"


@dataclass(frozen=True)
class Item:
    id: str
    title: str = ""
    summary: str = ""
    category: str = ""
    channels: tuple[str, ...] = ()
    status: str = sop.STATUS_BY_STEP[sop.FIRST_STEP]
    step: int = sop.FIRST_STEP
    officer: str = ""
    creator: str = ""
    verifier: str = ""
    approver: str = ""
    scheduler: str = ""
    publisher: str = ""
    created_at: dt.datetime | None = None
    step_entered_at: dt.datetime | None = None
    collected_at: dt.datetime | None = None
    designed_at: dt.datetime | None = None
    verified_at: dt.datetime | None = None
    approved_at: dt.datetime | None = None
    scheduled_at: dt.datetime | None = None
    published_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    rejections_step3: int = 0
    rejections_step4: int = 0
    last_note: str = ""
    publish_at: dt.datetime | None = None
    sources: str = ""
    body: str = ""
    captions: dict[str, str] = field(default_factory=dict)
    media: list[dict[str, Any]] = field(default_factory=list)
    channel_results: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The content as sent to review at each design submit (``sopkit.history.snapshot``), oldest first: what the
    #: approver's diff compares. The Log records who did what, not the text, so the versions live here.
    versions: list[dict[str, Any]] = field(default_factory=list)
    rev: int = 0
    updated_at: dt.datetime | None = None
    updated_by: str = ""
    change_id: str = ""

    @property
    def is_open(self) -> bool:
        return self.status not in sop.TERMINAL_STATUSES

    @property
    def rejections(self) -> int:
        """Times the item was sent back, over every gate's counter column."""
        return sum(getattr(self, c) for c in sop.AGENCY.rejection_columns.values())

    def holder(self, step: int) -> str:
        """Who holds the agency's ``step`` for this item ("" when nobody, or the step has no holder column)."""
        column = sop.STEPS[step].holder_column
        return str(getattr(self, column)) if column else ""

    def to_row(self) -> Row:
        return {c: _format(getattr(self, c)) for c in REGISTER_COLUMNS}


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return to_iso(value)
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    return str(value)


def format_value(column: str, value: Any) -> str:
    """The text a column stores for a typed value."""
    return _format(value)


_ITEM_FIELDS = {f.name: f for f in fields(Item)}
_TEXT_COLUMNS = ("title", "summary", "category", "last_note", "sources", "body")  # as stored
_PEOPLE_COLUMNS = ("officer", "creator", "verifier", "approver", "scheduler", "publisher", "updated_by")  # e-mails


def item_from_row(row: Row, row_number: int = 0, procedure: sop.Procedure = sop.AGENCY,
                  known_channels: tuple[str, ...] | None = None) -> tuple[Item | None, list[RowProblem]]:
    """Parse one Register row. Returns (None, problems) when the row cannot be used at all (no id, bad step or
    status: ``procedure`` names the valid ones); otherwise the item, with unreadable optional values left empty
    and listed as problems. ``known_channels``: the registry's names, when a caller parsing many rows asked once
    (asking per row was a fifth of a 50k-row Register's parse)."""
    problems: list[RowProblem] = []

    def bad(column: str, reason: str | Said) -> None:
        problems.append(RowProblem("Register", row_number, column, str(row.get(column, "")), reason))

    get = row.get
    item_id = str(get("id", "") or "").strip()
    if not item_id:
        bad("id", Said("missing id", "row.missing_id"))
        return None, problems
    values: dict[str, Any] = {"id": item_id, "change_id": str(get("change_id", "") or "").strip()}
    for col in _TEXT_COLUMNS:
        values[col] = str(get(col, "") or "")
    for col in _PEOPLE_COLUMNS:
        values[col] = str(get(col, "") or "").strip().lower()
    channel_text = str(get("channels", "") or "")
    channels = tuple(c.strip().lower() for c in channel_text.split(",") if c.strip()) if channel_text else ()
    if channels:
        known = registry.names() if known_channels is None else known_channels
        unknown = [c for c in channels if c not in known]
        if unknown:
            bad("channels", Said(f"unknown channel(s) {', '.join(unknown)}; known: {', '.join(known)}",
                                 "row.channels", unknown=", ".join(unknown), known=", ".join(known)))
        values["channels"] = tuple(c for c in channels if c in known)
    else:
        values["channels"] = ()
    status = str(get("status", "") or "").strip().lower()
    if status not in procedure.statuses:
        bad("status", Said(f"unknown status; one of {', '.join(procedure.statuses)}", "row.status",
                           known=", ".join(procedure.statuses)))
        return None, problems
    values["status"] = status
    try:
        step = int(float(str(get("step", "")).strip()))
        if step not in procedure.by_number:
            raise ValueError
    except ValueError:
        bad("step", Said(f"step must be a number {procedure.first}-{procedure.last}", "row.step",
                         first=procedure.first, last=procedure.last))
        return None, problems
    values["step"] = step
    for col in TIME_COLUMNS:
        text = get(col, "")
        if text and (text := str(text).strip()):
            try:
                values[col] = parse_iso(text)
            except ValueError as e:
                bad(col, Said(str(e), "row.time", detail=str(e)))
    for col in (*procedure.rejection_columns.values(), "rev"):
        text = str(get(col, "") or "").strip() or "0"
        if text.isascii() and text.isdigit() and len(text) < 16:  # the usual cell: plainly a whole number
            values[col] = int(text)
            continue
        try:
            n = int(float(text))
            if n < 0 or n != float(text):
                raise ValueError
            values[col] = n
        except ValueError:
            bad(col, Said("not a whole number ≥ 0", "row.count"))
            if col == "rev":
                return None, problems
    for col, kind in JSON_COLUMNS.items():
        text = str(row.get(col, "") or "").strip()
        if text:
            try:
                parsed = json.loads(text)
                if not isinstance(parsed, kind):
                    raise ValueError
                values[col] = parsed
            except ValueError:
                bad(col, Said(f"not valid JSON ({kind.__name__})", "row.json"))
    return _new_item(values), problems



def items_from_tuples(names: tuple[str, ...], rows: list[tuple[Any, ...]], row_numbers: Sequence[int],
                      procedure: sop.Procedure = sop.AGENCY,
                      known_channels: tuple[str, ...] | None = None) -> list[tuple[Item | None, list[RowProblem]]]:
    """:func:`item_from_row` for many rows at once (cells in ``names`` order, as a database cursor gives them), one
    column at a time: the same items and problems, ~3x faster over a 50k-item Register.

    Each column is read with one comprehension; a row any of whose cells is not the plain case (an empty id, a
    status or step to check, an unknown channel, a timestamp ``datetime.fromisoformat`` does not read exactly as
    :func:`parse_iso` would, a number or JSON to look at) is handed to :func:`item_from_row`, which says why.
    (``fromisoformat`` reads ``Z`` as UTC, as :func:`parse_iso` does.)
    """
    n = len(rows)
    index = {c: i for i, c in enumerate(names)}
    cells = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    blank: tuple[Any, ...] = ("",) * n
    slow = [False] * n

    def col(name: str) -> tuple[Any, ...]:
        return cells[index[name]] if name in index else blank

    def mark(flags: list[bool]) -> None:
        for i in compress(range(n), flags):  # only the rows flagged (usually none): no Python step per row
            slow[i] = True

    def by_distinct(column: tuple[Any, ...], parse: Callable[[Any], Any]) -> list[Any]:
        """``[parse(v) for v in column]`` for a column of few distinct cells (people, statuses): each parsed once."""
        distinct = set(column)
        if not all(type(v) is str for v in distinct):  # 1 and 1.0 are one key: parse such a column per cell
            return [parse(v) for v in column]
        seen = {v: parse(v) for v in distinct}
        return [seen[v] for v in column]

    values: dict[str, list[Any]] = {}
    values["id"] = [str(v).strip() if v else "" for v in col("id")]
    mark([not v for v in values["id"]])
    values["change_id"] = [str(v).strip() if v else "" for v in col("change_id")]
    for c in _TEXT_COLUMNS:
        values[c] = [str(v) if v else "" for v in col(c)]
    for c in _PEOPLE_COLUMNS:
        values[c] = by_distinct(col(c), _email)
    known = set(registry.names() if known_channels is None else known_channels)
    parsed_channels: dict[Any, tuple[str, ...] | None] = {}

    def channels(v: Any) -> tuple[str, ...] | None:  # None: a channel to report (the slow path says which)
        names_ = tuple(c.strip().lower() for c in str(v).split(",") if c.strip()) if v else ()
        return names_ if all(c in known for c in names_) else None

    values["channels"] = [parsed_channels[v] if v in parsed_channels else parsed_channels.setdefault(v, channels(v))
                          for v in col("channels")]
    mark([v is None for v in values["channels"]])
    statuses = set(procedure.statuses)
    values["status"] = by_distinct(col("status"), _email)
    mark([v not in statuses for v in values["status"]])
    steps = {str(k): k for k in procedure.by_number}
    values["step"] = [steps.get(v if isinstance(v, str) else str(v), 0) for v in col("step")]
    mark([not v for v in values["step"]])
    fromiso = dt.datetime.fromisoformat
    for c in TIME_COLUMNS:
        column = col(c)
        try:  # the store's own cells: one pass, no per-cell handling
            times = [fromiso(v) if v else None for v in column]
        except (ValueError, TypeError):
            times = []
            for i, v in enumerate(column):
                t = None
                if v and (text := str(v).strip()):
                    try:
                        t = fromiso(text)
                    except ValueError:
                        slow[i] = True
                times.append(t)
        mark([t is not None and (t.tzinfo is None or not 2000 <= t.year <= 2100) for t in times])
        values[c] = times
    for c in (*procedure.rejection_columns.values(), "rev"):
        texts = [str(v).strip() if v else "" for v in col(c)]
        plain = [not t or (t.isascii() and t.isdigit() and len(t) < 16) for t in texts]
        mark([not p for p in plain])
        values[c] = [int(t) if t and p else 0 for t, p in zip(texts, plain, strict=True)]
    for c, kind in JSON_COLUMNS.items():
        parsed: list[Any] = []
        for i, v in enumerate(col(c)):
            if v and (text := str(v).strip()):
                try:
                    value = json.loads(text)
                    if not isinstance(value, kind):
                        raise ValueError
                except ValueError:
                    slow[i] = True
                    value = None
                parsed.append(value)
            else:
                parsed.append(kind())
        values[c] = parsed
    fields_ = tuple(values)
    complete = set(fields_) >= _ITEM_FIELDS.keys()  # every field parsed here: no default to fill in
    new = object.__new__
    out: list[tuple[Item | None, list[RowProblem]]] = []
    for i, row_cells in enumerate(zip(*values.values(), strict=True)):
        if slow[i]:
            out.append(item_from_row(dict(zip(names, rows[i], strict=True)), row_numbers[i], procedure,
                                     tuple(known) if known_channels is None else known_channels))
        elif complete:  # _new_item without its defaults: each JSON cell above is a fresh object already
            item = new(Item)
            item.__dict__.update(zip(fields_, row_cells, strict=True))
            out.append((item, []))
        else:
            out.append((_new_item(dict(zip(fields_, row_cells, strict=True))), []))
    return out

def _email(v: Any) -> str:
    """A people or status cell as compared: trimmed, lower case ("" for none)."""
    return str(v).strip().lower() if v else ""


#: Item's defaults, for :func:`_new_item`.
_ITEM_DEFAULTS = {f.name: f.default for f in fields(Item) if f.default is not MISSING}
_ITEM_FACTORIES = tuple((f.name, f.default_factory) for f in fields(Item) if f.default_factory is not MISSING)


def _new_item(values: dict[str, Any]) -> Item:
    """``Item(**values)`` for values :func:`item_from_row` checked, without the frozen dataclass's ``__init__``
    (one guarded ``setattr`` per field: half of a 50k-row Register's parse). Equal to what ``Item(**values)``
    gives: every field set, the mutable defaults fresh per item."""
    item = object.__new__(Item)
    state = item.__dict__
    state.update(_ITEM_DEFAULTS)
    for name, make in _ITEM_FACTORIES:
        state[name] = make()
    state.update(values)
    return item


@dataclass(frozen=True)
class LogRow:
    at: dt.datetime
    item_id: str
    step: int
    action: str
    actor: str
    role: str
    note: str = ""
    publish_at: dt.datetime | None = None

    def to_row(self) -> Row:
        return {c: _format(getattr(self, c)) for c in LOG_COLUMNS}


@dataclass(frozen=True)
class User:
    email: str
    name: str = ""
    roles: tuple[str, ...] = ()
    active: bool = True
    password_hash: str = ""
    failed_logins: int = 0
    locked_until: str = ""
    #: A machine identity (the publish job), not a Users row: its actions are not re-checked against Users.
    service: bool = field(default=False, compare=False)

    def has(self, role: str) -> bool:
        return self.active and role in self.roles

    def to_row(self) -> Row:
        row = {k: _format(v) for k, v in asdict(self).items() if k in USER_COLUMNS}
        row["roles"] = ",".join(self.roles)
        row["active"] = "TRUE" if self.active else "FALSE"
        return row


def said_bad_text(e: text.BadText) -> Said:
    """A refused character as a row problem a person reads in their language (picklable: plain values)."""
    return Said(str(e), "text.control_char", field=Term(f"field.{e.field}"), code=e.code, position=e.position)


def user_from_row(row: Row, row_number: int = 0) -> tuple[User | None, list[RowProblem]]:
    problems: list[RowProblem] = []
    email = str(row.get("email", "") or "").strip().lower()
    if "@" not in email:
        return None, [RowProblem("Users", row_number, "email", email,
                                 Said("not an email address", "row.email"))]
    try:
        text.check(email, "email")
    except text.BadText as e:
        return None, [RowProblem("Users", row_number, "email", email,
                                 said_bad_text(e))]
    roles = tuple(r.strip().lower() for r in str(row.get("roles", "") or "").replace(";", ",").split(",")
                  if r.strip())
    unknown = [r for r in roles if r not in sop.ROLES]
    if unknown:
        problems.append(RowProblem("Users", row_number, "roles", ",".join(roles),
                                   Said(f"unknown role(s) {', '.join(unknown)}; known: {', '.join(sop.ROLES)}",
                                        "row.roles", unknown=", ".join(unknown), known=", ".join(sop.ROLES))))
    name = str(row.get("name", "") or "").strip()
    try:
        name = text.check(name, "name")
    except text.BadText as e:
        problems.append(RowProblem("Users", row_number, "name", name,
                                   said_bad_text(e)))
        name = text.clean_line(name)
    active_text = str(row.get("active", "TRUE") or "TRUE").strip().lower()
    try:
        failed = int(str(row.get("failed_logins", "") or "0"))
    except ValueError:
        failed = 0
    return User(
        email=email,
        name=name,
        roles=tuple(r for r in roles if r in sop.ROLES),
        active=active_text not in ("false", "0", "no", "tidak", "n"),
        password_hash=str(row.get("password_hash", "") or ""),
        failed_logins=failed,
        locked_until=str(row.get("locked_until", "") or ""),
    ), problems


#: Sessions: one row per sign-in (embedded password or OIDC), so a sign-out, a password or role change or a
#: deactivation revokes it on every host. ``id`` is a SHA-256 digest: the token itself never reaches the store.
SESSION_COLUMNS: tuple[str, ...] = ("id", "email", "kind", "created_at", "expires_at", "revoked_at", "stamp")


@dataclass(frozen=True)
class SessionRecord:
    id: str
    email: str
    kind: str = "password"  # or "oidc"
    created_at: str = ""  # ISO 8601 with offset, as stored
    expires_at: str = ""
    revoked_at: str = ""
    stamp: str = ""  # sessions.stamp(user) when issued: password hash, roles and active flag

    def to_row(self) -> Row:
        return {c: str(getattr(self, c)) for c in SESSION_COLUMNS}


def session_from_row(row: Row) -> SessionRecord | None:
    """A stored Sessions row (hand edits included); None when it has no id or e-mail."""
    values = {c: str(row.get(c, "") or "").strip() for c in SESSION_COLUMNS}
    values["email"] = values["email"].lower()
    if not values["id"] or "@" not in values["email"]:
        return None
    return SessionRecord(**values)

"""What the admin page changes, checked before anything is written: users and roles, SOP settings, and
hand edits of Register rows (each edit goes through ``Store.commit`` with its rev and a Log row)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from . import sop, text
from .i18n import Said, joined, say
from .schema import LogRow, Row, User, item_from_row, user_from_row
from .settings import from_rows
from .store.base import Change, Store
from .text import field_label
from .timeutil import Now, server_now
from .workflow import ADMIN_EDIT_NOTE, MULTILINE_FIELDS

#: Register columns an admin may correct by hand; workflow columns (step, status, holders, times, rev) are
#: changed only by workflow actions, so the Log stays the truth.
ADMIN_EDITABLE: tuple[str, ...] = ("title", "summary", "category", "channels", "sources", "last_note")


class AdminError(ValueError):
    """An admin's change refused. ``str(exc)`` is the English detail (CLI, logs); ``said`` is the same for a
    person, in their language (``admin.err.*``, :func:`sopkit.i18n.say`)."""

    def __init__(self, detail: str, key: str = "admin.err.other", **values: Any):
        super().__init__(detail)
        self.said = Said(detail, key, detail=detail, **values)


def check_user_row(row: Row) -> User:
    """The user a row of the admin's table describes; raises AdminError, or BadText for a control character."""
    row = {k: text.check(v, k) if isinstance(v, str) else v for k, v in row.items()}
    user, problems = user_from_row(row)
    if user is None or problems:
        reasons = [p.reason for p in problems]
        raise AdminError("; ".join(reasons) or "invalid user", "admin.err.user",
                         email=str(row.get("email", "")), reasons=joined(reasons or ["invalid user"], say))
    return user


def save_users(store: Store, admin: User, rows: list[Row]) -> list[str]:
    """Write changed users (keeping their password hash and lock state); returns the e-mails written."""
    current = {u.email: u for u in store.read_users()[0]}
    written = []
    for row in rows:
        user = check_user_row(row)
        old = current.get(user.email)
        if old is not None:
            user = replace(user, password_hash=old.password_hash, failed_logins=old.failed_logins,
                           locked_until=old.locked_until)
            if user == old:
                continue
        if user.email == admin.email and ("admin" not in user.roles or not user.active):
            raise AdminError("You cannot remove your own admin role or deactivate yourself.", "admin.err.own_admin")
        store.save_user(user)
        written.append(user.email)
    return written


def save_settings(store: Store, rows: dict[str, str], timezone: str, actor: str = "") -> list[str]:
    """Save only when every value reads; returns the problems (nothing saved) or []. A control character in
    any value raises BadText (nothing saved). The save is a revision of the Settings history by ``actor`` (the
    admin's e-mail), dated by the server's clock."""
    rows = {k: text.check(str(v), k) for k, v in rows.items()}
    _, problems = from_rows(rows, default_timezone=timezone)
    if problems:
        return problems
    store.save_settings(rows, actor=actor, source="admin")
    return []


def edit_register_row(store: Store, admin: User, item_id: str, rev: int, changes: dict[str, str],
                      now: Now = server_now) -> None:
    bad = set(changes) - set(ADMIN_EDITABLE)
    if bad:
        raise AdminError(f"Columns that only workflow actions change: {', '.join(sorted(bad))}.", "admin.err.columns",
                         columns=joined(sorted(bad), field_label))
    changes = {k: text.check(v, k, multiline=k in (*MULTILINE_FIELDS, "last_note")) for k, v in changes.items()}
    item = store.get_item(item_id)
    row: dict[str, Any] = {**item.to_row(), **changes}
    parsed, problems = item_from_row(row)
    if parsed is None or problems:
        reasons = [p.reason for p in problems]
        raise AdminError("; ".join(str(r) for r in reasons), "admin.err.row", reasons=joined(reasons, say))
    if changes.get("category") and changes["category"] not in sop.CATEGORIES:
        raise AdminError(f"Unknown category {changes['category']!r}.", "admin.err.category",
                         category=changes["category"])
    at: dt.datetime = now()
    note = ADMIN_EDIT_NOTE + ", ".join(sorted(changes))
    store.commit(Change(item_id, rev, {**changes, "updated_by": admin.email},
                        (LogRow(at, item_id, item.step, "edit", admin.email, "admin", note),),
                        seen=item, actor=admin.email, role="admin"))

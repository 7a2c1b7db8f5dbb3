"""The Settings history: the revisions a save (or a hand edit found in the Settings table) makes, and, for a store
without transactions, which appended revisions count.

Every save of the Settings is a revision (``SETTINGS_HISTORY_COLUMNS``: who, when, what changed, and the whole
table after it); a Settings table that differs from its last revision was edited outside the app and becomes a
revision of its own (``hand-edit``) the first time the app reads it. :func:`settings_revisions` computes them; both
backends call it inside their atomic write.

**Who wins on Google Sheets** (:class:`HistoryOrder`, pure, the same answer in every process): the rule of
:mod:`sopkit.store.ledger`, applied to the SettingsHistory tab. Every row of one save carries the save's
``change_id`` and ``parent``, the change id of the last counted save its author read (the *head*); the save's
cells and rows go in one atomic batchUpdate, so the tab's row order is the order in which saves were applied. A
save counts iff its parent is the head at its position: of two saves made from the same read the first appended
counts, the other does not, whatever their clocks say, so two revisions that count never share a number. A save
that lost saves again on top of the winner (SQLite's transactions give the same result: the later save's values
stand). A change id seen twice (a batch applied twice after a lost answer) counts once.

**What the Settings table holds**: a save that lost wrote its cells after the winner's (the same batch as its
rows), so until its redo repairs them some cells hold values no counted revision has. Each save records the
cells it wrote (``written``); a cell that still holds what a losing save wrote there last is read as the counted
revision has it (:meth:`HistoryOrder.explain`), not as a hand edit, and the next save writes it back. A cell that
holds anything else is what an admin typed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..schema import SETTINGS_HISTORY_COLUMNS, Row
from ..timeutil import server_now, to_iso

SETTINGS_HISTORY = "SettingsHistory"
#: ``source`` of a revision the app found rather than made: the Settings table differed from the last revision.
HAND_EDIT = "hand-edit"
#: ``source`` of the first revision of a store whose Settings existed before it kept a history.
EXISTING = "existing"
#: ``source`` a losing save's own rows are given once it saved again (for people reading the tab; the rule
#: needs no mark).
VOID = "void"
#: The Sheets tab's own columns beyond ``SETTINGS_HISTORY_COLUMNS``.
CHANGE_ID, PARENT, WRITTEN = "change_id", "parent", "written"
HISTORY_SHEET_COLUMNS: tuple[str, ...] = (*SETTINGS_HISTORY_COLUMNS, CHANGE_ID, PARENT, WRITTEN)


def history_time(at: dt.datetime | None) -> str:
    """A revision's time: the server clock, to the millisecond, with the agency's offset."""
    return to_iso(at or server_now())


def settings_revisions(history: list[Row], current: dict[str, str], new: dict[str, str] | None, actor: str,
                       source: str, at: dt.datetime | None = None) -> list[Row]:
    """The history rows to append, given the stored ``history``, the Settings table as it is (``current``) and the
    rows a save writes over it (``new``; None: only record). First, when ``current`` is not what the last revision
    says (edited by hand, or kept from before there was a history), a revision of ``current`` as found; then the
    save's own revision when it changes a value. Pure: both backends call it inside their atomic write."""
    when = history_time(at)
    last = _last_snapshot(history)
    rev = max((_rev(r) for r in history), default=0)
    out: list[Row] = []
    known = last if last is not None else {}
    if current != known and (current or last is not None):
        rev += 1
        out.append(_revision(rev, when, "", HAND_EDIT if last is not None else EXISTING, known, current))
        known = current
    if new is not None:
        after = {**current, **{k: str(v) for k, v in new.items()}}
        if after != known:
            rev += 1
            out.append(_revision(rev, when, actor, source, known, after))
    return out


def saved_revision(revisions: list[Row], source: str) -> int | None:
    """The number of the revision a save made: the last one appended, unless that one records a hand edit."""
    if revisions and revisions[-1]["source"] == source and source not in (HAND_EDIT, EXISTING):
        return int(revisions[-1]["rev"])
    return None


def _revision(rev: int, at: str, actor: str, source: str, before: dict[str, str], after: dict[str, str]) -> Row:
    changes = "; ".join(f"{k}: {_shown(before.get(k))} → {_shown(after.get(k), removed=True)}"
                        for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k))
    return dict(zip(SETTINGS_HISTORY_COLUMNS, (str(rev), at, actor, source, changes,
                                               json.dumps(after, ensure_ascii=False, sort_keys=True)), strict=True))


def _shown(value: str | None, removed: bool = False) -> str:
    if value is None:
        return "(dihapus)" if removed else "(baru)"
    return value if value.strip() else "(kosong)"


def _snapshot(row: Row) -> dict[str, str] | None:
    try:
        snap = json.loads(row.get("settings") or "")
    except ValueError:
        return None
    return {str(k): str(v) for k, v in snap.items()} if isinstance(snap, dict) else None


def _last_snapshot(history: list[Row]) -> dict[str, str] | None:
    """The Settings the latest readable revision records (None before any)."""
    return next((s for s in map(_snapshot, reversed(history)) if s is not None), None)


def _rev(row: Row) -> int:
    try:
        return int(float(row.get("rev") or 0))
    except ValueError:
        return 0


# -- Google Sheets: which appended rows count -----------------------------------------------------------------
@dataclass
class Save:
    """The rows one batch appended (a save, or the record of a hand edit)."""

    change_id: str
    parent: str
    rows: list[int] = field(default_factory=list)  # indexes into HistoryOrder.rows
    written: dict[str, str | None] = field(default_factory=dict)  # Settings cells it wrote (None: cleared)
    won: bool = False


def encode_written(cells: dict[str, str | None]) -> str:
    return json.dumps(cells, ensure_ascii=False, sort_keys=True) if cells else ""


class HistoryOrder:
    """Every data row of the SettingsHistory tab, in order (blank ones too: index ``i`` is sheet row ``i + 2``),
    and what they mean (see the module docstring)."""

    def __init__(self, rows: Iterable[Row]):
        self.rows = list(rows)
        self.saves: dict[str, Save] = {}
        self.head = ""
        self._counted: list[int] = []
        self._last_write: dict[str, tuple[Save, str | None]] = {}
        open_: Save | None = None
        for index, row in enumerate(self.rows):
            change_id = str(row.get(CHANGE_ID, "") or "").strip()
            if not change_id:
                open_ = None
                if any(str(row.get(c, "") or "").strip() for c in SETTINGS_HISTORY_COLUMNS):
                    self._counted.append(index)  # written before saves had ids, or imported: counts as it is
                continue
            save = self.saves.get(change_id)
            if save is None:
                save = Save(change_id, str(row.get(PARENT, "") or "").strip())
                save.won = save.parent == self.head
                if save.won:
                    self.head = change_id
                self.saves[change_id] = save
            elif save is not open_ or _rev(row) <= _rev(self.rows[save.rows[-1]]):
                open_ = None
                continue  # the same batch appended again: it counts once
            open_ = save
            save.rows.append(index)
            if save.won:
                self._counted.append(index)
            for key, value in _written(row).items():
                save.written[key] = value
                self._last_write[key] = (save, value)

    def counted(self) -> list[Row]:
        """The revisions that count, in append order (``SETTINGS_HISTORY_COLUMNS``)."""
        return [{c: str(self.rows[i].get(c, "") or "") for c in SETTINGS_HISTORY_COLUMNS} for i in self._counted]

    def outcome(self, change_id: str) -> bool | None:
        """True: the save counts; False: it lost to an earlier one; None: it is not in the tab."""
        save = self.saves.get(change_id)
        return None if save is None else save.won

    def rows_of(self, change_id: str) -> list[Row]:
        return [self.rows[i] for i in self.saves[change_id].rows] if change_id in self.saves else []

    def explain(self, cells: dict[str, str]) -> dict[str, str]:
        """The Settings table ``cells`` as the history explains it: a cell that still holds what a losing save
        wrote there last reads as the counted revisions have it (or is absent, when they never had the key)."""
        truth = _last_snapshot(self.counted()) or {}
        out = dict(cells)
        for key, (save, value) in self._last_write.items():
            if save.won or cells.get(key) != value:  # None: the save cleared the key's row
                continue
            if key in truth:
                out[key] = truth[key]
            else:
                out.pop(key, None)
        return out


def _written(row: Row) -> dict[str, str | None]:
    try:
        data = json.loads(str(row.get(WRITTEN, "") or "") or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): None if v is None else str(v) for k, v in data.items()}

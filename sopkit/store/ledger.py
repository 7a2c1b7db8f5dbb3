"""The Log read as a ledger of changes: which change won, which rows count, and what a Register row should hold.

Used by the Google Sheets store (see its module docstring for the protocol); pure functions of the Log's rows, so
every process that reads the same Log computes the same answers.

Each commit appends its rows in one atomic batch together with its Register cells. Its rows carry ``change_id``,
``base_rev`` (the rev its author read), ``parent`` (the change whose state its author read: the item's *head* then)
and, on its first row, a ``payload``: ``{"set": cells written, "before": those cells as read}`` as JSON, split
over ``sopkit:payload`` continuation rows when longer than a cell holds.

* **Who wins** (Log order only): a commit wins iff its ``parent`` is the item's head at its position in the Log;
  it then becomes the head. Two commits made from the same read have the same parent, so the first one appended
  wins and the other loses, whatever their clocks say. A loser's rows are void: :meth:`Ledger.visible` never
  returns them. A change id seen twice (a batch applied twice) counts once.
* **What the row should hold**: the Register cells are written in the same batch as the rows, so the order of
  cell writes is the order of the Log. The ``change_id`` cell tells which write the row received last. If that was
  a winner's, the row is what the Log explains (plus any hand edits made since). If it was a loser's (its author
  crashed before repairing) or a repair computed before a later winner, :meth:`Ledger.explain` puts back, in the
  cells that write touched and that still hold what it wrote, the values of the winners it did not see or else the
  values its author read; winners whose write never reached the row (it moved under the write) are rolled
  forward from their payloads. ``sopkit:repair`` rows record a loser's own repair (payload ``{"set": ...}``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..schema import LEDGER_COLUMNS, LOG_COLUMNS, Row

PAYLOAD_ACTION = "sopkit:payload"
REPAIR_ACTION = "sopkit:repair"
CHANGE_ACTION = "sopkit:change"  # the row of a change that has no Log rows of its own
#: The Sheets Log's own columns beyond ``LOG_COLUMNS`` + ``LEDGER_COLUMNS`` (the payload is read only in tails).
PARENT, PAYLOAD = "parent", "payload"
CHUNK = 45_000  # characters of payload per cell (a cell holds 50,000)
_FINGERPRINT = (*LOG_COLUMNS, "change_id")


class MissingPayload(Exception):
    """Explaining a row needs payloads that were not read: ``rows`` are their ledger indexes."""

    def __init__(self, rows: list[int]):
        super().__init__(f"payloads of Log rows {rows} are needed")
        self.rows = rows


@dataclass
class Entry:
    """One commit or repair as the Log holds it."""

    kind: str  # "commit" | "repair"
    change_id: str  # a repair: the loser it repairs
    item_id: str
    parent: str
    base_rev: str
    rows: list[int] = field(default_factory=list)  # ledger indexes: audit rows then continuation rows
    chunks: list[str | None] = field(default_factory=list)
    won: bool = False
    fingerprints: set[tuple[str, ...]] = field(default_factory=set)

    @property
    def writes_change_id(self) -> str:
        """The value this entry's batch wrote into the Register's ``change_id`` cell."""
        return self.parent if self.kind == "repair" else self.change_id

    @property
    def has_payload(self) -> bool:
        return bool(self.chunks) and all(c is not None for c in self.chunks)

    def payload(self) -> dict[str, dict[str, str]]:
        if not self.has_payload:
            raise MissingPayload(self.rows[:1])
        text = "".join(c or "" for c in self.chunks)
        data = json.loads(text) if text else {}
        return {"set": dict(data.get("set", {})), "before": dict(data.get("before", {}))}


def encode_payload(written: Row, before: Row | None = None) -> list[str]:
    """The payload JSON of a batch, in cell-sized chunks (the first goes on the change's first row)."""
    data: dict[str, Row] = {"set": dict(written)}
    if before is not None:
        data["before"] = dict(before)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]


class Ledger:
    """Every data row of the Log (blank ones too: ledger index ``i`` is sheet row ``i + 2``) and what they mean."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.hidden: set[int] = set()
        self.entries: dict[str, Entry] = {}  # commits by change id
        self.by_item: dict[str, list[Entry]] = {}
        self.heads: dict[str, str] = {}
        self._open: Entry | None = None  # the entry whose continuation rows may follow
        self._row_entry: dict[int, Entry] = {}
        self._chunk_of_row: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.rows)

    # -- building -------------------------------------------------------------------------------------------------
    def extend(self, rows: Iterable[Row], payloads: Iterable[str | None] | None = None) -> None:
        """Add rows appended after those already held, in Log order (``payloads``: each row's payload cell, or None
        when that column was not read)."""
        rows = list(rows)
        texts = list(payloads) if payloads is not None else [None] * len(rows)
        for row, text in zip(rows, texts, strict=True):
            self._add(row, text)

    def _add(self, row: Row, payload: str | None) -> None:
        index = len(self.rows)
        self.rows.append(row)
        change_id = str(row.get("change_id", "") or "").strip()
        action = str(row.get("action", "") or "").strip()
        item_id = str(row.get("item_id", "") or "").strip()
        opened, self._open = self._open, None
        if not change_id:
            if not any(str(v or "").strip() for v in row.values()):
                self.hidden.add(index)  # a blank row
            return  # a row written before change ids existed, or imported: it counts as it is
        self.hidden.add(index)
        if action == PAYLOAD_ACTION:
            if opened is not None and opened.change_id == change_id and opened.rows[-1] == index - 1:
                self._own(opened, index, payload)
                self._open = opened
            return
        parent = str(row.get(PARENT, "") or "").strip()
        base_rev = str(row.get("base_rev", "") or "")
        if action == REPAIR_ACTION:
            entry = Entry("repair", change_id, item_id, parent, base_rev)
            self._own(entry, index, payload)
            self.by_item.setdefault(item_id, []).append(entry)
            self._open = entry
            return
        fingerprint = tuple(str(row.get(c, "") or "") for c in _FINGERPRINT)
        known = self.entries.get(change_id)
        if known is not None:
            if opened is known and fingerprint not in known.fingerprints and not known.chunks[1:]:
                known.rows.append(index)  # the next audit row of the same batch
                known.fingerprints.add(fingerprint)
                self._row_entry[index] = known
                if known.won and not action.startswith("sopkit:"):
                    self.hidden.discard(index)
                self._open = known
            return  # else: the same change appended twice; it counts once
        entry = Entry("commit", change_id, item_id, parent, base_rev, fingerprints={fingerprint})
        self._own(entry, index, payload)
        entry.won = parent == self.heads.get(item_id, "")
        if entry.won:
            self.heads[item_id] = change_id
            if not action.startswith("sopkit:"):  # a change without Log rows of its own
                self.hidden.discard(index)
        self.entries[change_id] = entry
        self.by_item.setdefault(item_id, []).append(entry)
        self._open = entry

    def _own(self, entry: Entry, index: int, payload: str | None) -> None:
        """Row ``index`` carries a payload chunk of ``entry``."""
        entry.rows.append(index)
        entry.chunks.append(payload)
        self._row_entry[index] = entry
        self._chunk_of_row[index] = len(entry.chunks) - 1

    def set_payload(self, index: int, text: str) -> None:
        """Fill in the payload cell of ledger row ``index`` (read later, on demand)."""
        entry, chunk = self._row_entry.get(index), self._chunk_of_row.get(index)
        if entry is not None and chunk is not None:
            entry.chunks[chunk] = text

    def payload_rows(self, rows: list[int]) -> list[int]:
        """Every row holding a chunk of the entries whose first rows are ``rows`` (to read them on demand)."""
        out: list[int] = []
        for index in rows:
            entry = self._row_entry.get(index)
            if entry is not None:
                out += [r for r in entry.rows if r in self._chunk_of_row]
        return sorted(set(out))

    def payload_size(self) -> int:
        return sum(len(c or "") for entries in self.by_item.values() for e in entries for c in e.chunks)

    def forget_payloads(self) -> None:
        """Drop payload texts that explaining a row rarely needs (those before each item's head; read again
        on demand)."""
        for item_id, entries in self.by_item.items():
            head = self.heads.get(item_id)
            for entry in entries:
                if entry.change_id == head and entry.kind == "commit":
                    break
                entry.chunks = [None] * len(entry.chunks)

    # -- questions ------------------------------------------------------------------------------------------------
    def head(self, item_id: str) -> str:
        return self.heads.get(item_id, "")

    def outcome(self, change_id: str) -> bool | None:
        """True: the change counts; False: it lost to an earlier one; None: it is not in the Log."""
        entry = self.entries.get(change_id)
        return None if entry is None else entry.won

    def winner_after(self, change_id: str) -> Entry | None:
        """The winner that took the place of losing ``change_id`` (the first winner after its parent)."""
        entry = self.entries.get(change_id)
        if entry is None:
            return None
        entries = self.by_item.get(entry.item_id, [])
        start = _index_of_winner(entries, entry.parent)
        return next((e for e in entries[start + 1:] if e.kind == "commit" and e.won), None)

    def left_by(self, change_id: str, read: Row) -> Row:
        """The row as the batch of ``change_id`` left it, when its author had read ``read``: the winners it did
        not see wrote first, then it. Raises MissingPayload."""
        entry = self.entries[change_id]
        entries = self.by_item.get(entry.item_id, [])
        at = entries.index(entry)
        lo = _index_of_winner(entries, entry.parent)
        out = dict(read)
        for other in entries[lo + 1:at]:
            if other.kind == "commit" and other.won:
                out.update(other.payload()["set"])
        out.update(entry.payload()["set"])
        return out

    def visible(self, item_id: str | None = None) -> list[Row]:
        """The rows that count, in Log order: ``LOG_COLUMNS`` + ``LEDGER_COLUMNS``."""
        columns = (*LOG_COLUMNS, *LEDGER_COLUMNS)
        out = []
        for index, row in enumerate(self.rows):
            if index in self.hidden:
                continue
            if item_id is not None and str(row.get("item_id", "") or "").strip() != item_id:
                continue
            out.append({c: str(row.get(c, "") or "") for c in columns})
        return out

    def explain(self, item_id: str, actual: Row) -> Row:
        """The Register row ``actual`` as the Log explains it (see the module docstring); ``change_id`` is the
        item's head. Raises MissingPayload when payloads that were not read are needed."""
        entries = self.by_item.get(item_id, [])
        if not entries:
            return dict(actual)
        current = str(actual.get("change_id", "") or "").strip()
        last: int | None = None
        if current:
            last = next((i for i in range(len(entries) - 1, -1, -1) if entries[i].writes_change_id == current), None)
            if last is None:  # a value no write of this item put there (typed by hand): trust the row
                return {**actual, "change_id": self.head(item_id)}
        received = entries[last] if last is not None else None
        later = [e for e in entries[(-1 if last is None else last) + 1:] if e.kind == "commit" and e.won]
        between: list[Entry] = []
        correct = False
        if received is not None and not (received.kind == "commit" and received.won):
            lo = _index_of_winner(entries, received.parent)
            assert last is not None
            between = [e for e in entries[lo + 1:last] if e.kind == "commit" and e.won]
            correct = received.kind == "commit" or bool(between)
        needed = later + ([received, *between] if correct and received is not None else [])
        missing = sorted({e.rows[0] for e in needed if not e.has_payload})
        if missing:
            raise MissingPayload(missing)
        fix: Row = {}
        if correct and received is not None:
            data = received.payload()
            for column, written in data["set"].items():
                if str(actual.get(column, "") or "") != written:
                    continue  # typed by hand since: the hand edit stays
                value = next((w.payload()["set"][column] for w in reversed(between)
                              if column in w.payload()["set"]), None)
                if value is None:
                    value = data["before"].get(column, written) if received.kind == "commit" else written
                fix[column] = value
        for entry in later:
            fix.update(entry.payload()["set"])
        out = {**actual, **fix}
        out["change_id"] = self.head(item_id)
        return out


def _index_of_winner(entries: list[Entry], change_id: str) -> int:
    """Position of the winning commit ``change_id`` in ``entries`` (-1 for "" or when not there: the start)."""
    if not change_id:
        return -1
    return next((i for i, e in enumerate(entries) if e.kind == "commit" and e.won and e.change_id == change_id), -1)

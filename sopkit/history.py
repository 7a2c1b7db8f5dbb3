"""An item's history for the approver: who did what (from the Log), each note sent back, and what changed in the
text between the versions sent to review (``Item.versions``, kept at each submit of the content step).

The Log records actions, not text, so the versions are kept on the item itself; a diff of two of them is a plain
line diff (``difflib``) of the title, the body and each caption, ready for a page to show as text.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .schema import Item
from .timeutil import parse_iso, to_iso

#: At most this many versions are kept; older ones are dropped first, also while the JSON would not fit a
#: Google Sheets cell (50,000 characters).
MAX_VERSIONS = 5
MAX_CHARS = 50_000


def snapshot(item: Item, at: dt.datetime, by: str) -> dict[str, Any]:
    """The text of ``item`` as sent to review at ``at`` by ``by`` (an e-mail; pages show the name)."""
    return {"n": len(item.versions) + 1, "at": to_iso(at), "by": by, "title": item.title, "body": item.body,
            "captions": dict(sorted(item.captions.items()))}


def add_version(versions: Iterable[Mapping[str, Any]], version: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``versions`` with ``version`` added, the oldest dropped beyond :data:`MAX_VERSIONS` or the cell size."""
    out = [dict(v) for v in versions if isinstance(v, Mapping)][-(MAX_VERSIONS - 1):] + [dict(version)]
    while len(out) > 1 and len(json.dumps(out, ensure_ascii=False, sort_keys=True)) > MAX_CHARS:
        out.pop(0)
    if len(json.dumps(out, ensure_ascii=False, sort_keys=True)) > MAX_CHARS:  # one huge article: keep no text
        out = [{k: v for k, v in out[-1].items() if k not in ("body", "captions")} | {"too_long": True}]
    return out


@dataclass(frozen=True)
class Event:
    """One Log row of the item: ``actor`` is an e-mail (pages show the name), ``action`` a Log action word."""

    at: dt.datetime | None
    step: int | None
    action: str
    actor: str
    role: str
    note: str

    @property
    def sent_back(self) -> bool:
        return self.action == "reject"


def events(log: Iterable[Mapping[str, Any]], item_id: str) -> list[Event]:
    """The item's Log rows, oldest first, as :class:`Event` (rows of other items and unreadable cells skipped)."""
    out = []
    for row in log:
        if str(row.get("item_id", "")).strip() != item_id:
            continue
        try:
            at: dt.datetime | None = parse_iso(str(row.get("at", "")).strip())
        except ValueError:
            at = None
        try:
            step: int | None = int(float(str(row.get("step", "")).strip()))
        except ValueError:
            step = None
        out.append(Event(at, step, str(row.get("action", "")).strip().lower(),
                         str(row.get("actor", "")).strip().lower(), str(row.get("role", "")).strip(),
                         str(row.get("note", "") or "")))
    far = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(out, key=lambda e: e.at or far)


@dataclass(frozen=True)
class FieldDiff:
    """What changed in one field: ``field`` is ``title``, ``body`` or ``caption`` (then ``channel`` names it);
    ``lines`` a unified diff without its file header (``+`` added, ``-`` removed, `` `` context, ``@@`` hunks)."""

    field: str
    channel: str
    lines: tuple[str, ...]


def _lines(old: str, new: str) -> tuple[str, ...]:
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=2)
    return tuple(line for n, line in enumerate(diff) if n >= 2)  # drop the ---/+++ header


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldDiff]:
    """The fields whose text differs between two versions (title, body, then each caption by channel)."""
    out = []
    for name in ("title", "body"):
        lines = _lines(str(old.get(name, "") or ""), str(new.get(name, "") or ""))
        if lines:
            out.append(FieldDiff(name, "", lines))
    before, after = old.get("captions") or {}, new.get("captions") or {}
    for channel in sorted(set(before) | set(after)):
        lines = _lines(str(before.get(channel, "") or ""), str(after.get(channel, "") or ""))
        if lines:
            out.append(FieldDiff("caption", channel, lines))
    return out


def last_change(item: Item) -> tuple[dict[str, Any], dict[str, Any], list[FieldDiff]] | None:
    """The two latest versions sent to review and their diff: what the rework changed (None: sent once)."""
    versions = [v for v in item.versions if isinstance(v, Mapping)]
    if len(versions) < 2:
        return None
    old, new = dict(versions[-2]), dict(versions[-1])
    return old, new, diff(old, new)

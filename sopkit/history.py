"""An item's history for the approver: who did what (from the Log), each note sent back, and what changed in the
text between the versions sent to review (``Item.versions``, kept at each submit of the content step).

The Log records actions, not text, so the versions are kept on the item itself; a diff of two of them compares the
title, the body and each caption (``difflib``): line by line, and word by word inside a changed line, so a page can
show the new text with what was removed struck through and what was added marked (:func:`marked`) instead of a
programmer's unified diff.
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import json
import re
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


#: A piece of a field's text in :func:`marked`: kept as it was, removed, added, or a gap of unchanged lines left out.
Kind = str  # "same" | "del" | "ins" | "gap"
SAME, DEL, INS, GAP = "same", "del", "ins", "gap"


@dataclass(frozen=True)
class FieldDiff:
    """What changed in one field: ``field`` is ``title``, ``body`` or ``caption`` (then ``channel`` names it);
    ``lines`` the changed lines (``+`` added, ``-`` removed, `` `` context; no ``@@`` headers), ``pieces`` the
    same change word by word (:func:`marked`)."""

    field: str
    channel: str
    lines: tuple[str, ...]
    pieces: tuple[tuple[Kind, str], ...] = ()


def _lines(old: str, new: str) -> tuple[str, ...]:
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=2)
    return tuple(line for n, line in enumerate(diff) if n >= 2 and not line.startswith("@@"))  # no header, hunks


_WORDS = re.compile(r"\s+|[^\s]+")


def _join(pieces: list[tuple[Kind, str]]) -> tuple[tuple[Kind, str], ...]:
    out: list[tuple[Kind, str]] = []
    for kind, text in pieces:
        if text and out and out[-1][0] == kind:
            out[-1] = (kind, out[-1][1] + text)
        elif text:
            out.append((kind, text))
    return tuple(out)


def marked(old: str, new: str, context: int = 1) -> tuple[tuple[Kind, str], ...]:
    """The new text with the change marked, as (kind, text) pieces: whole lines compared first, then the words of a
    replaced block, so a fixed typo marks one word, not the paragraph; unchanged lines more than ``context`` lines
    away from a change become one ``gap`` piece. Joining the ``same`` and ``ins`` pieces (gaps filled back) gives
    the new text; ``same`` and ``del`` the old one."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    pieces: list[tuple[Kind, str]] = []
    blocks = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for n, (op, i1, i2, j1, j2) in enumerate(blocks):
        if op == "equal":
            same = b[j1:j2]
            head = context if n > 0 else 0
            tail = context if n < len(blocks) - 1 else 0
            if len(same) > head + tail + 1:
                pieces += [(SAME, "".join(same[:head])), (GAP, "".join(same[head:len(same) - tail])),
                           (SAME, "".join(same[len(same) - tail:]))]
            else:
                pieces.append((SAME, "".join(same)))
        elif op == "replace":
            wa, wb = _WORDS.findall("".join(a[i1:i2])), _WORDS.findall("".join(b[j1:j2]))
            for wop, k1, k2, m1, m2 in difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes():
                if wop == "equal":
                    pieces.append((SAME, "".join(wb[m1:m2])))
                else:
                    pieces += [(DEL, "".join(wa[k1:k2])), (INS, "".join(wb[m1:m2]))]
        else:
            pieces += [(DEL, "".join(a[i1:i2])), (INS, "".join(b[j1:j2]))]
    return _join(pieces)


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldDiff]:
    """The fields whose text differs between two versions (title, body, then each caption by channel)."""
    out = []
    for name in ("title", "body"):
        before, after = str(old.get(name, "") or ""), str(new.get(name, "") or "")
        lines = _lines(before, after)
        if lines:
            out.append(FieldDiff(name, "", lines, marked(before, after)))
    captions_before, captions_after = old.get("captions") or {}, new.get("captions") or {}
    for channel in sorted(set(captions_before) | set(captions_after)):
        was, now = str(captions_before.get(channel, "") or ""), str(captions_after.get(channel, "") or "")
        lines = _lines(was, now)
        if lines:
            out.append(FieldDiff("caption", channel, lines, marked(was, now)))
    return out


def last_change(item: Item) -> tuple[dict[str, Any], dict[str, Any], list[FieldDiff]] | None:
    """The two latest versions sent to review and their diff: what the rework changed (None: sent once)."""
    versions = [v for v in item.versions if isinstance(v, Mapping)]
    if len(versions) < 2:
        return None
    old, new = dict(versions[-2]), dict(versions[-1])
    return old, new, diff(old, new)


_STYLE = {DEL: "background:#fde2e1;color:#8a1c1c;text-decoration:line-through",
          INS: "background:#d9f5e1;color:#14532d;text-decoration:none"}


def marked_html(pieces: Iterable[tuple[Kind, str]], gap: str) -> str:
    """:func:`marked` as escaped HTML for a page: removed words struck through on red, added ones on green, line
    breaks kept, each left-out run of unchanged lines as ``gap`` (a sentence such as "… 3 baris tidak berubah …",
    ``{n}`` filled with the number of lines). Every piece of text is escaped: the versions are what staff typed."""
    out = []
    for kind, text in pieces:
        if kind == GAP:
            out.append(f'<div style="color:#6b7280;font-style:italic;margin:.2em 0">'
                       f'{html.escape(gap.format(n=text.count(chr(10)) or 1))}</div>')
            continue
        body = html.escape(text)
        out.append(f'<{kind} style="{_STYLE[kind]}">{body}</{kind}>' if kind in _STYLE else body)
    return ('<div style="white-space:pre-wrap;overflow-wrap:anywhere;font-family:inherit;line-height:1.5;'
            'border:1px solid #e5e7eb;border-radius:.5rem;padding:.5rem .75rem">' + "".join(out) + "</div>")

"""Search and filters over items: one rule for every queue and the Register, so "find it" works the same way
on every page.

A filter is text (matched, case-insensitively, in the title, the id, the summary and the people's names and
e-mails) plus picks of categories, channels, people and statuses. It is worked out on one pandas frame of the
items (built once per snapshot, see :func:`items_frame`) with vectorised string tests, so a Register of thousands
of rows filters without a Python loop per item. The filter round-trips through URL query parameters
(:meth:`ItemFilter.to_query` / :meth:`ItemFilter.from_query`), so a filtered queue is a link one can share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import sop
from .channels.registry import names as channel_names
from .schema import Item

#: The Register columns that name a person who worked on the item.
PEOPLE_COLUMNS: tuple[str, ...] = ("officer", "creator", "verifier", "approver", "scheduler", "publisher")
#: Separator of several picks in one query parameter (never in an e-mail, a channel, a status or a category).
SEP = "~"
QUERY_KEYS: dict[str, str] = {"text": "q", "categories": "cat", "channels": "ch", "people": "who",
                              "statuses": "st"}


@dataclass(frozen=True)
class ItemFilter:
    """What a person asked for; an empty field does not filter."""

    text: str = ""
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    people: tuple[str, ...] = ()  # e-mails: an item matches when any of them worked on it
    statuses: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.text.strip() or self.categories or self.channels or self.people or self.statuses)

    def to_query(self, prefix: str = "") -> dict[str, str]:
        """Only the set fields, as short URL parameters (``q``, ``cat``, ``ch``, ``who``, ``st``, each after
        ``prefix``: two filtered lists on one page keep apart)."""
        out = {}
        for name, key in QUERY_KEYS.items():
            value = getattr(self, name)
            text = value.strip() if isinstance(value, str) else SEP.join(value)
            if text:
                out[prefix + key] = text
        return out

    @classmethod
    def from_query(cls, params: Mapping[str, str], known: Mapping[str, Iterable[str]] | None = None,
                   prefix: str = "") -> ItemFilter:
        """The filter a URL asks for. ``known`` (field → allowed values) drops picks that are not offered, so a
        hand-edited or outdated link filters by what still exists instead of breaking the page."""
        picked: dict[str, tuple[str, ...]] = {}
        for name, key in QUERY_KEYS.items():
            if name == "text":
                continue
            picks = tuple(p for p in str(params.get(prefix + key, "") or "").split(SEP) if p)
            if known is not None and name in known:
                allowed = set(known[name])
                picks = tuple(p for p in picks if p in allowed)
            picked[name] = picks
        return cls(text=str(params.get(prefix + "q", "") or "")[:200], **picked)


@dataclass(frozen=True)
class Frame:
    """The items and their searchable columns, built once; :func:`apply` reads it for every filter."""

    items: tuple[Item, ...]
    data: pd.DataFrame = field(repr=False)


def items_frame(items: Sequence[Item], names: Mapping[str, str] | None = None) -> Frame:
    """One row per item: lower-cased search text (title, id, summary, people's names and e-mails), category,
    status, and the channel and people lists joined with :data:`SEP` for vectorised membership tests."""
    names = names or {}
    people = [SEP + SEP.join(getattr(i, c) for c in PEOPLE_COLUMNS if getattr(i, c)) + SEP for i in items]
    text = [" ".join((i.title, i.id, i.summary, *(names.get(getattr(i, c), "") for c in PEOPLE_COLUMNS),
                      *(getattr(i, c) for c in PEOPLE_COLUMNS))).casefold() for i in items]
    data = pd.DataFrame({"text": text, "category": [i.category for i in items],
                         "status": [i.status for i in items],
                         "channels": [SEP + SEP.join(i.channels) + SEP for i in items], "people": people})
    return Frame(tuple(items), data)


def _any_of(column: pd.Series, picks: tuple[str, ...]) -> np.ndarray:
    """Rows whose ``SEP``-joined list holds any of ``picks``."""
    hit = np.zeros(len(column), dtype=bool)
    for p in picks:
        hit |= column.str.contains(SEP + p + SEP, regex=False).to_numpy()
    return hit


def mask(frame: Frame, f: ItemFilter) -> np.ndarray:
    """Which rows of ``frame`` match ``f`` (every word of the text must occur; picks within a field are OR)."""
    d = frame.data
    keep = np.ones(len(d), dtype=bool)
    for word in f.text.casefold().split():
        keep &= d["text"].str.contains(word, regex=False).to_numpy()
    if f.categories:
        keep &= d["category"].isin(f.categories).to_numpy()
    if f.statuses:
        keep &= d["status"].isin(f.statuses).to_numpy()
    if f.channels:
        keep &= _any_of(d["channels"], f.channels)
    if f.people:
        keep &= _any_of(d["people"], f.people)
    return keep


def apply(items: Sequence[Item] | Frame, f: ItemFilter, names: Mapping[str, str] | None = None) -> list[Item]:
    """The items matching ``f``, in their order (a queue stays oldest first)."""
    frame = items if isinstance(items, Frame) else items_frame(items, names)
    if not f.active:
        return list(frame.items)
    return [i for i, k in zip(frame.items, mask(frame, f), strict=True) if k]


def choices(items: Iterable[Item]) -> dict[str, list[str]]:
    """The values worth offering for ``items``: categories and channels of the SOP plus any found, the people
    who worked on them, and the statuses present (in the SOP's order)."""
    items = list(items)
    present = {i.status for i in items}
    return {
        "categories": list(dict.fromkeys([*sop.CATEGORIES, *sorted({i.category for i in items if i.category})])),
        "channels": sorted({*channel_names(), *(c for i in items for c in i.channels)}),
        "people": sorted({getattr(i, c) for i in items for c in PEOPLE_COLUMNS if getattr(i, c)}),
        "statuses": [s for s in sop.STATUSES if s in present] + sorted(present - set(sop.STATUSES)),
    }

"""Results computed once per version of what they are computed from (a store snapshot's ``read_at``) and shared by
every caller in the process.

Why: the compliance report over 50k items costs about a second; a filter change on the page must not pay it again
(filters apply to the computed attempts), and two managers opening the page after a re-read must not compute it
twice at once — the second waits for the first's result. Only the last few versions are kept (a snapshot is
replaced, not accumulated), so memory stays bounded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

T = TypeVar("T")


@dataclass
class _Entry(Generic[T]):
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False
    value: T | None = None


class ByVersion(Generic[T]):
    """``get(version, make)``: ``make()`` once per version (concurrent callers of one version share the one call;
    a call that raises is retried by the next caller), the ``keep`` most recently used versions held."""

    def __init__(self, keep: int = 2) -> None:
        self.keep = keep
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, _Entry[T]] = OrderedDict()
        self.computed = 0  # how many times ``make`` ran (tests and benchmarks read it)

    def get(self, version: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            entry = self._entries.get(version)
            if entry is None:
                entry = self._entries[version] = _Entry()
                while len(self._entries) > self.keep:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(version)
        with entry.lock:
            if not entry.done:
                entry.value = make()
                entry.done = True
                self.computed += 1
        return cast(T, entry.value)  # ``done``: ``make()``'s value, which may itself be None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

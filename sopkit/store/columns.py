"""Bulk reads without a Python object per cell where none is needed.

A 50k-item store has ~360k Log rows; a dict per row costs more than reading them (building 360k dicts, then a frame
from them, was two thirds of a cold compliance page). :class:`ColumnRows` keeps the rows a backend read as columns:
the desk and the report take them as a frame straight from the columns, while code that wants rows (the jobs, the
CLI, tests) still iterates ``dict`` rows as from a list.

:func:`gc_paused`: building hundreds of thousands of small objects that hold no reference cycles (rows, Items)
triggers one cyclic garbage collection after another over an ever larger heap — a third of a 50k-item read.
Reference counting frees them all the same; the collector runs again when the read is done.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import cast, overload

import pandas as pd
import pyarrow as pa

from ..schema import LOG_COLUMNS, Row


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (process-wide; re-enabled on the way out only if it was on, so
    nested or concurrent uses never leave it off)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


class ColumnRows(Sequence[Row]):
    """Rows held as columns (``names`` → one sequence of cells each, all of one length); reads as a sequence of
    ``dict`` rows and compares equal to a list of the same dicts.

    A column may be an Arrow text array (a backend that reads a table as Arrow, no Python string per cell): the
    frame is then built from it as it is, and its Python strings are made only the first time someone reads the
    rows one by one."""

    __slots__ = ("_arrow", "_columns", "_n", "names")

    def __init__(self, names: Sequence[str], columns: Sequence[Sequence[str] | pa.Array]):
        if len(names) != len(columns):
            raise ValueError("one column per name")
        lengths = {len(c) for c in columns}
        if len(lengths) > 1:
            raise ValueError("columns of different lengths")
        self.names = tuple(names)
        self._arrow = tuple(c if isinstance(c, pa.Array) else None for c in columns)
        self._columns: tuple[Sequence[str] | None, ...] = tuple(
            None if isinstance(c, pa.Array) else c for c in columns)
        self._n = lengths.pop() if lengths else 0

    def _python(self) -> tuple[Sequence[str], ...]:
        """Every column as Python cells (an Arrow column converted once, then kept)."""
        if any(c is None for c in self._columns):
            self._columns = tuple(c if c is not None else cast(pa.Array, a).to_pylist()
                                  for c, a in zip(self._columns, self._arrow, strict=True))
        return cast(tuple[Sequence[str], ...], self._columns)

    @classmethod
    def from_tuples(cls, names: Sequence[str], rows: Sequence[tuple[str, ...]]) -> ColumnRows:
        """From rows as a database cursor gives them (one tuple per row, cells in ``names`` order)."""
        return cls(names, list(zip(*rows, strict=True)) if rows else [() for _ in names])

    @classmethod
    def from_dicts(cls, names: Sequence[str], rows: Iterable[Mapping[str, str]]) -> ColumnRows:
        rows = list(rows)
        return cls(names, [[r.get(n, "") for r in rows] for n in names])

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> Row: ...
    @overload
    def __getitem__(self, i: slice) -> list[Row]: ...
    def __getitem__(self, i: int | slice) -> Row | list[Row]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError("ColumnRows index out of range")
        return {n: c[i] for n, c in zip(self.names, self._python(), strict=True)}

    def __iter__(self) -> Iterator[Row]:
        names = self.names
        for cells in zip(*self._python(), strict=True):
            yield dict(zip(names, cells, strict=True))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ColumnRows | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __repr__(self) -> str:
        return f"ColumnRows({self._n} rows × {len(self.names)} columns)"

    def column(self, name: str) -> Sequence[str]:
        return self._python()[self.names.index(name)]

    def frame(self, columns: Sequence[str]) -> pd.DataFrame:
        """A frame of ``columns`` ("" for a name this store has no column for), built from the columns directly."""
        if all(self._arrow[self.names.index(c)] is not None for c in columns if c in self.names):
            empty_text = pa.array([""] * self._n, type=pa.large_string()) if set(columns) - set(self.names) else None
            table = pa.table({c: (self._arrow[self.names.index(c)] if c in self.names else empty_text)
                              for c in columns})
            return table.to_pandas(types_mapper=_TEXT.get)
        empty = [""] * self._n
        cells = {c: (self.column(c) if c in self.names else empty) for c in columns}
        try:  # Arrow builds a text column from Python strings ~3x faster than pandas' own inference
            table = pa.table({c: pa.array(v, type=pa.large_string()) for c, v in cells.items()})
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # a cell that is not text (a hand-made database): pandas decides
            return pd.DataFrame(cells, columns=list(columns))
        return table.to_pandas(types_mapper=_TEXT.get)


#: Arrow text as pandas' Arrow-backed strings (what every frame of stored cells uses).
_TEXT = {pa.large_string(): pd.StringDtype("pyarrow", na_value=float("nan"))}


def log_frame(rows: Sequence[Mapping[str, str]], columns: Sequence[str] = LOG_COLUMNS) -> pd.DataFrame:
    """The Log as a frame of text cells ("" where a row lacks a column): straight from the columns when the store
    read it as :class:`ColumnRows`."""
    if not isinstance(rows, ColumnRows):
        rows = ColumnRows.from_dicts(columns, rows)
    return rows.frame(columns)

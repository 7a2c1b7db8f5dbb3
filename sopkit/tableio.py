"""Reading and writing the store's tables as CSV and XLSX, every cell as text (as a sheet holds it).

Every export goes through :func:`safe_frame`, so what a person typed can never turn into a live spreadsheet formula
in the file a manager opens (OWASP "CSV injection"): a text cell that starts with ``= + - @``, tab or CR (or with
quotes before one of them) gets a single quote in front, XLSX text is written as a string cell (never a formula),
and characters XML cannot hold are removed. Numbers stay numbers: the choice is made per column, by its type.
:func:`read_table` takes the quote off again, so export → import gives back exactly what was stored. Files are
written to a temporary name beside the target and renamed at the end, so a failed export leaves no partial file.
"""

from __future__ import annotations

import io
import math
import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
import pandas as pd

from .schema import REGISTER_COLUMNS
from .text import EXPORT_STRIP, export_clean


class TableFileError(ValueError):
    pass


#: A cell a spreadsheet would read as a formula (OWASP's list), possibly behind quotes we added before.
FORMULA_START = "^'*[=+\\-@\t\r]"
_FORMULA_START = re.compile(FORMULA_START)
_ADDED_QUOTE = re.compile("^'(?='*[=+\\-@\t\r])")


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``df.to_dict("records")`` typed as what our frames hold: text column names (pandas types them Hashable)."""
    return cast(list[dict[str, Any]], df.to_dict("records"))


def neutralise(value: str) -> str:
    """One text cell as an export writes it: control characters removed, a quote before a formula start."""
    value = export_clean(value)
    return "'" + value if _FORMULA_START.match(value) else value


def restore(value: str) -> str:
    """The inverse of :func:`neutralise`'s quoting (its removals cannot be undone, and need not be: input
    refuses those characters)."""
    return _ADDED_QUOTE.sub("", value, count=1)


def _safe_text(col: pd.Series) -> pd.Series:
    """:func:`neutralise` over a column of text, vectorised with pyarrow (a report has ~800k rows); a column
    that mixes text with other values (a number in an object column) is done cell by cell, numbers untouched."""
    arr = _text_arrow(col)
    if arr is None:  # mixed, or a lone surrogate
        return col.map(lambda v: neutralise(v) if isinstance(v, str) else v)
    safe = _safe_arrow(arr)
    if safe is arr:  # the usual case: nothing to do, and no copy back to Python strings
        return col
    return pd.Series(safe.to_numpy(zero_copy_only=False), index=col.index, dtype=object)


def _text_arrow(col: pd.Series) -> Any:
    """A text column as Arrow strings (an Arrow-backed column's own, without a copy); None when it is not all
    text."""
    import pyarrow as pa

    if isinstance(col.dtype, pd.StringDtype) and col.dtype.storage == "pyarrow":
        return col.array.__arrow_array__()
    try:
        return pa.array(col, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
        return None


def _safe_arrow(arr: Any) -> Any:
    """:func:`neutralise` over an Arrow string array; ``arr`` itself when no cell needs it. Most columns are found
    clean by looking at bytes with numpy (no byte of a refused character, no first byte that may start a formula):
    only a column with such a byte is matched by the regular expressions."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not _maybe_unsafe(arr):
        return arr
    text = arr.cast(pa.string()) if arr.type != pa.string() else arr  # the kernels below take one string type
    if not pc.any(pc.match_substring_regex(text, f"{_re2(EXPORT_STRIP)}|{FORMULA_START}")).as_py():
        return arr
    if pc.any(pc.match_substring_regex(text, _re2(EXPORT_STRIP))).as_py():
        text = pc.replace_substring_regex(text, pattern=_re2(EXPORT_STRIP), replacement="")
    quote = pc.fill_null(pc.match_substring_regex(text, FORMULA_START), False)
    if pc.any(quote).as_py():
        text = pc.if_else(quote, pc.binary_join_element_wise("'", text, ""), text)
    return text


#: Bytes of UTF-8 text a refused character (``text.EXPORT_STRIP``) is made of or starts with: C0 controls but tab,
#: newline and CR; DEL; 0xC2 (leads U+0080-U+009F); 0xED (would lead a surrogate); 0xEF (leads U+FFFE, U+FFFF).
_REFUSED_BYTES = np.zeros(256, dtype=bool)
_REFUSED_BYTES[[*range(0, 9), 11, 12, *range(14, 32), 0x7F, 0xC2, 0xED, 0xEF]] = True
#: First bytes a formula may start with (``FORMULA_START``, and the quote it may hide behind).
_FORMULA_BYTES = np.zeros(256, dtype=bool)
_FORMULA_BYTES[[ord(c) for c in "=+-@\t\r'"]] = True


def _maybe_unsafe(arr: Any) -> bool:
    """Whether some cell of an Arrow string array may need :func:`neutralise` (False: surely none does)."""
    import pyarrow as pa

    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    for chunk in chunks:
        if chunk.type not in (pa.string(), pa.large_string()):
            return True
        _, offsets_buf, data_buf = chunk.buffers()
        if data_buf is None:
            continue
        kind = np.int64 if chunk.type == pa.large_string() else np.int32
        offsets = np.frombuffer(offsets_buf, dtype=kind)[chunk.offset:chunk.offset + len(chunk) + 1].astype(np.int64)
        data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0]:offsets[-1]]
        if _REFUSED_BYTES[data].any():
            return True
        starts = offsets[:-1][offsets[1:] > offsets[:-1]] - offsets[0]
        if _FORMULA_BYTES[data[starts]].any():
            return True
    return False


def _re2(pattern: str) -> str:
    """A Python character-class pattern with its literal code points spelled ``\\x{..}`` for RE2 (pyarrow)."""
    return "".join(f"\\x{{{ord(c):x}}}" if ord(c) < 32 or ord(c) >= 127 else c for c in pattern)


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy fit to export: text columns neutralised (:func:`neutralise`), times as ISO 8601 text, booleans
    and numbers as they are. The one place every export (CLI, compliance page, report) makes its cells safe."""
    out = df.copy(deep=False)  # columns are replaced, not written in place: no copy of a 700k-row frame
    out.columns = [neutralise(str(c)) for c in out.columns]
    for name in out.columns:
        col = out[name]
        if isinstance(col.dtype, pd.DatetimeTZDtype):  # spreadsheets have no time zones: write ISO text
            out[name] = col.map(lambda t: t.isoformat() if pd.notna(t) else "")
        elif pd.api.types.is_object_dtype(col.dtype) or pd.api.types.is_string_dtype(col.dtype):
            out[name] = _safe_text(col)
    return out


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed onto ``path`` only when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_table(path: str | Path, sheet: str | None = None) -> pd.DataFrame:
    """A CSV file, or one sheet of an XLSX workbook, as strings (empty cells → ""), with the quotes an export
    put before formula-like text taken off again."""
    path = Path(path)
    if not path.exists():
        raise TableFileError(f"{path}: no such file")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            df = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, keep_default_na=False)
        else:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", engine="pyarrow")
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as e:
        raise TableFileError(f"{path}: cannot be read as a table ({e})") from None
    df.columns = [restore(str(c).strip()) for c in df.columns]
    df = df.fillna("").astype(str)
    for name in df.columns:
        col = df[name]
        quoted = col.str.startswith("'")
        if quoted.any():
            df.loc[quoted, name] = col[quoted].map(restore)
    return df


def workbook_sheets(path: str | Path) -> list[str]:
    try:
        return [str(name) for name in pd.ExcelFile(path).sheet_names]
    except (ValueError, OSError) as e:
        raise TableFileError(f"{path}: not a readable XLSX workbook ({e})") from None


def _csv(df: pd.DataFrame, sink: str | IO[bytes] | Any) -> None:
    """UTF-8 CSV with a header, empty cells for missing values, True/False for booleans.

    Written with pyarrow's CSV writer (about ten times faster than ``DataFrame.to_csv`` on a large report), from
    an Arrow table built column by column: Arrow-backed text goes in as it is once :func:`_safe_arrow` finds it
    clean, booleans are taken from two strings, numbers are handed over as numpy arrays. A frame with anything
    else (a time, a mixed object column, a repeated column name) is made safe by :func:`safe_frame` first, as
    every export is; the cells are the same either way.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [neutralise(str(c)) for c in df.columns]
    columns = [_csv_column(df.iloc[:, k]) for k in range(df.shape[1])] if len(set(names)) == len(names) else None
    if columns is None or any(c is None for c in columns):
        safe = safe_frame(df)
        columns = [_csv_column(safe.iloc[:, k], safe=True) for k in range(safe.shape[1])]
    table = pa.Table.from_arrays(columns, names=names)
    pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="needed"))


def _csv_column(col: pd.Series, safe: bool = False) -> Any:
    """One column of :func:`_csv` as Arrow; None when it needs :func:`safe_frame` first (``safe``: it had it)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pd.api.types.is_bool_dtype(col.dtype) and col.dtype == np.bool_:
        return pc.if_else(pa.array(col.to_numpy()), "True", "False")  # no Python string per cell
    if isinstance(col.dtype, pd.StringDtype) and col.dtype.storage == "pyarrow":
        arr = col.array.__arrow_array__()
        return arr if safe else _safe_arrow(arr)
    if col.dtype.kind in "iuf":
        return pa.array(col.to_numpy(), from_pandas=True)  # NaN is a missing value: an empty cell
    if safe:
        return pa.Table.from_pandas(col.to_frame(), preserve_index=False).column(0)
    return None


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        _csv(df, str(tmp))
    return path


def csv_bytes(df: pd.DataFrame) -> bytes:
    """A CSV download (the compliance page's): pandas' writer, which quotes only where CSV needs it."""
    return safe_frame(df).to_csv(index=False).encode("utf-8")


def _xlsx(sheets: dict[str, pd.DataFrame], target: str | IO[bytes],
          progress: Callable[[int, int, str], None] | None) -> None:
    """One workbook, streamed (openpyxl's write-only mode). Text is written as string cells with their type set
    explicitly: openpyxl would otherwise make any string that starts with ``=`` a formula."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    try:
        for n, (name, df) in enumerate(sheets.items(), start=1):
            ws = wb.create_sheet(neutralise(name)[:31])
            safe = safe_frame(df)
            ws.append([_xlsx_cell(ws, c) for c in safe.columns])
            for row in safe.itertuples(index=False, name=None):
                ws.append([_xlsx_cell(ws, v) for v in row])
            if progress:
                progress(n, len(sheets), name)
    except BaseException:
        with suppress(Exception):  # finish the half-written workbook into nothing: closes and removes its temp files
            wb.save(io.BytesIO())
        raise
    wb.save(target)


def _xlsx_cell(ws: Any, value: Any) -> Any:
    """What openpyxl gets for one value of a :func:`safe_frame`: a string cell for text, numbers and booleans as
    they are, nothing for a missing value (NaN would make a corrupt file), infinity as the text ``inf``."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (bool, int)) or (isinstance(value, float) and math.isfinite(value)):
        return value
    from openpyxl.cell import WriteOnlyCell  # imported where used: the CSV report's process never loads openpyxl

    cell = WriteOnlyCell(ws, value=value if isinstance(value, str) else neutralise(str(value)))
    cell.data_type = "s"
    return cell


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | Path,
               progress: Callable[[int, int, str], None] | None = None) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        _xlsx(sheets, str(tmp), progress)
    return path


def xlsx_bytes(sheets: dict[str, pd.DataFrame], progress: Callable[[int, int, str], None] | None = None) -> bytes:
    buf = io.BytesIO()
    _xlsx(sheets, buf, progress)
    return buf.getvalue()


def write_text(text: str, path: str | Path) -> Path:
    """A text file (the Markdown report), written whole or not at all."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def frame(rows: list[dict[str, str]], columns: tuple[str, ...]) -> pd.DataFrame:
    """Rows as a frame of ``columns`` ("" where a row lacks one), built column by column: several times faster than
    a frame of per-row dicts on a 50k-item Log."""
    if not rows:
        return pd.DataFrame([], columns=list(columns))
    return pd.DataFrame({c: [r.get(c, "") for r in rows] for c in columns}, columns=list(columns))


def register_frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    return frame(rows, REGISTER_COLUMNS)


"""The compliance report as files — CSV (with its problems, about and why-late files beside it), XLSX, Markdown —
the same bytes from the command line and from the compliance page.

Reproducible: every file states what it was computed from (:func:`about`: the as-of instant, the Settings
revisions used, the ``holidays`` package version, a fingerprint of the Log) and holds nothing else that varies:
no generation time, no path, no host; times are written in the agency's zone whatever the machine's ``TZ``; the
XLSX container's timestamps are pinned to the as-of instant. So the same Log and the same settings give
byte-identical files on any machine (given ``--as-of``; without it the as-of is "now", and the about file says
which "now").
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pandas as pd

from .clock import holidays_version
from .compliance import Report, iso_strings
from .tableio import safe_frame, write_csv, write_text
from .tableio import xlsx_bytes as workbook_bytes

ABOUT_COLUMNS: tuple[str, ...] = ("field", "detail")
#: Sidecar files of ``report --out r.csv``: r.problems.csv, r.about.csv, r.why-late.csv.
SIDECARS: tuple[str, ...] = ("problems", "about", "why-late")
#: Pinned into the XLSX container (zip entries and document properties): 2-second zip resolution, local time.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def version() -> str:
    try:
        return metadata.version("sopkit")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


def about(report: Report) -> pd.DataFrame:
    """What the report was computed from, one ``field, detail`` row each: enough to reproduce it."""
    tz = report.settings.timezone
    as_of = pd.Timestamp(report.as_of).tz_convert(tz).isoformat(timespec="seconds")
    used = report.revisions_used() or (report.revisions[-1],)
    rows = [
        ("report", "SOP compliance (sopkit)"),
        ("sopkit_version", version()),
        ("as_of", as_of),
        ("time_zone", tz),
        ("holidays_version", holidays_version()),
        ("log_rows", str(report.log_rows)),
        ("log_fingerprint", report.log_fingerprint),
        ("attempts", str(len(report.attempts))),
        ("rows_skipped", str(len(report.problems))),
        ("settings_revisions", ", ".join(str(r.rev) for r in used)),
    ]
    for r in used:
        when = r.at.astimezone(report.settings.tz).isoformat(timespec="milliseconds") if r.at else "(always)"
        parts = [when, r.actor or "-", r.source or "-", r.changes or "-"]
        rows.append((f"settings_rev_{r.rev}", " | ".join(parts)))
    return pd.DataFrame(rows, columns=list(ABOUT_COLUMNS))


def sidecar(out: str | Path, name: str) -> Path:
    """``r.csv`` → ``r.problems.csv`` (the name beside the report, whatever the report's own extension)."""
    out = Path(out)
    return out.with_name(f"{out.stem}.{name}.csv")


def sheets(report: Report, why_late: bool = False) -> dict[str, pd.DataFrame]:
    """The workbook's sheets; the attempts keep the CSV's columns."""
    summary = pd.DataFrame(list(report.summary().items()), columns=["measure", "value"])
    out = {
        "About": about(report),
        "Summary": summary,
        "Attempts": report.attempts_for_export(),
        "PerStep": report.per_step(),
        "PerMonth": report.per_month(),
        "PerPerson": report.per_person(),
        "Rework": report.rework(),
        "LeadTime": _iso(report.lead_times(), report.settings.timezone, "started_at", "published_at"),
        "Revisions": revisions(report),
        "Problems": report.problems,
    }
    if why_late:
        out["WhyLate"] = report.why_late()
    return out


def revisions(report: Report) -> pd.DataFrame:
    """Every Settings revision the report knows, and how many attempts each judged."""
    counts = report.attempts["settings_rev"].value_counts() if len(report.attempts) else pd.Series(dtype=int)
    tz = report.settings.tz
    return pd.DataFrame([(r.rev, r.at.astimezone(tz).isoformat(timespec="milliseconds") if r.at else "", r.actor,
                          r.source, r.changes, int(counts.get(r.rev, 0))) for r in report.revisions],
                        columns=["rev", "at", "actor", "source", "changes", "attempts_judged"])


def write(report: Report, out: str | Path, fmt: str, why_late: bool = False) -> list[Path]:
    """Write the report as ``fmt`` (csv, xlsx, md) to ``out``; the problems and about files always go beside it
    (``r.problems.csv``, ``r.about.csv``), the why-late breakdown too when asked (``r.why-late.csv``)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    written = [out, write_csv(report.problems, sidecar(out, "problems")),
               write_csv(about(report), sidecar(out, "about"))]
    if fmt == "csv":
        write_csv(report.attempts_for_export(), out)
        if why_late:
            written.append(write_csv(report.why_late(), sidecar(out, "why-late")))
    elif fmt == "xlsx":
        out.write_bytes(xlsx_bytes(report, why_late))
    else:
        write_text(markdown(report, why_late), out)
    return written


def attempts_csv(report: Report) -> bytes:
    """The CSV report's bytes."""
    return _csv_bytes(report.attempts_for_export())


def csv_zip(report: Report, stem: str = "kepatuhan-sop") -> bytes:
    """The CSV report and its problems and about files in one ZIP: the compliance page's CSV download."""
    files = {f"{stem}.csv": report.attempts_for_export(), f"{stem}.problems.csv": report.problems,
             f"{stem}.about.csv": about(report)}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, frame in files.items():
            z.writestr(zipfile.ZipInfo(name, _ZIP_EPOCH), _csv_bytes(frame), zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return write_csv(frame, Path(tmp) / "f.csv").read_bytes()


def xlsx_bytes(report: Report, why_late: bool = False, progress: Callable[[float], None] | None = None) -> bytes:
    """The workbook (see :func:`sheets`; cells made safe by ``tableio``), with its created/modified properties set
    to the as-of instant and its zip entries dated alike, so two runs give the same bytes."""
    frames = {name: _iso(frame, report.settings.timezone) for name, frame in sheets(report, why_late).items()}
    data = workbook_bytes(frames, progress=(lambda n, total, _name: progress(n / total)) if progress else None)
    return _pinned(data, report.as_of)


def _pinned(xlsx: bytes, when: dt.datetime) -> bytes:
    stamp = pd.Timestamp(when).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                for tag in ("created", "modified"):
                    text = re.sub(rf"(<dcterms:{tag}[^>]*>)[^<]*(</dcterms:{tag}>)", rf"\g<1>{stamp}\g<2>", text)
                data = text.encode("utf-8")
            dst.writestr(zipfile.ZipInfo(info.filename, _ZIP_EPOCH), data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _iso(frame: pd.DataFrame, tz: str, *columns: str) -> pd.DataFrame:
    """Aware times as ISO text in ``tz`` (Excel cells have no zone; the machine's own must not leak in)."""
    out = frame.copy(deep=False)
    for col in columns or [c for c in out.columns if isinstance(out[c].dtype, pd.DatetimeTZDtype)]:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = iso_strings(out[col], tz)
    return out


def markdown(report: Report, why_late: bool = False) -> str:
    s = report.summary()
    header = report.settings.header
    facts = about(report).set_index("field")["detail"]
    lines = [
        "# SOP compliance report",
        "",
        f"SOP: {header.get('sop_number') or '(no number yet)'} · as of {facts['as_of']} ({facts['time_zone']})",
        "",
        f"- items: {s['items']:.0f}; published: {s['published']:.0f}",
        f"- on time: {s['on_time_rate']:.1%} of {s['attempts']:.0f} finished attempts",
        f"- median lead time (start → publish): {s['median_lead_time_hours']:.1f} hours",
        f"- rework rate: {s['rework_rate']:.1%} of items sent back at least once",
        f"- open attempts past their limit: {s['open_overdue']:.0f}",
        f"- Log rows skipped: {s['problems']:.0f}",
        "",
        "## Computed from",
        "",
        _table(about(report)),
        "",
        "## Settings revisions",
        "",
        _table(revisions(report)),
        "",
        "## Per step",
        "",
        _table(report.per_step()),
        "",
        "## Per month",
        "",
        _table(report.per_month()),
        "",
        "## Per person",
        "",
        _table(report.per_person()),
        "",
    ]
    if why_late:
        lines += ["## Why late", "", _table(report.why_late()), ""]
    return "\n".join(lines)


def _table(df: pd.DataFrame) -> str:
    """A table of the report, its text cells made safe like every export's and kept on one line of the table."""
    safe = safe_frame(df)
    for col in safe.columns:
        if safe[col].dtype == object:
            safe[col] = safe[col].map(lambda v: v.replace("|", "\\|").replace("\r", " ").replace("\n", " ")
                                      if isinstance(v, str) else v)
    return safe.to_markdown(index=False, floatfmt=".2f")

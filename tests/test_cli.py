"""The command line, run as users run it: a real process per command on a temp store."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sopkit.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[1]


def run(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOPKIT_DB": str(tmp / "cli.db"), "SOPKIT_SECRETS": str(tmp / "none.toml")}
    return subprocess.run([sys.executable, "-m", "sopkit", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"python -m sopkit {command}" in (ROOT / "README.md").read_text() or re.search(
        rf"sopkit .*\b{command}\b", (ROOT / "README.md").read_text())
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert command in sub.choices


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("cli")
    p = run(tmp, "demo", "--items", "40")
    assert p.returncode == 0, p.stderr
    assert "40 items" in p.stdout
    return tmp


def test_init_is_idempotent(demo_store: Path) -> None:
    p = run(demo_store, "init")
    assert p.returncode == 0 and "0 default settings written" in p.stdout


def test_demo_if_empty_adds_nothing_twice(demo_store: Path) -> None:
    p = run(demo_store, "demo", "--if-empty")
    assert p.returncode == 0 and "not added" in p.stdout


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "md"])
def test_report_formats(demo_store: Path, fmt: str) -> None:
    out = demo_store / f"report.{fmt}"
    p = run(demo_store, "report", "--format", fmt, "--out", str(out), "--as-of", "2026-11-26T10:00:00+07:00")
    assert p.returncode == 0, p.stderr
    assert out.exists() and (demo_store / "report.problems.csv").exists()
    if fmt == "csv":
        df = pd.read_csv(out)
        assert list(df.columns[:9]) == ["item_id", "step", "attempt", "started_at", "ended_at", "clock", "minutes",
                                        "limit_minutes", "on_time"]
        assert df["item_id"].nunique() == 40
    if fmt == "xlsx":
        assert {"Attempts", "PerStep", "Problems"} <= set(pd.ExcelFile(out).sheet_names)
    if fmt == "md":
        assert "## Per step" in out.read_text()


def test_export_import_round_trip(demo_store: Path, tmp_path: Path) -> None:
    assert run(demo_store, "export", "--out", str(tmp_path / "x.xlsx")).returncode == 0
    p = run(tmp_path, "import", str(tmp_path / "x.xlsx"))
    assert p.returncode == 0, p.stderr
    a = run(demo_store, "export", "--out", str(tmp_path / "a"))
    b = run(tmp_path, "export", "--out", str(tmp_path / "b"))
    assert a.returncode == b.returncode == 0
    assert (tmp_path / "a" / "Log.csv").read_text() == (tmp_path / "b" / "Log.csv").read_text()
    again = run(tmp_path, "import", "--register", str(tmp_path / "a" / "Register.csv"))
    assert again.returncode == 1 and "already in the store" in again.stderr


def test_report_skips_bad_rows_and_lists_them(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(
        "at,item_id,step,action,actor,role,note,publish_at\n"
        "2026-11-23T09:00:00+07:00,A,1,start,o,officer,,\n"
        "not a time,A,1,submit,o,officer,,\n"
        "2026-11-23T10:00:00Z,A,3,approve,v,supervisor,,\n"
        "2026-11-23T10:00:00,A,1,submit,o,officer,,\n")
    out = tmp_path / "r.csv"
    p = run(tmp_path, "report", "--log", str(log), "--out", str(out), "--as-of", "2026-11-24T10:00:00+07:00")
    assert p.returncode == 0, p.stderr
    assert "row 3" in p.stderr and "row 4" in p.stderr
    problems = pd.read_csv(tmp_path / "r.problems.csv")
    assert problems["row"].tolist() == [3, 4]
    assert pd.read_csv(out)["step"].tolist() == [1, 2]


@pytest.mark.parametrize("content,code", [
    ("at,item_id,step,action\nbad,A,1,start\n", 1),  # nothing could be computed
    ("when,who\n1,2\n", 1),  # no usable columns
])
def test_report_fails_only_when_nothing_computes(tmp_path: Path, content: str, code: int) -> None:
    log = tmp_path / "log.csv"
    log.write_text(content)
    p = run(tmp_path, "report", "--log", str(log), "--out", str(tmp_path / "r.csv"))
    assert p.returncode == code and p.stderr


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    p = run(tmp_path, "report", "--log", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "r.csv"))
    assert p.returncode == 2 and "no such file" in p.stderr and "Traceback" not in p.stderr


def test_users_add_refuses_unknown_roles(tmp_path: Path) -> None:
    assert run(tmp_path, "init").returncode == 0
    bad = run(tmp_path, "users", "add", "x@dishub.go.id", "--roles", "officer,wizard")
    assert bad.returncode == 2 and "wizard" in bad.stderr
    ok = run(tmp_path, "users", "add", "x@dishub.go.id", "--roles", "officer", "--password", "rahasia-123")
    assert ok.returncode == 0
    assert "x@dishub.go.id" in run(tmp_path, "users", "list").stdout


@pytest.mark.parametrize("column,value", [("created_at", "kemarin sore"), ("publish_at", "31/02/2026 10:00"),
                                          ("step_entered_at", "2026-13-01T08:00:00+07:00")])
def test_import_refuses_a_register_row_whose_times_cannot_be_read(tmp_path: Path, column: str, value: str) -> None:
    reg = tmp_path / "R.csv"
    pd.DataFrame([{"id": "baik", "title": "Baik", "status": "collecting", "step": "1", "rev": "1",
                   "created_at": "2026-11-23T08:00:00+07:00"},
                  {"id": "buruk", "title": "Buruk", "status": "collecting", "step": "1", "rev": "1",
                   "created_at": "2026-11-23T08:00:00+07:00", column: value}]).to_csv(reg, index=False)
    p = run(tmp_path, "import", "--register", str(reg))
    assert p.returncode == 1
    assert f"Register row 3, column {column}" in p.stderr and value in p.stderr
    assert "nothing was imported" in p.stderr
    from sopkit.store.sqlite import SQLiteStore

    assert SQLiteStore(tmp_path / "cli.db").read_register().items == ()

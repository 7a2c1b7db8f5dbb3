"""The command line, run as users run it: a real process per command on a temp store."""

from __future__ import annotations

import argparse
import datetime as dt
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
    env = {**os.environ, "SOPKIT_STORE": f"sqlite:///{tmp / 'cli.db'}", "SOPKIT_SECRETS": str(tmp / "none.toml")}
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


# -- reproducible reports ---------------------------------------------------------------------------------------
def run_env(tmp: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "SOPKIT_DB": str(tmp / "cli.db"), "SOPKIT_SECRETS": str(tmp / "none.toml"), **env}
    return subprocess.run([sys.executable, "-m", "sopkit", *args], cwd=ROOT, env=full, capture_output=True,
                          text=True, timeout=300)


AS_OF = "2026-11-26T10:00:00+07:00"


def report_bytes(folder: Path, fmt: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("r.*")) if p.is_file()}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "md"])
def test_two_runs_on_different_machines_give_byte_identical_reports(demo_store: Path, tmp_path: Path,
                                                                    fmt: str) -> None:
    """Same store, same as-of; two processes with a different TZ (and hash seed, and locale): the same bytes in every
    file the report writes."""
    outs = []
    for n, env in enumerate([{"TZ": "Asia/Pontianak", "PYTHONHASHSEED": "1", "LC_ALL": "C.UTF-8"},
                             {"TZ": "America/Los_Angeles", "PYTHONHASHSEED": "2", "LC_ALL": "C"}]):
        folder = tmp_path / str(n)
        p = run_env(demo_store, env, "report", "--format", fmt, "--out", str(folder / f"r.{fmt}"), "--as-of", AS_OF,
                    "--why-late")
        assert p.returncode == 0, p.stderr
        outs.append(report_bytes(folder, fmt))
    assert set(outs[0]) == {f"r.{fmt}", "r.problems.csv", "r.about.csv", *(["r.why-late.csv"] if fmt == "csv" else [])}
    assert outs[0] == outs[1]
    about = pd.read_csv(tmp_path / "0" / "r.about.csv").set_index("field")["detail"]
    import holidays

    assert about["as_of"] == AS_OF and about["holidays_version"] == holidays.__version__
    assert about["settings_revisions"] == "1" and about["settings_rev_1"].split(" | ")[2] == "init"


def test_export_then_report_elsewhere_from_files_gives_the_stores_report(demo_store: Path, tmp_path: Path) -> None:
    """`export` ships the Log with the Settings history; on another machine (no store, another TZ) `report --log
    --settings` gives the bytes the store's own report gives."""
    assert run(demo_store, "report", "--out", str(tmp_path / "store" / "r.csv"), "--as-of", AS_OF).returncode == 0
    assert run(demo_store, "export", "--out", str(tmp_path / "x")).returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    p = run_env(elsewhere, {"TZ": "Europe/Berlin"}, "report", "--log", str(tmp_path / "x" / "Log.csv"),
                "--settings", str(tmp_path / "x" / "SettingsHistory.csv"), "--out", str(elsewhere / "r.csv"),
                "--as-of", AS_OF)
    assert p.returncode == 0, p.stderr
    assert not (elsewhere / "cli.db").exists()  # nothing was opened or created there
    assert report_bytes(elsewhere, "csv") == report_bytes(tmp_path / "store", "csv")


def test_the_report_judges_by_the_stores_settings_history(tmp_path: Path) -> None:
    """A limit revised between two attempts of one item: the CSV says which revision judged each."""
    from sopkit.settings import Settings
    from sopkit.store.sqlite import SQLiteStore
    from sopkit.timeutil import AGENCY_TZ

    store = SQLiteStore(tmp_path / "cli.db")
    store.init()  # as `init` on 1 November, then an admin's revision on the 23rd at 12:30
    store.save_settings(Settings().to_rows(), source="init", at=dt.datetime(2026, 11, 1, tzinfo=AGENCY_TZ))
    store.save_settings({"limit_step3": "30"}, actor="admin@dishub.go.id",
                        at=dt.datetime(2026, 11, 23, 12, 30, tzinfo=AGENCY_TZ))
    log = tmp_path / "log.csv"
    log.write_text("at,item_id,step,action,actor\n"
                   "2026-11-23T08:00:00+07:00,A,1,start,o\n2026-11-23T09:00:00+07:00,A,1,submit,o\n"
                   "2026-11-23T10:00:00+07:00,A,2,submit,c\n2026-11-23T10:50:00+07:00,A,3,reject,v\n"
                   "2026-11-23T14:00:00+07:00,A,2,submit,c\n2026-11-23T14:50:00+07:00,A,3,approve,v\n")
    p = run(tmp_path, "report", "--log", str(log), "--out", str(tmp_path / "r.csv"), "--as-of", AS_OF)
    assert p.returncode == 0, p.stderr
    a = pd.read_csv(tmp_path / "r.csv")
    three = a[a["step"] == 3]
    assert three[["limit_minutes", "on_time", "settings_rev"]].values.tolist() == [[60, True, 1], [30, False, 2]]
    assert "settings revision(s) 1, 2" in p.stdout
    # the signed SOP's values instead, when asked: a plain key,value file
    plain = tmp_path / "sop.csv"
    plain.write_text("key,value\nlimit_step3,60\n")
    p = run(tmp_path, "report", "--log", str(log), "--settings", str(plain), "--out", str(tmp_path / "s.csv"))
    assert p.returncode == 0 and pd.read_csv(tmp_path / "s.csv")["settings_rev"].unique().tolist() == [0]


@pytest.mark.parametrize("content,message", [
    ("rev,at,settings\n1,gestern,{}\n", "no row of the settings history could be read"),
    ("key,value\nlimit_step3,sejam\n", "limit_step3"),
    ("a,b\n1,2\n", "needs the columns"),
])
def test_a_bad_settings_file_is_refused_clearly(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "s.csv").write_text(content)
    (tmp_path / "log.csv").write_text("at,item_id,step,action\n2026-11-23T08:00:00+07:00,A,1,start\n")
    p = run(tmp_path, "report", "--log", str(tmp_path / "log.csv"), "--settings", str(tmp_path / "s.csv"),
            "--out", str(tmp_path / "r.csv"))
    assert p.returncode == 2 and message in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "r.csv").exists()


def test_why_late_file_lists_the_spans_of_each_late_attempt(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("at,item_id,step,action,actor\n"
                   "2026-03-17T15:00:00+07:00,I,1,start,o\n2026-03-26T12:00:00+07:00,I,1,submit,o\n")
    p = run(tmp_path, "report", "--log", str(log), "--out", str(tmp_path / "r.csv"), "--as-of", AS_OF, "--why-late")
    assert p.returncode == 0, p.stderr
    attempts = pd.read_csv(tmp_path / "r.csv")
    assert attempts["on_time"].tolist() == [False, False]  # step 1 took 11 working hours; step 2 is still open
    why = pd.read_csv(tmp_path / "r.why-late.csv", keep_default_na=False)
    one = why[why["step"] == 1]
    assert "Cuti Bersama Hari Raya Idul Fitri" in one["name"].tolist()
    assert one["kind"].tolist()[:3] == ["work", "off_hours", "holiday"]  # Tue 15-16, the night, Nyepi's eve
    assert one["minutes"].sum() == pytest.approx(attempts["minutes"].iloc[0])

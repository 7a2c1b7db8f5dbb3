"""``python -m sopkit``: a thin command line over the library (init, demo, import, export, report, users)."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
from pathlib import Path

import pandas as pd

from . import compliance, config, report_files, text
from .schema import LOG_COLUMNS, REGISTER_COLUMNS, SETTINGS_HISTORY_COLUMNS, User
from .settings import History, Settings, SettingsError, history_from_table, load_history
from .store.base import Register, Store, StoreError
from .store.columns import log_frame
from .store.registry import display
from .tableio import (
    TableFileError,
    read_table,
    records,
    register_frame,
    workbook_sheets,
    write_csv,
    write_xlsx,
)
from .timeutil import parse_iso


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def _store(cfg: config.Config, init: bool = False) -> Store:
    store = config.open_store(cfg)
    if init:
        store.init()
    return store


# -- commands -------------------------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace, cfg: config.Config) -> int:
    if getattr(args, "gsheets", None):  # deprecated spelling of --store gsheets://KEY
        cfg = dataclasses.replace(cfg, store=config.legacy_url("gsheets", sheet=args.gsheets))
    store = _store(cfg, init=True)
    current, _ = store.sync_settings_history()  # Settings kept from before there was a history: their first revision
    defaults = Settings(timezone=cfg.timezone).to_rows()
    missing = {k: v for k, v in defaults.items() if k not in current}
    if missing:
        store.save_settings(missing, source="init")
    print(f"store ready: {display(cfg.store)} ({len(missing)} default settings written)")
    if note := config.deprecation_note(cfg):
        _err(note)
    return 0


def cmd_demo(args: argparse.Namespace, cfg: config.Config) -> int:
    from . import auth, demo

    cmd_init(args, cfg)
    store = _store(cfg)
    if args.if_empty and store.read_register().rows:
        print("store already has items; demo data not added")
        return 0
    settings, _ = config.load_settings(store, cfg)
    hashes = {email: auth.hash_password(pw) for email, pw in demo.DEMO_PASSWORDS.items()}
    n = demo.seed(store, args.items, seed=args.seed, settings=settings, passwords=hashes)
    print(f"demo data: {n} items and {len(demo.DEMO_USERS)} users (passwords in the README)")
    return 0


def _read_log_input(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        sheets = workbook_sheets(path)
        return read_table(path, "Log" if "Log" in sheets else sheets[0])
    return read_table(path)


def cmd_import(args: argparse.Namespace, cfg: config.Config) -> int:
    """All or nothing: every row is checked first, and one refused row (an unreadable time, a control character,
    an id already in the store, ...) means nothing is imported; each problem is printed with its row and column."""
    store = _store(cfg, init=True)
    reg_df = log_df = None
    if args.xlsx:
        sheets = workbook_sheets(args.xlsx)
        reg_df = read_table(args.xlsx, "Register") if "Register" in sheets else None
        log_df = read_table(args.xlsx, "Log") if "Log" in sheets else None
    if args.register:
        reg_df = read_table(args.register)
    if args.log:
        log_df = read_table(args.log)
    if reg_df is None and log_df is None:
        _err("nothing to import: give --register, --log or an XLSX workbook with Register/Log sheets")
        return 2
    problems: list[str] = []
    register_rows: list[dict[str, str]] = []
    if reg_df is not None:
        unknown = [c for c in reg_df.columns if c not in REGISTER_COLUMNS]
        if unknown:
            _err(f"Register: columns not imported: {', '.join(unknown)}")
        rows, problems = _checked_text("Register", reg_df, REGISTER_COLUMNS)
        parsed = Register.from_rows(rows)
        existing = {i.id for i in store.read_register().items}
        problems += [str(p) for p in parsed.problems]
        for n, row in enumerate(parsed.rows, start=2):
            if row.get("id", "").strip() in existing:
                problems.append(f"Register row {n}, column id: {row['id']} is already in the store")
            register_rows.append({k: v for k, v in row.items() if k in REGISTER_COLUMNS})
    log_rows: list[dict[str, str]] = []
    if log_df is not None:
        rows, found = _checked_text("Log", log_df, LOG_COLUMNS)
        problems += found
        try:
            good, bad = compliance.check_cells(pd.DataFrame(rows, columns=list(log_df.columns)),
                                               Settings(timezone=cfg.timezone))
        except ValueError as e:
            _err(f"Log: {e}")
            return 2
        for frame in bad:
            problems += [f"Log row {r.row}: {r.reason}" for r in frame.itertuples()]
        log_rows = records(good[list(LOG_COLUMNS)].astype(str))
    if problems:
        for p in problems:
            _err(p)
        _err(f"nothing was imported: {len(problems)} problem(s) listed above; correct the file and import again")
        return 1
    if not register_rows and not log_rows:
        _err("nothing to import: the file has no rows")
        return 1
    store.import_rows(register_rows, log_rows)
    print(f"imported {len(register_rows)} Register rows and {len(log_rows)} Log rows")
    return 0


#: Columns that hold several lines of text (newline and tab allowed); every other column is one line.
MULTILINE_COLUMNS = frozenset({"summary", "sources", "body", "last_note", "captions", "media", "channel_results",
                               "note"})


def _checked_text(table: str, df: pd.DataFrame, columns: tuple[str, ...]) -> tuple[list[dict[str, str]], list[str]]:
    """The rows with their text as input would store it (:func:`sopkit.text.check`), and a problem per cell that
    holds a control character."""
    rows = records(df)
    problems = []
    for n, row in enumerate(rows, start=2):
        for col in columns:
            if col in row:
                try:
                    row[col] = text.check(str(row[col]), col, multiline=col in MULTILINE_COLUMNS)
                except text.BadText as e:
                    problems.append(f"{table} row {n}, column {col}: {e}")
    return rows, problems


def cmd_export(args: argparse.Namespace, cfg: config.Config) -> int:
    store = _store(cfg)
    reg = register_frame(list(store.read_register().rows))
    log = log_frame(store.read_log())
    # the Settings and their history go along: `report --log Log.csv --settings SettingsHistory.csv` elsewhere
    # then gives the report this store gives
    current, history = store.sync_settings_history()
    settings = pd.DataFrame(list(current.items()), columns=["key", "value"])
    revisions = pd.DataFrame(history, columns=list(SETTINGS_HISTORY_COLUMNS))
    out = Path(args.out)
    if args.format == "xlsx" or out.suffix.lower() == ".xlsx":
        path = out if out.suffix.lower() == ".xlsx" else out / "sopkit-export.xlsx"
        write_xlsx({"Register": reg, "Log": log, "Settings": settings, "SettingsHistory": revisions}, path)
        print(f"wrote {path} ({len(reg)} items, {len(log)} log rows)")
    else:
        write_csv(reg, out / "Register.csv")
        write_csv(log, out / "Log.csv")
        write_csv(settings, out / "Settings.csv")
        write_csv(revisions, out / "SettingsHistory.csv")
        print(f"wrote {out / 'Register.csv'} ({len(reg)} items), {out / 'Log.csv'} ({len(log)} log rows), "
              f"Settings.csv and SettingsHistory.csv ({len(revisions)} revisions)")
    return 0


def cmd_report(args: argparse.Namespace, cfg: config.Config) -> int:
    as_of = parse_iso(args.as_of) if args.as_of else dt.datetime.now(dt.UTC)
    store = None
    if args.log:
        log = _read_log_input(Path(args.log))
    else:
        store = _store(cfg)
        log = log_frame(store.read_log())
    try:
        history = _report_history(args, cfg, store)
    except SettingsError as e:
        _err(f"settings: {e}")
        return 2
    for p in history.problems:
        _err(f"Settings: {p}")
    try:
        report = compliance.compute(log, history=history, as_of=as_of, stored_order=store is not None)
    except ValueError as e:
        _err(f"cannot compute a report: {e}")
        return 1
    for skipped in records(report.problems):
        _err(f"skipped Log row {skipped['row']} (item {skipped['item_id'] or '?'}): {skipped['reason']}")
    written = report_files.write(report, args.out, args.format, why_late=args.why_late)
    problems_path = report_files.sidecar(args.out, "problems")
    print(f"wrote {args.out}: {len(report.attempts)} attempts of {report.attempts['item_id'].nunique()} items, "
          f"settings revision(s) {', '.join(str(r.rev) for r in report.revisions_used()) or '-'}"
          + (f"; {len(report.problems)} rows skipped, listed in {problems_path}" if len(report.problems) else "")
          + f"; also {', '.join(str(p) for p in written[2:])}")
    if report.attempts.empty and len(report.problems):
        _err("nothing could be computed: every row was skipped")
        return 1
    return 0


def _report_history(args: argparse.Namespace, cfg: config.Config, store: Store | None) -> History:
    """The Settings revisions a report judges by: ``--settings FILE``; else the store's history (the store whose Log
    is read, or — with ``--log`` — the configured store when there is one); else the SOP's defaults."""
    if args.settings:
        path = Path(args.settings)
        xlsx = path.suffix.lower() in (".xlsx", ".xlsm")
        table = read_table(path, "SettingsHistory" if xlsx and "SettingsHistory" in workbook_sheets(path) else None)
        return history_from_table(records(table), cfg.timezone)
    if store is None and config.store_exists(cfg):
        store = _store(cfg)
    if store is None:
        return History.of(Settings(timezone=cfg.timezone))
    history, _ = load_history(store, cfg.timezone)
    return history


def cmd_users(args: argparse.Namespace, cfg: config.Config) -> int:
    from . import auth

    store = _store(cfg)
    users, problems = store.read_users()
    if args.users_cmd == "list":
        for u in users:
            print(f"{u.email}\t{u.name}\t{','.join(u.roles)}\t{'active' if u.active else 'inactive'}")
        for p in problems:
            _err(str(p))
        return 0
    if args.users_cmd in ("deactivate", "activate"):
        # every sign-in session of a deactivated user is refused on its next click, on every host
        found = next((u for u in users if u.email == args.email.strip().lower()), None)
        if found is None:
            _err(f"no user {args.email}")
            return 2
        store.save_user(dataclasses.replace(found, active=args.users_cmd == "activate"))
        print(f"{found.email} {args.users_cmd}d")
        return 0
    roles = tuple(r.strip() for r in args.roles.split(",") if r.strip())
    hashed = auth.hash_password(args.password) if args.password else ""
    user = User(args.email.strip().lower(), args.name or "", roles, True, hashed)
    from .schema import user_from_row

    checked, bad = user_from_row(user.to_row())
    if checked is None or bad:
        _err("; ".join(p.reason for p in bad) or "invalid user")
        return 2
    store.save_user(checked)
    print(f"saved {checked.email} with roles {','.join(checked.roles)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sopkit", description=__doc__)
    p.add_argument("--secrets", help="secrets file (default .streamlit/secrets.toml, env SOPKIT_SECRETS)")
    store_help = "the store, e.g. sqlite:///data/sopkit.db or gsheets://KEY (default [register] url, env SOPKIT_STORE)"
    p.add_argument("--store", metavar="URL", help=store_help)
    common = argparse.ArgumentParser(add_help=False)  # --store also after the command
    common.add_argument("--store", metavar="URL", default=argparse.SUPPRESS, help=store_help)
    sub = p.add_subparsers(dest="cmd", required=True)

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, parents=[common])

    n = command("init", "create the store's tables and default settings (idempotent)")
    n.add_argument("--gsheets", metavar="KEY_OR_URL", help="deprecated: --store gsheets://KEY")
    d = command("demo", "seed demo users and items")
    d.add_argument("--items", type=int, default=200)
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--if-empty", action="store_true", help="do nothing when the store already has items")
    i = command("import", "import Register and/or Log rows from CSV or XLSX")
    i.add_argument("xlsx", nargs="?", help="an XLSX workbook with Register and/or Log sheets")
    i.add_argument("--register", help="Register CSV/XLSX")
    i.add_argument("--log", help="Log CSV/XLSX")
    e = command("export", "export Register and Log as CSV files or one XLSX workbook")
    e.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    e.add_argument("--out", required=True, help="folder (CSV) or .xlsx file")
    r = command("report", "compliance report from a Log file or the configured store")
    r.add_argument("--log", help="Log CSV/XLSX (default: the configured store's Log)")
    r.add_argument("--format", choices=("csv", "xlsx", "md"), default="csv")
    r.add_argument("--out", required=True)
    r.add_argument("--as-of", help="ISO 8601 time open attempts are measured to (default now)")
    r.add_argument("--settings", help="Settings to judge by: a SettingsHistory (or Settings) CSV/XLSX as `export` "
                                      "writes (default: the store's history, else the SOP's values)")
    r.add_argument("--why-late", action="store_true",
                   help="add the working-time breakdown of every late attempt (FILE.why-late.csv, a sheet, a section)")
    u = command("users", "list or add/update users")
    usub = u.add_subparsers(dest="users_cmd", required=True)
    usub.add_parser("list")
    a = usub.add_parser("add")
    a.add_argument("email")
    a.add_argument("--name", default="")
    a.add_argument("--roles", required=True, help="comma-separated: officer,creator,supervisor,...")
    a.add_argument("--password", help="local password (embedded sign-in)")
    for name in ("deactivate", "activate"):
        usub.add_parser(name, help=f"{name} a user (deactivating ends their sessions)").add_argument("email")
    return p


COMMANDS = {"init": cmd_init, "demo": cmd_demo, "import": cmd_import, "export": cmd_export,
            "report": cmd_report, "users": cmd_users}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cfg = config.load(args.secrets)
        if args.store:
            cfg = dataclasses.replace(cfg, store=args.store)
        return COMMANDS[args.cmd](args, cfg)
    except (config.ConfigError, TableFileError, StoreError) as e:
        _err(str(e))
        return 2
    except ValueError as e:
        _err(f"error: {e}")
        return 2

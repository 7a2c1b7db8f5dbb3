"""Benchmark: Google Sheets API calls per page view, per action and per publish run, GSheetsStore vs naive gspread.

Both run in the same process against the loopback fake (tests/fakes/sheets_server.py), which counts every
request. The naive baseline is the usual gspread tutorial code: ``worksheet(title)`` + ``get_all_records`` per
lookup, ``update_cell`` per changed field, ``append_row`` for the Log. Run:
`.venv/bin/python tests/benchmarks/bench_sheets_calls.py [--items N] [--due K]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import gspread  # noqa: E402

from fakes.sheets_server import FakeSheets, connect  # noqa: E402
from sopkit.schema import LOG_COLUMNS, REGISTER_COLUMNS, LogRow  # noqa: E402
from sopkit.store.base import Change  # noqa: E402
from sopkit.store.gsheets import GSheetsStore  # noqa: E402
from sopkit.timeutil import AGENCY_TZ, to_iso  # noqa: E402

T0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=AGENCY_TZ)


def seed(store: GSheetsStore, items: int) -> None:
    store.init()
    store.import_rows([{"id": f"A-{n}", "title": f"Judul {n}", "status": "collecting", "step": "1", "rev": "1",
                        "created_at": to_iso(T0)} for n in range(1, items + 1)], [])


def ours(store: GSheetsStore, due: int) -> dict[str, Callable[[], object]]:
    def action() -> None:
        item = store.get_item("A-1")
        store.commit(Change("A-1", item.rev, {"title": "Baru", "updated_at": to_iso(T0), "updated_by": "o@x.id"},
                            (LogRow(T0, "A-1", 1, "edit", "o@x.id", "officer"),)))

    def publish_run() -> None:
        reg = store.read_register()
        for item in list(reg.items)[:due]:
            store.commit(Change(item.id, item.rev, {"channel_results": '{"site": {"ok": true}}'},
                                (LogRow(T0, item.id, 6, "publish", "job", "publisher"),)))

    return {"page view": store.read_register, "action": action, "publish run": publish_run}


def naive(sh: gspread.Spreadsheet, due: int) -> dict[str, Callable[[], object]]:
    col = {c: i + 1 for i, c in enumerate(REGISTER_COLUMNS)}

    def lookup(item_id: str) -> tuple[gspread.Worksheet, int, dict]:
        ws = sh.worksheet("Register")
        records = ws.get_all_records(numericise_ignore=["all"])
        n = next(i for i, r in enumerate(records) if r["id"] == item_id)
        return ws, n + 2, records[n]

    def write(item_id: str, fields: dict[str, str], log: list[str]) -> None:
        ws, row, record = lookup(item_id)
        for name, value in {**fields, "rev": str(int(record["rev"]) + 1)}.items():
            ws.update_cell(row, col[name], value)
        sh.worksheet("Log").append_row(log, value_input_option="RAW")

    def action() -> None:
        lookup("A-1")  # the page reads the item
        write("A-1", {"title": "Baru", "updated_at": to_iso(T0), "updated_by": "o@x.id"},
              [LogRow(T0, "A-1", 1, "edit", "o@x.id", "officer").to_row()[c] for c in LOG_COLUMNS])

    def publish_run() -> None:
        records = sh.worksheet("Register").get_all_records(numericise_ignore=["all"])
        for record in records[:due]:
            write(record["id"], {"channel_results": '{"site": {"ok": true}}'},
                  [LogRow(T0, record["id"], 6, "publish", "job", "publisher").to_row()[c] for c in LOG_COLUMNS])

    return {"page view": lambda: sh.worksheet("Register").get_all_records(), "action": action,
            "publish run": publish_run}


def measure(fake: FakeSheets, runs: dict[str, Callable[[], object]]) -> dict[str, int]:
    out = {}
    for name, run in runs.items():
        fake.reset_counts()
        run()
        out[name] = fake.counts["total"]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--items", type=int, default=300)
    p.add_argument("--due", type=int, default=10, help="items the publish run writes")
    args = p.parse_args(argv)
    with FakeSheets() as fake:
        key_ours = fake.create_spreadsheet("ours", locale="id_ID")
        key_naive = fake.create_spreadsheet("naive", locale="id_ID")
        store = GSheetsStore(connect(fake), key_ours)
        seed(store, args.items)
        seed(GSheetsStore(connect(fake), key_naive), args.items)
        store.read_register()  # warm: spreadsheet opened, header cached, as in a running app
        sh = connect(fake).open_by_key(key_naive)
        a = measure(fake, ours(store, args.due))
        b = measure(fake, naive(sh, args.due))
    print(f"Sheets API calls ({args.items} items, publish run writes {args.due}); quota: 60 reads + 60 writes/min")
    print(f"{'':<14}{'GSheetsStore':>14}{'naive gspread':>15}{'ratio':>8}")
    for name in a:
        print(f"{name:<14}{a[name]:>14}{b[name]:>15}{b[name] / a[name]:>7.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

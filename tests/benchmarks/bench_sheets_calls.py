"""Benchmark: Google Sheets API calls per page view, per desk action and per publish run, through the path a user
takes, against naive gspread usage measured in the same run.

Ours: the Streamlit desk in AppTest and ``jobs.publish.run_once``, both on the production service-account path
(``register.url = "gsheets://KEY"``), talking to the loopback Sheets fake, which counts every request. The naive
baseline is the usual gspread tutorial code on a copy of the same data: ``worksheet(title)`` +
``get_all_records()`` for each tab a page shows, ``update_cell`` per changed field and ``append_row`` for the Log,
and the page reading everything again after an action; the busy publish run checks every due item really went
out. Quota: 60 reads + 60 writes a minute per user. Run:
`.venv/bin/python tests/benchmarks/bench_sheets_calls.py [--items N] [--due K]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from streamlit.testing.v1 import AppTest  # noqa: E402

from fakes.desk_on_sheets import SheetEnv, email_for, sheet_desk  # noqa: E402
from fakes.sheets_server import FakeSheets, connect  # noqa: E402
from sopkit import sop  # noqa: E402
from sopkit.schema import LOG_COLUMNS, REGISTER_COLUMNS, LogRow  # noqa: E402
from sopkit.store.base import Change  # noqa: E402
from sopkit.timeutil import AGENCY_TZ, to_iso  # noqa: E402

T0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=AGENCY_TZ)
SPLIT: list[str] = []  # the busy publish run's reads and writes


def calls(fake: FakeSheets) -> int:
    return fake.counts["read"] + fake.counts["write"]


def seed(env: SheetEnv, items: int, due: int) -> tuple[str, list[str]]:
    """``items`` items at step 1 (imported), one walked to step 3 (the action's), ``due`` scheduled and due."""
    env.store.import_rows([{"id": f"A-{n}", "title": f"Judul {n}", "status": "collecting", "step": "1", "rev": "1",
                            "created_at": to_iso(T0)} for n in range(1, items + 1)],
                          [LogRow(T0, f"A-{n}", 1, "start", email_for("officer"), "officer").to_row()
                           for n in range(1, items + 1)])
    action = env.item_at(3).id
    scheduled = []
    for k in range(due):
        item = env.item_at(3)
        when = dt.datetime.now(AGENCY_TZ) - dt.timedelta(minutes=1 + k)
        env.store.commit(Change(item.id, item.rev, {"step": "6", "status": sop.STATUS_BY_STEP[6],
                                                    "publish_at": to_iso(when), "channels": "site"}, seen=item))
        scheduled.append(item.id)
    return action, scheduled


def ours(env: SheetEnv, action_item: str, due: int) -> dict[str, int]:
    from jobs.publish import run_once
    from pages._ui import identity, session
    from sopkit import config

    out: dict[str, int] = {}

    def measure(name: str, run: Callable[[], object]) -> None:
        env.fake.reset_counts()
        run()
        out[name] = calls(env.fake)

    from sopkit import sessions

    user = next(u for u in env.store.read_users()[0] if u.email == email_for("supervisor"))
    _, record = sessions.issue(env.store, user, sessions.SessionConfig(secret="bench"))  # as the sign-in form
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state[session.AUTH_KEY] = record.id
    from pages._ui.nav import PAGE_FILES

    measure("page view (first)", lambda: at.switch_page(PAGE_FILES["supervisor"]).run())
    measure("page view (fresh)", at.run)

    def stale_view() -> None:
        held = session._held(*session._key())
        held.read_at -= dt.timedelta(seconds=session.SNAPSHOT_TTL + 1)
        at.run()
        session.wait_for_refresh()

    measure("page view (TTL over)", stale_view)  # the re-read runs in the background; the page does not wait

    def session_due() -> None:
        identity.checker().forget()  # as after a sign-in, sign-out or user edit on this host
        at.run()

    measure("page view (session due)", session_due)

    # the check's memory runs out (recheck_seconds) after the snapshot was read again: the snapshot answers it
    stale_view()  # a re-read of the snapshot (Sessions included), not measured here
    checker = identity.checker()
    base = checker.clock
    checker.clock = lambda: base() + checker.seconds  # as if recheck_seconds had passed for the memory only
    measure("page view (recheck due)", at.run)
    measure("desk action + rerun", lambda: at.button(key=f"w_take_{action_item}").click().run())
    assert env.store.get_item(action_item).verifier == email_for("supervisor"), "the action did not land"
    say: list[str] = []
    measure(f"publish run, {due} due", lambda: run_once(config.load(), say=say.append, sleep=lambda s: None))
    SPLIT.append(f"{env.fake.counts['read']} reads + {env.fake.counts['write']} writes; the issue's budget "
                 f"2N+1 = {2 * due + 1}")
    published = [i for i in env.store.read_register().items if i.status == sop.PUBLISHED]
    assert len(published) == due and all(i.channel_results["site"]["status"] == "published" for i in published), \
        "the busy run did not publish every due item"
    measure("publish run, idle", lambda: run_once(config.load(), say=say.append, sleep=lambda s: None))
    return out


def naive(fake: FakeSheets, key: str, action_item: str, due: list[str]) -> dict[str, int]:
    sh = connect(fake).open_by_key(key)
    col = {c: i + 1 for i, c in enumerate(REGISTER_COLUMNS)}

    def page() -> None:
        for tab in ("Register", "Log", "Users", "Settings"):
            sh.worksheet(tab).get_all_records(numericise_ignore=["all"])

    def write(item_id: str, fields: dict[str, str], log: LogRow) -> None:
        ws = sh.worksheet("Register")
        records = ws.get_all_records(numericise_ignore=["all"])
        n = next(i for i, r in enumerate(records) if r["id"] == item_id)
        for name, value in {**fields, "rev": str(int(records[n]["rev"]) + 1)}.items():
            ws.update_cell(n + 2, col[name], value)
        sh.worksheet("Log").append_row([log.to_row()[c] for c in LOG_COLUMNS], value_input_option="RAW")

    def action() -> None:
        write(action_item, {"verifier": email_for("supervisor"), "updated_at": to_iso(T0),
                            "updated_by": email_for("supervisor")},
              LogRow(T0, action_item, 3, "take", email_for("supervisor"), "supervisor"))
        page()  # the page shows the result: everything again

    def publish(items: list[str]) -> Callable[[], None]:
        def run() -> None:
            sh.worksheet("Settings").get_all_records()
            sh.worksheet("Register").get_all_records(numericise_ignore=["all"])
            for item_id in items:  # claim, post, record
                for status in ("claimed", "published"):
                    write(item_id, {"channel_results": f'{{"site": {{"status": "{status}"}}}}'},
                          LogRow(T0, item_id, 6, "channel", "job", "publisher"))
        return run

    out = {}
    runs = {"page view (first)": page, "page view (fresh)": page, "page view (TTL over)": page,
            "page view (session due)": page, "page view (recheck due)": page, "desk action + rerun": action,
            f"publish run, {len(due)} due": publish(due), "publish run, idle": publish([])}
    for name, run in runs.items():
        fake.reset_counts()
        run()
        out[name] = calls(fake)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--items", type=int, default=300)
    p.add_argument("--due", type=int, default=5, help="items the busy publish run puts on the website")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, sheet_desk(Path(tmp)) as env:
        action_item, due = seed(env, args.items, args.due)
        # the naive baseline works on a copy of the same data, in the same fake server
        copy = env.fake.create_spreadsheet("naive", locale="id_ID")
        book = connect(env.fake).open_by_key(copy)
        for tab in ("Register", "Log", "Users", "Settings"):
            values = env.fake.peek(env.key, f"'{tab}'")
            ws = book.add_worksheet(tab, rows=max(len(values), 10), cols=len(values[0]))
            ws.update(values, "A1", value_input_option="RAW")
        b = naive(env.fake, copy, action_item, due)
        a = ours(env, action_item, args.due)
    print(f"Sheets API calls ({args.items} items, busy publish run of {args.due}); quota: 60 reads + 60 writes/min")
    print(f"{'':<24}{'ours':>8}{'naive gspread':>15}{'ratio':>8}")
    for name in a:
        ratio = f"{b[name] / a[name]:>7.1f}x" if a[name] else f"{'(0)':>8}"
        print(f"{name:<24}{a[name]:>8}{b[name]:>15}{ratio}")
        if name.endswith(" due"):
            print(f"{'':<4}({SPLIT[0]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

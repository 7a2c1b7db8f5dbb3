"""Google Sheets API calls through the path a user takes: the desk in AppTest and the publish job, both over the
production service-account path (``register.url = "gsheets://KEY"`` → ``gspread.service_account_from_dict``),
pointed at the loopback Sheets fake. The fake counts every request; the budget is what issue 8 asks:

* a page view: 1 read, the snapshot (one values:batchGet of Register, Log, Users, Settings and Sessions; 0 while
  it is fresh), which also answers the check of the user's sign-in session; that check reads Sessions and Users
  itself (1 read) only when neither it nor the snapshot was read within recheck_seconds, so a sign-out on another
  host still ends the session within that interval;
* a desk action, including what the page does after it: at most 3 calls;
* an idle publish run: 1 read; a busy one, however many items are due: 7 calls, the snapshot plus two batch
  commits (every claim in one, every result in one, each a read, an atomic write and a verifying read: fewer
  would mean writing without reading, or posting before the claim is known to have won), so ≤ 2N + 1 from
  three due items on (a claim verified before the post cannot cost less than 4 calls for one item).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from desk_helpers import button, email_for, errors, open_page, successes
from streamlit.testing.v1 import AppTest

from fakes.desk_on_sheets import SheetEnv, sheet_desk
from fakes.sheets_server import connect
from sopkit import sop
from sopkit.i18n import t
from sopkit.schema import Item
from sopkit.store.base import Change
from sopkit.store.gsheets import GSheetsStore
from sopkit.timeutil import AGENCY_TZ, to_iso
from sopkit.workflow import Desk

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_factory(sheet: SheetEnv) -> Callable[[str], AppTest]:
    """A browser tab signed in as the form leaves it: a stored session (``sopkit.sessions``) in the sheet."""
    from pages._ui import session
    from sopkit import sessions

    def make(email: str) -> AppTest:
        user = next(u for u in sheet.store.read_users()[0] if u.email == email)
        _, record = sessions.issue(sheet.store, user, sessions.SessionConfig(secret="test-secret"))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.session_state[session.AUTH_KEY] = record.id
        return at

    return make


@pytest.fixture
def sheet(tmp_path: Path) -> Iterator[SheetEnv]:
    with sheet_desk(tmp_path) as env:
        yield env


def test_a_page_view_is_one_read_and_an_action_with_its_rerun_three_calls(app_factory, sheet: SheetEnv) -> None:
    item = sheet.item_at(3)
    at = app_factory(email_for("supervisor"))
    sheet.fake.reset_counts()
    open_page(at, "supervisor")  # a fresh server process: its first page view
    # the snapshot (Register, Log, Users, Settings, Sessions) in one values:batchGet, and the sign-in session's
    # check answered from it; the session is checked again every [session] recheck_seconds (15 s on Sheets)
    assert sheet.calls() == {"values.batchGet": 1, "read": 1, "total": 1}
    sheet.fake.reset_counts()
    at.run()
    at.run()
    assert sheet.calls() == {}  # the snapshot is fresh: no call at all
    at.button(key=f"w_take_{item.id}").click().run()  # the callback's commit, then the page's rerun
    assert successes(at) == [t("done.take", id=item.id)]
    assert sheet.calls() == {"values.batchGet": 2, "spreadsheets.batchUpdate": 1, "read": 2, "write": 1,
                             "total": 3}
    assert sheet.store.get_item(item.id).verifier == email_for("supervisor")
    assert f"w_approve_{item.id}" in [b.key for b in at.button]  # and the page shows it, without a read


def _later(seconds: float, snapshot_too: bool) -> None:
    """As if ``seconds`` had passed for the sign-in checks' memory (and for the snapshot's Sessions, with
    ``snapshot_too``): both clocks are moved, nothing else."""
    from pages._ui import identity, session

    checker = identity.checker()
    base = checker.clock
    checker.clock = lambda: base() + seconds
    if snapshot_too:
        held = session._held(*session._key())
        held.read_at -= dt.timedelta(seconds=seconds)


def test_a_recheck_due_is_answered_by_a_snapshot_read_since(app_factory, sheet: SheetEnv) -> None:
    at = open_page(app_factory(email_for("supervisor")), "supervisor")
    _later(16, snapshot_too=False)  # the check's memory ran out, but the snapshot was read just now
    sheet.fake.reset_counts()
    at.run()
    assert sheet.calls() == {} and [x.value for x in at.title] == [t("page.supervisor")]


def test_a_sign_out_on_another_host_ends_the_session_within_the_recheck_interval(app_factory,
                                                                               sheet: SheetEnv) -> None:
    """The snapshot holds the Sessions as they were: once it and the memory are older than recheck_seconds, the
    check reads the store again and sees the sign-out made elsewhere."""
    from sopkit import sessions

    at = open_page(app_factory(email_for("supervisor")), "supervisor")
    from pages._ui import session

    sid = at.session_state[session.AUTH_KEY]
    elsewhere = GSheetsStore(connect(sheet.fake), sheet.key, sleep=lambda s: None)  # another host's desk
    sessions.revoke(elsewhere, sid)
    _later(15, snapshot_too=True)
    sheet.fake.reset_counts()
    at.run()
    assert [x.value for x in at.title] == [t("signin.title")] and t("session.signed_out") in errors(at)
    assert sheet.calls() == {"values.batchGet": 1, "read": 1, "total": 1}  # the check's own read


def test_a_refused_action_costs_one_read_and_says_so_in_indonesian(app_factory, sheet: SheetEnv) -> None:
    item = sheet.item_at(3)
    at = open_page(app_factory(email_for("supervisor")), "supervisor")
    other = Desk(GSheetsStore(connect(sheet.fake), sheet.key, sleep=lambda s: None))
    other.take(sheet.user("supervisor2"), other.store.get_item(item.id))  # another host, just before the click
    sheet.fake.reset_counts()
    at.button(key=f"w_take_{item.id}").click().run()
    assert errors(at) == [t("error.stale")]
    assert sheet.calls()["total"] == 1 and sheet.calls().get("write", 0) == 0
    assert f"w_take_{item.id}" not in [b.key for b in at.button]  # the page shows the other's take already


def test_a_settings_save_is_three_calls_with_the_rerun_and_a_hand_edit_is_recorded_once(app_factory,
                                                                                        sheet: SheetEnv) -> None:
    """An admin's save: read, one atomic write, a verifying read; the page's rerun shows the new revision from
    that read. A hand edit of the Settings tab is found by the next snapshot's one read and recorded once (a
    save's write and verifying read), then costs nothing more."""
    at = open_page(app_factory(email_for("admin")), "admin")
    sheet.fake.reset_counts()
    at.text_input(key="w_sop_number").input("800/123/DISHUB-C/2026")
    button(at, "admin.save_settings").click().run()
    assert t("admin.saved_settings") in successes(at)
    assert sheet.calls() == {"values.batchGet": 2, "spreadsheets.batchUpdate": 1, "read": 2, "write": 1,
                             "total": 3}
    [shown] = [d.value for d in at.dataframe if t("hist.rev") in d.value.columns]
    assert list(shown[t("hist.rev")]) == [1] and list(shown[t("hist.actor")]) == ["Admin"]
    values = sheet.fake.peek(sheet.key, "'Settings'")
    row = next(n for n, r in enumerate(values, start=1) if r and r[0] == "limit_step3")
    sheet.fake.admin_edit(sheet.key, f"Settings!B{row}", "90")  # an admin types into the sheet
    from pages._ui import session

    session.after_write()  # as if the snapshot had aged: the next run reads everything
    tab = app_factory(email_for("admin"))
    sheet.fake.reset_counts()
    at = open_page(tab, "admin")
    # the snapshot, which also answers the session check (a page view), and recording the hand edit: a write and
    # its verify
    assert sheet.calls() == {"values.batchGet": 2, "spreadsheets.batchUpdate": 1, "read": 2, "write": 1,
                             "total": 3}
    [shown] = [d.value for d in at.dataframe if t("hist.rev") in d.value.columns]
    assert list(shown[t("hist.rev")]) == [2, 1] and list(shown[t("hist.source")])[0] == t("hist.source.hand_edit")
    session.after_write()
    tab = app_factory(email_for("admin"))
    sheet.fake.reset_counts()
    open_page(tab, "admin")
    assert sheet.calls() == {"values.batchGet": 1, "read": 1, "total": 1}  # recorded once: a page view again
    assert [h["source"] for h in sheet.store.read_settings_history()] == ["admin", "hand-edit"]


def _due(sheet: SheetEnv, n: int) -> list[Item]:
    """``n`` items scheduled for the website a few minutes ago (steps 4 and 5 set by hand: the budget is about
    the job)."""
    items = []
    for k in range(n):
        item = sheet.item_at(3)
        when = dt.datetime.now(AGENCY_TZ) - dt.timedelta(minutes=1 + k)
        items.append(sheet.store.commit(Change(item.id, item.rev, {
            "step": "6", "status": sop.STATUS_BY_STEP[6], "publish_at": to_iso(when), "channels": "site"},
            seen=item)))
    return items


@pytest.mark.parametrize("due", [0, 1, 3, 10])
def test_publish_runs_idle_one_read_busy_seven_calls_whatever_is_due(sheet: SheetEnv, due: int) -> None:
    from jobs.publish import run_once
    from sopkit import config

    items = _due(sheet, due)
    sheet.fake.reset_counts()
    lines: list[str] = []
    code = run_once(config.load(), say=lines.append, sleep=lambda s: None)
    assert code == 0, lines
    calls = sheet.calls()
    if due == 0:
        assert calls == {"values.batchGet": 1, "read": 1, "total": 1}, (calls, lines)
    else:  # the snapshot; the claims' read, write, verify; the results' read, write, verify
        assert calls == {"values.batchGet": 5, "spreadsheets.batchUpdate": 2, "read": 5, "write": 2,
                         "total": 7}, (calls, lines)
        assert due < 3 or calls["total"] <= 2 * due + 1
    for item in items:
        assert sheet.store.get_item(item.id).status == sop.PUBLISHED
    assert [r["action"] for item in items for r in sheet.store.read_log(item.id)][-2:] == (
        ["channel", "publish"] if items else [])

"""Demo data: after ``python -m sopkit demo`` every SOP role has work waiting, deterministically."""

from __future__ import annotations

import collections
import datetime as dt
from pathlib import Path

import pytest

from sopkit import demo, sop
from sopkit.store.sqlite import SQLiteStore
from sopkit.timeutil import AGENCY_TZ, parse_iso
from sopkit.workflow import waiting_on

UNTILS = [
    dt.datetime(2026, 11, 26, 10, 0, tzinfo=AGENCY_TZ),  # a Thursday morning
    dt.datetime(2026, 11, 30, 7, 45, tzinfo=AGENCY_TZ),  # Monday, a quarter of an hour into the working day
]


def _seed(tmp_path: Path, until: dt.datetime, name: str) -> SQLiteStore:
    store = SQLiteStore(tmp_path / f"{name}.db")
    store.init()
    demo.seed(store, 33, months=1, until=until)
    return store


@pytest.mark.parametrize("until", UNTILS, ids=["thursday", "monday-early"])
def test_every_role_has_work_waiting(tmp_path: Path, until: dt.datetime) -> None:
    store = _seed(tmp_path, until, "a")
    items = store.read_register().items
    open_items = [i for i in items if i.is_open]
    assert collections.Counter(i.step for i in open_items) == collections.Counter(demo.OPEN_STEPS)
    users = store.read_users()[0]
    for role in sop.SOP_ROLES:
        assert any(waiting_on(items, u) for u in users if u.has(role)), f"nothing waits on the {role}"
    # at step 6 one is due (the publisher's queue) and one upcoming; nothing happened after ``until``
    at6 = sorted(i.publish_at for i in open_items if i.step == 6)
    assert at6[0] <= until < at6[1]
    assert max(parse_iso(r["at"]) for r in store.read_log()) <= until
    # the pairs: one waits in the queue, one is held by the step's holder
    for step in (2, 3, 4, 5):
        held = sorted(bool(i.holder(step)) for i in open_items if i.step == step)
        assert held == [False, True], (step, held)

    again = _seed(tmp_path, until, "b")
    shape = sorted((i.title, i.step, i.status, str(i.publish_at)) for i in items)
    assert shape == sorted((i.title, i.step, i.status, str(i.publish_at)) for i in again.read_register().items)

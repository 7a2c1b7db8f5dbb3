"""Compliance from the Log: hand-computed cases, bad rows, and the vectorised path against a plain loop."""

from __future__ import annotations

import datetime as dt
import json
import random
import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as hyp_st

from sopkit.clock import WorkCalendar
from sopkit.compliance import ATTEMPT_COLUMNS, compute
from sopkit.settings import History, Settings, history_from_rows

AS_OF = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)  # Mon 30 Nov 17:00 WIB


def log(*rows: tuple) -> pd.DataFrame:
    cols = ["at", "item_id", "step", "action", "actor", "role", "note", "publish_at"]
    return pd.DataFrame([dict(zip(cols, (*r, *[""] * (8 - len(r))), strict=True)) for r in rows], columns=cols)


HAPPY = log(
    ("2026-11-23T09:00:00+07:00", "A", "1", "start", "o"),
    ("2026-11-23T10:00:00+07:00", "A", "1", "submit", "o"),
    ("2026-11-23T12:00:00+07:00", "A", "2", "submit", "c"),
    ("2026-11-23T13:00:00+07:00", "A", "3", "reject", "v", "", "fix"),
    ("2026-11-23T14:00:00+07:00", "A", "2", "submit", "c"),
    ("2026-11-23T15:00:00+07:00", "A", "3", "approve", "v"),
    ("2026-11-24T08:00:00+07:00", "A", "4", "approve", "a"),
    ("2026-11-24T08:10:00+07:00", "A", "5", "schedule", "v", "", "", "2026-11-24T09:00:00+07:00"),
    ("2026-11-24T09:20:00+07:00", "A", "6", "publish", "p"),
)


def attempts(report) -> list[tuple]:  # noqa: ANN001
    a = report.attempts_for_export()
    return list(a[["step", "attempt", "started_at", "ended_at", "minutes", "on_time"]].itertuples(index=False,
                                                                                                    name=None))


def test_happy_path_with_one_rejection() -> None:
    r = compute(HAPPY, as_of=AS_OF)
    assert attempts(r) == [
        (1, 1, "2026-11-23T09:00:00+07:00", "2026-11-23T10:00:00+07:00", 60.0, True),
        (2, 1, "2026-11-23T10:00:00+07:00", "2026-11-23T12:00:00+07:00", 120.0, True),
        (3, 1, "2026-11-23T12:00:00+07:00", "2026-11-23T13:00:00+07:00", 0.0, True),  # lunch hour
        (2, 2, "2026-11-23T13:00:00+07:00", "2026-11-23T14:00:00+07:00", 60.0, True),
        (3, 2, "2026-11-23T14:00:00+07:00", "2026-11-23T15:00:00+07:00", 60.0, True),  # equal to limit
        (4, 1, "2026-11-23T15:00:00+07:00", "2026-11-24T08:00:00+07:00", 90.0, False),
        (5, 1, "2026-11-24T08:00:00+07:00", "2026-11-24T08:10:00+07:00", 10.0, True),
        (6, 1, "2026-11-24T09:00:00+07:00", "2026-11-24T09:20:00+07:00", 20.0, False),  # calendar, from publish_at
    ]
    assert list(r.attempts_for_export().columns[:9]) == list(ATTEMPT_COLUMNS[:9])
    assert r.problems.empty
    assert r.rework().set_index("item_id").loc["A", "rejections"] == 1


def test_row_order_does_not_matter() -> None:
    shuffled = HAPPY.sample(frac=1, random_state=3)
    assert attempts(compute(shuffled, as_of=AS_OF)) == attempts(compute(HAPPY, as_of=AS_OF))


@pytest.mark.parametrize("schedule_at,publish_at,published,minutes", [
    ("2026-11-24T08:10:00+07:00", "2026-11-24T09:00:00+07:00", "2026-11-24T09:15:00+07:00", 15.0),
    # scheduled late, after the planned time: the clock starts at the schedule action
    ("2026-11-24T10:00:00+07:00", "2026-11-24T09:00:00+07:00", "2026-11-24T10:05:00+07:00", 5.0),
    # published before the planned time: never below 0
    ("2026-11-24T08:10:00+07:00", "2026-11-24T09:00:00+07:00", "2026-11-24T08:30:00+07:00", 0.0),
    # Saturday publication counts calendar minutes
    ("2026-11-27T15:00:00+07:00", "2026-11-28T09:00:00+07:00", "2026-11-28T09:40:00+07:00", 40.0),
    # no offset means Asia/Pontianak; Z means UTC
    ("2026-11-24T08:10:00", "2026-11-24T02:00:00Z", "2026-11-24T09:10:00+07:00", 10.0),
])
def test_step_6_clock(schedule_at: str, publish_at: str, published: str, minutes: float) -> None:
    rows = log(("2026-11-24T07:40:00+07:00", "B", "4", "approve", "a"),
               (schedule_at, "B", "5", "schedule", "v", "", "", publish_at),
               (published, "B", "6", "publish", "p"))
    prefix = log(("2026-11-23T08:00:00+07:00", "B", "1", "start"), ("2026-11-23T08:10:00+07:00", "B", "1", "submit"),
                 ("2026-11-23T08:20:00+07:00", "B", "2", "submit"), ("2026-11-23T08:30:00+07:00", "B", "3", "approve"))
    r = compute(pd.concat([prefix, rows]), as_of=AS_OF)
    six = r.attempts[r.attempts["step"] == 6].iloc[0]
    assert six["minutes"] == pytest.approx(minutes)
    assert six["on_time"] == (minutes <= 15)


def test_reschedule_moves_the_step_6_start() -> None:
    rows = pd.concat([HAPPY.iloc[:8], log(
        ("2026-11-24T08:30:00+07:00", "A", "6", "schedule", "v", "", "", "2026-11-24T11:00:00+07:00"),
        ("2026-11-24T11:05:00+07:00", "A", "6", "publish", "p"))])
    r = compute(rows, as_of=AS_OF)
    six = r.attempts[r.attempts["step"] == 6]
    assert len(six) == 1 and six.iloc[0]["minutes"] == pytest.approx(5.0)
    five = r.attempts[r.attempts["step"] == 5]
    assert len(five) == 1 and five.iloc[0]["minutes"] == pytest.approx(10.0)


def test_open_attempts_measure_to_as_of_with_remaining() -> None:
    rows = log(("2026-11-30T15:00:00+07:00", "C", "1", "start"), ("2026-11-30T15:30:00+07:00", "C", "1", "submit"),
               ("2026-11-30T16:00:00+07:00", "C", "2", "submit"))
    r = compute(rows, as_of=AS_OF)
    a = r.attempts_for_export()
    last = a.iloc[-1]
    assert (last["step"], last["ended_at"], last["minutes"], last["remaining_minutes"], last["on_time"]) == (
        3, "", 0.0, 60.0, True)  # 16:00 to 17:00 on Monday: after closing, nothing counted yet
    later = compute(rows, as_of=dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)).attempts.iloc[-1]  # Tue 10:00
    assert later["minutes"] == pytest.approx(150) and later["remaining_minutes"] == pytest.approx(-90)
    assert not later["on_time"]


def test_cancel_closes_the_open_attempt() -> None:
    rows = log(("2026-11-23T08:00:00+07:00", "D", "1", "start"), ("2026-11-23T09:00:00+07:00", "D", "3", "cancel"))
    r = compute(rows, as_of=AS_OF)
    assert r.problems.empty
    assert r.attempts[["step", "outcome", "minutes"]].values.tolist() == [[1, "cancel", 60.0]]


def test_rejection_target_follows_settings() -> None:
    rows = log(("2026-11-23T08:00:00+07:00", "E", "1", "start"), ("2026-11-23T08:10:00+07:00", "E", "1", "submit"),
               ("2026-11-23T08:20:00+07:00", "E", "2", "submit"), ("2026-11-23T08:30:00+07:00", "E", "3", "reject"),
               ("2026-11-23T08:40:00+07:00", "E", "1", "submit"))
    s = Settings(reject_to={3: 1, 4: 2})
    r = compute(rows, s, as_of=AS_OF)
    assert r.problems.empty
    assert r.attempts["step"].tolist() == [1, 2, 3, 1, 2]


BAD = [
    (("yesterday", "F", "1", "start"), "bad timestamp"),
    (("2026-11-23T08:00:00+07:00", "F", "9", "start"), "unknown step"),
    (("2026-11-23T08:00:00+07:00", "F", "x", "start"), "unknown step"),
    (("2026-11-23T08:00:00+07:00", "F", "1", "delete"), "unknown action"),
    (("2026-11-23T08:00:00+07:00", "", "1", "start"), "missing item_id"),
    (("2026-11-23T08:00:00+07:00", "F", "3", "approve"), "no submit before it"),
    (("2026-11-23T08:00:00+07:00", "F", "4", "submit"), "not possible at step 4"),
    (("2026-11-23T08:00:00+07:00", "F", "5", "schedule", "v", "", "", "besok"), "publish_at"),
    (("1899-11-23T08:00:00+07:00", "F", "1", "start"), "bad timestamp"),
]


@pytest.mark.parametrize("row,reason", BAD, ids=[b[1] for b in BAD])
def test_bad_rows_are_skipped_with_row_number_and_reason(row: tuple, reason: str) -> None:
    rows = pd.concat([HAPPY, log(row)], ignore_index=True)
    r = compute(rows, as_of=AS_OF)
    assert r.problems[["row", "reason"]].values.tolist()[0][0] == len(HAPPY) + 2  # header is row 1
    assert reason in r.problems["reason"].iloc[0]
    assert attempts(r) == attempts(compute(HAPPY, as_of=AS_OF))  # the good rows still count


def test_duplicate_start_and_double_approve_are_skipped() -> None:
    rows = pd.concat([HAPPY, log(("2026-11-23T09:30:00+07:00", "A", "1", "start"),
                                  ("2026-11-23T15:05:00+07:00", "A", "3", "approve"))], ignore_index=True)
    r = compute(rows, as_of=AS_OF)
    assert sorted(r.problems["row"]) == [11, 12]
    assert attempts(r) == attempts(compute(HAPPY, as_of=AS_OF))


def test_missing_column_is_an_error() -> None:
    with pytest.raises(ValueError, match="action"):
        compute(HAPPY.drop(columns=["action"]), as_of=AS_OF)


# -- the vectorised path against a plain, obviously-correct loop ---------------------------------------------------
NEXT = {("start", 1): 1, ("submit", 1): 2, ("submit", 2): 3, ("approve", 3): 4, ("reject", 3): 2, ("approve", 4): 5,
        ("reject", 4): 2, ("schedule", 5): 6, ("publish", 6): 7}


def reference(rows: pd.DataFrame, as_of: dt.datetime) -> list[tuple]:
    """Sequential reading of the rules, one row at a time."""
    cal = WorkCalendar()
    limits = Settings().limits
    df = rows.copy()
    df["t"] = pd.to_datetime(df["at"], utc=True)
    df["rank"] = df.index
    out = []
    for item, g in df.sort_values(["item_id", "t", "rank"]).groupby("item_id", sort=True):
        state, opened, sched = 0, None, None
        for r in g.itertuples():
            step, act = int(r.step), r.action
            if act == "cancel":
                ok, nxt = 1 <= state <= 6, 7
            elif act == "schedule" and state == 6:
                sched = (r.t, pd.Timestamp(r.publish_at) if r.publish_at else r.t)
                continue
            else:
                ok, nxt = (state == {"start": 0}.get(act, step)) and (act, step) in NEXT, NEXT.get((act, step))
            if not ok:
                continue
            if opened is not None:
                out.append((item, state, opened, r.t, sched))
            state = nxt
            opened = r.t if 1 <= state <= 6 else None
            if act == "schedule":
                sched = (r.t, pd.Timestamp(r.publish_at) if r.publish_at else r.t)
        if opened is not None:
            out.append((item, state, opened, None, sched))
    res = []
    for item, step, start, end, sched in out:
        stop = end if end is not None else pd.Timestamp(as_of)
        if step == 6:
            start = max(sched[0], sched[1])
            minutes = max((stop - start).total_seconds() / 60, 0)
        else:
            minutes = max(cal.working_between(start.to_pydatetime(), stop.to_pydatetime()), 0)
        res.append((item, step, round(minutes, 6), minutes <= limits[step] + 1e-6))
    return sorted(res)


def random_log(rng: random.Random, items: int, noise: float) -> pd.DataFrame:
    rows = []
    for i in range(items):
        t = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC) + dt.timedelta(hours=rng.uniform(0, 24 * 200))
        seq = [("start", 1), ("submit", 1), ("submit", 2)]
        while rng.random() < 0.3:
            seq += [("reject", 3), ("submit", 2)]
        seq += [("approve", 3)]
        if rng.random() < 0.2:
            seq += [("reject", 4), ("submit", 2), ("approve", 3)]
        seq += [("approve", 4), ("schedule", 5)]
        if rng.random() < 0.2:
            seq += [("schedule", 6)]
        seq += [("publish", 6)]
        if rng.random() < 0.1:
            seq = seq[: rng.randrange(1, len(seq))] + [("cancel", 3)]
        seq = seq[: rng.randrange(1, len(seq) + 1)] if rng.random() < 0.3 else seq
        for act, step in seq:
            t += dt.timedelta(minutes=rng.uniform(1, 900))
            pub = (t + dt.timedelta(minutes=rng.uniform(-30, 120))).isoformat() if act == "schedule" else ""
            rows.append((t.isoformat(), f"I{i}", str(step), act, "u", "", "", pub))
            if rng.random() < noise:  # a stray row out of order
                bad_act, bad_step = rng.choice(list(NEXT))
                bad_t = t + dt.timedelta(minutes=rng.uniform(-600, 600))
                rows.append((bad_t.isoformat(), f"I{i}", str(bad_step), bad_act, "u", "", "", ""))
    return log(*rows)


@pytest.mark.parametrize("seed,noise", [(1, 0.0), (2, 0.05), (3, 0.3)])
def test_vectorised_matches_reference(seed: int, noise: float) -> None:
    rng = random.Random(seed)
    rows = random_log(rng, 150, noise)
    as_of = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    r = compute(rows, as_of=as_of)
    got = sorted((a.item_id, a.step, round(a.minutes, 6), bool(a.on_time)) for a in r.attempts.itertuples())
    expected = reference(rows, as_of)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g[:2] == e[:2] and g[2] == pytest.approx(e[2], abs=1e-3) and g[3] == e[3]


# -- same-instant rows: replayed in the order the item's state allows ----------------------------------------------
def prefix(item: str, *, minute: int = 0) -> list[tuple]:
    return [(f"2026-11-23T08:{minute:02d}:00+07:00", item, "1", "start", "o"),
            (f"2026-11-23T09:{minute:02d}:00+07:00", item, "1", "submit", "o"),
            (f"2026-11-23T10:{minute:02d}:00+07:00", item, "2", "submit", "c")]


@pytest.mark.parametrize("reject_step", [3, 4])
@pytest.mark.parametrize("flip", [False, True])
def test_a_reject_and_the_resubmit_at_the_same_instant(reject_step: int, flip: bool) -> None:
    """The issue's case: a Log typed to the minute. A fixed rank put submit@2 before reject@3/4, skipped three
    valid rows and made a valid item 130,000+ minutes overdue."""
    rows = prefix("G")
    if reject_step == 4:
        rows.append(("2026-11-23T10:30:00+07:00", "G", "3", "approve", "v"))
    same = [("2026-11-23T11:00:00+07:00", "G", str(reject_step), "reject", "v" if reject_step == 3 else "a"),
            ("2026-11-23T11:00:00+07:00", "G", "2", "submit", "c")]
    rows += same[::-1] if flip else same
    rows += [("2026-11-23T11:30:00+07:00", "G", "3", "approve", "v"),
             ("2026-11-23T13:30:00+07:00", "G", "4", "approve", "a"),
             ("2026-11-23T13:40:00+07:00", "G", "5", "schedule", "v", "", "", "2026-11-23T14:00:00+07:00"),
             ("2026-11-23T14:05:00+07:00", "G", "6", "publish", "p")]
    r = compute(log(*rows), as_of=AS_OF)
    assert r.problems.empty
    a = r.attempts
    assert a["minutes"].max() <= 120 and a["ended_at"].notna().all()
    assert a.loc[a["step"] == 2, "attempt"].tolist() == [1, 2]
    assert a.loc[(a["step"] == reject_step) & (a["attempt"] == 1), "outcome"].item() == "reject"


def test_two_decisions_at_one_instant_keep_the_one_the_item_went_on_from() -> None:
    """An approve and a reject of step 3 at the same minute (two people at once): only one can be taken; the one
    that lets the item's later rows be taken wins, whatever the order of the rows, and the other is listed."""
    rows = [*prefix("H"), ("2026-11-23T11:00:00+07:00", "H", "3", "reject", "v2"),
            ("2026-11-23T11:00:00+07:00", "H", "3", "approve", "v"),
            ("2026-11-23T13:30:00+07:00", "H", "4", "approve", "a")]
    for order in (rows, rows[::-1]):
        r = compute(log(*order), as_of=AS_OF)
        assert r.attempts["outcome"].tolist() == ["submit", "submit", "approve", "approve", "open"]
        assert len(r.problems) == 1 and r.problems["reason"].item().startswith("reject at step 3")


# Five rows at one instant that two orders take in full: reject, submit, approve, reject@4, submit — or approve,
# reject@4, submit, reject, submit. Both end at step 3; they differ in which decision came first.
ELEVEN = "2026-11-23T11:00:00+07:00"
TWO_WAYS = [(ELEVEN, "K", "3", "reject", "v"), (ELEVEN, "K", "2", "submit", "c"), (ELEVEN, "K", "3", "approve", "v"),
            (ELEVEN, "K", "4", "reject", "a"), (ELEVEN, "K", "2", "submit", "c")]


def test_the_stores_row_order_breaks_ties_between_orders_that_all_fit() -> None:
    first_reject = log(*prefix("K"), *TWO_WAYS)
    first_approve = log(*prefix("K"), *[TWO_WAYS[i] for i in (2, 3, 1, 0, 4)])

    def step3(df: pd.DataFrame, **kw: bool) -> list[str]:
        a = compute(df, as_of=AS_OF, **kw).attempts
        return a.loc[a["step"] == 3, "outcome"].tolist()

    assert step3(first_reject, stored_order=True) == ["reject", "approve", "open"]
    assert step3(first_approve, stored_order=True) == ["approve", "reject", "open"]
    # a file: the order of its rows means nothing, so both give the same (the SOP's order decides)
    assert step3(first_reject) == step3(first_approve)


def test_a_lone_out_of_order_row_is_still_skipped_at_an_instant_shared_with_valid_rows() -> None:
    rows = [*prefix("L"), ("2026-11-23T11:00:00+07:00", "L", "3", "approve", "v"),
            ("2026-11-23T11:00:00+07:00", "L", "1", "submit", "o")]
    r = compute(log(*rows), as_of=AS_OF)
    assert r.problems["row"].tolist() == [6] and "step 1 is not open" in r.problems["reason"].item()
    assert r.attempts["step"].tolist() == [1, 2, 3, 4]


# -- property: shuffling rows that share an instant never changes the report -------------------------------------
OPTIONS = {0: [("start", 1)], 1: [("submit", 1)], 2: [("submit", 2)], 3: [("approve", 3), ("reject", 3)],
           4: [("approve", 4), ("reject", 4)], 5: [("schedule", 5)],
           6: [("publish", 6), ("schedule", 6), ("schedule", 5)]}
BASE = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


@hyp_st.composite
def valid_logs(draw: hyp_st.DrawFn) -> pd.DataFrame:
    """Valid histories of a few items, timed to the minute with many rows at the same instant (gap 0), in their
    true order: rework loops, reschedules, cancels, items left open."""
    rows = []
    for k in range(draw(hyp_st.integers(1, 4))):
        t = BASE + dt.timedelta(minutes=30 * draw(hyp_st.integers(0, 3)))
        state = 0
        for _ in range(draw(hyp_st.integers(1, 16))):
            if state == 7:
                break
            choices = OPTIONS[state] + ([("cancel", state)] if state >= 1 else [])
            act, step = draw(hyp_st.sampled_from(choices))
            t += dt.timedelta(minutes=draw(hyp_st.sampled_from([0, 0, 0, 1, 45, 240, 1440])))
            pub = (t + dt.timedelta(minutes=draw(hyp_st.sampled_from([0, 20, 90])))).isoformat() if (
                act == "schedule") else ""
            rows.append((t.isoformat(timespec="minutes"), f"P{k}", str(step), act, draw(hyp_st.sampled_from("xy")),
                         "", "", pub))
            state = {"cancel": 7, "publish": 7, "schedule": 6}.get(act) or NEXT[(act, step)]
    return log(*rows)


def shuffle_ties(df: pd.DataFrame, rnd: random.Random) -> pd.DataFrame:
    """The same rows, those that share an instant in another order (and the file's rows in any order)."""
    groups = [list(g.index) for _, g in df.groupby("at", sort=False)]
    for g in groups:
        rnd.shuffle(g)
    rnd.shuffle(groups)
    return df.loc[[i for g in groups for i in g]].reset_index(drop=True)


@hyp_settings(max_examples=150, deadline=None)
@given(valid_logs(), hyp_st.randoms(use_true_random=False))
def test_shuffling_rows_that_share_an_instant_never_changes_the_report(df: pd.DataFrame, rnd: random.Random) -> None:
    as_of = BASE + dt.timedelta(days=30)
    truth = compute(df, as_of=as_of, stored_order=True)
    assert truth.problems.empty  # the store's own order of a valid history is taken as it is
    expected = sorted(reference(df, as_of))
    got = sorted((a.item_id, a.step, round(a.minutes, 6), bool(a.on_time)) for a in truth.attempts.itertuples())
    assert [g[:2] for g in got] == [e[:2] for e in expected]
    assert [g[2] for g in got] == pytest.approx([e[2] for e in expected], abs=1e-3)
    report = compute(df, as_of=as_of)
    assert report.problems.empty  # as a file, in the order the state allows: every row is taken
    shuffled = compute(shuffle_ties(df, rnd), as_of=as_of)
    pd.testing.assert_frame_equal(shuffled.attempts_for_export(), report.attempts_for_export())
    assert shuffled.problems.empty
    # whichever order fits, the item spends the same time at steps 1-5 as it truly did
    def per_step(a: pd.DataFrame) -> dict[int, tuple[int, float]]:
        five = a[a["step"] <= 5]
        return {s: (len(g), round(g["minutes"].sum(), 3)) for s, g in five.groupby("step")}
    assert per_step(report.attempts) == per_step(truth.attempts)


@hyp_settings(max_examples=80, deadline=None)
@given(valid_logs(), hyp_st.randoms(use_true_random=False), hyp_st.data())
def test_shuffling_ties_with_stray_rows_never_changes_the_report(df: pd.DataFrame, rnd: random.Random,
                                                                  data: hyp_st.DataObject) -> None:
    """Stray rows (a double approve, a submit at the wrong step) at instants shared with valid rows."""
    strays = data.draw(hyp_st.lists(hyp_st.tuples(hyp_st.integers(0, max(len(df) - 1, 0)),
                                                  hyp_st.sampled_from(sorted(NEXT))), max_size=4))
    extra = [(df["at"].iloc[i], df["item_id"].iloc[i], str(step), act, "z", "", "", "") for i, (act, step) in strays
             if len(df)]
    full = pd.concat([df, log(*extra)], ignore_index=True) if extra else df
    as_of = BASE + dt.timedelta(days=30)
    a = compute(full, as_of=as_of)
    b = compute(shuffle_ties(full, rnd), as_of=as_of)
    pd.testing.assert_frame_equal(a.attempts_for_export(), b.attempts_for_export())
    def reasons(r) -> list[str]:  # noqa: ANN001 - the rows named in a reason move with the shuffle; the rest not
        return sorted(re.sub(r"row \d+", "row N", x) for x in r.problems["reason"])

    assert reasons(a) == reasons(b)


# -- the rules in force at the time -----------------------------------------------------------------------------
def history(*revisions: tuple[int, str, dict[str, str]]) -> History:
    """A Settings history as the store keeps it: (rev, at, every settings row after it)."""
    return history_from_rows([{"rev": str(rev), "at": at, "actor": "admin@x.id", "source": "admin", "changes": "",
                               "settings": json.dumps(rows)} for rev, at, rows in revisions])


def test_a_limit_changed_between_two_attempts_judges_each_by_its_own() -> None:
    """Step 3's limit goes from 60 to 30 at 12:30 on Monday: the first verification (started 10:00, 75 minutes) is
    late by revision 1; the second (started 14:00, after the change, 45 minutes) is late by revision 2 only."""
    rows = log(*prefix("M"), ("2026-11-23T11:15:00+07:00", "M", "3", "reject", "v"),
               ("2026-11-23T14:00:00+07:00", "M", "2", "submit", "c"),
               ("2026-11-23T14:45:00+07:00", "M", "3", "approve", "v"))
    h = history((1, "2026-11-01T00:00:00+07:00", {"limit_step3": "90"}),
                (2, "2026-11-23T12:30:00.000+07:00", {"limit_step3": "30"}))
    a = compute(rows, history=h, as_of=AS_OF).attempts
    three = a[a["step"] == 3]
    assert three[["attempt", "minutes", "limit_minutes", "on_time", "settings_rev"]].values.tolist() == [
        [1, 75.0, 90, True, 1], [2, 45.0, 30, False, 2]]
    # today's settings alone would have judged the first one by 30 too
    today = compute(rows, settings=h.latest.settings, as_of=AS_OF).attempts
    assert today.loc[today["step"] == 3, "on_time"].tolist() == [False, False]
    # the step-2 attempt opened by the reject at 11:15 was judged by revision 1, the rest of the item's by either
    assert a.loc[a["step"] == 2, "settings_rev"].tolist() == [1, 1]


def test_an_extra_holiday_added_after_the_fact_does_not_rewrite_the_past() -> None:
    """Tuesday 24 Nov is declared a holiday on Wednesday the 25th (revision 2). An approval that waited from Monday
    15:00 to Wednesday 08:00 started under revision 1: Tuesday counts, it is late. The same wait started after the
    revision would not count Tuesday."""
    h = history((1, "2026-11-01T00:00:00+07:00", {}),
                (2, "2026-11-25T07:00:00+07:00", {"extra_holidays": "2026-11-24"}))
    before = log(*prefix("N"), ("2026-11-23T15:00:00+07:00", "N", "3", "approve", "v"),
                 ("2026-11-25T08:00:00+07:00", "N", "4", "approve", "a"))
    four = compute(before, history=h, as_of=AS_OF).attempts.query("step == 4").iloc[0]
    assert (four["minutes"], four["on_time"], four["settings_rev"]) == (60 + 450 + 30, False, 1)
    # backdated to a start after the revision: a later attempt spanning the 24th is judged by revision 2
    assert WorkCalendar(h.latest.settings).working_between(
        dt.datetime(2026, 11, 23, 15, tzinfo=BASE.tzinfo), dt.datetime(2026, 11, 25, 8, tzinfo=BASE.tzinfo)) == 90
    after = log(("2026-11-25T09:00:00+07:00", "Q", "1", "start", "o"),
                ("2026-11-25T10:00:00+07:00", "Q", "1", "submit"))
    assert compute(after, history=h, as_of=AS_OF).attempts["settings_rev"].tolist() == [2, 2]


def test_a_rejection_returns_where_the_revision_in_force_then_says() -> None:
    h = history((1, "2026-11-01T00:00:00+07:00", {"reject_to_step3": "2"}),
                (2, "2026-11-23T12:00:00+07:00", {"reject_to_step3": "1"}))
    rows = log(*prefix("R"), ("2026-11-23T11:00:00+07:00", "R", "3", "reject", "v"),
               ("2026-11-23T11:10:00+07:00", "R", "2", "submit", "c"),
               ("2026-11-23T13:00:00+07:00", "R", "3", "reject", "v"),
               ("2026-11-23T13:10:00+07:00", "R", "1", "submit", "o"))
    r = compute(rows, history=h, as_of=AS_OF)
    assert r.problems.empty
    assert r.attempts["step"].tolist() == [1, 2, 3, 2, 3, 1, 2]


def test_attempts_before_the_first_recorded_revision_are_judged_by_it() -> None:
    h = history((1, "2026-11-25T00:00:00+07:00", {"limit_step1": "30"}), (2, "2026-11-26T00:00:00+07:00", {}))
    r = compute(HAPPY, history=h, as_of=AS_OF)
    assert r.attempts.loc[r.attempts["step"] == 1, ["limit_minutes", "on_time", "settings_rev"]].values.tolist() == [
        [30, False, 1]]
    assert [x.rev for x in r.revisions_used()] == [1]


def test_why_late_breaks_the_wait_into_windows_breaks_and_named_holidays() -> None:
    """Approved at step 3 on the eve of Christmas 2026; step 4 decided on the 28th: 24 Dec is cuti bersama, the 25th
    Christmas, then a weekend. The working windows counted add up to the attempt's minutes."""
    rows = log(*prefix("W"), ("2026-12-23T15:00:00+07:00", "W", "3", "approve", "v"),
               ("2026-12-28T08:30:00+07:00", "W", "4", "approve", "a"))
    r = compute(rows, as_of=AS_OF)
    four = r.attempts.query("step == 4").iloc[0]
    breakdown, deadline = r.explain(four)
    assert deadline == dt.datetime(2026, 12, 23, 16, 0, tzinfo=BASE.tzinfo)  # the limit: 60 working minutes
    kinds = [(s.kind, s.name) for s in breakdown.spans]
    assert kinds == [("work", ""), ("off_hours", ""), ("holiday", "Cuti Bersama Hari Raya Natal"),
                     ("holiday", "Hari Raya Natal"), ("weekend", ""), ("off_hours", ""), ("work", "")]
    assert breakdown.minutes == four["minutes"] == 120
    why = r.why_late()
    assert set(why["step"]) == {3, 4}  # step 3 waited a month too
    why = why[why["step"] == 4]
    assert why[["kind", "name"]].values.tolist()[2] == ["holiday", "Cuti Bersama Hari Raya Natal"]
    assert why["deadline"].iloc[0] == "2026-12-23T16:00:00+07:00" and why["minutes"].sum() == 120
    english = r.why_late("en")
    assert "Christmas Day" in english["name"].tolist()

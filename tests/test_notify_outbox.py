"""The Outbox's reading (``sopkit.notify.outbox.fold``): who owns a message, and what happened to it, from rows
in append order alone. The store-backed side (both backends, concurrent appends) is in test_store_contract.py."""

from __future__ import annotations

import datetime as dt

import pytest

from sopkit.notify.outbox import Event, Meta, Status, decide, fold, message_key, row
from sopkit.schema import OUTBOX_COLUMNS
from sopkit.timeutil import AGENCY_TZ

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=AGENCY_TZ)
KEY = message_key("arrived", "A-1", 3, "1", "pengawas@x.go.id", "email")
META = Meta("arrived", "A-1", "pengawas@x.go.id", "email", "Tugas baru")
LEASE = dt.timedelta(minutes=10)


def ev(event: Event, job: str, minutes: float = 0, until: float | None = None, detail: str = "") -> dict[str, str]:
    at = T0 + dt.timedelta(minutes=minutes)
    return row(event, KEY, job, at, META, until=T0 + dt.timedelta(minutes=until) if until is not None else None,
               detail=detail)


def state(*rows: dict[str, str]):  # type: ignore[no-untyped-def]
    return fold(rows)[KEY]


def test_a_row_has_every_outbox_column() -> None:
    assert tuple(ev(Event.CLAIM, "a", until=10)) == OUTBOX_COLUMNS


def test_the_first_claim_in_append_order_wins() -> None:
    s = state(ev(Event.CLAIM, "a", 0, 10), ev(Event.CLAIM, "b", 0, 10), ev(Event.SENDING, "b", 1),
              ev(Event.SENT, "b", 1))
    assert (s.status, s.job, s.attempts) == (Status.CLAIMED, "a", 1)  # b's start and outcome do not count


def test_claim_start_record() -> None:
    s = state(ev(Event.CLAIM, "a", 0, 10), ev(Event.SENDING, "a", 1), ev(Event.SENT, "a", 1, detail="<id@x>"))
    assert (s.status, s.detail, s.sent_at, s.meta.subject) == (Status.SENT, "<id@x>", T0 + dt.timedelta(minutes=1),
                                                               "Tugas baru")


def test_an_expired_claim_never_started_may_be_taken_over_a_live_one_not() -> None:
    live = state(ev(Event.CLAIM, "a", 0, 10), ev(Event.CLAIM, "b", 9, 19))
    assert live.job == "a"
    taken = state(ev(Event.CLAIM, "a", 0, 10), ev(Event.CLAIM, "b", 11, 21), ev(Event.SENDING, "a", 11.5))
    assert (taken.status, taken.job, taken.attempts) == (Status.CLAIMED, "b", 2)


def test_a_started_claim_is_never_taken_over_but_ends_unknown_after_its_lease() -> None:
    rows = [ev(Event.CLAIM, "a", 0, 10), ev(Event.SENDING, "a", 1), ev(Event.CLAIM, "b", 30, 40)]
    assert state(*rows).status == Status.SENDING
    early = state(*rows[:2], ev(Event.UNKNOWN, "b", 5, detail="crashed?"))
    assert early.status == Status.SENDING  # the lease still runs: the owner may yet record
    late = state(*rows[:2], ev(Event.UNKNOWN, "b", 11, detail="crashed?"))
    assert late.status == Status.UNKNOWN
    # the slow owner's own outcome is the truth, even after someone else marked it unknown
    assert state(*rows[:2], ev(Event.UNKNOWN, "b", 11), ev(Event.SENT, "a", 12)).status == Status.SENT


def test_outcomes_of_others_do_not_count_and_repeats_change_nothing() -> None:
    base = [ev(Event.CLAIM, "a", 0, 10), ev(Event.SENDING, "a", 1)]
    assert state(*base, ev(Event.FAILED, "b", 2)).status == Status.SENDING
    twice = state(*base, ev(Event.SENT, "a", 2, detail="1"), ev(Event.SENT, "a", 2, detail="1"),
                  ev(Event.CLAIM, "a", 0, 10), ev(Event.CLAIM, "c", 50, 60))
    assert (twice.status, twice.detail, twice.attempts) == (Status.SENT, "1", 1)


def test_retry_counts_attempts_and_waits() -> None:
    s = state(ev(Event.CLAIM, "a", 0, 10), ev(Event.SENDING, "a", 0), ev(Event.RETRY, "a", 1, until=3, detail="451"))
    assert (s.status, s.until, s.attempts) == (Status.RETRY, T0 + dt.timedelta(minutes=3), 1)
    assert decide(s, T0 + dt.timedelta(minutes=2))[0] == "skip"
    assert decide(s, T0 + dt.timedelta(minutes=3))[0] == "claim"
    again = state(ev(Event.CLAIM, "a", 0, 10), ev(Event.RETRY, "a", 1, until=3), ev(Event.CLAIM, "b", 3, 13))
    assert (again.status, again.job, again.attempts) == (Status.CLAIMED, "b", 2)


def test_requeue_hands_back_only_what_waits_for_a_person() -> None:
    failed = [ev(Event.CLAIM, "a", 0, 10), ev(Event.SENDING, "a", 0), ev(Event.FAILED, "a", 1, detail="550")]
    back = state(*failed, ev(Event.REQUEUE, "desk:admin", 5))
    assert (back.status, back.attempts) == (Status.FREE, 0)
    assert decide(back, T0)[0] == "claim"
    sent = [ev(Event.CLAIM, "a", 0, 10), ev(Event.SENT, "a", 1)]
    assert state(*sent, ev(Event.REQUEUE, "desk:admin", 5)).status == Status.SENT


def test_unreachable_is_recorded_once_and_may_be_requeued() -> None:
    s = state(ev(Event.UNREACHABLE, "a", 0, detail="no chat"), ev(Event.UNREACHABLE, "b", 1, detail="again"))
    assert (s.status, s.detail) == (Status.UNREACHABLE, "no chat")
    assert state(ev(Event.UNREACHABLE, "a"), ev(Event.REQUEUE, "desk", 1)).status == Status.FREE


@pytest.mark.parametrize(("rows", "now", "expected"), [
    ([], 0, "claim"),
    ([ev(Event.CLAIM, "a", 0, 10)], 5, "skip"),
    ([ev(Event.CLAIM, "a", 0, 10)], 11, "claim"),
    ([ev(Event.CLAIM, "a", 0, 10), ev(Event.SENDING, "a", 1)], 5, "skip"),
    ([ev(Event.CLAIM, "a", 0, 10), ev(Event.SENDING, "a", 1)], 11, "unknown"),
    ([ev(Event.CLAIM, "a", 0, 10), ev(Event.SENT, "a", 1)], 99, "skip"),
])
def test_decide(rows, now, expected) -> None:  # type: ignore[no-untyped-def]
    s = fold(rows).get(KEY)
    assert decide(s, T0 + dt.timedelta(minutes=now))[0] == expected


def test_unreadable_rows_are_ignored_not_fatal() -> None:
    rows = [{"key": KEY, "event": "claim", "job": "a", "at": "kemarin", "until": "besok"},
            {"key": KEY, "event": "bogus", "job": "a"}, {"key": "", "event": "claim"}]
    s = fold(rows)[KEY]
    assert s.status == Status.CLAIMED and s.until is None
    assert decide(s, T0)[0] == "claim"  # an unreadable lease counts as run out, so nothing stays stuck


def test_the_outbox_view_names_people_and_tells_a_stale_claim() -> None:
    from sopkit.notify.view import counts, outbox_lines
    from sopkit.schema import User

    other = message_key("arrived", "A-2", 3, "1", "pengawas@x.go.id", "email")
    rows = [ev(Event.CLAIM, "a", 0, 10), ev(Event.SENDING, "a", 1), ev(Event.FAILED, "a", 1, detail="550"),
            {**ev(Event.CLAIM, "b", 0, 10), "key": other}]
    states = fold(rows)
    users = [User("pengawas@x.go.id", "Budi Pengawas", ("supervisor",))]
    early = {line.key: line for line in outbox_lines(states, users, T0 + dt.timedelta(minutes=5))}
    late = {line.key: line for line in outbox_lines(states, users, T0 + dt.timedelta(minutes=30))}
    assert early[other].label == "notify.status.claimed" and late[other].label == "notify.status.stale"
    assert late[KEY].label == "notify.status.failed" and late[KEY].retryable and not late[other].retryable
    assert {line.name for line in late.values()} == {"Budi Pengawas"}
    assert [line.key for line in outbox_lines(states, users, T0, problems_only=True)] == [KEY]
    assert counts(states) == {"sent": 0, "problems": 1, "recorded": 0}

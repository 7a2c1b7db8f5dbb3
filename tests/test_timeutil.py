"""Timestamps: stored to the millisecond with an offset; read at any precision, typed by hand or not."""

from __future__ import annotations

import datetime as dt

import pytest

from sopkit.timeutil import AGENCY_TZ, parse_iso, server_now, to_iso


def test_stored_to_the_millisecond_in_the_agencys_zone() -> None:
    t = dt.datetime(2026, 11, 26, 3, 0, 0, 123456, tzinfo=dt.UTC)
    assert to_iso(t) == "2026-11-26T10:00:00.123+07:00"
    assert to_iso(dt.datetime(2026, 11, 26, 10, 0, tzinfo=AGENCY_TZ)) == "2026-11-26T10:00:00.000+07:00"
    assert parse_iso(to_iso(t)) == t.replace(microsecond=123000)


def test_the_server_clock_has_milliseconds_and_round_trips() -> None:
    now = server_now()
    assert now.microsecond % 1000 == 0 and now.tzinfo is not None
    assert parse_iso(to_iso(now)) == now


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-26T10:00:00+07:00", dt.datetime(2026, 11, 26, 10, 0, tzinfo=AGENCY_TZ)),  # seconds (older rows)
    ("2026-11-26T10:00:00.5+07:00", dt.datetime(2026, 11, 26, 10, 0, 0, 500000, tzinfo=AGENCY_TZ)),
    ("2026-11-26T03:00:00.250Z", dt.datetime(2026, 11, 26, 10, 0, 0, 250000, tzinfo=AGENCY_TZ)),
    ("2026-11-26 10:00", dt.datetime(2026, 11, 26, 10, 0, tzinfo=AGENCY_TZ)),  # typed by hand, no offset
    ("2026-11-26", dt.datetime(2026, 11, 26, tzinfo=AGENCY_TZ)),
])
def test_any_precision_is_read(text: str, expected: dt.datetime) -> None:
    assert parse_iso(text) == expected


def test_two_actions_in_one_second_keep_their_order_in_the_text() -> None:
    a = dt.datetime(2026, 11, 26, 10, 0, 0, 100000, tzinfo=AGENCY_TZ)
    b = a + dt.timedelta(milliseconds=250)
    assert to_iso(a) < to_iso(b) and to_iso(a)[:19] == to_iso(b)[:19]

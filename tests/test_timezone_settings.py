"""One time zone: the admin's ``Settings.timezone`` is the zone of every stamp, stored value and shown time.

Asia/Jakarta is UTC+7 like the default (Asia/Pontianak), so these tests use Asia/Jayapura (WIT, UTC+9) and
Asia/Makassar (WITA, UTC+8) to see a difference. Stored values stay ISO 8601 with an offset; an instant stays the
same instant, so compliance (which counts instants) does not move.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from sopkit import compliance, config
from sopkit.admin import save_settings
from sopkit.i18n import format_time
from sopkit.publishing.job import local_time
from sopkit.schema import LOG_COLUMNS, User
from sopkit.settings import Settings
from sopkit.store.sqlite import SQLiteStore
from sopkit.timeutil import AGENCY_TZ, DEFAULT_TIMEZONE, parse_iso, server_now, to_iso, use_zone, zone
from sopkit.workflow import Desk

JAYAPURA = ZoneInfo("Asia/Jayapura")
MAKASSAR = ZoneInfo("Asia/Makassar")
OFFSET = re.compile(r"[+-]\d{2}:\d{2}$")


def test_one_home_for_the_default() -> None:
    from sopkit import settings
    from sopkit.channels import site, spec

    assert zone() is AGENCY_TZ and AGENCY_TZ.key == DEFAULT_TIMEZONE == "Asia/Pontianak"
    assert settings.Settings().timezone == config.Config().timezone == spec.ChannelContext.__dataclass_fields__[
        "timezone"].default == DEFAULT_TIMEZONE
    assert site.DEFAULT_TIMEZONE is DEFAULT_TIMEZONE


def test_conversions_follow_the_zone_in_force() -> None:
    instant = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
    assert to_iso(instant) == "2026-11-26T10:00:00.000+07:00"
    use_zone("Asia/Makassar")
    assert to_iso(instant) == "2026-11-26T11:00:00.000+08:00"
    assert parse_iso("2026-11-26 11:00") == instant  # no offset: the zone in force
    assert parse_iso("2026-11-26T10:00:00+07:00") == instant  # an offset is kept, whatever the zone
    assert server_now().utcoffset() == dt.timedelta(hours=8)
    assert to_iso(instant, JAYAPURA) == "2026-11-26T12:00:00.000+09:00"  # an explicit zone still wins
    assert local_time(instant) == "2026-11-26 11:00 WITA"
    use_zone(AGENCY_TZ)
    assert to_iso(instant) == "2026-11-26T10:00:00.000+07:00"


def test_a_bad_zone_name_is_refused_and_changes_nothing() -> None:
    with pytest.raises(KeyError):
        use_zone("Asia/Atlantis")
    assert zone() is AGENCY_TZ


def _steps(store: SQLiteStore, clock: Any, users: dict[str, User]) -> None:
    """An item started, submitted and taken: three stamped Log rows (``clock``: the tests' server clock, in WIB)."""
    desk = Desk(store, now=clock)
    item = desk.start(users["officer"], title="Jadwal kapal", channels=["site"])
    item = desk.submit(users["officer"], item)
    clock.advance(minutes=95)
    desk.take(users["creator"], item)


def test_stamps_follow_the_settings_an_admin_saved(sqlite_store: SQLiteStore, clock: Any,
                                                   users: dict[str, User]) -> None:
    store = sqlite_store
    assert save_settings(store, {"timezone": "Asia/Jayapura"}, DEFAULT_TIMEZONE, actor="admin@x.go.id") == []
    settings, problems = config.load_settings(store, config.Config())  # what the jobs and the CLI call
    assert problems == [] and settings.timezone == "Asia/Jayapura" and zone() == JAYAPURA
    assert clock.t == dt.datetime(2026, 11, 23, 8, 0, tzinfo=AGENCY_TZ)  # the clock's own zone does not matter
    _steps(store, clock, users)
    log = store.read_log()
    stamps = [r["at"] for r in log if r["item_id"]]
    assert stamps and all(s.endswith("+09:00") for s in stamps), stamps
    assert stamps[0] == "2026-11-23T10:00:00.000+09:00"  # 08:00 WIB is 10:00 WIT
    item = store.read_register().items[0]
    raw = store.read_register().rows[0]
    assert raw["created_at"].endswith("+09:00") and item.created_at == clock.t - dt.timedelta(minutes=95)
    assert format_time(item.created_at, "id", settings.tz) == "23 Nov 2026 10.00 WIT"  # as the desk shows it


def test_compliance_counts_instants_not_offsets(sqlite_store: SQLiteStore, clock: Any,
                                                users: dict[str, User]) -> None:
    """The same actions stamped in WIT, and the same Log with every time rewritten to WIB: one report."""
    store = sqlite_store
    use_zone(JAYAPURA)
    _steps(store, clock, users)
    wit = pd.DataFrame(store.read_log(), columns=list(LOG_COLUMNS))
    wib = wit.copy()
    wib["at"] = [to_iso(parse_iso(s), AGENCY_TZ) if s else s for s in wit["at"]]
    assert all(s.endswith("+09:00") for s in wit["at"] if s) and all(s.endswith("+07:00") for s in wib["at"] if s)
    as_of = dt.datetime(2026, 11, 24, 12, 0, tzinfo=AGENCY_TZ)
    settings = Settings()
    a = compliance.compute(wit, settings, as_of=as_of).attempts
    b = compliance.compute(wib, settings, as_of=as_of).attempts
    assert len(a) >= 2
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))

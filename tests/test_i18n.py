"""One catalogue, two languages: every key used anywhere exists in both, with the same placeholders."""

from __future__ import annotations

import datetime as dt
import re
import string
import typing
import zoneinfo
from pathlib import Path

import pytest

from sopkit import checks, i18n, images, sop
from sopkit.channels import registry
from sopkit.clock import SpanKind
from sopkit.compliance import ATTEMPT_COLUMNS
from sopkit.notify.due import UNREACHABLE
from sopkit.notify.messages import CHECKLISTS
from sopkit.notify.outbox import Status
from sopkit.notify.prefs import KINDS, PEOPLE_CHANNELS
from sopkit.permissions import PAGE_ROLES
from sopkit.publishing import copies
from sopkit.schema import LOG_COLUMNS
from sopkit.settings import WEEKDAYS
from sopkit.store.settings_history import EXISTING, HAND_EDIT
from sopkit.workflow import CHANNEL_STATUSES

ROOT = Path(__file__).resolve().parents[1]
UI_FILES = sorted([*ROOT.glob("pages/*.py"), *ROOT.glob("pages/_ui/*.py"), ROOT / "app.py"])
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_.]+[a-z_])["']""")


def fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


KEYS = sorted(i18n.TEXTS[i18n.DEFAULT_LANG])


@pytest.mark.parametrize("lang", [lang for lang in i18n.LANGS if lang != i18n.DEFAULT_LANG])
def test_every_language_holds_the_same_keys(lang) -> None:
    assert sorted(i18n.TEXTS[lang]) == KEYS


@pytest.mark.parametrize("key", KEYS)
def test_every_language_present_with_the_same_placeholders(key) -> None:
    texts = [i18n.TEXTS[lang][key] for lang in i18n.LANGS]
    assert all(text.strip() for text in texts)
    assert all(fields(text) == fields(texts[0]) for text in texts)


def test_every_literal_key_in_the_ui_exists() -> None:
    used = {(f.name, k) for f in UI_FILES for k in LITERAL_KEY.findall(f.read_text(encoding="utf-8"))}
    assert used, "the scan found no keys: the pattern is broken"
    missing = sorted((f, k) for f, k in used if not i18n.has(k))
    assert not missing


DYNAMIC = (
    [f"page.{p}" for p in PAGE_ROLES]
    + [f"log.{c}" for c in LOG_COLUMNS if c != "publish_at"]
    + [f"att.{c}" for c in ATTEMPT_COLUMNS if c not in ("item_id", "clock", "remaining_minutes")]
    + [f"upload.{r}" for r in typing.get_args(images.Reason)]
    + [f"publisher.status.{s}" for s in ("none", *CHANNEL_STATUSES)]
    + [f"publisher.where.{c}" for c in (*registry.names(), "other")]
    + [f"publisher.copy.{a}" for a in (copies.TRASHED, copies.LEFT, copies.REMOVED)]
    + [f"status.{s}" for s in sop.STATUSES]
    + [f"action.{a}" for a in (*sop.ACTIONS, "open")]
    + [f"admin.day.{d}" for d in WEEKDAYS]
    + [f"about.{k}" for k in sop.SOP_HEADER_DEFAULTS]
    + [f"about.clock.{c}" for c in ("working", "calendar")]
    + [f"done.{a}" for a in ("start", "edit", "take", "assign", "submit", "approve", "reject", "schedule",
                             "channel", "publish", "cancel", "requeue")]
    + [f"item.holder.{s.holder_column}" for s in sop.STEPS.values()]
    + [f"why.kind.{k}" for k in typing.get_args(SpanKind)]
    + [f"hist.source.{s.replace('-', '_')}" for s in ("admin", "init", HAND_EDIT, EXISTING, "none")]
    + [f"notify.{part}.{k}" for k in KINDS for part in ("kind", "subject")]
    + [f"notify.status.{s}" for s in (*Status, "stale")]
    + [f"notify.channel.{c}" for c in (*PEOPLE_CHANNELS, "none")]
    + [f"notify.unreachable.{c}" for c in UNREACHABLE]
    + [f"notify.state.{s}" for s in ("failed", "unknown")]
    + [f"notify.check.{step}.{k}" for step, points in CHECKLISTS.items() for k in points]
)


@pytest.mark.parametrize("key", DYNAMIC)
def test_every_computed_key_exists(key) -> None:
    assert i18n.has(key)


def test_keys_raised_by_the_library_exist() -> None:
    lib = (ROOT / "sopkit" / "auth.py").read_text() + (ROOT / "sopkit" / "checks.py").read_text()
    keys = set(re.findall(r'"((?:auth|check)\.[a-z_]+)"', lib))
    assert keys and keys <= set(KEYS)
    assert {f.key for f in checks.pre_submit(_bad_item())} <= set(KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_no_placeholder_is_named_like_an_argument_of_t(key) -> None:
    """``t(key, lang, **values)``: a ``{key}`` or ``{lang}`` placeholder could never be filled."""
    assert not fields(i18n.TEXTS[i18n.DEFAULT_LANG][key]) & {"key", "lang"}


def test_every_key_the_channels_and_the_job_write_exists() -> None:
    """Channel results and the admin's warnings are written through the catalogue (issue 15): a key typo would
    turn a publish into a KeyError, so every literal key in those modules, and every computed one, must exist."""
    from sopkit.channels import addresses, http

    files = [*ROOT.glob("sopkit/channels/*.py"), *ROOT.glob("sopkit/publishing/*.py")]
    used = {k for f in files for k in LITERAL_KEY.findall(f.read_text(encoding="utf-8"))}
    assert len(used) > 100, "the scan found too few keys: the pattern is broken"
    computed = {f"graph.token.{a}" for a in (*http.GRAPH_TOKEN_ADVICE.values(), "expired")}
    computed |= {f"addr.{p}" for p in ("not_web", "loopback", "private_ip", "private_name")}
    computed |= {"wordpress.what.category", "wiring.images_need_public", "wiring.links_need_public"}
    assert {addresses.address_problem(u) for u in ("ftp://x", "http://127.0.0.1/", "http://10.0.0.1/",
                                                   "http://intranet/")} == {"not_web", "loopback", "private_ip",
                                                                           "private_name"}
    assert sorted((used | computed) - set(KEYS)) == []


def _bad_item():  # type: ignore[no-untyped-def]
    from sopkit.schema import Item

    return Item(id="x", title="judul  judul", channels=("x", "instagram"),
                captions={"x": "a" * 300, "instagram": " ".join(f"#t{n}" for n in range(31))},
                media=[{"kind": "image", "name": "a.jpg", "alt": ""}])


@pytest.mark.parametrize("lang,expected", [("id", "Beranda"), ("en", "Home"), ("xx", "Beranda")])
def test_default_language_is_indonesian(lang, expected) -> None:
    assert i18n.t("page.home", lang) == expected


def test_unknown_key_fails_loudly() -> None:
    with pytest.raises(KeyError):
        i18n.t("no.such.key")


PONTIANAK = zoneinfo.ZoneInfo("Asia/Pontianak")


@pytest.mark.parametrize("value,lang,expected", [
    ("2026-11-26T10:00:00+07:00", "id", "26 Nov 2026 10.00 WIB"),
    ("2026-11-26T10:00:00+07:00", "en", "26 Nov 2026 10:00 WIB"),
    ("2026-12-01T01:05:00Z", "id", "1 Des 2026 08.05 WIB"),
    ("2026-05-03T23:59:00+07:00", "en", "3 May 2026 23:59 WIB"),
    ("2026-08-17T09:30:00", "id", "17 Agu 2026 09.30 WIB"),  # no offset: the SOP's zone
    ("", "id", "—"),
    (None, "en", "—"),
    (float("nan"), "id", "—"),
    ("not a time", "en", "not a time"),
])
def test_times_read_as_staff_write_them(value, lang, expected) -> None:
    assert i18n.format_iso(value, lang, PONTIANAK) == expected


def test_time_zone_abbreviation_follows_the_settings_zone() -> None:
    moment = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
    assert i18n.format_time(moment, "id", zoneinfo.ZoneInfo("Asia/Makassar")) == "26 Nov 2026 11.00 WITA"
    assert i18n.format_time(None, "id", PONTIANAK) == "—"


@pytest.mark.parametrize("status", [*CHANNEL_STATUSES, "", None, "bogus"])
def test_channel_status_words_never_fail(status) -> None:
    key, values = i18n.status_key("publisher.status", status)
    for lang in i18n.LANGS:
        assert i18n.t(key, lang, **values)


def test_every_store_outcome_has_its_message() -> None:
    """Each store error names its message (``key``): the page shows that, in the user's language, never the
    English detail beside it."""
    from sopkit.store import base, gsheets

    classes = [c for m in (base, gsheets) for c in vars(m).values()
               if isinstance(c, type) and issubclass(c, base.StoreError)]
    assert len(classes) >= 8
    for cls in classes:
        assert i18n.has(cls.key), cls
    assert len({c.key for c in classes}) >= 7  # stale, busy, unconfirmed, actor, not found, duplicate, store


# -- id_ID / en formatting through Babel (sopkit.i18n.formats) ------------------------------------------------------
@pytest.mark.parametrize("fn,args,id_text,en_text", [
    ("number", (194475,), "194.475", "194,475"),
    ("number", (1234.56, "{lang}", 1), "1.234,6", "1,234.6"),
    ("number", (float("nan"),), "—", "—"),
    ("percent", (0.853,), "85%", "85%"),
    ("percent", (0.853, "{lang}", 1), "85,3%", "85.3%"),
    ("percent", (None,), "—", "—"),
    ("date", (dt.date(2026, 12, 2),), "2 Des 2026", "2 Dec 2026"),
    ("date", (dt.date(2026, 8, 17), "{lang}", True), "17 Agustus 2026", "17 August 2026"),
    ("date_range", (dt.date(2026, 12, 1), dt.date(2026, 12, 31)), "1–31 Des 2026", "1\u2009–\u200931 Dec 2026"),
    ("month", (dt.date(2026, 5, 1),), "Mei 2026", "May 2026"),
    ("month", (dt.date(2026, 5, 1), "{lang}", True), "Mei 2026", "May 2026"),
    ("duration", (135,), "2 jam 15 menit", None),
    ("duration", (-135,), "2 jam 15 menit", None),
    ("duration", (60 * 26,), "1 hari 2 jam", None),
    ("duration", (float("nan"),), "—", "—"),
])
def test_formats_for_id_and_en(fn, args, id_text, en_text) -> None:  # type: ignore[no-untyped-def]
    from sopkit.i18n import formats

    for lang, expected in (("id", id_text), ("en", en_text)):
        if expected is None:
            continue
        call = [lang if a == "{lang}" else a for a in args]
        if "{lang}" not in args:
            call.append(lang)
        assert getattr(formats, fn)(*call) == expected, (fn, lang)


def test_an_unknown_language_formats_as_indonesian() -> None:
    from sopkit.i18n import formats

    assert formats.number(194475, "xx") == "194.475" and formats.locale_of("xx") == "id_ID"

"""The one catalogue of UI text: one module per language (``id.py`` Bahasa Indonesia, the default; ``en.py``
English), each a ``TEXT: dict[str, str]`` over the same keys. Pages never hold literal text.

``t(key, lang, **values)`` formats with ``str.format``; an unknown key raises KeyError (a test walks every page
for the keys it uses, so a typo fails the suite, not a user's screen). A new language is one more module here and
its code in ``LANGS`` (``tests/test_i18n.py`` holds it to the same keys and placeholders as Indonesian).
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

LANGS: tuple[str, ...] = ("id", "en")
DEFAULT_LANG = "id"

TEXTS: dict[str, dict[str, str]] = {lang: importlib.import_module(f"{__name__}.{lang}").TEXT for lang in LANGS}


def t(key: str, lang: str = DEFAULT_LANG, **values: Any) -> str:
    """The text of ``key`` in ``lang`` (an unknown language reads the default one), formatted with ``values``."""
    text = TEXTS.get(lang, TEXTS[DEFAULT_LANG])[key]
    return text.format(**values) if values else text


def has(key: str) -> bool:
    """Whether the catalogue holds ``key`` (every language holds the same keys: a test checks it)."""
    return key in TEXTS[DEFAULT_LANG]


def format_duration(minutes: float, lang: str = DEFAULT_LANG) -> str:
    """A span as staff say it: ``2 jam 15 menit``, ``1 hari 3 jam`` (the two largest parts, days of 24 hours),
    ``kurang dari 1 menit``; the sign is dropped (the sentence around it says "in" or "past")."""
    total = int(round(abs(minutes)))
    if total < 1:
        return t("duration.under_minute", lang)
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [(days, "duration.days"), (hours, "duration.hours"), (mins, "duration.minutes")]
    first = next(n for n, (v, _) in enumerate(parts) if v)
    return " ".join(t(key, lang, n=v) for v, key in parts[first:first + 2] if v)


MONTHS: dict[str, tuple[str, ...]] = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


MONTH_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def format_date(day: dt.date, lang: str = DEFAULT_LANG, long: bool = False) -> str:
    """``2 Des 2026`` (or ``2 Desember 2026`` with ``long``); English month names for ``en``."""
    names = (MONTH_NAMES if long else MONTHS)["en" if lang == "en" else "id"]
    return f"{day.day} {names[day.month - 1]} {day.year}"


DAYS: dict[str, tuple[str, ...]] = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def format_day_time(ts: dt.datetime | None, lang: str, tz: dt.tzinfo) -> str:
    """:func:`format_time` with the weekday in front: ``Rabu 2 Des 2026 10.30 WIB`` (for deadlines in messages)."""
    if ts is None:
        return "—"
    day = DAYS["en" if lang == "en" else "id"][ts.astimezone(tz).weekday()]
    return f"{day} {format_time(ts, lang, tz)}"


def format_weekday_date(day: dt.date, lang: str) -> str:
    """``Jumat 27 Nov 2026`` / ``Friday 27 Nov 2026`` (a digest's day)."""
    key = "en" if lang == "en" else "id"
    return f"{DAYS[key][day.weekday()]} {day.day} {MONTHS[key][day.month - 1]} {day.year}"


def format_time(ts: dt.datetime | None, lang: str, tz: dt.tzinfo) -> str:
    """A moment as staff read it: ``26 Nov 2026 10.00 WIB`` (id: a dot between hours and minutes) or
    ``26 Nov 2026 10:00 WIB`` (en), in ``tz`` with its abbreviation (WIB / WITA / WIT); ``—`` for none."""
    if ts is None:
        return "—"
    local = ts.astimezone(tz)
    sep = ":" if lang == "en" else "."
    month = MONTHS["en" if lang == "en" else "id"][local.month - 1]
    return f"{local.day} {month} {local.year} {local.hour:02d}{sep}{local.minute:02d} {local.strftime('%Z')}".rstrip()


def format_iso(text: Any, lang: str, tz: dt.tzinfo) -> str:
    """:func:`format_time` of an ISO 8601 string as the store holds it; blank → ``—``; unreadable text unchanged."""
    if text is None or text != text:  # None, NaN or NaT (neither equals itself)
        return "—"
    if isinstance(text, dt.datetime):
        return format_time(text, lang, tz)
    raw = str(text).strip()
    if not raw or raw in ("NaT", "nan", "None"):
        return "—"
    try:
        ts = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return raw
    return format_time(ts if ts.tzinfo else ts.replace(tzinfo=tz), lang, tz)


def status_key(prefix: str, status: Any) -> tuple[str, dict[str, str]]:
    """The catalogue key (and values) for a status word: ``prefix.<status>`` when the catalogue has it, else a
    generic "unrecognised status" text, so a hand-edited Sheet never breaks a page."""
    word = str(status or "").strip() or "none"
    key = f"{prefix}.{word}"
    if has(key):
        return key, {}
    return "publisher.status.other", {"status": word}

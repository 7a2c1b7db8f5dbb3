"""Numbers, percentages, dates and months as a reader of the language expects them, through Babel's CLDR data:
``194.475`` and ``85,3%`` for ``id`` (id_ID: a dot groups thousands, a comma before decimals), ``194,475`` and
``85.3%`` for ``en``. Why a library: the separators, month names and plural forms are locale data, not code, and a
third language then needs no new formatting rules here.

Durations ("2 jam 15 menit") are :func:`sopkit.i18n.format_duration` (the two largest parts, catalogue words);
:func:`duration` is that function under the name the pages use beside these.
"""

from __future__ import annotations

import datetime as dt
import math

from babel import dates as _dates
from babel import numbers as _numbers

from . import DEFAULT_LANG, format_duration

#: The Babel locale of each catalogue language (the agency's Indonesian is id_ID).
LOCALES: dict[str, str] = {"id": "id_ID", "en": "en_GB"}
DASH = "—"


def locale_of(lang: str) -> str:
    return LOCALES.get(lang, LOCALES[DEFAULT_LANG])


def number(x: float | int | None, lang: str = DEFAULT_LANG, digits: int = 0) -> str:
    """``194475`` → ``194.475`` (id) / ``194,475`` (en); ``digits`` decimals at most; ``—`` for none/NaN."""
    if x is None or math.isnan(x):
        return DASH
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return _numbers.format_decimal(x, format=pattern, locale=locale_of(lang))


def percent(share: float | None, lang: str = DEFAULT_LANG, digits: int = 0) -> str:
    """A share 0..1 as ``85%`` / ``85,3%`` (id) with ``digits`` decimals; ``—`` for none/NaN (no attempts)."""
    if share is None or math.isnan(share):
        return DASH
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return _numbers.format_percent(share, format=pattern, locale=locale_of(lang))


def date(day: dt.date | None, lang: str = DEFAULT_LANG, long: bool = False) -> str:
    """``2 Des 2026`` (``2 Desember 2026`` with ``long``); ``Dec`` in English."""
    if day is None:
        return DASH
    return _dates.format_date(day, "d MMMM y" if long else "d MMM y", locale=locale_of(lang))


def date_range(start: dt.date, end: dt.date, lang: str = DEFAULT_LANG) -> str:
    """``1–31 Des 2026``, ``1 Nov – 2 Des 2026``, ``1 Des 2025 – 2 Jan 2026`` (CLDR's interval formats)."""
    return _dates.format_interval(start, end, "yMMMd", locale=locale_of(lang))


def month(day: dt.date, lang: str = DEFAULT_LANG, short: bool = False) -> str:
    """``Desember 2026`` (``Des 2026`` with ``short``): a trend's month."""
    return _dates.format_date(day, "MMM y" if short else "MMMM y", locale=locale_of(lang))


def duration(minutes: float | None, lang: str = DEFAULT_LANG) -> str:
    """``2 jam 15 menit`` (the sign dropped: the sentence says "left" or "over"); ``—`` for none/NaN."""
    if minutes is None or math.isnan(minutes):
        return DASH
    return format_duration(float(minutes), lang)

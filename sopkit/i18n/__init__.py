"""The one catalogue of UI text: one module per language (``id.py`` Bahasa Indonesia, the default; ``en.py``
English), each a ``TEXT: dict[str, str]`` over the same keys. Pages never hold literal text.

``t(key, lang, **values)`` formats with ``str.format``; an unknown key raises KeyError (a test walks every page
for the keys it uses, so a typo fails the suite, not a user's screen). A new language is one more module here and
its code in ``LANGS`` (``tests/test_i18n.py`` holds it to the same keys and placeholders as Indonesian).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterable
from typing import Any

LANGS: tuple[str, ...] = ("id", "en")
DEFAULT_LANG = "id"
#: Each language by its own name (the language menu shows these, whatever language is chosen).
LANG_NAMES: dict[str, str] = {"id": "Bahasa Indonesia", "en": "English"}

TEXTS: dict[str, dict[str, str]] = {lang: importlib.import_module(f"{__name__}.{lang}").TEXT for lang in LANGS}


def t(key: str, lang: str = DEFAULT_LANG, **values: Any) -> str:
    """The text of ``key`` in ``lang`` (an unknown language reads the default one), formatted with ``values``."""
    text = TEXTS.get(lang, TEXTS[DEFAULT_LANG])[key]
    return text.format(**values) if values else text


def has(key: str) -> bool:
    """Whether the catalogue holds ``key`` (every language holds the same keys: a test checks it)."""
    return key in TEXTS[DEFAULT_LANG]


def role_title(role: str, lang: str = DEFAULT_LANG) -> str:
    """A role as staff call it (``role.<code>``: "Pejabat Pengawas"); an unknown code (a hand-edited Users row)
    as it is."""
    key = f"role.{role}"
    return t(key, lang) if has(key) else str(role)


def step_title(step: Any, lang: str = DEFAULT_LANG) -> str:
    """A step's title (``step.<name>``) for a :class:`sopkit.sop.Step` or a step's name: a procedure with a new
    step needs its entries in every language (:func:`missing_titles` names them)."""
    name = getattr(step, "name", step)
    return t(f"step.{name}", lang)


def channel_title(code: str, lang: str = DEFAULT_LANG) -> str:
    """A channel's name as staff call it (``channel_name.<code>``: "Situs web"); an unknown code as it is."""
    key = f"channel_name.{code}"
    return t(key, lang) if has(key) else str(code)


def status_title(status: Any, lang: str = DEFAULT_LANG) -> str:
    """An item's status (``status.<word>``) in ``lang``; an unrecognised word says so (:func:`status_key`)."""
    key, values = status_key("status", status)
    return t(key, lang, **values)


def channel_status_title(status: Any, lang: str = DEFAULT_LANG) -> str:
    """A channel's state (``publisher.status.<word>``; none yet: ``none``) in ``lang``; never a KeyError."""
    key, values = status_key("publisher.status", status)
    return t(key, lang, **values)


def missing_titles(procedure: Any, roles: Any = ()) -> list[str]:
    """The catalogue keys a procedure's steps, statuses and ``roles`` need and some language lacks: empty for
    the agency's SOP; a new step lists what to add to every language module."""
    keys = [f"step.{s.name}" for s in procedure.steps] + [f"status.{s}" for s in procedure.statuses]
    keys += [f"role.{r}" for r in (*roles, *(s.role for s in procedure.steps))]
    return sorted({f"{lang}: {k}" for k in keys for lang in LANGS if k not in TEXTS[lang]})


class Term(str):
    """A :class:`Message` value that is itself a catalogue key (a status, a role): rendered in the reader's
    language, not the raiser's. Any callable ``lang -> str`` value is rendered the same way."""

    def __call__(self, lang: str) -> str:
        return t(self, lang) if has(self) else str(self)


def joined(values: Iterable[Any], render: Callable[[Any, str], str] | None = None) -> Callable[[str], str]:
    """A :class:`Message` value listing ``values`` (each through ``render(value, lang)``), comma-separated."""
    items = list(values)
    return lambda lang: ", ".join(render(v, lang) if render else str(v) for v in items)


class Message(Exception):
    """An error a person reads: a catalogue ``key`` and its ``values``, rendered in the reader's language by
    :meth:`text` (callable values, e.g. :class:`Term`, are rendered in that language too). ``str(exc)`` is the
    default language's text (Indonesian: the CLI's reader is staff too). A subclass names its default key; a raise
    names a precise one."""

    key = "error.workflow"

    def __init__(self, key: str | None = None, /, **values: Any):
        if key is not None:
            self.key = key
        self.values = values
        super().__init__(self.text(DEFAULT_LANG))

    def text(self, lang: str = DEFAULT_LANG) -> str:
        return t(self.key, lang, **{k: v(lang) if callable(v) else v for k, v in self.values.items()})


class Said(str):
    """A text with two readers. The string itself is the English detail — logs, the CLI, a test that matches it,
    anything that stores or parses it keeps reading the same words — and its catalogue ``key`` and ``values`` are
    what a person reads, in their own language (:func:`say`). For problems that travel as text (a Settings row
    that cannot be read, a refused Users row) without changing every signature that carries them."""

    key: str
    values: dict[str, Any]

    def __new__(cls, detail: str, key: str, /, **values: Any) -> Said:
        said = super().__new__(cls, detail)
        said.key, said.values = key, values
        return said

    def text(self, lang: str = DEFAULT_LANG) -> str:
        return t(self.key, lang, **{k: say(v, lang) for k, v in self.values.items()})

    def __reduce__(self) -> tuple[Any, ...]:  # a cache or another process gets the key and values too
        return _said, (str(self), self.key, self.values)


def _said(detail: str, key: str, values: dict[str, Any]) -> Said:
    return Said(detail, key, **values)


def say(value: Any, lang: str = DEFAULT_LANG) -> str:
    """``value`` as a person reads it in ``lang``: a :class:`Said` or :class:`Message` by its key, a callable
    (:class:`Term`, :func:`joined`) rendered in ``lang``, anything else as its text."""
    if isinstance(value, (Said, Message)):
        return value.text(lang)
    if callable(value):
        return str(value(lang))
    return str(value)


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


def format_month(day: dt.date, lang: str = DEFAULT_LANG) -> str:
    """``Desember 2026`` / ``December 2026`` (a calendar's title)."""
    return f"{MONTH_NAMES.get(lang, MONTH_NAMES[DEFAULT_LANG])[day.month - 1]} {day.year}"


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

"""What each person wants to be told, and where: one Preferences row per person, blank cells meaning the defaults.

Defaults: every kind that concerns the person's roles, by e-mail, in Bahasa Indonesia. A person reaches Telegram
by linking their chat to the bot: the desk shows a code, the person sends ``/start <code>`` to the bot and the job
writes the chat id (``sopkit.notify.telegram.link_chats``); an admin may also type a chat id into the row. The
code is an HMAC of the person's e-mail and current chat id under the bot token: nothing to store, unguessable
without the token, and it changes once a chat is linked.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..i18n import LANGS
from ..schema import Row, RowProblem, User

#: The kinds of message, in the order the desk lists them (keys of the i18n ``notify.kind.*`` texts).
KINDS: tuple[str, ...] = ("arrived", "returned", "reminder", "breach", "digest", "publish_problem")
#: Roles each kind can concern (a kind that cannot reach a person is not offered to them).
KIND_ROLES: dict[str, frozenset[str]] = {
    "arrived": frozenset({"officer", "creator", "supervisor", "administrator", "publisher"}),
    "returned": frozenset({"officer", "creator"}),
    "reminder": frozenset({"officer", "creator", "supervisor", "administrator", "publisher"}),
    "breach": frozenset({"officer", "creator", "supervisor", "administrator", "publisher", "manager"}),
    "digest": frozenset({"manager"}),
    "publish_problem": frozenset({"supervisor", "publisher"}),
}
#: The channels a person can be reached on.
PEOPLE_CHANNELS: tuple[str, ...] = ("email", "telegram")
DEFAULT_CHANNELS: tuple[str, ...] = ("email",)


@dataclass(frozen=True)
class Preference:
    email: str
    lang: str = "id"
    kinds: frozenset[str] = field(default_factory=lambda: frozenset(KINDS))
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    telegram_chat_id: str = ""

    def wants(self, kind: str) -> bool:
        return kind in self.kinds

    def to_row(self) -> Row:
        kinds = "" if self.kinds == frozenset(KINDS) else (",".join(k for k in KINDS if k in self.kinds) or "none")
        channels = "" if self.channels == DEFAULT_CHANNELS else (",".join(self.channels) or "none")
        return {"email": self.email, "lang": "" if self.lang == "id" else self.lang, "kinds": kinds,
                "channels": channels, "telegram_chat_id": self.telegram_chat_id}


def kinds_for(user: User) -> tuple[str, ...]:
    """The kinds that can concern this user's roles, in menu order."""
    return tuple(k for k in KINDS if any(r in KIND_ROLES[k] for r in user.roles))


def _words(text: str) -> list[str]:
    return [w.strip().lower() for w in str(text or "").replace(";", ",").split(",") if w.strip()]


def preference_from_row(row: Mapping[str, str], number: int = 0) -> tuple[Preference | None, list[RowProblem]]:
    """One row (as typed by hand in a Sheet, perhaps): unknown words are reported and left out."""
    problems: list[RowProblem] = []

    def bad(column: str, reason: str) -> None:
        problems.append(RowProblem("Preferences", number, column, str(row.get(column, "")), reason))

    email = str(row.get("email", "") or "").strip().lower()
    if "@" not in email:
        bad("email", "not an email address")
        return None, problems
    lang = str(row.get("lang", "") or "").strip().lower() or "id"
    if lang not in LANGS:
        bad("lang", f"unknown language; one of {', '.join(LANGS)}")
        lang = "id"
    words = _words(row.get("kinds", ""))
    kinds = frozenset(KINDS) if not words else frozenset() if words == ["none"] else frozenset(
        w for w in words if w in KINDS)
    if [w for w in words if w not in KINDS and w != "none"]:
        bad("kinds", f"unknown kind(s); known: {', '.join(KINDS)} or none")
    words = _words(row.get("channels", ""))
    channels = DEFAULT_CHANNELS if not words else () if words == ["none"] else tuple(
        dict.fromkeys(w for w in words if w in PEOPLE_CHANNELS))
    if [w for w in words if w not in PEOPLE_CHANNELS and w != "none"]:
        bad("channels", f"unknown channel(s); known: {', '.join(PEOPLE_CHANNELS)} or none")
    chat = str(row.get("telegram_chat_id", "") or "").strip()
    if chat and not chat.lstrip("-").isdigit():
        bad("telegram_chat_id", "a Telegram chat id is a whole number")
        chat = ""
    return Preference(email, lang, kinds, channels, chat), problems


def read_preferences(rows: Iterable[Mapping[str, str]]) -> tuple[dict[str, Preference], list[RowProblem]]:
    prefs: dict[str, Preference] = {}
    problems: list[RowProblem] = []
    for n, row in enumerate(rows, start=2):
        pref, found = preference_from_row(row, n)
        problems += found
        if pref is not None:
            prefs.setdefault(pref.email, pref)
    return prefs, problems


def preference_of(prefs: Mapping[str, Preference], email: str) -> Preference:
    return prefs.get(email) or Preference(email)


def link_code(bot_token: str, email: str, chat_id: str = "") -> str:
    """The code a person sends the bot as ``/start <code>`` (Telegram allows 1-64 of A-Z a-z 0-9 _ -)."""
    digest = hmac.new(bot_token.encode(), f"link\0{email}\0{chat_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:20]


"""Telegram direct messages to people (Bot API ``sendMessage`` to their private chat), and linking a chat.

The bot is the one of ``[telegram] bot_token`` (the publish channel's). A bot may write to a person only after the
person started a chat with it, which is also how a chat is linked: the desk shows the person a code, the person
sends ``/start <code>`` (or opens ``t.me/<bot>?start=<code>``), and :func:`link_chats`, run at the start of each
notification run, matches the code (``prefs.link_code``) and saves the chat id in the person's Preferences.
Updates are fetched with ``getUpdates`` and confirmed by asking again with the next offset, so nothing needs
storing; a second host handling the same update links the same chat again, which changes nothing.

Failures map as for the publish channel (``sopkit.channels.http``): 429/5xx and connection failures are transient;
403 (the person blocked the bot, or never started it) and 400 (chat not found) fail that message only; a rejected
token stops Telegram for the run (:class:`~sopkit.notify.smtp.ChannelDown`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import requests

from ..channels.base import OutcomeUnknown, PermanentError
from ..channels.http import Timeout, TokenRejected, json_body, redacting, send, telegram_error, unreadable_success
from ..i18n import t
from ..retry import TransientError
from ..schema import User
from ..store.base import Store
from .due import Outgoing
from .messages import Letter
from .prefs import Preference, link_code, preference_of
from .smtp import ChannelDown

API_URL = "https://api.telegram.org"
MAX_TEXT = 4096
_START = re.compile(r"^/start(?:@\w+)?\s+([A-Za-z0-9_-]{1,64})\s*$")


class TelegramSender:
    channel = "telegram"

    def __init__(self, bot_token: str, api_url: str = API_URL, session: requests.Session | None = None,
                 timeout: Timeout = (5.0, 30.0)):
        self.bot_token = bot_token
        self.api_url = api_url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout

    def call(self, method: str, *, idempotent: bool, **payload: Any) -> Any:
        what = f"Telegram {method}"
        with redacting((self.bot_token,)):
            resp = send(self.session, "POST", f"{self.api_url}/bot{self.bot_token}/{method}", what=what,
                        timeout=self.timeout, idempotent=idempotent, secrets=(self.bot_token,), json=payload)
            body = json_body(resp)
            if not resp.ok or (isinstance(body, dict) and body.get("ok") is False):
                error = telegram_error(resp, what)
                if isinstance(error, TokenRejected):
                    raise ChannelDown(str(error))
                if resp.status_code == 403:
                    description = body.get("description", "") if isinstance(body, dict) else ""
                    raise PermanentError(f"{what}: {description or 'Forbidden'} (the person blocked the bot or "
                                         "never started a chat with it; link the chat again on the desk)")
                raise error
            if not isinstance(body, dict) or "result" not in body:
                raise unreadable_success(what, idempotent)
            return body["result"]

    def send(self, out: Outgoing, letter: Letter) -> str:
        """One message to the person's chat; returns the Telegram message id."""
        text = letter.chat()
        if len(text) > MAX_TEXT:
            text = text[: MAX_TEXT - 1] + "…"
        message = self.call("sendMessage", idempotent=False, chat_id=out.address, text=text,
                            disable_web_page_preview=True)
        if not isinstance(message, dict) or "message_id" not in message:
            raise PermanentError("Telegram accepted the message but returned no message id")
        return str(message["message_id"])

    def close(self) -> None:
        self.session.close()


def link_chats(tg: TelegramSender, store: Store, users: Sequence[User], prefs: Mapping[str, Preference],
               say: Callable[[str], None]) -> dict[str, Preference]:
    """Answer every ``/start <code>`` sent to the bot: link the chat of the person whose code it is. Returns the
    preferences as they are afterwards. Telegram being unreachable only postpones linking to the next run."""
    try:
        updates = tg.call("getUpdates", idempotent=True, timeout=0, allowed_updates=["message"])
    except (TransientError, PermanentError, OutcomeUnknown, ChannelDown) as e:
        say(f"warning: could not read the bot's messages: {e}")
        return dict(prefs)
    prefs = dict(prefs)
    codes = {link_code(tg.bot_token, u.email, preference_of(prefs, u.email).telegram_chat_id): u
             for u in users if u.active}
    last = None
    for update in updates if isinstance(updates, list) else []:
        last = max(last or 0, int(update.get("update_id", 0)))
        message = update.get("message") or {}
        chat = message.get("chat") or {}
        match = _START.match(str(message.get("text", "")))
        if chat.get("type") != "private" or not match:
            continue
        user = codes.get(match.group(1))
        pref = preference_of(prefs, user.email) if user else None
        try:
            if user is None or pref is None:
                tg.call("sendMessage", idempotent=False, chat_id=chat.get("id"), text=t("notify.link_unknown"))
                continue
            channels = pref.channels if "telegram" in pref.channels else (*pref.channels, "telegram")
            linked = replace(pref, telegram_chat_id=str(chat.get("id")), channels=channels)
            store.save_preference(linked.to_row())
            prefs[user.email] = linked
            say(f"linked the Telegram chat of {user.name or user.email}")
            tg.call("sendMessage", idempotent=False, chat_id=chat.get("id"),
                    text=t("notify.linked", pref.lang, name=user.name or user.email))
        except (TransientError, PermanentError, OutcomeUnknown, ChannelDown) as e:
            say(f"warning: Telegram link reply: {e}")
    if last is not None:
        try:
            tg.call("getUpdates", idempotent=True, offset=last + 1, timeout=0, allowed_updates=["message"])
        except (TransientError, PermanentError, OutcomeUnknown, ChannelDown) as e:
            say(f"warning: could not confirm the bot's messages: {e}")
    return prefs

"""Telegram channel (Bot API): one ``sendPhoto`` with the caption, or one ``sendMessage``.

A caption longer than Telegram's 1,024-character photo limit is refused, not split into photo + follow-up text:
a split publish is two requests, and if the second fails the channel holds half a post that a retry would
duplicate. The publisher shortens the caption (or drops the image) and the post stays one request, one outcome.

Text is sent without ``parse_mode`` so nothing in a caption can break Markdown/HTML parsing; Telegram still links
URLs by itself. Only the first image is sent (an album needs ``sendMediaGroup``, which cannot carry a long text).

The Bot API cannot read a channel's history, so nothing can be looked up afterwards: a 5xx or a lost answer after
sendPhoto/sendMessage is "unknown" for a person to check (``http.telegram_error``), and only a refusal that says
so (429 with ``retry_after``, which python-telegram-bot raises as ``RetryAfter``) is waited out and sent again.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from sopkit.channels.addresses import IsPublic, address_problem, is_public_url
from sopkit.channels.base import (
    CannotSearch,
    ChannelState,
    CredentialStatus,
    OutcomeUnknown,
    PermanentError,
    Post,
    Result,
    as_dict,
)
from sopkit.channels.http import (
    DEFAULT_BACKOFF,
    OnRetry,
    Sleep,
    Timeout,
    json_body,
    redacting,
    send,
    telegram_error,
    unreadable_success,
)
from sopkit.channels.spec import ChannelContext, ChannelSpec, RenditionSpec
from sopkit.channels.spec import utf16_length as telegram_length
from sopkit.i18n import t
from sopkit.retry import Backoff, RetriesExhausted, TransientError, call_with_retry

API_URL = "https://api.telegram.org"
MAX_CAPTION = 1024
MAX_TEXT = 4096


def text_with_link(caption: str, link: str | None) -> str:
    caption = caption.strip()
    if link and link not in caption:
        return f"{caption}\n\n{link}".strip()
    return caption


def message_url(chat_id: str, message: dict[str, Any]) -> str:
    """t.me link: public channels by username; private supergroups/channels as t.me/c/<id> (members only)."""
    message_id = message.get("message_id")
    if message_id is None:
        return ""
    chat = as_dict(message.get("chat"))
    username = chat.get("username") or (chat_id[1:] if chat_id.startswith("@") else "")
    if username:
        return f"https://t.me/{username}/{message_id}"
    numeric = str(chat.get("id", chat_id))
    if numeric.startswith("-100"):
        return f"https://t.me/c/{numeric[4:]}/{message_id}"
    return ""


class TelegramChannel:
    """Posts to one chat (usually a channel where the bot is an administrator)."""

    name = "telegram"

    def __init__(
        self,
        bot_token: str,
        chat_id: str,
        api_url: str = API_URL,
        session: requests.Session | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        *,
        timeout: Timeout = (5.0, 60.0),
        sleep: Sleep = time.sleep,
        on_retry: OnRetry | None = None,
        is_public: IsPublic = is_public_url,
    ):
        self.is_public = is_public
        self.bot_token = bot_token
        self.chat_id = str(chat_id)
        self.api_url = api_url.rstrip("/")
        self.session = session or requests.Session()
        self.backoff = backoff
        self.timeout = timeout
        self.sleep = sleep
        self.on_retry = on_retry

    def _once(self, method: str, *, idempotent: bool, **kwargs: Any) -> Any:
        what = t("telegram.what", method=method)
        with redacting((self.bot_token,)):
            resp = send(
                self.session,
                "POST",
                f"{self.api_url}/bot{self.bot_token}/{method}",
                what=what,
                timeout=self.timeout,
                idempotent=idempotent,
                secrets=(self.bot_token,),
                **kwargs,
            )
            body = json_body(resp)
            if not resp.ok or (isinstance(body, dict) and body.get("ok") is False):
                raise telegram_error(resp, what, idempotent=idempotent)
            if not isinstance(body, dict) or "result" not in body:
                raise unreadable_success(what, idempotent)
            return body["result"]

    def _call(self, method: str, *, idempotent: bool, **kwargs: Any) -> Any:
        return call_with_retry(
            lambda: self._once(method, idempotent=idempotent, **kwargs),
            self.backoff,
            sleep=self.sleep,
            on_retry=self.on_retry,
        )

    def find(self, post: Post) -> Result | None:
        raise CannotSearch(t("telegram.cannot_search"))

    def where_to_look(self, post: Post) -> str:
        chat = self.chat_id[1:] if self.chat_id.startswith("@") else ""
        where = f"https://t.me/{chat}" if chat else t("telegram.the_chat", chat=self.chat_id)
        return t("telegram.look", where=where, clue=(post.link or post.caption.strip()[:80] + "…"))

    def publish(self, post: Post) -> Result:
        if post.link and not self.is_public(post.link):
            raise PermanentError(t("channel.link_not_public", channel="Telegram", url=post.link,
                                   why=t(f"addr.{address_problem(post.link) or 'private_name'}")))
        text = text_with_link(post.caption, post.link)
        if post.images:
            if (n := telegram_length(text)) > MAX_CAPTION:
                raise PermanentError(t("telegram.caption_long", limit=MAX_CAPTION, n=n))
            image = post.images[0]
            message = self._call(
                "sendPhoto",
                idempotent=False,
                data={"chat_id": self.chat_id, "caption": text},
                files={"photo": (image.filename, image.data, image.mime)},
            )
        else:
            if not text:
                raise PermanentError(t("telegram.nothing"))
            if (n := telegram_length(text)) > MAX_TEXT:
                raise PermanentError(t("telegram.text_long", limit=MAX_TEXT, n=n))
            message = self._call("sendMessage", idempotent=False, json={"chat_id": self.chat_id, "text": text})
        if not isinstance(message, dict) or "message_id" not in message:
            raise OutcomeUnknown(t("telegram.no_id"))
        url = message_url(self.chat_id, message)
        return Result(ChannelState.PUBLISHED, url=url, post_id=str(message["message_id"]))

    def check_credentials(self) -> CredentialStatus:
        """getMe proves the token; getChat proves the bot can see the target chat."""
        try:
            me = self._call("getMe", idempotent=True)
            chat = self._call("getChat", idempotent=True, json={"chat_id": self.chat_id})
        except (TransientError, RetriesExhausted, OutcomeUnknown) as e:
            return CredentialStatus(ok=False, message=t("telegram.unreachable", detail=str(e)))
        except PermanentError as e:
            return CredentialStatus(ok=False, message=str(e))
        bot = me.get("username", "?") if isinstance(me, dict) else "?"
        title = chat.get("title") or chat.get("username") or self.chat_id if isinstance(chat, dict) else self.chat_id
        return CredentialStatus(ok=True, message=t("telegram.ok", bot=bot, chat=title))


def _factory(ctx: ChannelContext) -> TelegramChannel:
    return TelegramChannel(ctx.text("bot_token"), ctx.text("chat_id"), ctx.text("api_url", API_URL),
                           **ctx.retry_kwargs())


#: Rendition: Bot API sendPhoto takes <= 10 MB, width + height <= 10000, ratio <= 20; Telegram shows 1280 px max.
#: The caption limit is the photo caption's (a text-only message may hold 4096).
SPEC = ChannelSpec(
    name="telegram", order=50, factory=_factory, credentials=("bot_token", "chat_id"), secrets=("bot_token",),
    rendition=RenditionSpec("fit", ((1280, 1280),), 10 * 1024 * 1024, min_aspect=1 / 20, max_aspect=20.0),
    caption_limit=MAX_CAPTION, links_home=True, searchable=False,
)

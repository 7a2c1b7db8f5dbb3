"""A loopback Telegram Bot API: getMe, getChat, sendMessage, sendPhoto, and for direct messages to people
getUpdates and private chats (a person "sends" the bot a message with :meth:`FakeTelegram.user_says`; a person
who blocked the bot gets the real 403).

Shapes follow core.telegram.org/bots/api: ``/bot<token>/<method>``, parameters as query, urlencoded, JSON or
multipart; answers ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description",
"parameters": {"retry_after"}}`` with the same HTTP status. Limits: text 1-4096, photo caption 0-1024 characters
(UTF-16 code units).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from . import Fault, LoopbackServer, Recorded, Reply


def tg_error(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def flood(retry_after: int = 3, path_suffix: str = "") -> Fault:
    body = tg_error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
    return Fault("respond", path_suffix, status=429, body=body)


def unauthorized(path_suffix: str = "") -> Fault:
    """What a revoked bot token gets (Telegram tokens do not expire; they are revoked in @BotFather)."""
    return Fault("respond", path_suffix, status=401, body=tg_error(401, "Unauthorized"))


def server_error(path_suffix: str = "", *, applied: bool = True) -> Fault:
    """A Bot API 5xx; ``applied`` (the default): the message was delivered before the error came back, which the
    Bot API gives no way to check afterwards."""
    return Fault("after" if applied else "respond", path_suffix, status=500,
                 body=tg_error(500, "Internal Server Error"))


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class FakeTelegram(LoopbackServer):
    token: str = "123456:ABC-fake-bot-token"
    bot_username: str = "sop_desk_bot"
    chat: dict[str, Any] = field(
        default_factory=lambda: {
            "id": -1001234567890,
            "title": "Dishub Kalbar",
            "username": "dishubkalbar",
            "type": "channel",
        }
    )
    messages: list[dict[str, Any]] = field(default_factory=list)
    private_chats: dict[str, dict[str, Any]] = field(default_factory=dict)  # chat id -> chat
    blocked: set[str] = field(default_factory=set)  # private chats whose person blocked the bot
    updates: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(101)
        self._update_ids = itertools.count(5001)

    def _chat_matches(self, chat_id: str | None) -> bool:
        return chat_id in (str(self.chat["id"]), f"@{self.chat.get('username')}") or chat_id in self.private_chats

    def user_says(self, chat_id: int, text: str, first_name: str = "Budi") -> None:
        """A person writes to the bot from their private chat (which opens the chat, as /start does)."""
        chat = {"id": chat_id, "type": "private", "first_name": first_name}
        with self.lock:
            self.private_chats.setdefault(str(chat_id), chat)
            self.updates.append({"update_id": next(self._update_ids), "message": {
                "message_id": next(self._ids), "date": int(time.time()), "chat": chat, "text": text,
                "from": {"id": chat_id, "is_bot": False, "first_name": first_name}}})

    def to_chat(self, chat_id: int | str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.messages if m.get("chat_id") == str(chat_id)]

    def handle(self, request: Recorded) -> Reply:
        prefix, _, method = request.path.strip("/").partition("/")
        if not prefix.startswith("bot") or prefix[3:] != self.token:
            return Reply(401, tg_error(401, "Unauthorized"))
        if method == "getMe":
            return Reply(
                200,
                {
                    "ok": True,
                    "result": {
                        "id": int(self.token.split(":")[0]),
                        "is_bot": True,
                        "first_name": "SOP Desk",
                        "username": self.bot_username,
                    },
                },
            )
        if method == "getUpdates":
            offset = int(request.param("offset") or 0)
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]  # confirmed: forgotten
            return Reply(200, {"ok": True, "result": list(self.updates)})
        chat_id = request.param("chat_id")
        if method in ("getChat", "sendMessage", "sendPhoto"):
            if not chat_id:
                return Reply(400, tg_error(400, "Bad Request: chat_id is empty"))
            if not self._chat_matches(chat_id):
                return Reply(400, tg_error(400, "Bad Request: chat not found"))
        if chat_id in self.blocked:
            return Reply(403, tg_error(403, "Forbidden: bot was blocked by the user"))
        if method == "getChat":
            return Reply(200, {"ok": True, "result": dict(self.private_chats.get(chat_id or "", self.chat))})
        if method == "sendMessage":
            text = request.param("text") or ""
            if not text.strip():
                return Reply(400, tg_error(400, "Bad Request: message text is empty"))
            if units(text) > 4096:
                return Reply(400, tg_error(400, "Bad Request: message is too long"))
            if chat_id in self.private_chats:
                return self._store({"text": text, "chat_id": chat_id}, self.private_chats[chat_id])
            return self._store({"text": text})
        if method == "sendPhoto":
            photo = request.files.get("photo")
            if photo is None and not request.param("photo"):
                return Reply(400, tg_error(400, "Bad Request: there is no photo in the request"))
            caption = request.param("caption") or ""
            if units(caption) > 1024:
                return Reply(400, tg_error(400, "Bad Request: message caption is too long"))
            stored = {
                "caption": caption,
                "photo_bytes": photo.data if photo else b"",
                "photo_filename": photo.filename if photo else "",
                "photo_type": photo.content_type if photo else "",
            }
            return self._store(stored)
        return Reply(404, tg_error(404, "Not Found"))

    def _store(self, content: dict[str, Any], chat: dict[str, Any] | None = None) -> Reply:
        message = {"message_id": next(self._ids), "chat": dict(chat or self.chat), "date": int(time.time())}
        if "caption" in content:
            message["caption"] = content["caption"]
            message["photo"] = [
                {
                    "file_id": f"AgAC{message['message_id']}",
                    "file_unique_id": "u",
                    "width": 800,
                    "height": 600,
                    "file_size": len(content["photo_bytes"]),
                }
            ]
        else:
            message["text"] = content["text"]
        self.messages.append({**content, "message_id": message["message_id"]})
        return Reply(200, {"ok": True, "result": message})

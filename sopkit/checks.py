"""The creator's pre-submit check: what a reviewer would send back for, found before it is sent.

Each finding is an i18n key plus values, so the page shows it in the user's language. Platform limits are
the ones the channels enforce (``CAPTION_LIMITS``); Instagram's hashtag limit too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .schema import Item

#: Caption limits per channel, in characters (Instagram counts UTF-16 units; see ``caption_length``).
CAPTION_LIMITS: dict[str, int] = {"x": 280, "instagram": 2200, "telegram": 1024, "facebook": 63206}
MAX_HASHTAGS = {"instagram": 30}
HASHTAG = re.compile(r"(?<![\w#])#\w+")
_REPEAT = re.compile(r"\b(\w+)(\s+\1\b)+", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    key: str  # i18n key
    values: dict[str, Any] = field(default_factory=dict)
    blocking: bool = True


def caption_length(text: str) -> int:
    """UTF-16 code units, as Instagram and X count: an emoji counts as two."""
    return len(text.encode("utf-16-le")) // 2


def caption_findings(channel: str, text: str) -> list[Finding]:
    out: list[Finding] = []
    limit = CAPTION_LIMITS.get(channel)
    n = caption_length(text)
    if limit is not None and n > limit:
        out.append(Finding("check.caption_over", {"channel": channel, "n": n, "limit": limit}))
    tags = len(HASHTAG.findall(text))
    if channel in MAX_HASHTAGS and tags > MAX_HASHTAGS[channel]:
        out.append(Finding("check.hashtags_over", {"channel": channel, "n": tags, "limit": MAX_HASHTAGS[channel]}))
    return out


def text_findings(where: str, text: str) -> list[Finding]:
    out: list[Finding] = []
    m = _REPEAT.search(text)
    if m:
        out.append(Finding("check.repeated_word", {"where": where, "word": m.group(1)}, blocking=False))
    if re.search(r"\S {2,}\S", text):
        out.append(Finding("check.double_space", {"where": where}, blocking=False))
    return out


def pre_submit(item: Item) -> list[Finding]:
    """Every finding for a step-2 item: blocking ones must be fixed, the others are worth a look."""
    out: list[Finding] = []
    for name in ("title", "summary", "body"):
        if not str(getattr(item, name)).strip():
            out.append(Finding("check.empty", {"where": name}))
    for channel in item.channels:
        if channel in CAPTION_LIMITS and not item.captions.get(channel, "").strip():
            out.append(Finding("check.empty", {"where": f"caption {channel}"}))
    for name in ("title", "summary", "body"):
        out += text_findings(name, str(getattr(item, name)))
    for channel, text in sorted(item.captions.items()):
        out += caption_findings(channel, text)
        out += text_findings(f"caption {channel}", text)
    for m in item.media:
        if m.get("kind", "image") == "image" and m.get("use", True) and not str(m.get("alt", "")).strip():
            out.append(Finding("check.alt_missing", {"name": m.get("name", "?")}))
    return out

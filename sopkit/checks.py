"""The creator's pre-submit check: what a reviewer would send back for, found before it is sent.

Each finding is an i18n key plus values, so the page shows it in the user's language. Platform limits are the
ones each channel declares in its spec (``sopkit.channels.registry``): caption length, hashtags, mentions. The
Desk refuses a submit with a blocking finding (``workflow.ChecksFailed``), so the rule holds for the CLI and
tests too; the creator page only shows the findings while the text is being written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .channels import registry
from .channels.spec import HASHTAG, MENTION, utf16_length
from .schema import Item

_REPEAT = re.compile(r"\b(\w+)(\s+\1\b)+", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    key: str  # i18n key
    values: dict[str, Any] = field(default_factory=dict)
    blocking: bool = True


def caption_length(text: str) -> int:
    """UTF-16 code units, as Instagram and X count: an emoji counts as two."""
    return utf16_length(text)


def caption_findings(channel: str, text: str) -> list[Finding]:
    """What the channel would refuse in this caption (its declared limits); nothing for a channel without any."""
    spec = registry.get(channel)
    if spec is None:
        return []
    out: list[Finding] = []
    for key, limit, n in (("check.caption_over", spec.caption_limit, caption_length(text)),
                          ("check.hashtags_over", spec.hashtag_limit, len(HASHTAG.findall(text))),
                          ("check.mentions_over", spec.mention_limit, len(MENTION.findall(text)))):
        if limit is not None and n > limit:
            out.append(Finding(key, {"channel": channel, "n": n, "limit": limit}))
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
    """Every finding for a step-2 item: blocking ones must be fixed (the Desk refuses the submit), the others are
    worth a look."""
    out: list[Finding] = []
    for name in ("title", "summary", "body"):
        if not str(getattr(item, name)).strip():
            out.append(Finding("check.empty", {"where": name}))
    for channel in item.channels:
        spec = registry.get(channel)
        if spec is not None and spec.takes_caption and not item.captions.get(channel, "").strip():
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

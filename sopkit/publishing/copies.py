"""Copies of one post that a channel made from requests the job had given up on: which to keep, what to do with
the rest.

Why (issue 17): a request whose answer was lost, or whose run was killed, can still be applied by the server long
after, even after another run has searched, found nothing and posted. WordPress then renames the second post
``<key>-2`` rather than refusing it, and a duplicate is live on the agency's site, invisible on the desk. The job
asks a channel that can list them (:class:`~sopkit.channels.base.Copies`) right after posting wherever an earlier
attempt may still be on its way, and again on each run while the post is watched (``watch_until``).

What is kept: the post under the key itself when there is one (it is the one ``find`` returns, so every later
lookup agrees), else the oldest; the post the job recorded is updated to it.

What happens to the others, ``[publish] copies``:

* ``trash`` (the default): moved to the channel's trash and listed on the item for the publisher. Why the
  default: the copy is the same article under a second address on a government site, public from the moment it
  lands; waiting for a person leaves it up for hours, while the trash keeps it restorable (WordPress: 30 days)
  and the publisher still sees what was moved, when, and which post was kept.
* ``show``: left live and shown to the publisher with where to remove it; for a site whose rules say only a person
  takes a post down. A copy the channel refuses to trash (the account may not delete) is shown the same way.

Each copy is recorded as ``{"post_id", "url", "action", "at"}`` with ``action`` = ``trashed`` | ``left`` (live,
for the publisher) | ``removed`` (a copy left earlier that is gone now).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

from ..channels.base import Channel, Copies, OutcomeUnknown, PermanentError, Post, Result
from ..channels.deadline import ClaimLost
from ..retry import RetriesExhausted, TransientError
from ..timeutil import parse_iso

TRASH, SHOW = "trash", "show"
MODES = (TRASH, SHOW)
TRASHED, LEFT, REMOVED = "trashed", "left", "removed"
#: What a lookup or a trash request may fail with; none of them changes what is recorded.
CHANNEL_ERRORS = (ClaimLost, TransientError, RetriesExhausted, PermanentError, OutcomeUnknown)


def can_find_copies(channel: Channel) -> TypeGuard[Copies]:
    return callable(getattr(channel, "find_copies", None))


def watched(state: Mapping[str, Any], now: dt.datetime) -> bool:
    """A published channel is looked at again while its watch lasts, and for as long as a copy is left live."""
    if any(isinstance(c, Mapping) and c.get("action") == LEFT for c in state.get("copies") or ()):
        return True
    try:
        return bool(state.get("watch_until")) and parse_iso(str(state["watch_until"])) > now
    except ValueError:
        return False


def sort_out(channel: Channel, post: Post, ours: Result, *, keep_ours: bool, known: list[dict[str, Any]],
             mode: str, at: str, say: Callable[[str], None]) -> tuple[Result, list[dict[str, Any]]] | None:
    """Look for copies of ``post`` and deal with each: returns the post to record and the copies as recorded, or
    None when the channel could not be asked (the next run asks again).

    ``keep_ours``: keep ``ours`` while it is live (a later look: the recorded post stays the post); otherwise the
    one under the key wins (right after posting: ours may be the renamed one). ``known``: the copies recorded so
    far, so none is dealt with twice.
    """
    if not can_find_copies(channel):  # the callers ask first; a channel without copies has nothing to sort out
        raise TypeError(f"{type(channel).__name__} cannot list its posts for a key")
    try:
        found = tuple(channel.find_copies(post))
    except CHANNEL_ERRORS as e:
        say(f"could not look for copies of the post ({e}); the next run looks again")
        return None
    ids = {r.post_id for r in found}
    keep = ours if not found or (keep_ours and ours.post_id in ids) else found[0]
    before = {str(c.get("post_id", "")): dict(c) for c in known if isinstance(c, Mapping)}
    copies: list[dict[str, Any]] = []
    for copy in found:
        if copy.post_id == keep.post_id:
            continue
        seen = before.pop(copy.post_id, None)
        if seen is not None and seen.get("action") == LEFT:
            copies.append(seen)  # shown already: the publisher decides
            continue
        copies.append(_deal_with(channel, copy, mode, at, say, restored=seen is not None))
    for gone in before.values():  # recorded earlier, not live any more (trashed by us, or removed by a person)
        copies.append(gone if gone.get("action") != LEFT else {**gone, "action": REMOVED, "at": at})
    return keep, copies


def _deal_with(channel: Copies, copy: Result, mode: str, at: str, say: Callable[[str], None], *,
               restored: bool) -> dict[str, Any]:
    record: dict[str, Any] = {"post_id": copy.post_id, "url": copy.url, "at": at}
    if restored:  # trashed by the job once and back: a person restored it on purpose
        say(f"copy {copy.url or copy.post_id} is back from the trash; leaving it for the publisher")
        return {**record, "action": LEFT, "error": "restored from the trash by a person"}
    if mode != TRASH:
        say(f"found a copy {copy.url or copy.post_id}; left for the publisher to remove")
        return {**record, "action": LEFT}
    try:
        channel.trash_copy(copy)
    except CHANNEL_ERRORS as e:
        say(f"found a copy {copy.url or copy.post_id} but could not move it to the trash ({e}); left for the "
            "publisher")
        return {**record, "action": LEFT, "error": str(e)}
    say(f"moved a copy {copy.url or copy.post_id} to the trash")
    return {**record, "action": TRASHED}

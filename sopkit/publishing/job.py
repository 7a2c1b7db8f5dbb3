"""The publish job's algorithm (SOP step 6): put every due item on each of its channels exactly once.

It knows a Desk, the channels it was given and a source of pictures; nothing about the secrets file, paths or
hosts (``wiring`` builds those, ``media`` makes the pictures, ``run`` runs it under the host lock).

Why it is shaped like this (peer schedulers posted twice after a timed-out retry, e.g. Postiz before PR #1813, and
marked a whole post failed for one bad channel, e.g. Mixpost #89):

* **Exactly once per channel.** Before posting, the job *claims* the item-channel: it writes
  ``{"status": "claimed", "job": ..., "lease_until": ...}`` into ``channel_results`` through a rev-checked
  :meth:`Desk.record_channel`, so of two runs only one can win. A post is never sent twice blindly: before a retry
  or before taking over a claim whose lease ran out (its run crashed), the job asks the channel with ``find()``
  whether the post is already there (every post carries the idempotency key ``sop-<item id>``). On a channel
  that cannot be searched, a run that died or an answer that never came (:class:`OutcomeUnknown`) ends as
  ``unknown`` for a person to check: a missing post is a nuisance, a duplicate on a government account is worse.
  A takeover that does not find the post posts it only where the dead run's request, landing late, could leave
  no second post (the website rewrites its page; WordPress's copies are found and trashed); elsewhere (Facebook,
  Instagram) not found may mean "not applied yet", so it is ``unknown``, watched, for a person to hand back.
* **A claim no request outlives.** While the channel is talked to, a heartbeat renews the claim and every
  request lives inside what is left of it (``lease``: a deadline per request, none after the claim is lost); the
  lease itself is refused if it is shorter than the longest attempt on a channel.
* **Unknowns resolved by looking** (one path, ``_unknown``). When a post may have gone out (a lost answer, a 5xx or
  code 2 from Graph, a run killed mid-request) the job asks the channel at once; found, it is published. What a
  channel that can list the copies of a post (WordPress) does not show yet is ``checking``: each later run looks
  again and records it when it appears, and once the lost request could no longer land (a lease later) posts
  after one more look, since a late copy is then found and sorted out. Elsewhere (Graph: a post made may not be
  visible yet, and a late second one could not be cleaned up) it stays ``unknown`` with what to check and where
  (the channel's ``where_to_look``); each run still looks for it while it is watched and records it when it
  appears, but the job never posts it again on its own. A channel that cannot be searched leaves ``unknown`` for a
  person at once.
* **Copies from abandoned requests.** Where an earlier attempt may still be on its way, the job looks for copies
  the channel made of the post (WordPress ``<key>-2``) right after posting and on each run while the post is
  watched, keeps one and moves the others to the trash or shows them to the publisher (``copies``).
* **Status per channel.** One failing channel never fails, blocks or re-sends the others. The item is closed
  (``published`` + the step-6 ``publish`` Log row) by ``record_channel`` when its last channel is published.
* **Catch-up.** Every run takes every due item, however late; lateness shows in compliance, not as a lost post.

``channel_results[channel]`` (JSON in the Register; the only column the job writes) holds one dict::

    status        a ``ChannelState``: pending | manual | claimed | checking | published | failed | unknown
    at            when this state was written (ISO 8601 with offset)
    key           the idempotency key, "sop-<item id>"
    attempts      how many times a run has claimed it
    job           the run that wrote it (claimed and after)
    lease_until   claimed only: after this another run may take over (after asking the channel first)
    url, post_id  published only
    error         failed / unknown / manual / pending / checking: the reason, in words for the publisher
                  (``sopkit.i18n``)
    refs          what a channel learnt on the way (Instagram's container id), handed back to it as ``Post.refs``
    not_before    pending only: a rate limit asked the job not to try before this time
    settle_at     checking only: from then on a post still not found is posted again (after one more look)
    where         unknown / checking: where a person finds the post on the channel, when the channel says
    watch_until   published: until then each run looks for copies an abandoned request may still make;
                  failed / unknown: until then each run looks for the post an earlier attempt may still make
    copies        published: the copies found and what was done with them (``copies.py``)

``pending`` = the job tries (again) on its next run (transient errors, or a person asked for another try; a rate
limit that names its wait sets ``not_before`` and does not count as a failed attempt);
``checking`` = an answer was lost on a channel that can list copies of a post: the job looks on each run (above);
``manual`` = the job cannot post there (no credentials, or a hand-posted channel): the item stays on the
publisher's queue with the reason, and the job takes it as soon as the channel is configured. ``failed`` and
``unknown`` wait for a person (:func:`requeue_channel` hands a channel back to the job).

Channels are read by capability, never by name: the registry's order (the home page first), the ``home`` channel
whose page the others link to, and for a channel with ``public_images`` the channel that can host pictures
(:class:`~sopkit.channels.base.ImageHost`, the website).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import random
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .. import sop
from ..channels import deadline, registry
from ..channels.base import (
    FOR_A_PERSON,
    CannotSearch,
    Channel,
    ChannelState,
    Image,
    OutcomeUnknown,
    PermanentError,
    Post,
    Result,
    as_dict,
    refs_of,
)
from ..channels.deadline import ClaimLost
from ..i18n import DEFAULT_LANG, Term, channel_status_title, t
from ..retry import Backoff, RetriesExhausted, Throttled, TransientError, call_with_retry
from ..schema import Item, User
from ..store.base import NotFound, Register, StaleWrite
from ..timeutil import parse_iso, to_iso, zone
from ..workflow import Desk, WorkflowError, checked_text
from . import copies as copies_
from .lease import REQUEST_SECONDS, Heartbeat, check_lease
from .media import MediaError

PENDING, MANUAL, CLAIMED = ChannelState.PENDING, ChannelState.MANUAL, ChannelState.CLAIMED
PUBLISHED, FAILED, UNKNOWN = ChannelState.PUBLISHED, ChannelState.FAILED, ChannelState.UNKNOWN
CHECKING = ChannelState.CHECKING
UNKNOWN_TEXT = t("job.unknown")
RELEASE = "release"  # not a state: give the claim back at once, unchanged, so the next run asks again
#: Results a run may hold back for its last batch (the next run's takeover works them out again; ``_record``).
HELD_BACK = (PUBLISHED, PENDING, CLAIMED)  # CLAIMED: a released claim

DEFAULT_LEASE = dt.timedelta(minutes=10)
DEFAULT_MAX_ATTEMPTS = 5
#: How long after an uncertain post each run still looks for copies a late request may make.
DEFAULT_WATCH = dt.timedelta(hours=24)
#: The job's own retry around ``channel.publish``; channels retry their single requests inside it.
JOB_BACKOFF = Backoff(tries=4, base=2.0, cap=30.0, max_retry_after=60.0)
#: The SOP step the job works at: items scheduled and waiting to go out.
PUBLICATION = sop.number("publication")
LATE_AFTER = dt.timedelta(minutes=sop.STEPS[PUBLICATION].limit_minutes)
#: Fields that describe one outcome only; a later outcome that does not set them drops them.
PASSING_FIELDS = ("settle_at", "where")

Say = Callable[[str], None]


# -- identity and keys --------------------------------------------------------------------------------------------


def host_name() -> str:
    return re.sub(r"[^a-z0-9.-]+", "-", socket.gethostname().lower()).strip("-.") or "localhost"


def service_user(host: str | None = None) -> User:
    """The job's identity in the Log: a publisher no person signs in as."""
    return User(email=f"publish-job@{host or host_name()}", name="Publish job", roles=("publisher",), service=True)


def new_job_id(host: str | None = None) -> str:
    return f"{host or host_name()}:{os.getpid()}:{secrets.token_hex(3)}"


def post_key(item_id: str) -> str:
    """``sop-<item id>``, in the characters every channel accepts in a slug (a-z, 0-9, -)."""
    return "sop-" + (re.sub(r"[^a-z0-9]+", "-", item_id.lower()).strip("-") or "item")


#: The item's pictures for one channel, ready to post; raises MediaError naming the file it cannot use.
Renditions = Callable[[Item, str], tuple[Image, ...]]


def post_caption(item: Item, channel: str) -> str:
    """The caption a channel's post carries: the one written for it, else the item's summary."""
    return item.captions.get(channel) or item.summary


def no_media(item: Item, channel: str) -> tuple[Image, ...]:
    """The default picture source: fine for items without pictures, a clear failure for the others."""
    if any(str(ref.get("kind", "image")) == "image" and ref.get("use", True) is not False for ref in item.media):
        raise MediaError(t("media.no_folder"))
    return ()


def local_time(t: dt.datetime | None) -> str:
    """A moment as the job's log and messages show it: ``2026-11-26 10:00 WIB``."""
    return t.astimezone(zone()).strftime("%Y-%m-%d %H:%M %Z") if t else ""


# -- what to do with one item-channel -----------------------------------------------------------------------------

Action = Literal["claim", "skip", "manual", "unknown", "look"]


def next_action(state: Mapping[str, Any] | None, available: str | None, now: dt.datetime,
                channel: str = "") -> tuple[Action, str]:
    """Decide for one item-channel. ``available`` is None when the job can post there, else the reason it cannot.

    Returns the action and the reason in words: ``claim`` (post, after asking the channel first when an earlier
    run got that far), ``look`` (ask the channel for a post whose answer was lost; post nothing), ``skip`` (done,
    a person's turn, or another run holds a live lease), ``manual`` (write the reason so the publisher sees it),
    ``unknown`` (a crashed run's claim or a lost answer on a channel the job can no longer ask).
    """
    status = str((state or {}).get("status", "") or "")
    if status == PUBLISHED:
        return "skip", "already published"
    if status == PENDING and (not_before := _when((state or {}).get("not_before"))) and not_before > now:
        return "skip", f"rate limited until {local_time(not_before)}"
    if status in FOR_A_PERSON:
        return "skip", f"{status}, waiting for a person: {state.get('error', '') if state else ''}".rstrip(": ")
    if status == CLAIMED:
        until = _when((state or {}).get("lease_until"))
        if until is not None and until > now:
            return "skip", f"held by run {state.get('job', '?') if state else '?'} until {local_time(until)}"
        if available:
            return "unknown", t("job.claim_unfinished_unavailable", unknown=UNKNOWN_TEXT, reason=available,
                                look=t("job.look_generic", channel=channel or "?"))
        return "claim", "the lease of a run that did not finish has run out"
    if status == CHECKING:
        if available:
            return "unknown", t("job.checking_unavailable", unknown=UNKNOWN_TEXT, reason=available,
                                look=t("job.look_generic", channel=channel or "?"))
        settle = _when((state or {}).get("settle_at"))
        if settle is not None and settle > now:
            return "look", f"an answer was lost: looking for the post (posting again from {local_time(settle)})"
        return "claim", "the post whose answer was lost has not appeared in time"
    if available:
        if status == MANUAL and (state or {}).get("error") == available:
            return "skip", available
        return "manual", available
    return "claim", "due"


def _when(text: Any) -> dt.datetime | None:
    try:
        return parse_iso(str(text)) if text else None
    except ValueError:
        return None


def is_due(item: Item, now: dt.datetime) -> bool:
    return (item.status == sop.STATUS_BY_STEP[PUBLICATION] and item.step == PUBLICATION and item.publish_at is not None
            and item.publish_at <= now)


def requeue_channel(desk: Desk, user: User, item: Item, channel: str, note: str) -> Item:
    """A person hands a failed or unknown channel back to the job (after checking the channel by hand).

    The job asks the channel ``find()`` first (attempts > 0), so a post that did go out is recorded, not repeated.
    """
    state = item.channel_results.get(channel, {})
    if state.get("status") not in FOR_A_PERSON:
        raise WorkflowError("job.requeue_only_person", channel=Term(f"channel_name.{channel}"),
                            status=lambda lang: channel_status_title(state.get("status"), lang))
    note = checked_text(note or "", "note", multiline=True).strip()
    if not note:
        raise WorkflowError("job.requeue_note")
    result = {**state, "status": PENDING, "error": t("job.handed_back", who=user.name or user.email, note=note),
              "lease_until": "", "not_before": "", "attempts": 0}
    # a fresh set of tries; PENDING still makes the job ask the channel first, and ``refs`` stay for it
    return desk.record_channel(user, item, channel, result)


# -- the job --------------------------------------------------------------------------------------------------------


@dataclass
class RunReport:
    published: int = 0
    failed: int = 0
    unknown: int = 0
    manual: int = 0
    pending: int = 0
    checking: int = 0
    held: int = 0
    retries: int = 0
    resolved: int = 0  # unknown outcomes the job settled by looking the post up
    renewals: int = 0
    copies: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.unknown or self.errors or self.pending or self.checking)

    def summary(self, lang: str = DEFAULT_LANG) -> str:
        return t("run.publish_done", lang, published=self.published, failed=self.failed, unknown=self.unknown,
                 checking=self.checking, pending=self.pending, manual=self.manual, held=self.held,
                 retries=self.retries, resolved=self.resolved, renewals=self.renewals, copies=self.copies,
                 errors=len(self.errors))


@dataclass(frozen=True)
class Outcome:
    """What talking to the channel came to, for the run's thread to write: a state, its reason, its fields."""

    status: str  # a ChannelState, or RELEASE
    error: str = ""
    result: Result | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    refs: Mapping[str, str] = field(default_factory=dict)  # what the channel learnt on the way (``Post.refs``)


class PublishJob:
    """One publishing run over a Desk: :meth:`run` posts, :meth:`plan` only says what it would post.

    Refuses (:class:`~sopkit.publishing.lease.LeaseTooShort`) a ``lease`` shorter than the longest attempt on one
    of ``channels``. ``copies``: ``trash`` or ``show`` (``copies.py``); ``watch``: how long after an uncertain
    post each run looks for copies; ``heartbeat``: seconds between renewals (default a third of the lease).
    """

    def __init__(self, desk: Desk, channels: Mapping[str, Channel], unavailable: Mapping[str, str] | None = None, *,
                 images: Renditions = no_media, user: User | None = None, job_id: str | None = None,
                 lease: dt.timedelta = DEFAULT_LEASE, backoff: Backoff = JOB_BACKOFF,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS, sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None, say: Say = print, request_seconds: float = REQUEST_SECONDS,
                 copies: str = copies_.TRASH, watch: dt.timedelta = DEFAULT_WATCH, heartbeat: float | None = None):
        if copies not in copies_.MODES:
            raise ValueError(f"[publish] copies must be one of {', '.join(copies_.MODES)}, not {copies!r}")
        check_lease(lease, channels, request_seconds)
        self.desk = desk
        self.channels = dict(channels)
        self.unavailable = dict(unavailable or {})
        self.images = images
        self.user = user or service_user()
        self.job_id = job_id or new_job_id()
        self.lease = lease
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.say = say
        self.request_seconds = request_seconds
        self.copies = copies
        self.watch = watch
        self.heartbeat = heartbeat
        self.report = RunReport()
        self._stored: dict[str, Item] = {}  # during a run: each item as this run last stored or read it
        self._pending: dict[str, dict[str, tuple[dict[str, Any], bool]]] = {}  # results held back, and on_claim
        self._holding = False  # in the posting phase: results are held back for the run's batch

    # -- selection ------------------------------------------------------------------------------------------------
    def _available(self, channel: str) -> str | None:
        if channel in self.channels:
            return None
        return self.unavailable.get(channel) or t("job.not_configured", channel=channel)

    def due_items(self, register: Register, now: dt.datetime) -> list[Item]:
        far = dt.datetime.max.replace(tzinfo=dt.UTC)
        return sorted((i for i in register.items if is_due(i, now)), key=lambda i: (i.publish_at or far, i.id))

    @staticmethod
    def ordered(channels: Iterable[str]) -> list[str]:
        """In the registry's order: the home page (the website) first, since the others link to its page and
        fetch their pictures from it."""
        return sorted(channels, key=registry.rank)

    # -- dry run --------------------------------------------------------------------------------------------------
    def plan(self) -> list[str]:
        """What a run would do now, one line per item-channel; sends nothing and writes nothing."""
        now = self.desk.now()
        lines = []
        for item in self.due_items(self.desk.store.read_register(), now):
            for ch in self.ordered(item.channels):
                state = item.channel_results.get(ch)
                action, reason = next_action(state, self._available(ch), now, ch)
                what = {"claim": "would publish", "skip": "would skip", "manual": "would leave for a person",
                        "unknown": "would mark unknown", "look": "would look for it"}[action]
                if action == "claim" and (state or {}).get("status") == CLAIMED and \
                        not _may_post_after_takeover(ch, self.channels[ch]):
                    what = "would look for it, and mark it unknown if it is not there"  # never posted blind
                images = f", {len(item.media)} image reference(s)" if action == "claim" and item.media else ""
                lines.append(f"{item.id} {ch}: {what} ({reason}; key {post_key(item.id)}{images}) "
                             f"due {local_time(item.publish_at)}{_late(item, now)}")
        return lines

    # -- run ------------------------------------------------------------------------------------------------------
    def run(self, register: Register | None = None) -> RunReport:
        """Post what is due in ``register`` (just read by the caller), or in a fresh read of the store.

        Three phases, so that a busy run costs the store two writes, not two per channel: every due channel is
        decided and claimed in one batch (:meth:`Desk.record_channels`); each claimed channel is posted, in
        order; what came of them is written in one batch at the end: sooner when a held-back result's claim
        would otherwise need renewing, and at once for a result the next run could not work out again by asking
        the channel (``_record``). A post still never goes out before its claim is stored, and a run that
        dies between a post and its record leaves the claim, which the next run takes over by asking the channel
        first, exactly as when each result was written at once.
        """
        self.report = RunReport()
        self._stored, self._pending, self._holding = {}, {}, True
        now = self.desk.now()
        register = register if register is not None else self.desk.store.read_register()
        for problem in register.problems:
            self.say(f"warning: {problem}")
        try:
            for item_id, ch, kind, extra in self._claim_all(self.due_items(register, now)):
                try:
                    if kind == "post":
                        self._post(item_id, ch, extra)
                    elif kind == "claim":
                        self._claim_now(item_id, ch)
                    else:
                        self._look_again(self._view(item_id), ch, extra)
                except (StaleWrite, NotFound, WorkflowError) as e:
                    self._error(f"{item_id} {ch}: {e}")
                except Exception as e:  # the store failing (locked, Sheets quota): the next channel may still work
                    self._error(f"{item_id} {ch}: {type(e).__name__}: {e}")
            self._flush()
        finally:
            self._holding = False
        self._watch(register, now)
        return self.report

    def _error(self, text: str) -> None:
        self.report.errors.append(text)
        self.say(f"error: {text}")

    def _fresh(self, item_id: str) -> Item | None:
        try:
            return self.desk.store.get_item(item_id)
        except NotFound:
            return None

    # -- phase 1: decide and claim every due channel, in one batch ------------------------------------------------
    def _claim_all(self, items: list[Item]) -> list[tuple[str, str, str, Any]]:
        """Decide every channel of every due item and write what needs writing (the claims, and the reasons a
        person must see) in one batch; an item someone changed meanwhile is decided again on what it is now, in
        the next round's batch. Returns the work of the posting phase, in order: (item id, channel, ``post`` and
        the channel's state before the claim, or ``look`` and the reason)."""
        work: dict[str, list[tuple[str, str, Any]]] = {}
        todo = list(items)
        for _ in range(5):  # a stale write means someone else changed the item: decide again on what it is now
            decided = [(item, *self._decide(item)) for item in todo]
            batch = [(item, writes) for item, writes, _, _ in decided if writes]
            failed: Exception | None = None
            try:
                saved: list[Item | Exception] = self.desk.record_channels(self.user, batch) if batch else []
            except Exception as e:  # the store failing: nothing was claimed, so nothing is posted
                failed, saved = e, [e] * len(batch)
                self._error(f"could not claim the channels of {len(batch)} item(s): {type(e).__name__}: {e}")
            outcome = {item.id: result for (item, _), result in zip(batch, saved, strict=True)}
            todo = []
            for item, _, jobs, notes in decided:
                result = outcome.get(item.id, item)  # nothing to write: the item as read
                if isinstance(result, StaleWrite):
                    try:
                        fresh = result.current if result.current is not None else self._fresh(item.id)
                    except Exception as e:  # the item cannot be read now (a hand edit, the store failing)
                        self._error(f"{item.id}: {type(e).__name__}: {e}")
                        continue
                    if fresh is not None:
                        todo.append(fresh)
                    continue
                if isinstance(result, Exception):
                    if result is not failed:
                        self._error(f"{item.id}: {result}")
                    continue
                self._stored[item.id] = result
                work[item.id] = jobs
                for field_name, message in notes:
                    setattr(self.report, field_name, getattr(self.report, field_name) + 1)
                    self.say(message)
            if not todo:
                break
        for item in todo:
            self._error(f"{item.id}: the item kept changing under the job; will try on the next run")
        return [(item_id, ch, kind, extra) for item_id, jobs in work.items() for ch, kind, extra in jobs]

    def _decide(self, item: Item, *, alone: bool = False) -> tuple[dict[str, dict[str, Any]],
                                                                    list[tuple[str, str, Any]], list[tuple[str, str]]]:
        """One item's channels: what to write now (channel → state: a claim, or a reason for a person), the work
        of the posting phase, and what to count and say once the writes are stored.

        A channel that cannot be searched is claimed only when its turn comes (``claim``, then ``alone``: that
        channel only), so a run that dies on another channel never leaves it a claim the next run could only
        hand to a person."""
        now = self.desk.now()
        writes: dict[str, dict[str, Any]] = {}
        jobs: list[tuple[str, str, Any]] = []
        notes: list[tuple[str, str]] = []
        if not is_due(item, now):  # cancelled or rescheduled meanwhile
            return writes, jobs, notes
        for ch in self.ordered(item.channels):
            state = item.channel_results.get(ch)
            action, reason = next_action(state, self._available(ch), now, ch)
            if action == "skip":
                if state and state.get("status") == CLAIMED:
                    notes.append(("held", f"{item.id} {ch}: skipped, {reason}"))
                continue
            if action == "look":
                jobs.append((ch, "look", reason))
                continue
            base: dict[str, Any] = {"key": post_key(item.id), "attempts": int((state or {}).get("attempts", 0) or 0),
                                    "job": self.job_id, "at": to_iso(now)}
            known = (state or {}).get("refs")
            if isinstance(known, dict) and known:
                base["refs"] = dict(known)  # what earlier tries learnt (a container id) stays with the channel
            if action == "manual":
                writes[ch] = {**base, "status": MANUAL, "error": reason}
                notes.append(("manual", f"{item.id} {ch}: left for the publisher: {reason}"))
            elif action == "unknown":
                writes[ch] = {**base, "status": UNKNOWN, "error": reason}
                notes.append(("unknown", f"{item.id} {ch}: {reason}"))
            elif not alone and not _searchable(ch):
                jobs.append((ch, "claim", None))
            else:
                writes[ch] = {**base, "status": CLAIMED, "attempts": base["attempts"] + 1,
                              "lease_until": to_iso(now + self.lease), "error": ""}
                jobs.append((ch, "post", state))
        return writes, jobs, notes

    def _claim_now(self, item_id: str, ch: str) -> None:
        """Claim one channel at its turn (one that cannot be searched: one write of its own), then post it;
        decided again on what the item is now. The results held back stay held (they apply on top)."""
        item = self._stored[item_id]
        for _ in range(5):
            writes, jobs, notes = self._decide(dataclasses.replace(item, channels=(ch,)), alone=True)
            try:
                if writes:
                    item = self.desk.record_channel(self.user, item, ch, writes[ch])
            except StaleWrite as e:
                fresh = e.current if e.current is not None else self._fresh(item_id)
                if fresh is None:
                    return
                item = fresh
                continue
            self._stored[item_id] = item
            for field_name, message in notes:
                setattr(self.report, field_name, getattr(self.report, field_name) + 1)
                self.say(message)
            for _, kind, extra in jobs:
                if kind == "post":
                    self._post(item_id, ch, extra)
                else:
                    self._look_again(self._view(item_id), ch, extra)
            return
        self._error(f"{item_id} {ch}: the item kept changing under the job; will try on the next run")

    # -- phase 2: post each claimed channel -----------------------------------------------------------------------
    def _view(self, item_id: str) -> Item:
        """The item as stored, with the results this run holds back: what a post links to (the website's page)."""
        item = self._stored[item_id]
        held = {ch: state for ch, (state, _) in self._pending.get(item_id, {}).items()}
        return dataclasses.replace(item, channel_results={**item.channel_results, **held}) if held else item

    def _post(self, item_id: str, ch: str, before: Mapping[str, Any] | None) -> None:
        """Talk to the channel under the claim's heartbeat, then hold back what came of it for the run's batch."""
        self._flush_if_low()
        item = self._stored[item_id]
        current = item.channel_results.get(ch, {})
        if current.get("status") != CLAIMED or current.get("job") != self.job_id:
            self._error(f"{item_id} {ch}: the claim is no longer this run's (now {current.get('status') or 'unset'});"
                        " not posting")
            return
        beat = Heartbeat(self.desk, self.user, self.job_id, item, ch, self.lease,
                         request_seconds=self.request_seconds, every=self.heartbeat,
                         say=self.say)  # fmt: skip
        until = _when(current.get("lease_until"))
        if until is None or (until - self.desk.now()).total_seconds() < self.lease.total_seconds() - beat.every:
            beat.renew()  # claimed a while ago (earlier channels took time): a whole lease before the first request
        view = self._view(item_id)
        try:
            outcome = beat.run(lambda: self._talk(view, ch, before, beat.remember))
        finally:
            self.report.renewals += beat.renewals
            self._stored[item_id] = beat.item
        self._finish(beat.item, ch, outcome)

    def _talk(self, item: Item, ch: str, before: Mapping[str, Any] | None,
              remember: Callable[[Mapping[str, str]], None]) -> Outcome:
        """Everything said to the channel for one claimed item-channel (in the heartbeat's worker; no store: what
        the channel hands over mid-publish goes through ``remember``, which the run's thread writes).

        A channel that fails for good after an earlier attempt is watched too: that attempt may still land.
        """
        outcome = self._converse(item, ch, before, remember)
        if outcome.status == FAILED and _risky(before):
            outcome = dataclasses.replace(outcome, result=None,
                                          extra={**outcome.extra, "watch_until": to_iso(self.desk.now() + self.watch)})
        return outcome

    def _converse(self, item: Item, ch: str, before: Mapping[str, Any] | None,
                  remember: Callable[[Mapping[str, str]], None]) -> Outcome:
        channel = self.channels[ch]
        prior = before or {}
        had_claim = prior.get("status") == CLAIMED
        risky = _risky(prior)
        probe = self._probe(item, ch)
        if risky:
            try:
                found = channel.find(probe)
            except CannotSearch as e:
                if had_claim:
                    return Outcome(UNKNOWN, t("job.claim_unfinished_unsearchable", unknown=UNKNOWN_TEXT,
                                              detail=str(e), look=_look(channel, probe)),
                                   extra=self._where(channel, probe))
                found = None  # pending after a transient failure or a person's hand-back: nothing went out
            except ClaimLost as e:
                return Outcome(PENDING, t("job.try_next_run", detail=str(e)))
            except (TransientError, RetriesExhausted, PermanentError, OutcomeUnknown) as e:
                return Outcome(RELEASE, t("job.could_not_ask", channel=ch, detail=str(e)))
            if found is not None:
                self.say(f"{item.id} {ch}: found the post of an earlier run, not posting again")
                return self._kept(item, ch, probe, found, watch=True)
            if had_claim and not _may_post_after_takeover(ch, channel):
                return self._unseen(item, ch, channel, probe)
        try:
            post = self._build(item, ch, remember)
        except MediaError as e:
            return Outcome(FAILED, str(e))
        except Exception as e:  # nothing was sent yet, so "failed" is the truth
            return Outcome(FAILED, t("job.could_not_prepare", detail=f"{type(e).__name__}: {e}"))
        tries = 0

        def attempt() -> Result:
            nonlocal tries
            tries += 1
            if tries > 1:
                try:
                    earlier = channel.find(post)
                except CannotSearch:
                    earlier = None  # a TransientError promises nothing was created
                if earlier is not None:
                    return earlier
            return channel.publish(post)

        def on_retry(n: int, delay: float, e: TransientError) -> None:
            self.report.retries += 1
            self.say(f"{item.id} {ch}: try {n} failed ({e}); trying again in {delay:.1f} s")

        try:
            result = call_with_retry(attempt, self.backoff, sleep=self.sleep, on_retry=on_retry, rng=self.rng)
        except RetriesExhausted as e:
            return self._exhausted(item, ch, e)
        except ClaimLost as e:
            spent = deadline.BUDGET.get()
            if spent is None or not spent.sent_unsafe:
                return Outcome(PENDING, t("job.claim_lost_nothing_sent", detail=str(e)))
            return self._unknown(item, ch, post, str(e))
        except OutcomeUnknown as e:
            return self._unknown(item, ch, post, str(e), refs_of(e))
        except PermanentError as e:
            return Outcome(FAILED, str(e), refs=refs_of(e))
        except Exception as e:  # a bug or an unmapped error after the request may have gone out: never re-send
            return self._unknown(item, ch, post, t("job.unexpected", detail=f"{type(e).__name__}: {e}"), refs_of(e))
        if result.status != PUBLISHED:
            if result.status == UNKNOWN:
                return self._unknown(item, ch, post, result.error or t("job.channel_answered", status=result.status),
                                     result.refs)
            return Outcome(FAILED, result.error or t("job.channel_answered", status=result.status))
        return self._kept(item, ch, post, result, watch=risky or tries > 1)

    def _exhausted(self, item: Item, ch: str, e: RetriesExhausted) -> Outcome:
        """Out of tries this run. A rate limit that named its wait parks the channel until then without using up
        an attempt (nothing was sent); anything else counts towards ``max_attempts``."""
        attempts = int(item.channel_results.get(ch, {}).get("attempts", 1) or 1)
        last = e.last
        if isinstance(last, Throttled) and last.retry_after:
            until = self.desk.now() + dt.timedelta(seconds=last.retry_after)
            return Outcome(PENDING, t("job.throttled", until=local_time(until), detail=str(last)), refs=refs_of(e),
                           extra={"not_before": to_iso(until), "attempts": attempts - 1})
        if attempts >= self.max_attempts:
            return Outcome(FAILED, t("job.gave_up", runs=attempts, detail=str(last)), refs=refs_of(e))
        return Outcome(PENDING, t("job.try_next_run", detail=str(last)), refs=refs_of(e))

    def _unknown(self, item: Item, ch: str, post: Post, what: str, refs: Mapping[str, str] | None = None) -> Outcome:
        """The post may be out: look it up at once (the one path for every ambiguous outcome).

        Found, it is published. Not found on a channel that can list the copies of a post (WordPress), it is
        ``checking``: each run looks again, and once the lost request could no longer land (a lease later) the job
        posts after one more look, since a late copy would be found and sorted out. Not found elsewhere (Graph: a
        post made may not be visible yet, and a late second one could not be cleaned up) it is ``unknown`` for a
        person with what to check and where, never re-sent by the job; each run still looks for it while it is
        watched (``watch_until``). A channel that cannot be searched is ``unknown`` at once.
        """
        channel = self.channels[ch]
        refs = {str(k): str(v) for k, v in (refs or {}).items()}
        looked = dataclasses.replace(post, refs={**post.refs, **refs})
        where = self._where(channel, looked)
        try:
            found = channel.find(looked)
        except CannotSearch:
            return Outcome(UNKNOWN, t("job.unknown_detail", unknown=UNKNOWN_TEXT, detail=what,
                                      look=_look(channel, looked)), refs=refs, extra=where)
        except Exception as lookup:  # the lookup failing says nothing about the post: look again later
            self.say(f"{item.id} {ch}: could not look the post up after an unknown outcome: {lookup}")
            found, what = None, t("job.lookup_failed", detail=what, lookup=str(lookup))
        if found is not None:
            self.report.resolved += 1
            self.say(f"{item.id} {ch}: outcome was unknown ({what}); found the post by looking it up")
            return dataclasses.replace(self._kept(item, ch, looked, found, watch=True), refs=refs)
        if copies_.can_find_copies(channel):
            settle = self.desk.now() + self.lease
            return Outcome(CHECKING, t("job.checking", unknown=UNKNOWN_TEXT, detail=what, channel=ch,
                                       settle=local_time(settle)),
                           refs=refs, extra={"settle_at": to_iso(settle), **where})
        watch = {"watch_until": to_iso(self.desk.now() + self.watch)}  # it can be searched: later runs look too
        return Outcome(UNKNOWN, t("job.unknown_detail", unknown=UNKNOWN_TEXT, detail=what,
                                  look=_look(channel, looked)), refs=refs, extra={**where, **watch})

    def _unseen(self, item: Item, ch: str, channel: Channel, probe: Post) -> Outcome:
        """A claim taken over from a run that did not finish, on a channel where its post is not there (yet).

        Not found says little here: the search is sound for a post that is out (right after our own post it is
        found), but that run's request may still be on its way; the platform can apply it after the run gave it
        up, and the run may then have died before writing ``unknown``. Posting now would make a second post that
        nothing could find and take down afterwards. So it is ``unknown`` for a person to check and hand back, and
        each run looks for it while it is watched, recording it when the late request lands."""
        self.say(f"{item.id} {ch}: took over the claim of a run that did not finish; its post is not there (yet): "
                 "not posting blind")
        return Outcome(UNKNOWN, t("job.claim_unfinished_unseen", unknown=UNKNOWN_TEXT, look=_look(channel, probe)),
                       extra={**self._where(channel, probe), "watch_until": to_iso(self.desk.now() + self.watch)})

    def _probe(self, item: Item, ch: str) -> Post:
        """What ``find`` needs to recognise the post (its link, caption, schedule and what earlier tries learnt),
        without making its pictures: a post that is out must be found even when a picture can no longer be."""
        state = item.channel_results.get(ch, {})
        refs = as_dict(state.get("refs"))
        return Post(key=post_key(item.id), item_id=item.id, title=item.title, body_markdown=item.body,
                    caption=post_caption(item, ch), category=item.category,
                    link=self._home_link(item), publish_at=item.publish_at,
                    refs={str(k): str(v) for k, v in refs.items()})

    def _look_again(self, item: Item, ch: str, reason: str) -> Item | None:
        """A later run's look for a post whose answer was lost: record it if it is there, else wait (no write)."""
        channel, probe = self.channels[ch], self._probe(item, ch)
        try:
            found = channel.find(probe)
        except CannotSearch as e:
            return self._finish(item, ch, Outcome(UNKNOWN, t("job.unknown_detail", unknown=UNKNOWN_TEXT, detail=str(e),
                                                             look=_look(channel, probe)),
                                                  extra=self._where(channel, probe)), claim=False)
        except (TransientError, RetriesExhausted, PermanentError, OutcomeUnknown) as e:
            found, reason = None, f"{reason}; the lookup failed: {e}"
        if found is None:
            self.report.checking += 1
            self.say(f"{item.id} {ch}: not found yet; {reason}")
            return item
        self.report.resolved += 1
        self.say(f"{item.id} {ch}: found the post whose answer was lost: recording it")
        return self._finish(item, ch, self._kept(item, ch, probe, found, watch=True), claim=False)

    def _kept(self, item: Item, ch: str, post: Post, result: Result, *, watch: bool) -> Outcome:
        """A post that is out. Where an abandoned request may still be on its way (``watch``), copies are looked
        for now, and on each run until ``watch_until``."""
        channel = self.channels[ch]
        if not (watch and copies_.can_find_copies(channel)):
            return Outcome(PUBLISHED, "", result)
        now = self.desk.now()
        extra: dict[str, Any] = {"watch_until": to_iso(now + self.watch)}
        known = list(item.channel_results.get(ch, {}).get("copies") or [])
        sorted_out = copies_.sort_out(channel, post, result, keep_ours=False, known=known, mode=self.copies,
                                      at=to_iso(now), say=lambda m: self.say(f"{item.id} {ch}: {m}"))
        if sorted_out is not None:
            result, found = sorted_out
            self.report.copies += sum(c not in known for c in found)
            if found:
                extra["copies"] = found
        return Outcome(PUBLISHED, "", result, extra)

    def _where(self, channel: Channel, post: Post) -> dict[str, str]:
        """The channel's own list of posts, for the publisher page's link (``where``), when the channel has one."""
        manage = getattr(channel, "manage_url", None)
        return {"where": str(manage(post))} if callable(manage) else {}

    # -- watched channels on later runs ---------------------------------------------------------------------------
    def _watch(self, register: Register, now: dt.datetime) -> None:
        """A request given up on may land late: look again for copies of watched posts (published items too) and
        for the post of a watched channel that failed after an earlier attempt."""
        for item in register.items:
            if item.step != PUBLICATION or item.status not in (sop.STATUS_BY_STEP[PUBLICATION], sop.PUBLISHED):
                continue
            for ch in self.ordered(item.channel_results):
                state = item.channel_results.get(ch) or {}
                channel = self.channels.get(ch)
                if channel is None or not copies_.watched(state, now):
                    continue
                try:
                    if state.get("status") == PUBLISHED and copies_.can_find_copies(channel):
                        item = self._watch_one(item, ch, state) or item
                    elif state.get("status") in (FAILED, UNKNOWN) and item.is_open:
                        item = self._watch_lost(item, ch, state) or item
                except Exception as e:  # the store failing: the next run looks again
                    self._error(f"{item.id} {ch}: watch: {type(e).__name__}: {e}")

    def _watch_lost(self, item: Item, ch: str, state: Mapping[str, Any]) -> Item | None:
        """Look for the post of a watched channel that failed after an earlier attempt, or whose outcome stayed
        unknown on a channel that can be searched; found, it is recorded (never posted again from here)."""
        channel, probe = self.channels[ch], self._probe(item, ch)
        try:
            found = channel.find(probe)
        except (CannotSearch, TransientError, RetriesExhausted, PermanentError, OutcomeUnknown):
            return item
        if found is None:
            return item
        if state.get("status") == UNKNOWN:
            self.report.resolved += 1
        self.say(f"{item.id} {ch}: an earlier attempt's post is out after all: recording it")
        return self._finish(item, ch, self._kept(item, ch, probe, found, watch=True), claim=False)

    def _watch_one(self, item: Item, ch: str, state: Mapping[str, Any]) -> Item | None:
        ours = Result(PUBLISHED, url=str(state.get("url", "") or ""), post_id=str(state.get("post_id", "") or ""))
        known = [dict(c) for c in state.get("copies") or [] if isinstance(c, Mapping)]
        sorted_out = copies_.sort_out(self.channels[ch], self._probe(item, ch), ours, keep_ours=True, known=known,
                                      mode=self.copies, at=to_iso(self.desk.now()),
                                      say=lambda m: self.say(f"{item.id} {ch}: {m}"))  # fmt: skip
        if sorted_out is None:
            return item
        keep, found = sorted_out
        if found == known and keep.post_id == ours.post_id:
            return item  # nothing new: no write
        self.report.copies += sum(c not in known for c in found)
        kept = {"url": keep.url, "post_id": keep.post_id}
        for _ in range(5):
            try:
                return self.desk.record_copies(self.user, item, ch, kept, found)
            except StaleWrite:
                fresh = self._fresh(item.id)
                if fresh is None:
                    return None
                item = fresh
                again = {str(c.get("post_id")): c for c in item.channel_results.get(ch, {}).get("copies") or []}
                found = list({**again, **{c["post_id"]: c for c in found}}.values())
        self._error(f"{item.id} {ch}: could not record the copies (the item kept changing)")
        return item

    # -- building the post ------------------------------------------------------------------------------------------
    def _build(self, item: Item, ch: str, remember: Callable[[Mapping[str, str]], None] | None = None) -> Post:
        probe = self._probe(item, ch)
        images = self.images(item, ch)
        spec = registry.get(ch)
        if spec is not None and spec.public_images:
            images = self._hosted(probe.key, images)
        return dataclasses.replace(probe, images=images, remember=remember)

    def _home_link(self, item: Item) -> str | None:
        """The item's page on the home channel (the website) once it is out there: what the other posts link to."""
        for ch in self.ordered(item.channels):
            spec, state = registry.get(ch), item.channel_results.get(ch, {})
            if spec is not None and spec.home and state.get("status") == PUBLISHED and state.get("url"):
                return str(state["url"])
        return None

    def _hosted(self, key: str, images: tuple[Image, ...]) -> tuple[Image, ...]:
        """A channel that downloads its pictures from a public URL gets them from a channel that hosts images."""
        for name in self.ordered(self.channels):
            host = getattr(self.channels[name], "host_images", None)
            if callable(host):
                return tuple(host(key, images))
        return images

    # -- writing back -----------------------------------------------------------------------------------------------
    def _release(self, item: Item, ch: str, error: str) -> Item | None:
        """Give the claim back at once (lease ends now) so the next run asks the channel again."""
        self._error(f"{item.id} {ch}: {error}")
        state = {**item.channel_results.get(ch, {}), "lease_until": to_iso(self.desk.now()), "error": error}
        return self._record(item, ch, state)

    def _finish(self, item: Item, ch: str, outcome: Outcome, *, claim: bool = True) -> Item | None:
        """Write an outcome. ``claim``: written on this run's claim (else on a state no run holds: a later look)."""
        if outcome.status == RELEASE:
            return self._release(item, ch, outcome.error)
        now = self.desk.now()
        status, error, result = outcome.status, outcome.error, outcome.result
        state: dict[str, Any] = {k: v for k, v in item.channel_results.get(ch, {}).items() if k not in PASSING_FIELDS}
        state.update(status=status, at=to_iso(now), error=error, job=self.job_id, lease_until="", not_before="")
        known = {**(as_dict(state.get("refs"))), **outcome.refs,
                 **(dict(result.refs) if result is not None else {})}
        if known:
            state["refs"] = {k: v for k, v in known.items() if v}
        state.update(outcome.extra)
        if result is not None:
            state.update(url=result.url, post_id=result.post_id)
        late = _late(item, now)
        if status == PUBLISHED:
            self.report.published += 1
            self.say(f"{item.id} {ch}: published {result.url or result.post_id if result else ''}{late}")
        else:
            setattr(self.report, status, getattr(self.report, status) + 1)
            self.say(f"{item.id} {ch}: {status}: {error}")
        return self._record(item, ch, state, claim=claim)

    def _record(self, item: Item, ch: str, state: dict[str, Any], *, claim: bool = True) -> Item | None:
        """During a run's posting phase, hold the result back for the run's batch (:meth:`_flush`); else write
        it now. Held back only what a run that dies before its batch loses harmlessly, because the next run,
        taking the claim over, asks the channel first and comes to the same: a post that is out and can be found
        (``published``), or nothing sent (``pending``, a released claim). An unknown outcome, a post being looked
        for, a failure or a post on a channel that cannot be searched is written at once, with what is held
        back: a takeover that found nothing could post it a second time."""
        if self._holding and item.id in self._stored:
            self._pending.setdefault(item.id, {})[ch] = (state, claim)
            if state.get("status") not in HELD_BACK or not _searchable(ch):
                self._flush()  # a result the next run could not work out again by asking the channel
            return item
        return self._write(item, ch, state, claim=claim)

    # -- phase 3: write what came of the posts, in one batch --------------------------------------------------------
    def _flush_if_low(self) -> None:
        """Write the held-back results now if one's claim would otherwise need renewing (its lease is down to
        what a heartbeat renews at): a result is never held back while the claim under it runs out."""
        now = self.desk.now()
        every = self.heartbeat if self.heartbeat is not None else self.lease.total_seconds() / 3
        for item_id, states in self._pending.items():
            for ch, (_, claim) in states.items():
                until = _when(self._stored[item_id].channel_results.get(ch, {}).get("lease_until"))
                if claim and until is not None and (until - now).total_seconds() < self.lease.total_seconds() - every:
                    self._flush()
                    return

    def _flush(self) -> None:
        """Write every held-back result in one batch (:meth:`Desk.record_channels`: one store write for the
        whole run). An item changed meanwhile gets its results written one by one on what it is now, under the
        rules of :meth:`_write`; a store that fails leaves the claims, which the next run takes over by asking
        the channels first."""
        pending, self._pending = self._pending, {}
        batch: list[tuple[Item, dict[str, dict[str, Any]], dict[str, bool]]] = []
        for item_id, states in pending.items():
            item = self._stored[item_id]
            keep = {ch: state for ch, (state, claim) in states.items() if self._may_write(item, ch, state, claim)}
            if keep:
                batch.append((item, keep, {ch: claim for ch, (_, claim) in states.items()}))
        if not batch:
            return
        try:
            saved = self.desk.record_channels(self.user, [(item, keep) for item, keep, _ in batch])
        except Exception as e:
            self._error(f"could not record {sum(len(keep) for _, keep, _ in batch)} result(s) "
                        f"({type(e).__name__}: {e}); the next run looks the posts up")
            return
        for (item, keep, claims), result in zip(batch, saved, strict=True):
            if isinstance(result, Item):
                self._stored[item.id] = result
                continue
            fresh = result.current if isinstance(result, StaleWrite) else None
            fresh = fresh if fresh is not None else self._fresh(item.id)
            if fresh is None:
                self._error(f"{item.id}: {result}")
                continue
            for ch, state in keep.items():
                fresh = self._write(fresh, ch, state, claim=claims[ch]) or fresh
            self._stored[item.id] = fresh

    def _may_write(self, item: Item, ch: str, state: Mapping[str, Any], claim: bool) -> bool:
        """Whether ``state`` may be written on ``item`` as it is: a published result always (the post is out)
        unless the channel is published already; any other result only while the claim is still this run's
        (else another run has taken over the channel), or, for a later look (``claim`` False), while the channel
        is still being looked for; and only while the item is open at the publication step."""
        current = item.channel_results.get(ch, {})
        mine = (current.get("status") == CLAIMED and current.get("job") == self.job_id) if claim else \
            current.get("status") == CHECKING
        if current.get("status") == PUBLISHED and state["status"] == PUBLISHED:
            return False
        if state["status"] != PUBLISHED and not mine:
            self._error(f"{item.id} {ch}: not writing {state['status']}: the channel is now "
                        f"{current.get('status') or 'unset'} (another run took it over)")
            return False
        if not (item.is_open and item.step == PUBLICATION):
            self._error(f"{item.id} {ch}: the item is {item.status} now; the {ch} result "
                        f"({state.get('url') or state['status']}) could not be recorded: check the channel")
            return False
        return True

    def _write(self, item: Item, ch: str, state: dict[str, Any], *, claim: bool = True) -> Item | None:
        """Write back now, re-reading on a stale write, under the rules of :meth:`_may_write`."""
        for _ in range(5):
            if not self._may_write(item, ch, state, claim):
                return item
            try:
                return self.desk.record_channel(self.user, item, ch, state)
            except StaleWrite:
                fresh = self._fresh(item.id)
                if fresh is None:
                    return None
                item = fresh
        self._error(f"{item.id} {ch}: could not record {state['status']} (the item kept changing)")
        return item


def _look(channel: Channel, post: Post) -> str:
    """Where a person checks a channel by hand (the channel's own words), or a general hint."""
    where = getattr(channel, "where_to_look", None)
    try:
        return str(where(post)) if callable(where) else t("job.look_generic", channel=channel.name)
    except Exception:
        return t("job.look_generic", channel=channel.name)


def _searchable(channel: str) -> bool:
    """Whether the job can look a post up there (the registry's word; an unknown channel is taken to be)."""
    spec = registry.get(channel)
    return spec is None or spec.searchable


def _may_post_after_takeover(name: str, channel: Channel) -> bool:
    """Whether a run that took over a claim an earlier run held may post when the post is not found: only where
    that run's request, landing late, could leave no second post (the channel rewrites the same post, the
    registry's ``rewrites``) or its copy would be found and sorted out (the channel lists copies: WordPress)."""
    spec = registry.get(name)
    return copies_.can_find_copies(channel) or (spec is not None and spec.rewrites)


def _risky(prior: Mapping[str, Any] | None) -> bool:
    """An earlier run got this far: its post may be out, or its request still on the way."""
    prior = prior or {}
    return prior.get("status") in (CLAIMED, PENDING, CHECKING) or int(prior.get("attempts", 0) or 0) > 0


def _late(item: Item, now: dt.datetime) -> str:
    if item.publish_at is None or now - item.publish_at <= LATE_AFTER:
        return ""
    minutes = int((now - item.publish_at).total_seconds() // 60)
    return f" (late by {minutes // 60} h {minutes % 60} min)" if minutes >= 60 else f" (late by {minutes} min)"

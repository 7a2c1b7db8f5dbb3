"""The claim a run holds while it talks to a channel: renewed by a heartbeat, and never outlived by a request.

Why (issue 17): a run claimed an item-channel for ten minutes and then posted; a request that lived longer than
that (a slow server, a run killed mid-request) let the next run take over and post too. Now:

* **Heartbeat.** While the channel call runs (in a worker thread), this thread renews the claim every third of
  the lease: a rev-checked ``record_channel`` of the same claim with a later ``lease_until``, exactly like the
  claim itself, so it loses to any other writer. A third of the lease is few enough writes for the Google Sheets
  quota (three calls per renewal, one renewal every 200 s with the default 10 minutes) and leaves two thirds of
  a lease in hand should a renewal fail.
* **Budget.** The worker's requests live in a :class:`~sopkit.channels.deadline.Budget`: each one's deadline is
  cut to the lease as last renewed, none starts once the claim is lost or nearly out, and losing the claim (a
  renewal finds another run's claim, or a person's result) ends the requests in flight.
* **A lease no attempt can outlast.** :func:`check_lease` refuses a lease shorter than the longest one request
  can take with its retries on any configured channel, so that a step begun under a fresh claim ends inside it
  even if not one renewal lands (the store unreachable while the job posts).

* **What the channel learns on the way** (Instagram's container id, ``Post.remember``) is written into the claim
  by this thread too: the worker hands it over and waits until it is written, so it is in the store before the
  channel takes the step that makes the post public (a run killed after that step is resumed from it).

All store calls are made here, in the run's own thread; the worker only talks to the channel.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ..channels.base import Channel, ChannelState, as_dict
from ..channels.deadline import Budget, budget, longest_attempt
from ..retry import Backoff
from ..schema import Item, User
from ..store.base import NotFound, StaleWrite
from ..timeutil import parse_iso, to_iso
from ..workflow import Desk, WorkflowError

T = TypeVar("T")

#: The wall-clock deadline of one channel request (connect, send and every read) while the job holds a claim.
REQUEST_SECONDS = 60.0
#: How long the worker waits for the run's thread to write what the channel learnt before it goes on.
NOTE_SECONDS = 30.0


class LeaseTooShort(ValueError):
    """``[publish] lease_minutes`` is shorter than the longest attempt on a channel: a claim could run out mid-step."""


def retry_policy(channel: Channel) -> Backoff | None:
    """The retry policy of one request on ``channel`` (HTTP channels keep it as ``backoff``, the Graph ones on
    their ``api``); None for a channel that makes no network requests (the website writes files)."""
    for owner in (channel, getattr(channel, "api", None)):
        policy = getattr(owner, "backoff", None)
        if isinstance(policy, Backoff):
            return policy
    return None


def longest_step(channel: Channel, request_seconds: float) -> float:
    policy = retry_policy(channel)
    return longest_attempt(policy, request_seconds) if policy else request_seconds


def check_lease(lease: dt.timedelta, channels: Mapping[str, Channel], request_seconds: float = REQUEST_SECONDS) -> None:
    """Refuse a lease shorter than the longest attempt (request deadline × tries + the longest waits) on any channel."""
    if request_seconds <= 0:
        raise LeaseTooShort(f"[publish] request_seconds must be more than 0, not {request_seconds:g}")
    for name, channel in channels.items():
        need = longest_step(channel, request_seconds)
        if lease.total_seconds() < need:
            policy = retry_policy(channel)
            how = (f"{policy.tries} tries of up to {request_seconds:g} s and their waits"
                   if policy else f"one request of up to {request_seconds:g} s")
            minutes = -(-int(need) // 60)
            raise LeaseTooShort(
                f"[publish] lease_minutes = {lease.total_seconds() / 60:g} is shorter than the longest attempt on "
                f"{name} ({how}: {need:g} s); a claim could run out while the job is still posting. Set "
                f"lease_minutes to at least {minutes}, or lower request_seconds.")


class Heartbeat:
    """Run one channel call for a claimed item-channel, renewing the claim while it runs.

    ``item`` is always the item as last written by this run (every renewal changes its rev), so the result is
    written on top of the latest claim; ``lost`` says why the claim went, when it did.
    """

    def __init__(self, desk: Desk, user: User, job_id: str, item: Item, channel: str, lease: dt.timedelta, *,
                 request_seconds: float = REQUEST_SECONDS, every: float | None = None,
                 say: Callable[[str], None] = print):
        self.desk, self.user, self.job_id, self.channel = desk, user, job_id, channel
        self.item = item
        self.lease = lease
        self.every = every if every is not None else lease.total_seconds() / 3
        self.say = say
        self.renewals = 0
        self.lost: str | None = None
        self._wake = threading.Event()
        self._notes: list[tuple[dict[str, str], threading.Event]] = []
        self._notes_lock = threading.Lock()
        self.budget = Budget(request_seconds, self._until_monotonic(item),
                             margin=min(5.0, lease.total_seconds() / 10))

    def _until_monotonic(self, item: Item) -> float:
        """The claim's ``lease_until`` (server clock) as a moment of this process's monotonic clock."""
        state = item.channel_results.get(self.channel, {})
        try:
            left = (parse_iso(str(state.get("lease_until", ""))) - self.desk.now()).total_seconds()
        except ValueError:
            left = 0.0
        return time.monotonic() + left

    def run(self, work: Callable[[], T]) -> T:
        """``work()`` in a worker thread inside this claim's budget; its result, or its exception re-raised here
        (a BaseException too: a test's simulated crash must end the run as a real one would)."""
        done = threading.Event()
        outcome: dict[str, Any] = {}

        def worker() -> None:
            try:
                with budget(self.budget):
                    outcome["value"] = work()
            except BaseException as e:  # handed to the run's thread, which re-raises it
                outcome["error"] = e
            finally:
                done.set()
                self._wake.set()

        thread = threading.Thread(target=worker, name=f"publish {self.item.id} {self.channel}", daemon=True)
        thread.start()
        renew_at = time.monotonic() + self.every
        while True:
            self._wake.wait(max(0.0, renew_at - time.monotonic()))
            self._wake.clear()
            self._write_notes()
            if done.is_set():
                break
            if time.monotonic() >= renew_at:
                self.renew()
                renew_at = time.monotonic() + self.every
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    def remember(self, refs: Mapping[str, str]) -> None:
        """From the worker: have ``refs`` written into the claim, and wait (a bounded while) until they are."""
        written = threading.Event()
        with self._notes_lock:
            self._notes.append(({str(k): str(v) for k, v in refs.items()}, written))
        self._wake.set()
        if not written.wait(NOTE_SECONDS):
            self.say(f"{self.item.id} {self.channel}: {sorted(refs)} not written into the claim in time; going on")

    def _write_notes(self) -> None:
        with self._notes_lock:
            notes, self._notes = self._notes, []
        for refs, written in notes:
            try:
                self._note(refs)
            finally:
                written.set()

    def _note(self, refs: Mapping[str, str]) -> None:
        """Write refs into this run's claim (rev-checked; never over another run's or a person's result)."""
        for _ in range(3):
            current = self.item.channel_results.get(self.channel, {})
            if current.get("status") != ChannelState.CLAIMED or current.get("job") != self.job_id:
                return
            known = as_dict(current.get("refs"))
            try:
                self.item = self.desk.record_channel(self.user, self.item, self.channel,
                                                     {**current, "refs": {**known, **refs}})
                return
            except StaleWrite:
                try:
                    self.item = self.desk.store.get_item(self.item.id)
                except NotFound:
                    return
            except Exception as e:  # the post can still go out; only a later lookup loses its clue
                self.say(f"{self.item.id} {self.channel}: could not keep {sorted(refs)} in the claim: {e}")
                return

    def renew(self) -> None:
        """Write the same claim with a later lease (rev-checked); on a lost claim end the channel's requests."""
        if self.lost:
            return
        for _ in range(3):
            current = self.item.channel_results.get(self.channel, {})
            if current.get("status") != ChannelState.CLAIMED or current.get("job") != self.job_id:
                return self._lose(f"the claim is no longer this run's (now {current.get('status') or 'unset'}, "
                                  f"by {current.get('job') or 'a person'})")
            until = self.desk.now() + self.lease
            try:
                self.item = self.desk.record_channel(self.user, self.item, self.channel,
                                                     {**current, "lease_until": to_iso(until)})
            except StaleWrite:
                try:
                    self.item = self.desk.store.get_item(self.item.id)
                except NotFound:
                    return self._lose("the item was deleted")
                continue
            except WorkflowError as e:  # cancelled, rescheduled, re-targeted meanwhile
                return self._lose(str(e))
            except Exception as e:  # the store failing: keep the lease we have; the budget runs down with it
                self.say(f"{self.item.id} {self.channel}: could not renew the claim ({type(e).__name__}: {e}); "
                         "requests stop when its lease runs low")
                return
            self.renewals += 1
            self.budget.extend(self._until_monotonic(self.item))
            return
        self.say(f"{self.item.id} {self.channel}: could not renew the claim (the item kept changing)")

    def _lose(self, reason: str) -> None:
        self.lost = reason
        self.say(f"{self.item.id} {self.channel}: {reason}; stopping its requests")
        self.budget.lose(reason)

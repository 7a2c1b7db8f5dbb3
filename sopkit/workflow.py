"""The workflow engine: every SOP action as a checked transition and one atomic store change.

Each action takes the acting user and the item *as the caller read it* (its ``rev``). It checks the role
(``permissions``), the item's state, maker-checker, and the action's inputs, then commits the changed Register
cells and the Log row in one :meth:`Store.commit` that refuses a stale ``rev``. The time of every action is the
server's clock (``now``); nothing from the client is trusted for it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from . import checks, sop
from .channels import registry
from .channels.base import CHANNEL_STATES, ChannelState
from .i18n import t
from .permissions import Forbidden, acting_role
from .schema import REGISTER_COLUMNS, Item, LogRow, User, format_value
from .settings import Settings
from .store.base import Change, Store
from .text import BadText, check
from .timeutil import Now, server_now


class WorkflowError(Exception):
    """An action that cannot be taken; the message is fit to show the user."""


class WrongState(WorkflowError):
    pass


class NoteRequired(WorkflowError):
    pass


class MakerChecker(WorkflowError):
    pass


class NotHolder(WorkflowError):
    pass


class InvalidInput(WorkflowError):
    pass


class ChecksFailed(InvalidInput):
    """The creator's pre-submit check found what a reviewer would send back (``checks.pre_submit``); ``findings``
    are i18n keys with values, so a page can list them in the user's language."""

    def __init__(self, findings: list[checks.Finding]):
        super().__init__(t("creator.fix_first") + " " + " ".join(t(f.key, **f.values) for f in findings))
        self.findings = findings


class InvalidText(InvalidInput, BadText):
    """Text with a control character; :meth:`BadText.translated` says which, in the user's language."""

    def __init__(self, bad: BadText):
        BadText.__init__(self, bad.field, bad.char, bad.position)


def checked_text(value: str, field: str, multiline: bool = False) -> str:
    """:func:`sopkit.text.check` for an action's input: a control character is an :class:`InvalidText`."""
    try:
        return check(value, field, multiline=multiline)
    except BadText as e:
        raise InvalidText(e) from None


__all__ = [
    "ChecksFailed", "Desk", "Forbidden", "InvalidInput", "InvalidText", "MakerChecker", "NoteRequired", "NotHolder",
    "WorkflowError", "WrongState",
]

#: Fields each step's holder may edit, and the limits that keep a hand-typed value sane.
EDITABLE: dict[int, frozenset[str]] = {
    1: frozenset({"title", "summary", "category", "channels", "sources", "media"}),
    2: frozenset({"title", "summary", "category", "body", "captions", "media"}),
}
#: What makes someone a maker of an item (at steps 1-2), and what is a decision at a gate step.
MAKER_ACTIONS = frozenset({"start", "edit", "submit"})
DECISIONS = frozenset({"approve", "reject"})
#: The actions whose maker-checker rule reads the item's Log: a page passes the rows it read as ``log=`` (see
#: :meth:`Desk._maker_checker`), so the action costs no extra read.
LOG_CHECKED_ACTIONS = frozenset({"take", "assign", "approve", "reject"})
#: The item's Log rows as the caller read them (text cells, as stored); None: read them from the store.
ItemLog = Iterable[Mapping[str, Any]] | None
MAX_TEXT = 50_000  # a Google Sheets cell holds at most 50,000 characters
#: Fields written as several lines (newline and tab allowed); title and category are one line.
MULTILINE_FIELDS = frozenset({"summary", "sources", "body"})

#: A channel's state in ``Item.channel_results``: the one vocabulary, ``channels.base.ChannelState``.
CHANNEL_STATUSES: tuple[str, ...] = CHANNEL_STATES

#: Stage timestamp written when a step is closed by its forward action.
STAGE_COLUMN = {1: "collected_at", 2: "designed_at", 3: "verified_at", 4: "approved_at", 5: "scheduled_at"}


def new_id(now: dt.datetime) -> str:
    return f"{now:%Y%m%d}-{secrets.token_hex(3)}"


@dataclass
class Desk:
    """The SOP desk over one store: pages, the CLI and the publish job all act through it."""

    store: Store
    settings: Settings = field(default_factory=Settings)
    now: Now = server_now

    # -- helpers ----------------------------------------------------------------------------------------------
    def _commit(self, user: User, role: str, item: Item, action: str, step: int, changes: dict[str, Any],
                note: str = "", publish_at: dt.datetime | None = None, extra_log: Iterable[LogRow] = (),
                create: bool = False, at: dt.datetime | None = None) -> Item:
        at = at or self.now()
        if at.tzinfo is None:
            raise ValueError("the server clock must be aware")
        changes = {**changes, "updated_at": at, "updated_by": user.email}
        updates = {k: format_value(k, v) for k, v in changes.items()}
        unknown = set(updates) - set(REGISTER_COLUMNS)
        if unknown:
            raise ValueError(f"unknown Register columns {unknown}")
        log = (*extra_log, LogRow(at, item.id, step, action, user.email, role, note, publish_at))
        actor = None if user.service else user.email  # people are re-checked against Users in the commit
        return self.store.commit(Change(item.id, None if create else item.rev, updates, log,
                                        seen=None if create else item, actor=actor, role=role))

    def _moves_to(self, step: int, at: dt.datetime) -> dict[str, Any]:
        return {"step": step, "status": sop.STATUS_BY_STEP[step], "step_entered_at": at}

    @staticmethod
    def _require_open(item: Item, *steps: int) -> None:
        if not item.is_open:
            raise WrongState(f"Item {item.id} is {item.status}; nothing more can be done with it.")
        if steps and item.step not in steps:
            where = " or ".join(f"{s} ({sop.STEPS[s].title_en})" for s in steps)
            raise WrongState(f"Item {item.id} is at step {item.step} ({sop.STEPS[item.step].title_en}), "
                             f"not at step {where}.")

    @staticmethod
    def _require_holder(user: User, item: Item) -> None:
        holder = item.holder(item.step)
        if holder and holder != user.email:
            raise NotHolder(f"Item {item.id} is held by {holder} at step {item.step}; ask a supervisor to "
                            "reassign it.")

    @staticmethod
    def _note(note: str, required: bool, what: str) -> str:
        note = checked_text(note or "", "note", multiline=True).strip()
        if required and not note:
            raise NoteRequired(f"A note is required to {what}: say what must change.")
        if len(note) > 5000:
            raise InvalidInput("The note is longer than 5,000 characters.")
        return note

    def _maker_checker(self, user: User, item: Item, step: int, log: Iterable[Mapping[str, Any]] | None) -> None:
        """Nobody checks their own work: whoever started, edited or submitted the item at steps 1-2 may not decide
        at step 3 or 4, and whoever decided at step 3 may not decide at step 4. Who that is comes from the item's
        Log, because the holder columns are rewritten by every take, assign and resubmission (a maker the item was
        reassigned away from is still a maker). ``log`` is the item's Log as the caller read it; only when it is
        not given is it read from the store (for Google Sheets one more API call)."""
        rows = self.store.read_log(item.id) if log is None else log
        makers, verifiers = makers_and_verifiers(rows, item.id)
        makers |= {item.officer, item.creator} - {""}
        if user.email in makers:
            raise MakerChecker(f"{user.email} collected or designed item {item.id} and so may not "
                               f"{'verify' if step == 3 else 'approve'} it.")
        if step == 4 and user.email in verifiers | {item.verifier} - {""}:
            raise MakerChecker(f"{user.email} verified item {item.id} and so may not also give the final approval.")

    # -- actions ----------------------------------------------------------------------------------------------
    def start(self, user: User, *, title: str, summary: str = "", category: str = "",
              channels: Iterable[str] = (), sources: str = "", media: list[dict[str, Any]] | None = None) -> Item:
        role = acting_role(user, "start", 1)
        at = self.now()
        fields = _check_fields(1, {"title": title, "summary": summary, "category": category,
                                   "channels": tuple(channels), "sources": sources, "media": media or []})
        if not str(fields["title"]).strip():
            raise InvalidInput("A title is required.")
        item = Item(id=new_id(at))
        changes = {**fields, **self._moves_to(1, at), "officer": user.email, "created_at": at}
        return self._commit(user, role, item, "start", 1, changes, create=True, at=at)

    def edit(self, user: User, item: Item, **fields: Any) -> Item:
        self._require_open(item, 1, 2)
        role = acting_role(user, "edit", item.step)
        self._require_holder(user, item)
        changes = _check_fields(item.step, fields)
        changed = {k: v for k, v in changes.items() if format_value(k, v) != format_value(k, getattr(item, k))}
        if not changed:
            return item
        holder = {sop.STEPS[item.step].holder_column: user.email}
        return self._commit(user, role, item, "edit", item.step, {**changed, **holder},
                            note="changed: " + ", ".join(sorted(changed)))

    def take(self, user: User, item: Item, log: ItemLog = None) -> Item:
        self._require_open(item)
        role = acting_role(user, "take", item.step)
        self._require_holder(user, item)
        if item.step in (3, 4):
            self._maker_checker(user, item, item.step, log)
        column = sop.STEPS[item.step].holder_column
        return self._commit(user, role, item, "take", item.step, {column: user.email})

    def assign(self, user: User, item: Item, assignee: User, log: ItemLog = None) -> Item:
        self._require_open(item)
        role = acting_role(user, "assign", item.step)
        step_role = sop.STEPS[item.step].role
        if not assignee.has(step_role):
            raise InvalidInput(f"{assignee.email} does not have the role {step_role} needed at step {item.step}.")
        if item.step in (3, 4):
            self._maker_checker(assignee, item, item.step, log)
        column = sop.STEPS[item.step].holder_column
        return self._commit(user, role, item, "assign", item.step, {column: assignee.email},
                            note=f"assigned to {assignee.email}")

    def submit(self, user: User, item: Item, note: str = "") -> Item:
        self._require_open(item, 1, 2)
        role = acting_role(user, "submit", item.step)
        self._require_holder(user, item)
        note = self._note(note, False, "submit")
        if item.step == 1:
            if not item.title.strip():
                raise InvalidInput("A title is required before submitting.")
            if not item.channels:
                raise InvalidInput("Choose at least one target channel before submitting.")
        elif not (item.body.strip() or any(v.strip() for v in item.captions.values())):
            raise InvalidInput("Write the article or at least one caption before submitting.")
        elif blocking := [f for f in checks.pre_submit(item) if f.blocking]:
            raise ChecksFailed(blocking)
        at = self.now()
        column = sop.STEPS[item.step].holder_column
        changes = {**self._moves_to(item.step + 1, at), STAGE_COLUMN[item.step]: at, column: user.email}
        return self._commit(user, role, item, "submit", item.step, changes, note=note, at=at)

    def approve(self, user: User, item: Item, note: str = "", log: ItemLog = None) -> Item:
        self._require_open(item, 3, 4)
        role = acting_role(user, "approve", item.step)
        self._maker_checker(user, item, item.step, log)
        self._require_holder(user, item)
        at = self.now()
        column = sop.STEPS[item.step].holder_column
        changes = {**self._moves_to(item.step + 1, at), STAGE_COLUMN[item.step]: at, column: user.email}
        return self._commit(user, role, item, "approve", item.step, changes, note=self._note(note, False, ""), at=at)

    def reject(self, user: User, item: Item, note: str, log: ItemLog = None) -> Item:
        self._require_open(item, 3, 4)
        role = acting_role(user, "reject", item.step)
        note = self._note(note, True, "send the content back")
        self._maker_checker(user, item, item.step, log)
        self._require_holder(user, item)
        at = self.now()
        back = self.settings.reject_to.get(item.step, 2)
        count = f"rejections_step{item.step}"
        column = sop.STEPS[item.step].holder_column
        changes = {**self._moves_to(back, at), count: getattr(item, count) + 1, "last_note": note,
                   column: user.email}
        return self._commit(user, role, item, "reject", item.step, changes, note=note, at=at)

    def schedule(self, user: User, item: Item, publish_at: dt.datetime,
                 channels: Iterable[str] | None = None, note: str = "") -> Item:
        """Step 5: set the publication time; at step 6 the same action reschedules before it goes out."""
        self._require_open(item, 5, 6)
        role = acting_role(user, "schedule", item.step)
        if item.step == 5:
            self._require_holder(user, item)
        if publish_at.tzinfo is None:
            raise InvalidInput("The publication time needs a time zone.")
        at = self.now()
        if publish_at < at - dt.timedelta(minutes=5):
            raise InvalidInput("The publication time is in the past.")
        chosen = tuple(channels) if channels is not None else item.channels
        chosen = _check_fields(1, {"channels": chosen})["channels"]
        if not chosen:
            raise InvalidInput("Choose at least one channel.")
        done = [c for c, r in item.channel_results.items() if r.get("status") == ChannelState.PUBLISHED]
        if item.step == 6 and done:
            raise WrongState(f"Item {item.id} is already out on {', '.join(done)}; it can no longer be "
                             "rescheduled.")
        changes: dict[str, Any] = {"publish_at": publish_at, "channels": chosen}
        if item.step == 5:
            changes.update(self._moves_to(6, at), scheduled_at=at, scheduler=user.email)
        return self._commit(user, role, item, "schedule", item.step, changes,
                            note=self._note(note, False, ""), publish_at=publish_at, at=at)

    def record_channel(self, user: User, item: Item, channel: str, result: dict[str, Any]) -> Item:
        """Step 6: write one channel's outcome (the job's result or a URL pasted by hand). When the last
        channel is published the item is published in the same change."""
        self._require_open(item, 6)
        role = acting_role(user, "channel", 6)
        if channel not in item.channels:
            raise InvalidInput(f"Item {item.id} does not target the channel {channel}.")
        status = result.get("status")
        if status not in CHANNEL_STATUSES:
            raise InvalidInput(f"Unknown channel status {status!r}.")
        if status == ChannelState.PUBLISHED and not (result.get("url") or result.get("post_id")):
            raise InvalidInput("Give the published URL (or post id).")
        if result.get("url"):
            result = {**result, "url": checked_text(str(result["url"]), "url")}
        if status == ChannelState.PUBLISHED and result.get("url") and not _is_web_address(str(result["url"])):
            raise InvalidInput(t("publisher.bad_url"))
        at = self.now()
        results = {**item.channel_results, channel: {**result, "at": result.get("at") or at.isoformat()}}
        changes: dict[str, Any] = {"channel_results": results}
        if status == ChannelState.PUBLISHED:
            note = f"{channel}: {result.get('url') or result.get('post_id')}"
        else:
            note = f"{channel}: {status} {result.get('error', '')}".strip()
        if all(results.get(c, {}).get("status") == ChannelState.PUBLISHED for c in item.channels):
            changes.update(status=sop.PUBLISHED, published_at=at, publisher=user.email)
            channel_row = LogRow(at, item.id, 6, "channel", user.email, role, note)
            return self._commit(user, role, item, "publish", 6, changes, extra_log=[channel_row],
                                note="published on " + ", ".join(item.channels), at=at)
        return self._commit(user, role, item, "channel", 6, changes, note=note, at=at)

    def publish(self, user: User, item: Item, note: str = "") -> Item:
        """Close step 6 by hand once every channel has a published result."""
        self._require_open(item, 6)
        role = acting_role(user, "publish", 6)
        missing = [c for c in item.channels
                   if item.channel_results.get(c, {}).get("status") != ChannelState.PUBLISHED]
        if missing:
            raise WrongState(f"Not yet published on {', '.join(missing)}.")
        at = self.now()
        changes = {"status": sop.PUBLISHED, "published_at": at, "publisher": user.email}
        return self._commit(user, role, item, "publish", 6, changes, note=self._note(note, False, ""), at=at)

    def cancel(self, user: User, item: Item, note: str) -> Item:
        self._require_open(item)
        role = acting_role(user, "cancel", item.step)
        note = self._note(note, True, "cancel the item")
        at = self.now()
        changes = {"status": sop.CANCELLED, "cancelled_at": at, "last_note": note}
        return self._commit(user, role, item, "cancel", item.step, changes, note=note, at=at)


def _check_fields(step: int, fields: dict[str, Any]) -> dict[str, Any]:
    """Validate content fields an actor may set at ``step``; returns them normalised."""
    allowed = EDITABLE.get(step, frozenset())
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidInput(f"These fields cannot be changed at step {step}: {', '.join(sorted(unknown))}.")
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "channels":
            chans = tuple(dict.fromkeys(str(c).strip().lower() for c in value if str(c).strip()))
            bad = [c for c in chans if registry.get(c) is None]
            if bad:
                raise InvalidInput(f"Unknown channel(s): {', '.join(bad)}.")
            out[key] = chans
        elif key == "captions":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise InvalidInput("Captions must map a channel to its text.")
            bad = [c for c in value if registry.get(c) is None]
            if bad:
                raise InvalidInput(f"Captions for unknown channel(s): {', '.join(bad)}.")
            if any(len(v) > MAX_TEXT for v in value.values()):
                raise InvalidInput("A caption is longer than 50,000 characters.")
            out[key] = {c: checked_text(v, "caption", multiline=True) for c, v in value.items()}
        elif key == "media":
            if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
                raise InvalidInput("Media must be a list of references.")
            out[key] = [{k: checked_text(v, "alt" if k == "alt" else "media") if isinstance(v, str) else v
                         for k, v in m.items()} for m in value]
        else:
            text = checked_text(str(value if value is not None else ""), key, multiline=key in MULTILINE_FIELDS)
            if len(text) > MAX_TEXT:
                raise InvalidInput(f"The {key} is longer than 50,000 characters.")
            if key == "title" and len(text) > 300:
                raise InvalidInput("The title is longer than 300 characters.")
            out[key] = text.strip() if key in ("title", "category") else text
    return out


def _is_web_address(url: str) -> bool:
    """A whole http(s) address with a host and no spaces: what a published post's URL must be."""
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not any(c.isspace() for c in url.strip())


def makers_and_verifiers(log: Iterable[Mapping[str, Any]], item_id: str) -> tuple[set[str], set[str]]:
    """From Log rows (text, as stored; rows of other items are skipped): who started, edited or submitted the item
    at steps 1-2, and who approved or rejected it at step 3."""
    makers: set[str] = set()
    verifiers: set[str] = set()
    for row in log:
        if str(row.get("item_id", "")).strip() != item_id:
            continue
        actor = str(row.get("actor", "")).strip().lower()
        action = str(row.get("action", "")).strip().lower()
        step = str(row.get("step", "")).strip().removesuffix(".0")
        if action in MAKER_ACTIONS and step in ("1", "2"):
            makers.add(actor)
        elif action in DECISIONS and step == "3":
            verifiers.add(actor)
    return makers - {""}, verifiers - {""}


def waiting_on(items: Iterable[Item], user: User) -> list[Item]:
    """Items whose current step needs one of the user's roles and that nobody else holds, oldest first."""
    out = []
    for item in items:
        if not item.is_open:
            continue
        step = sop.STEPS[item.step]
        if user.has(step.role) and item.holder(item.step) in ("", user.email):
            out.append(item)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(out, key=lambda i: i.step_entered_at or far)


"""The workflow engine: every SOP action as a checked transition and one atomic store change.

Where an action may be taken, by whom and where it moves the item are rows of the SOP's transitions table
(``sopkit.sop``): a :class:`Desk` follows the :class:`~sopkit.sop.Procedure` it is given (the agency's by
default), so a step added to that table is worked through here without a change.

Each action takes the acting user and the item *as the caller read it* (its ``rev``). It checks the role
(``permissions``), the item's state, maker-checker, and the action's inputs, then commits the changed Register
cells and the Log row in one :meth:`Store.commit` that refuses a stale ``rev``. The time of every action is the
server's clock (``now``); nothing from the client is trusted for it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from . import checks, history, sop
from .channels import registry
from .channels.base import CHANNEL_STATES, ChannelState
from .i18n import DEFAULT_LANG, Message, Term, channel_status_title, channel_title, has, joined, step_title, t
from .permissions import Forbidden, acting_role
from .schema import REGISTER_COLUMNS, Item, LogRow, User, format_value
from .settings import Settings
from .store.base import Change, Store
from .text import BadText, check, field_label
from .timeutil import Now, server_now

#: An edit's Log note: ``changed: body, captions`` (field names, machine-readable); :func:`note_text` shows it.
EDIT_NOTE = "changed: "
#: The other notes the desk writes itself (stored as they are, English and machine-readable: the Log is a record
#: that jobs, exports and hand readers parse); :func:`note_text` shows each in the reader's language.
ASSIGN_NOTE = "assigned to "
PUBLISHED_NOTE = "published on "
ADMIN_EDIT_NOTE = "admin edit: "


def _listed(text: str) -> list[str]:
    return [f.strip() for f in text.split(",") if f.strip()]


def note_text(note: object, lang: str, who: Callable[[str], str] = str) -> str:
    """A Log note as a person reads it: the desk's own notes (an edit's ``changed: body, captions`` as "Diubah:
    Isi, Keterangan", ``assigned to <e-mail>`` as "Ditugaskan kepada <name>" — ``who`` turns an address into a
    name —, ``published on site, x``, ``admin edit: title``, a channel's result) in ``lang``; any other note (a
    person's own words) as it is."""
    text = "" if note is None or note != note else str(note)  # NaN from a frame reads as blank
    if text.startswith(EDIT_NOTE):
        fields = _listed(text[len(EDIT_NOTE):])
        return t("log.edited", lang, fields=", ".join(field_label(f, lang) for f in fields))
    if text.startswith(ADMIN_EDIT_NOTE):
        fields = _listed(text[len(ADMIN_EDIT_NOTE):])
        return t("log.admin_edit", lang, fields=", ".join(field_label(f, lang) for f in fields))
    if text.startswith(ASSIGN_NOTE) and "@" in text and " " not in text[len(ASSIGN_NOTE):].strip():
        return t("log.assigned", lang, who=who(text[len(ASSIGN_NOTE):].strip()))
    if text.startswith(PUBLISHED_NOTE):
        channels = _listed(text[len(PUBLISHED_NOTE):])
        if channels and all(registry.get(c) is not None for c in channels):
            return t("log.published_on", lang, channels=", ".join(channel_title(c, lang) for c in channels))
    # a channel's result as record_channel writes it: "x: failed 401", "site: https://…"
    channel, sep, rest = text.partition(": ")
    if not sep or registry.get(channel) is None:
        return text
    status, _, detail = rest.partition(" ")
    if status in CHANNEL_STATUSES:
        rest = f"{channel_status_title(status, lang)} {detail}".strip()
    return f"{channel_title(channel, lang)}: {rest}"


class WorkflowError(Message):
    """An action that cannot be taken: a catalogue key and values (:class:`sopkit.i18n.Message`), shown to the
    user in their language by ``exc.text(lang)``; ``str(exc)`` is Indonesian (the default language)."""

    key = "error.workflow"


class WrongState(WorkflowError):
    key = "error.wrong_state"


class NoteRequired(WorkflowError):
    key = "wf.note_required"


class MakerChecker(WorkflowError):
    key = "error.maker_checker"


class NotHolder(WorkflowError):
    key = "error.not_holder"


class InvalidInput(WorkflowError):
    key = "error.invalid"


class ChecksFailed(InvalidInput):
    """The creator's pre-submit check found what a reviewer would send back (``checks.pre_submit``); ``findings``
    are i18n keys with values, so a page can list them in the user's language."""

    def __init__(self, findings: list[checks.Finding]):
        super().__init__("wf.checks_failed", findings=lambda lang: " ".join(t(f.key, lang, **f.values)
                                                                           for f in findings))
        self.findings = findings


class InvalidText(InvalidInput, BadText):
    """Text with a control character; :meth:`BadText.translated` says which, in the user's language."""

    key = "text.control_char"

    def __init__(self, bad: BadText):
        BadText.__init__(self, bad.field, bad.char, bad.position)

    def text(self, lang: str = DEFAULT_LANG) -> str:
        return self.translated(lang)


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

#: Fields each maker step's holder may edit (``sop.Step.editable``), and the limits that keep a hand-typed value sane.
EDITABLE: dict[int, frozenset[str]] = sop.AGENCY.editable
#: What makes someone a maker of an item (at a maker step), and what is a decision at a gate step.
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

#: Stage timestamp written when a step is closed by its forward action (``sop.Step.stage_column``).
STAGE_COLUMN: dict[int, str] = sop.AGENCY.stage_columns


def new_id(now: dt.datetime) -> str:
    return f"{now:%Y%m%d}-{secrets.token_hex(3)}"


@dataclass
class Desk:
    """The SOP desk over one store: pages, the CLI and the publish job all act through it."""

    store: Store
    settings: Settings = field(default_factory=Settings)
    now: Now = server_now
    procedure: sop.Procedure = sop.AGENCY  # the SOP's steps and transitions the desk follows

    # -- helpers ----------------------------------------------------------------------------------------------
    def _commit(self, user: User, role: str, item: Item, action: str, step: int, changes: dict[str, Any],
                note: str = "", publish_at: dt.datetime | None = None, extra_log: Iterable[LogRow] = (),
                create: bool = False, at: dt.datetime | None = None) -> Item:
        return self.store.commit(self._change(user, role, item, action, step, changes, note, publish_at, extra_log,
                                              create, at))

    def _change(self, user: User, role: str, item: Item, action: str, step: int, changes: dict[str, Any],
                note: str = "", publish_at: dt.datetime | None = None, extra_log: Iterable[LogRow] = (),
                create: bool = False, at: dt.datetime | None = None) -> Change:
        """The store change of one action: the Register cells (plus who and when) and its Log rows."""
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
        return Change(item.id, None if create else item.rev, updates, log, seen=None if create else item,
                      actor=actor, role=role)

    def _step(self, number: int) -> sop.Step:
        return self.procedure.by_number[number]

    def _holder(self, item: Item, step: int) -> str:
        column = self._step(step).holder_column
        return str(getattr(item, column)) if column else ""

    def _moves_to(self, step: int, at: dt.datetime) -> dict[str, Any]:
        return {"step": step, "status": self.procedure.status_by_step[step], "step_entered_at": at}

    def _forward(self, user: User, item: Item, action: str, at: dt.datetime) -> dict[str, Any]:
        """The changes of ``action`` closing the item's step: on to the table's next step, the step's stage time
        stamped and its holder column naming who closed it."""
        transition = self.procedure.transition(action, item.step)
        assert transition is not None
        step = self._step(item.step)
        changes = self._moves_to(self.procedure.target(transition), at)
        changes.update({c: v for c, v in ((step.stage_column, at), (step.holder_column, user.email)) if c})
        return changes

    def _require_open(self, item: Item, *steps: int) -> None:
        if not item.is_open:
            raise WrongState("wf.closed", id=item.id, status=Term(f"status.{item.status}"))
        if steps and item.step not in steps:
            raise WrongState("wf.wrong_step", id=item.id, step=self._step_label(item.step),
                             where=lambda lang: t("wf.or", lang).join(self._step_label(s)(lang) for s in steps))

    def _step_label(self, number: int) -> Callable[[str], str]:
        """``3 (Verifikasi konten)`` in the reader's language: a step as an error names it."""
        return lambda lang: f"{number} ({step_title(self._step(number), lang)})"

    def _require_at(self, item: Item, action: str) -> None:
        """Open and at a step where the transitions table has ``action``."""
        self._require_open(item, *self.procedure.steps_for(action))

    def _acting_role(self, user: User, action: str, step: int | None) -> str:
        return acting_role(user, action, step, self.procedure)

    def _require_holder(self, user: User, item: Item) -> None:
        holder = self._holder(item, item.step)
        if holder and holder != user.email:
            raise NotHolder("wf.held", id=item.id, holder=holder, step=item.step)

    @staticmethod
    def _note(note: str, required: bool, what: str) -> str:
        note = checked_text(note or "", "note", multiline=True).strip()
        if required and not note:
            raise NoteRequired("wf.note_required")
        if len(note) > 5000:
            raise InvalidInput("wf.note_long")
        return note

    def _maker_checker(self, user: User, item: Item, step: int, log: Iterable[Mapping[str, Any]] | None) -> None:
        """Nobody checks their own work: whoever started, edited or submitted the item at a maker step (1-2) may
        not decide at a gate (3 or 4), and whoever decided at a gate may not decide at a later one. Who that is
        comes from the item's Log, because the holder columns are rewritten by every take, assign and resubmission
        (a maker the item was reassigned away from is still a maker). ``log`` is the item's Log as the caller read
        it; only when it is not given is it read from the store (for Google Sheets one more API call)."""
        rows = self.store.read_log(item.id) if log is None else log
        reason = maker_checker_reason(user.email, item, step, rows, self.procedure)
        if reason is None:
            return
        if reason.step in self.procedure.maker_steps:
            act = "verify" if step == self.procedure.gates[0] else "approve"
            raise MakerChecker("wf.made", name=user.name or user.email, id=item.id, act=Term(f"wf.act.{act}"))
        raise MakerChecker("wf.verified", name=user.name or user.email, id=item.id)

    # -- actions ----------------------------------------------------------------------------------------------
    def start(self, user: User, *, title: str, summary: str = "", category: str = "",
              channels: Iterable[str] = (), sources: str = "", media: list[dict[str, Any]] | None = None) -> Item:
        first = next(self.procedure.number(t.at) for t in self.procedure.transitions if t.creates and t.at)
        role = self._acting_role(user, "start", first)
        at = self.now()
        fields = _check_fields(first, {"title": title, "summary": summary, "category": category,
                                       "channels": tuple(channels), "sources": sources, "media": media or []},
                               self.procedure.editable)
        if not str(fields["title"]).strip():
            raise InvalidInput("wf.title_required")
        item = Item(id=new_id(at))
        holder = {c: user.email for c in (self._step(first).holder_column,) if c}
        changes = {**fields, **self._moves_to(first, at), **holder, "created_at": at}
        return self._commit(user, role, item, "start", first, changes, create=True, at=at)

    def start_and_submit(self, user: User, **fields: Any) -> Item:
        """Step 1 in one act: start the item and send it straight on to the creator. What the submit would
        refuse (no title, no channel) is refused first, so a refused send leaves no draft behind."""
        if not str(fields.get("title", "")).strip():
            raise InvalidInput("wf.title_required")
        if not _check_channels(fields.get("channels") or ()):
            raise InvalidInput("wf.channel_required")
        return self.submit(user, self.start(user, **fields))

    def edit(self, user: User, item: Item, **fields: Any) -> Item:
        self._require_at(item, "edit")
        role = self._acting_role(user, "edit", item.step)
        self._require_holder(user, item)
        changes = _check_fields(item.step, fields, self.procedure.editable)
        changed = {k: v for k, v in changes.items() if format_value(k, v) != format_value(k, getattr(item, k))}
        if not changed:
            return item
        holder = {c: user.email for c in (self._step(item.step).holder_column,) if c}
        return self._commit(user, role, item, "edit", item.step, {**changed, **holder},
                            note=EDIT_NOTE + ", ".join(sorted(changed)))

    def take(self, user: User, item: Item, log: ItemLog = None) -> Item:
        self._require_open(item)
        role = self._acting_role(user, "take", item.step)
        self._require_holder(user, item)
        column = self._step(item.step).holder_column
        if not column:
            raise WrongState("wf.no_take", step=item.step, id=item.id)
        if item.step in self.procedure.gates:
            self._maker_checker(user, item, item.step, log)
        return self._commit(user, role, item, "take", item.step, {column: user.email})

    def assign(self, user: User, item: Item, assignee: User, log: ItemLog = None) -> Item:
        self._require_open(item)
        role = self._acting_role(user, "assign", item.step)
        step = self._step(item.step)
        if not assignee.has(step.role):
            raise InvalidInput("wf.lacks_role", name=assignee.name or assignee.email, role=Term(f"role.{step.role}"),
                               step=item.step)
        column = step.holder_column
        if not column:
            raise WrongState("wf.no_assign", step=item.step, id=item.id)
        if item.step in self.procedure.gates:
            self._maker_checker(assignee, item, item.step, log)
        return self._commit(user, role, item, "assign", item.step, {column: assignee.email},
                            note=ASSIGN_NOTE + assignee.email)

    def submit(self, user: User, item: Item, note: str = "") -> Item:
        self._require_at(item, "submit")
        role = self._acting_role(user, "submit", item.step)
        self._require_holder(user, item)
        note = self._note(note, False, "submit")
        if self._step(item.step).name == "collection":
            if not item.title.strip():
                raise InvalidInput("wf.title_before_submit")
            if not item.channels:
                raise InvalidInput("wf.channel_required")
        elif not (item.body.strip() or any(v.strip() for v in item.captions.values())):
            raise InvalidInput("wf.content_required")
        elif blocking := [f for f in checks.pre_submit(item) if f.blocking]:
            raise ChecksFailed(blocking)
        at = self.now()
        changes = self._forward(user, item, "submit", at)
        if "body" in self._step(item.step).editable:  # the content goes to review: keep it for the approver's diff
            changes["versions"] = history.add_version(item.versions, history.snapshot(item, at, user.email))
        return self._commit(user, role, item, "submit", item.step, changes, note=note, at=at)

    def approve(self, user: User, item: Item, note: str = "", log: ItemLog = None) -> Item:
        self._require_at(item, "approve")
        role = self._acting_role(user, "approve", item.step)
        self._maker_checker(user, item, item.step, log)
        self._require_holder(user, item)
        at = self.now()
        return self._commit(user, role, item, "approve", item.step, self._forward(user, item, "approve", at),
                            note=self._note(note, False, ""), at=at)

    def reject(self, user: User, item: Item, note: str, log: ItemLog = None) -> Item:
        self._require_at(item, "reject")
        role = self._acting_role(user, "reject", item.step)
        note = self._note(note, True, "send the content back")
        self._maker_checker(user, item, item.step, log)
        self._require_holder(user, item)
        at = self.now()
        transition = self.procedure.transition("reject", item.step)
        assert transition is not None
        step = self._step(item.step)
        changes = {**self._moves_to(self.procedure.target(transition, self.settings.reject_to), at),
                   "last_note": note}
        if step.holder_column:
            changes[step.holder_column] = user.email
        if transition.counts_rejection and step.rejection_column:
            changes[step.rejection_column] = getattr(item, step.rejection_column) + 1
        return self._commit(user, role, item, "reject", item.step, changes, note=note, at=at)

    def schedule(self, user: User, item: Item, publish_at: dt.datetime,
                 channels: Iterable[str] | None = None, note: str = "") -> Item:
        """Step 5: set the publication time; at step 6 the same action reschedules before it goes out (the
        transitions table's ``schedule`` row that stays at its step)."""
        self._require_at(item, "schedule")
        role = self._acting_role(user, "schedule", item.step)
        transition = self.procedure.transition("schedule", item.step)
        assert transition is not None
        moves = self.procedure.target(transition) != item.step
        if moves:
            self._require_holder(user, item)
        if publish_at.tzinfo is None:
            raise InvalidInput("wf.tz_required")
        at = self.now()
        if publish_at < at - dt.timedelta(minutes=5):
            raise InvalidInput("wf.past")
        chosen = tuple(channels) if channels is not None else item.channels
        chosen = _check_channels(chosen)
        if not chosen:
            raise InvalidInput("wf.choose_channel")
        done = [c for c, r in item.channel_results.items() if r.get("status") == ChannelState.PUBLISHED]
        if not moves and done:
            raise WrongState("wf.already_out", id=item.id, channels=joined(done, channel_title))
        changes: dict[str, Any] = {"publish_at": publish_at, "channels": chosen}
        if moves:
            changes.update(self._forward(user, item, "schedule", at))
        return self._commit(user, role, item, "schedule", item.step, changes,
                            note=self._note(note, False, ""), publish_at=publish_at, at=at)

    def record_channel(self, user: User, item: Item, channel: str, result: dict[str, Any]) -> Item:
        """Step 6: write one channel's outcome (the job's result or a URL pasted by hand). When the last
        channel is published the item is published in the same change."""
        return self.store.commit(self._channels_change(user, item, {channel: result}))

    def record_channels(self, user: User, results: Sequence[tuple[Item, Mapping[str, dict[str, Any]]]]
                        ) -> list[Item | Exception]:
        """:meth:`record_channel` for several items at once, each with one or more channels' outcomes: one
        :meth:`Store.commit_many` (what lets the publish job claim every due channel of a run, and record what
        came of them, in one write each). One outcome per item, in order: the item as saved, or why it was not
        (a WorkflowError for a result the desk refuses, a store refusal such as StaleWrite); a refused item never
        keeps the others from being saved."""
        out: list[Item | Exception | None] = [None] * len(results)
        changes: list[Change] = []
        slots: list[int] = []
        for n, (item, channels) in enumerate(results):
            try:
                changes.append(self._channels_change(user, item, channels))
                slots.append(n)
            except WorkflowError as e:
                out[n] = e
        for n, saved in zip(slots, self.store.commit_many(changes) if changes else [], strict=True):
            out[n] = saved
        return [o for o in out if o is not None]

    def _channels_change(self, user: User, item: Item, channels: Mapping[str, dict[str, Any]]) -> Change:
        """The change writing ``channels`` (channel → outcome) into the item: one ``channel`` Log row each, and
        the step-6 ``publish`` row when it leaves every channel published."""
        self._require_at(item, "channel")
        role = self._acting_role(user, "channel", item.step)
        at = self.now()
        results = dict(item.channel_results)
        rows: list[LogRow] = []
        for channel, result in channels.items():
            result = self._channel_result(item, channel, result)
            results[channel] = {**result, "at": result.get("at") or at.isoformat()}
            if result["status"] == ChannelState.PUBLISHED:
                note = f"{channel}: {result.get('url') or result.get('post_id')}"
            else:
                note = f"{channel}: {result['status']} {result.get('error', '')}".strip()
            rows.append(LogRow(at, item.id, item.step, "channel", user.email, role, note))
        changes: dict[str, Any] = {"channel_results": results}
        if all(results.get(c, {}).get("status") == ChannelState.PUBLISHED for c in item.channels):
            changes.update(status=sop.PUBLISHED, published_at=at, publisher=user.email)
            return self._change(user, role, item, "publish", item.step, changes, extra_log=rows,
                                note=PUBLISHED_NOTE + ", ".join(item.channels), at=at)
        *extra, last = rows
        return self._change(user, role, item, "channel", item.step, changes, note=last.note, extra_log=extra,
                            at=at)

    def _channel_result(self, item: Item, channel: str, result: dict[str, Any]) -> dict[str, Any]:
        """One channel's outcome, checked: a channel of the item, a known status, a web address when published."""
        if channel not in item.channels:
            raise InvalidInput("wf.not_target", id=item.id, channel=Term(f"channel_name.{channel}"))
        status = result.get("status")
        if status not in CHANNEL_STATUSES:
            raise InvalidInput("wf.unknown_status", status=str(status))
        if status == ChannelState.PUBLISHED and not (result.get("url") or result.get("post_id")):
            raise InvalidInput("wf.url_required")
        if result.get("url"):
            result = {**result, "url": checked_text(str(result["url"]), "url")}
        if status == ChannelState.PUBLISHED and result.get("url") and not _is_web_address(str(result["url"])):
            raise InvalidInput("publisher.bad_url")
        return result

    def record_copies(self, user: User, item: Item, channel: str, kept: dict[str, Any],
                      copies: list[dict[str, Any]]) -> Item:
        """Publication bookkeeping that may come after the item is published: the post ``kept`` on a published channel
        and the ``copies`` of it found there (each ``{"post_id", "url", "action": trashed | left | removed}``).

        Why after publication too: a request the job gave up on can still be applied by the channel long after
        the item was closed; the copy it makes must be recorded where the publisher sees it, not just logged.
        """
        step = self.procedure.number("publication")
        if item.step != step or item.status not in (self.procedure.status_by_step[step], sop.PUBLISHED):
            raise WrongState("wf.no_published", id=item.id, status=Term(f"status.{item.status}"))
        role = self._acting_role(user, "channel", step)
        state = item.channel_results.get(channel, {})
        if state.get("status") != ChannelState.PUBLISHED:
            raise WrongState("wf.channel_not_published", channel=Term(f"channel_name.{channel}"), id=item.id)
        if not (kept.get("url") or kept.get("post_id")) or any(not c.get("post_id") for c in copies):
            raise InvalidInput("wf.name_copies")
        result = {**state, "url": kept.get("url") or state.get("url", ""),
                  "post_id": kept.get("post_id") or state.get("post_id", ""), "copies": copies}
        changes = {"channel_results": {**item.channel_results, channel: result}}
        note = f"{channel}: copies of {result['url'] or result['post_id']}: " + ", ".join(
            f"{c['post_id']} {c.get('action', '')}".strip() for c in copies)
        return self._commit(user, role, item, "channel", step, changes, note=note)

    def publish(self, user: User, item: Item, note: str = "") -> Item:
        """Close step 6 by hand once every channel has a published result."""
        self._require_at(item, "publish")
        role = self._acting_role(user, "publish", item.step)
        missing = [c for c in item.channels
                   if item.channel_results.get(c, {}).get("status") != ChannelState.PUBLISHED]
        if missing:
            raise WrongState("wf.not_yet_published", channels=joined(missing, channel_title))
        at = self.now()
        changes = {"status": sop.PUBLISHED, "published_at": at, "publisher": user.email}
        return self._commit(user, role, item, "publish", item.step, changes, note=self._note(note, False, ""),
                            at=at)

    def cancel(self, user: User, item: Item, note: str) -> Item:
        self._require_open(item)
        role = self._acting_role(user, "cancel", item.step)
        note = self._note(note, True, "cancel the item")
        at = self.now()
        changes = {"status": sop.CANCELLED, "cancelled_at": at, "last_note": note}
        return self._commit(user, role, item, "cancel", item.step, changes, note=note, at=at)


def _check_channels(value: Iterable[Any]) -> tuple[str, ...]:
    """Channel names, trimmed, lower-cased and each once; an unknown one is an InvalidInput."""
    chans = tuple(dict.fromkeys(str(c).strip().lower() for c in value if str(c).strip()))
    bad = [c for c in chans if registry.get(c) is None]
    if bad:
        raise InvalidInput("wf.unknown_channels", channels=", ".join(bad))
    return chans


def _check_fields(step: int, fields: dict[str, Any], editable: Mapping[int, frozenset[str]] = EDITABLE
                  ) -> dict[str, Any]:
    """Validate content fields an actor may set at ``step`` (``editable``: each step's fields); returns them
    normalised."""
    allowed = editable.get(step, frozenset())
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidInput("wf.fields_locked", step=step, fields=joined(sorted(unknown), field_label))
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "channels":
            out[key] = _check_channels(value)
        elif key == "captions":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise InvalidInput("wf.captions_map")
            bad = [c for c in value if registry.get(c) is None]
            if bad:
                raise InvalidInput("wf.captions_unknown", channels=", ".join(bad))
            if any(len(v) > MAX_TEXT for v in value.values()):
                raise InvalidInput("wf.caption_long")
            out[key] = {c: checked_text(v, "caption", multiline=True) for c, v in value.items()}
        elif key == "media":
            if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
                raise InvalidInput("wf.media_list")
            out[key] = [{k: checked_text(v, "alt" if k == "alt" else "media") if isinstance(v, str) else v
                         for k, v in m.items()} for m in value]
        else:
            text = checked_text(str(value if value is not None else ""), key, multiline=key in MULTILINE_FIELDS)
            if len(text) > MAX_TEXT:
                raise InvalidInput("wf.field_long", field=lambda lang, key=key: field_label(key, lang))
            if key == "title" and len(text) > 300:
                raise InvalidInput("wf.title_long")
            out[key] = text.strip() if key in ("title", "category") else text
    return out


def _is_web_address(url: str) -> bool:
    """A whole http(s) address with a host and no spaces: what a published post's URL must be."""
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not any(c.isspace() for c in url.strip())


def makers_and_deciders(log: Iterable[Mapping[str, Any]], item_id: str, procedure: sop.Procedure = sop.AGENCY
                        ) -> tuple[set[str], dict[int, set[str]]]:
    """From Log rows (text, as stored; rows of other items are skipped): who started, edited or submitted the item
    at a maker step, and for each gate who approved or rejected it there."""
    makers: set[str] = set()
    deciders: dict[int, set[str]] = {g: set() for g in procedure.gates}
    maker_steps = {str(s) for s in procedure.maker_steps}
    gates = {str(g): g for g in procedure.gates}
    for row in log:
        if str(row.get("item_id", "")).strip() != item_id:
            continue
        actor = str(row.get("actor", "")).strip().lower()
        action = str(row.get("action", "")).strip().lower()
        step = str(row.get("step", "")).strip().removesuffix(".0")
        if action in MAKER_ACTIONS and step in maker_steps:
            makers.add(actor)
        elif action in DECISIONS and step in gates:
            deciders[gates[step]].add(actor)
    return makers - {""}, {g: who - {""} for g, who in deciders.items()}


@dataclass(frozen=True)
class Reason:
    """Why someone may not decide an item at a gate: what they did at ``step`` (an i18n key ``mc.<step name>``
    names it, "Anda memverifikasi konten ini"), so a page can say so instead of offering a button."""

    step: int
    key: str
    values: dict[str, str] = field(default_factory=dict)


def _reason(procedure: sop.Procedure, step: int) -> Reason:
    key = f"mc.{procedure.by_number[step].name}"
    if has(key):
        return Reason(step, key)
    return Reason(step, "mc.other", {"step": str(step)})


def maker_checker_reason(email: str, item: Item, step: int, log: Iterable[Mapping[str, Any]],
                         procedure: sop.Procedure = sop.AGENCY) -> Reason | None:
    """The maker-checker rule for ``email`` deciding ``item`` at the gate ``step`` (None: they may): the Desk
    refuses with it, and pages show it before anyone clicks. From the item's Log rows and its holder columns."""
    email = email.strip().lower()
    if not email or step not in procedure.gates:
        return None
    did: set[int] = set()
    for row in log:
        if str(row.get("item_id", "")).strip() != item.id or str(row.get("actor", "")).strip().lower() != email:
            continue
        action = str(row.get("action", "")).strip().lower()
        try:
            at = int(float(str(row.get("step", "")).strip()))
        except ValueError:
            continue
        if (action in MAKER_ACTIONS and at in procedure.maker_steps) or (action in DECISIONS and at in procedure.gates):
            did.add(at)
    for s in (*procedure.maker_steps, *procedure.gates):
        column = procedure.by_number[s].holder_column
        if column and str(getattr(item, column, "") or "").strip().lower() == email:
            did.add(s)
    makers = [s for s in procedure.maker_steps if s in did]
    if makers:
        return _reason(procedure, makers[-1])
    earlier = [g for g in procedure.gates if g < step and g in did]
    if earlier:
        return _reason(procedure, earlier[-1])
    return None


def makers_and_verifiers(log: Iterable[Mapping[str, Any]], item_id: str) -> tuple[set[str], set[str]]:
    """The agency's makers (steps 1-2) and verifiers (who decided at its first gate, step 3):
    :func:`makers_and_deciders` for the two-gate SOP."""
    makers, deciders = makers_and_deciders(log, item_id)
    return makers, deciders[sop.AGENCY.gates[0]]


def waiting_on(items: Iterable[Item], user: User, step: str | None = None,
               procedure: sop.Procedure = sop.AGENCY) -> list[Item]:
    """Items whose current step needs one of the user's roles and that nobody else holds, oldest first; ``step``:
    only those at the step of that name (a page's queue)."""
    only = procedure.number(step) if step else None
    out = []
    for item in items:
        if not item.is_open or only is not None and item.step != only:
            continue
        at = procedure.by_number[item.step]
        holder = str(getattr(item, at.holder_column)) if at.holder_column else ""
        if user.has(at.role) and holder in ("", user.email):
            out.append(item)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(out, key=lambda i: i.step_entered_at or far)


def waiting_counts(items: Iterable[Item], user: User) -> dict[str, int]:
    """How many items wait on the user, per menu page: each role's page counts the items at its role's steps
    (the supervisor's page holds steps 3 and 5), the home page all of them."""
    mine = waiting_on(items, user)
    counts: dict[str, int] = {"home": len(mine)}
    for item in mine:
        role = sop.STEPS[item.step].role
        counts[role] = counts.get(role, 0) + 1
    return counts

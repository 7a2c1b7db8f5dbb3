"""The SOP as data: its steps by name, the one transitions table, roles, statuses, limits and clocks.

Everything the workflow, the permission table and the compliance report know about the procedure comes from
here (see ``shared/sop/SOP.md``): each :class:`Step` (its role, the Register columns it writes, its limit and clock)
and one table of :class:`Transition` rows ``(action, at step) → (to step, roles, counts as a rejection, …)``.
``permissions.ACTION_ROLES``, the :class:`~sopkit.workflow.Desk`'s moves, compliance's state tables and the pages'
step filters are all derived from a :class:`Procedure`. :data:`AGENCY` is the agency's; a copy with an extra step
(a new :class:`Step` and its rows in the table) is followed by all of them. Steps are numbered by their place in
the procedure: the number is what the Register's ``step`` column and the Log hold. Limits and rejection targets
are defaults; an admin may revise them in the store's Settings (``sopkit.settings``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

Clock = Literal["working", "calendar"]

#: Roles of the SOP (Pelaksana) plus the desk's own: ``admin`` runs the system, ``manager`` reads reports.
SOP_ROLES: tuple[str, ...] = ("officer", "creator", "supervisor", "administrator", "publisher")
ROLES: tuple[str, ...] = SOP_ROLES + ("manager", "admin")
#: Role, step and status titles are catalogue entries (``role.<code>``, ``step.<name>``, ``status.<word>`` in
#: ``sopkit.i18n``): ``i18n.role_title`` / ``step_title``; ``i18n.missing_titles`` names what a new step lacks.

PUBLISHED = "published"
CANCELLED = "cancelled"
TERMINAL_STATUSES = frozenset({PUBLISHED, CANCELLED})

#: Every action the Log may hold. The first group moves an item through the SOP and is what compliance
#: measures; the second changes who holds an item or what it says and does not move the clock.
FLOW_ACTIONS: tuple[str, ...] = ("start", "submit", "approve", "reject", "schedule", "publish", "cancel")
OTHER_ACTIONS: tuple[str, ...] = ("edit", "take", "assign", "channel")
ACTIONS: tuple[str, ...] = FLOW_ACTIONS + OTHER_ACTIONS

#: A transition's ``to`` when it closes the item (published or cancelled).
END = "end"


@dataclass(frozen=True)
class Step:
    """One step of the SOP. ``number`` is its place in the :class:`Procedure` (set there, 1-based)."""

    name: str
    role: str
    holder_column: str | None  # Register column naming who holds this step for the item (None: nobody takes it)
    status: str  # the item's status while it waits at this step
    limit_minutes: int
    clock: Clock
    stage_column: str | None = None  # Register time column stamped when the step's forward action closes it
    rejection_column: str | None = None  # Register column counting the rejections decided here (None: Log only)
    editable: frozenset[str] = frozenset()  # content fields the holder may edit here: a maker's step
    number: int = 0



@dataclass(frozen=True)
class Transition:
    """One row of the transitions table: ``action`` taken on an item at step ``at`` (the step its Log row names;
    None: at any open step) by one of ``roles``. ``to`` is the step it moves to, :data:`END` when it closes the
    item, or None when it does not move it (who holds it, what it says). A rejection (``counts_rejection``) goes
    where the Settings' ``reject_to`` says, ``to`` by default, and is counted in the step's ``rejection_column``.
    ``creates``: the action makes the item (nothing before it)."""

    action: str
    at: str | None
    roles: frozenset[str]
    to: str | None = None
    counts_rejection: bool = False
    creates: bool = False


def _t(action: str, at: str | None, roles: Iterable[str], to: str | None = None, **flags: bool) -> Transition:
    return Transition(action, at, frozenset(roles), to, **flags)


@dataclass(frozen=True)
class Procedure:
    """Steps in their order and the transitions table; everything else here is derived from those two."""

    steps: tuple[Step, ...]  # in their order; each gets its number from its place
    transitions: tuple[Transition, ...]

    def __post_init__(self) -> None:
        numbered = tuple(replace(s, number=n) for n, s in enumerate(self.steps, start=1))
        object.__setattr__(self, "steps", numbered)
        names = [s.name for s in numbered]
        if len(set(names)) != len(names):
            raise ValueError(f"step names repeat: {names}")
        for tr in self.transitions:
            if tr.action not in ACTIONS:
                raise ValueError(f"unknown action {tr.action!r}")
            for where in (tr.at, tr.to):
                if where not in (None, END, *names):
                    raise ValueError(f"{tr.action}: unknown step {where!r}")
            if unknown := tr.roles - set(ROLES):
                raise ValueError(f"{tr.action} at {tr.at}: unknown roles {sorted(unknown)}")
            if (tr.to is None) == (tr.action in FLOW_ACTIONS):
                raise ValueError(f"{tr.action} at {tr.at}: a flow action moves the item, no other action does")
        keys = [(tr.action, tr.at) for tr in self.transitions]
        if len(set(keys)) != len(keys):
            raise ValueError("a (action, step) pair is written twice in the transitions table")
        if sum(s.clock == "calendar" for s in numbered) > 1:
            raise ValueError("at most one step runs on the calendar from the planned time")

    # -- the steps ------------------------------------------------------------------------------------------
    @cached_property
    def by_number(self) -> dict[int, Step]:
        return {s.number: s for s in self.steps}

    @cached_property
    def by_name(self) -> dict[str, Step]:
        return {s.name: s for s in self.steps}

    def __getitem__(self, name: str) -> Step:
        return self.by_name[name]

    def number(self, name: str) -> int:
        """The number of the step called ``name`` (what the Register and the Log hold)."""
        return self.by_name[name].number

    @property
    def first(self) -> int:
        return 1

    @property
    def last(self) -> int:
        return len(self.steps)

    @property
    def done(self) -> int:
        """The state after the last step (published or cancelled): compliance's replay counts past the last step."""
        return self.last + 1

    @cached_property
    def status_by_step(self) -> dict[int, str]:
        return {s.number: s.status for s in self.steps}

    @cached_property
    def statuses(self) -> tuple[str, ...]:
        return (*self.status_by_step.values(), PUBLISHED, CANCELLED)

    @cached_property
    def stage_columns(self) -> dict[int, str]:
        """Stage timestamp written when each step is closed by its forward action."""
        return {s.number: s.stage_column for s in self.steps if s.stage_column}

    @cached_property
    def editable(self) -> dict[int, frozenset[str]]:
        """Fields each maker step's holder may edit."""
        return {s.number: s.editable for s in self.steps if s.editable}

    @cached_property
    def maker_steps(self) -> tuple[int, ...]:
        """Steps whose holder makes the content (and so may not check it at a gate); a rejection returns to one."""
        return tuple(self.editable)

    @cached_property
    def gates(self) -> tuple[int, ...]:
        """Steps that decide (approve or reject), in order: maker-checker applies there."""
        return tuple(sorted({self.number(tr.at) for tr in self.transitions if tr.counts_rejection and tr.at}))

    @cached_property
    def reject_to(self) -> dict[int, int]:
        """Default step each gate's rejection returns to (an admin may revise it in Settings)."""
        return {self.number(tr.at): self.number(tr.to) for tr in self.transitions
                if tr.counts_rejection and tr.at and tr.to not in (None, END)}

    @cached_property
    def rejection_columns(self) -> dict[int, str]:
        """Register columns counting each gate's rejections (``rejections_step3`` …: the sheet's own names)."""
        return {s.number: s.rejection_column for s in self.steps if s.rejection_column}

    @cached_property
    def planned_step(self) -> int | None:
        """The step that runs on the calendar from the planned publication time (the publication), if any."""
        return next((s.number for s in self.steps if s.clock == "calendar"), None)

    # -- the transitions ------------------------------------------------------------------------------------
    def transition(self, action: str, step: int | None) -> Transition | None:
        """The row for ``action`` at ``step``: the step's own, else one allowed at any open step."""
        own = self._index.get((action, self.by_number[step].name)) if step in self.by_number else None
        return own or self._index.get((action, None))

    @cached_property
    def _index(self) -> dict[tuple[str, str | None], Transition]:
        return {(tr.action, tr.at): tr for tr in self.transitions}

    def steps_for(self, action: str) -> tuple[int, ...]:
        """The steps at which ``action`` is written in the table (not counting 'at any open step')."""
        return tuple(sorted(self.number(tr.at) for tr in self.transitions if tr.action == action and tr.at))

    def target(self, tr: Transition, reject_to: dict[int, int] | None = None) -> int:
        """Where a flow transition leaves the item: a step number, or :attr:`done` (a rejection: where
        ``reject_to`` says for its step, else the table's default)."""
        if tr.to == END:
            return self.done
        assert tr.to is not None and tr.at is not None, "only flow transitions at a step move the item"
        at = self.number(tr.at)
        if tr.counts_rejection and reject_to and at in reject_to:
            return reject_to[at]
        return self.number(tr.to)

    @cached_property
    def action_roles(self) -> dict[tuple[str, int | None], frozenset[str]]:
        """(action, step) → roles allowed; ``None`` = at any step. The permission table's view of the table."""
        return {(tr.action, self.number(tr.at) if tr.at else None): tr.roles for tr in self.transitions}


AGENCY = Procedure(
    steps=(
        Step("collection", "officer", "officer", "collecting", 450, "working", stage_column="collected_at",
             editable=frozenset({"title", "summary", "category", "channels", "sources", "media"})),
        Step("design", "creator", "creator", "designing", 360, "working", stage_column="designed_at",
             editable=frozenset({"title", "summary", "category", "body", "captions", "media"})),
        Step("verification", "supervisor", "verifier", "verifying", 60, "working", stage_column="verified_at",
             rejection_column="rejections_step3"),
        Step("approval", "administrator", "approver", "approving", 60, "working", stage_column="approved_at",
             rejection_column="rejections_step4"),
        Step("scheduling", "supervisor", "scheduler", "scheduling", 15, "working", stage_column="scheduled_at"),
        Step("publication", "publisher", "publisher", "scheduled", 15, "calendar"),
    ),
    transitions=(
        _t("start", "collection", {"officer"}, to="collection", creates=True),
        _t("edit", "collection", {"officer"}),
        _t("submit", "collection", {"officer"}, to="design"),
        _t("take", "design", {"creator"}),
        _t("edit", "design", {"creator"}),
        _t("submit", "design", {"creator"}, to="verification"),
        _t("take", "verification", {"supervisor"}),
        _t("approve", "verification", {"supervisor"}, to="approval"),
        _t("reject", "verification", {"supervisor"}, to="design", counts_rejection=True),
        _t("take", "approval", {"administrator"}),
        _t("approve", "approval", {"administrator"}, to="scheduling"),
        _t("reject", "approval", {"administrator"}, to="design", counts_rejection=True),
        _t("take", "scheduling", {"supervisor"}),
        _t("schedule", "scheduling", {"supervisor"}, to="publication"),
        _t("schedule", "publication", {"supervisor"}, to="publication"),  # reschedule before it goes out
        _t("take", "publication", {"publisher"}),
        _t("channel", "publication", {"publisher"}),  # one channel's result (the job, or a URL pasted by hand)
        _t("publish", "publication", {"publisher"}, to=END),
        _t("assign", None, {"supervisor"}),
        _t("cancel", None, {"supervisor", "administrator"}, to=END),
    ),
)

#: The agency's procedure as the plain tables most code reads.
STEPS: dict[int, Step] = AGENCY.by_number
FIRST_STEP = AGENCY.first
LAST_STEP = AGENCY.last
#: Item status while it waits at each step, and the two terminal ones.
STATUS_BY_STEP: dict[int, str] = AGENCY.status_by_step
STATUSES: tuple[str, ...] = AGENCY.statuses


def number(name: str) -> int:
    """The number of the agency's step called ``name``: ``number("design") == 2``."""
    return AGENCY.number(name)


CATEGORIES: tuple[str, ...] = (
    "Berita", "Pengumuman", "Layanan", "Keselamatan", "Infrastruktur", "Kegiatan", "Regulasi",
)

#: SOP header fields; blank in the signed source, so an admin fills them in.
SOP_TITLE = "Mekanisme Penayangan Konten ke Website dan Media Sosial Dinas Perhubungan Prov. Kalbar"
SOP_HEADER_DEFAULTS: dict[str, str] = {
    "sop_number": "",
    "sop_created": "",
    "sop_revised": "",
    "sop_ratified": "",
    "sop_ratified_by": "Kepala Dinas Perhubungan",
}

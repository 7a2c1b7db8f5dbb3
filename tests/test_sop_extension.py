"""The SOP is data: a copy of the agency's procedure with one more step (a legal review between the final approval
and the scheduling) is followed by the permissions, the workflow (on a real SQLite store), the Settings keys and
the compliance report, while the agency's procedure and every module table derived from it stay as they were."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields, replace
from pathlib import Path

import pandas as pd
import pytest

from sopkit import compliance, i18n, permissions, sop, workflow
from sopkit.compliance import compute
from sopkit.permissions import acting_role, can, roles_for
from sopkit.schema import REGISTER_COLUMNS, Item, User
from sopkit.settings import Settings, from_rows
from sopkit.sop import Procedure, Step, Transition
from sopkit.store.sqlite import SQLiteStore
from sopkit.workflow import Desk, MakerChecker, WrongState

#: Held by nobody in particular (no Register column): whoever has the role decides, and the Log names them.
LEGAL = Step("legal_review", "manager", None, "legal_review", 120, "working")


def with_legal_review(base: Procedure = sop.AGENCY) -> Procedure:
    """``base`` with the legal review inserted after the approval: the approval now leads to it, and it approves
    on to the scheduling or sends the content back to the design."""
    at = next(i for i, s in enumerate(base.steps) if s.name == "approval") + 1
    steps = (*base.steps[:at], LEGAL, *base.steps[at:])
    rows: list[Transition] = []
    for tr in base.transitions:
        rows.append(replace(tr, to="legal_review") if (tr.action, tr.at) == ("approve", "approval") else tr)
        if (tr.action, tr.at) == ("reject", "approval"):
            rows += [Transition("approve", "legal_review", frozenset({"manager"}), to="scheduling"),
                     Transition("reject", "legal_review", frozenset({"manager"}), to="design", counts_rejection=True)]
    return Procedure(steps, tuple(rows))


LEGAL_SOP = with_legal_review()
LAWYER = User("hukum@x.go.id", "Bagian Hukum", ("manager",))
#: Verified at step 3 and may also review for the law: maker-checker must refuse them at the legal review.
VERIFIER_LAWYER = User("pengawas-hukum@x.go.id", "Pengawas Hukum", ("supervisor", "manager"))


#: What the new step needs in every language module (``sopkit/i18n/<lang>.py``): its title and its status word.
LEGAL_TEXT = {"step.legal_review": "Telaah hukum", "status.legal_review": "menunggu telaah hukum"}


def test_the_catalogue_says_what_the_new_step_lacks() -> None:
    assert i18n.missing_titles(sop.AGENCY, sop.ROLES) == []
    assert i18n.missing_titles(LEGAL_SOP) == sorted(f"{lang}: {k}" for k in LEGAL_TEXT for lang in i18n.LANGS)


@pytest.fixture
def legal_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """The entries a real new step would add to each language module."""
    for lang in i18n.LANGS:
        monkeypatch.setattr(i18n, "TEXTS", {**i18n.TEXTS, lang: {**i18n.TEXTS[lang], **LEGAL_TEXT}})


@pytest.fixture
def legal_desk(tmp_path: Path, clock, users, legal_text) -> Desk:  # noqa: ANN001
    store = SQLiteStore(tmp_path / "legal.db", procedure=LEGAL_SOP)
    store.init()
    for u in (*users.values(), LAWYER, VERIFIER_LAWYER):
        store.save_user(u)
    return Desk(store, Settings.defaults(LEGAL_SOP), now=clock, procedure=LEGAL_SOP)


def test_the_copy_renumbers_and_the_agency_is_untouched() -> None:
    assert [(s.number, s.name) for s in LEGAL_SOP.steps] == [
        (1, "collection"), (2, "design"), (3, "verification"), (4, "approval"), (5, "legal_review"),
        (6, "scheduling"), (7, "publication")]
    assert LEGAL_SOP.gates == (3, 4, 5) and LEGAL_SOP.done == 8 and LEGAL_SOP.planned_step == 7
    assert LEGAL_SOP.reject_to == {3: 2, 4: 2, 5: 2}
    assert LEGAL_SOP.stage_columns[4] == "approved_at" and 5 not in LEGAL_SOP.stage_columns
    # The agency's procedure and the tables other modules derived from it at import time.
    assert (sop.AGENCY.last, sop.LAST_STEP, sop.number("publication")) == (6, 6, 6)
    assert permissions.ACTION_ROLES == sop.AGENCY.action_roles and ("approve", 5) not in permissions.ACTION_ROLES
    assert workflow.STAGE_COLUMN == {1: "collected_at", 2: "designed_at", 3: "verified_at", 4: "approved_at",
                                     5: "scheduled_at"}
    assert compliance.DONE == 7


def test_permissions_follow_the_copy(users) -> None:  # noqa: ANN001
    manager = users["manager"]
    assert can(manager, "approve", 5, LEGAL_SOP) and can(manager, "reject", 5, LEGAL_SOP)
    assert not can(manager, "approve", 5)  # step 5 of the agency is the scheduling
    assert roles_for("schedule", 6, LEGAL_SOP) == {"supervisor"} == roles_for("schedule", 7, LEGAL_SOP)
    assert roles_for("publish", 7, LEGAL_SOP) == {"publisher"} and roles_for("publish", 7) == frozenset()
    assert not can(manager, "take", 5, LEGAL_SOP)  # nobody holds the legal review: there is no take row
    assert acting_role(users["administrator"], "cancel", 5, LEGAL_SOP) == "administrator"
    both = User("x@x.go.id", roles=("supervisor", "manager"))
    assert acting_role(both, "approve", 5, LEGAL_SOP) == "manager"  # the step's own role first


def _to_approved(desk: Desk, clock, u: dict[str, User], verifier: User | None = None):  # noqa: ANN001, ANN202
    """A new item through the real actions up to the final approval (which now leads to the legal review)."""
    item = desk.start(u["officer"], title="Perubahan tarif angkutan",
                       summary="Tarif angkutan antarkota berubah mulai Desember.", channels=["site"])
    clock.advance(minutes=30)
    item = desk.submit(u["officer"], item)
    item = desk.take(u["creator"], item)
    item = desk.edit(u["creator"], item, body="Isi artikel", captions={"site": "Keterangan"})
    clock.advance(minutes=60)
    item = desk.submit(u["creator"], item)
    clock.advance(minutes=20)
    item = desk.approve(verifier or u["supervisor"], item)
    clock.advance(minutes=20)
    return desk.approve(u["administrator"], item)


def test_the_workflow_walks_through_the_extra_step(legal_desk: Desk, clock, users) -> None:  # noqa: ANN001
    item = _to_approved(legal_desk, clock, users)
    assert (item.step, item.status, item.approved_at) == (5, "legal_review", clock.t)
    with pytest.raises(WrongState):  # the scheduling is one step further now
        legal_desk.schedule(users["supervisor"], item, clock.t + dt.timedelta(hours=2))
    clock.advance(minutes=90)
    item = legal_desk.approve(LAWYER, item, note="Sesuai Perda")
    assert (item.step, item.status, item.step_entered_at) == (6, "scheduling", clock.t)
    item = legal_desk.take(users["supervisor"], item)
    item = legal_desk.schedule(users["supervisor"], item, clock.t + dt.timedelta(hours=1))
    assert (item.step, item.status, item.scheduled_at, item.scheduler) == (7, "scheduled", clock.t,
                                                                           users["supervisor"].email)
    clock.advance(hours=1, minutes=5)
    item = legal_desk.record_channel(users["publisher"], item, "site", {"status": "published", "url": "http://s/1"})
    assert item.status == sop.PUBLISHED
    steps = [(r["step"], r["action"], r["role"]) for r in legal_desk.store.read_log(item.id)]
    assert steps[-6:] == [("4", "approve", "administrator"), ("5", "approve", "manager"), ("6", "take", "supervisor"),
                          ("6", "schedule", "supervisor"), ("7", "channel", "publisher"), ("7", "publish", "publisher")]


def test_a_rejection_at_the_extra_step_returns_to_design(legal_desk: Desk, clock, users) -> None:  # noqa: ANN001
    item = _to_approved(legal_desk, clock, users)
    item = legal_desk.reject(LAWYER, item, "Dasar hukum tarif belum dicantumkan.")
    assert (item.step, item.status, item.last_note) == (2, "designing", "Dasar hukum tarif belum dicantumkan.")
    assert (item.rejections_step3, item.rejections_step4) == (0, 0)  # the new gate has no Register counter
    # The Settings' reject_to for the new gate is read and followed.
    settings, problems = from_rows({"reject_to_step5": "1", "limit_step7": "30"}, procedure=LEGAL_SOP)
    assert problems == [] and settings.reject_to[5] == 1 and settings.limits[7] == 30
    assert from_rows({"reject_to_step5": "1"})[1] == ["reject_to_step5: unknown setting (ignored)"]


def test_maker_checker_covers_the_extra_gate(legal_desk: Desk, clock, users) -> None:  # noqa: ANN001
    item = _to_approved(legal_desk, clock, users, VERIFIER_LAWYER)
    with pytest.raises(MakerChecker, match="memverifikasi konten"):
        legal_desk.approve(VERIFIER_LAWYER, item)
    assert legal_desk.approve(LAWYER, item).step == 6


def test_compliance_follows_the_copy(legal_desk: Desk, clock, users) -> None:  # noqa: ANN001
    rejected = _to_approved(legal_desk, clock, users)  # at the legal review from Monday 10:10
    clock.advance(minutes=200)  # 13:30: 140 working minutes (not the lunch hour), 20 past the review's 120
    legal_desk.reject(LAWYER, rejected, "Dasar hukum belum ada.")
    clock.t = clock.t.replace(hour=8, minute=0) + dt.timedelta(days=1)  # Tuesday 08:00
    item = _to_approved(legal_desk, clock, users)
    clock.advance(minutes=45)
    item = legal_desk.approve(LAWYER, item)
    item = legal_desk.schedule(users["supervisor"], item, clock.t + dt.timedelta(hours=1))
    clock.advance(hours=1, minutes=10)
    legal_desk.record_channel(users["publisher"], item, "site", {"status": "published", "url": "http://s/2"})
    log = pd.DataFrame(legal_desk.store.read_log())

    report = compute(log, Settings.defaults(LEGAL_SOP), as_of=clock.t, stored_order=True, procedure=LEGAL_SOP)
    assert report.problems.empty
    a = report.attempts
    legal = a[a["step"] == 5].sort_values("started_at")
    assert legal["outcome"].tolist() == ["reject", "approve"] and legal["limit_minutes"].tolist() == [120, 120]
    assert legal["on_time"].tolist() == [False, True] and legal["minutes"].tolist() == [140.0, 45.0]
    publication = a[a["step"] == 7].iloc[0]
    assert (publication["clock"], publication["outcome"], publication["minutes"]) == ("calendar", "publish", 10.0)
    assert list(report.per_step()["step"]) == [1, 2, 3, 4, 5, 6, 7]
    assert report.rework()["rejections_step5"].sum() == 1
    assert report.summary()["published"] == 1.0

    # Read by the agency's procedure the same Log does not fit: the manager's decision is at its scheduling step.
    agency = compute(log, as_of=clock.t, stored_order=True)
    assert agency.problems["reason"].str.contains("approve is not possible at step 5").any()


def test_every_column_a_step_names_is_a_register_column() -> None:
    """The sheet's hand-edited schema keeps its names (``rejections_step3`` …); the steps name them, so a step
    added for real adds its columns to ``schema.REGISTER_COLUMNS`` and ``Item``."""
    named = [c for s in sop.AGENCY.steps for c in (s.holder_column, s.stage_column, s.rejection_column) if c]
    assert set(named) <= set(REGISTER_COLUMNS) and set(named) <= {f.name for f in fields(Item)}
    assert sop.AGENCY.rejection_columns == {3: "rejections_step3", 4: "rejections_step4"}
    assert Item(id="X", rejections_step3=2, rejections_step4=1).rejections == 3
    with pytest.raises(ValueError, match="unknown step"):
        Procedure(sop.AGENCY.steps, (*sop.AGENCY.transitions, Transition("approve", "legal", frozenset({"manager"}),
                                                                          to="scheduling")))


def test_notifications_follow_the_copy(legal_desk: Desk, clock, users) -> None:  # noqa: ANN001
    """The notification engine reads the steps, gates, holders and rejection targets of the procedure it is given
    (the job: its store's): the legal review's queue, its maker-checker, its limit, and a rejection from it."""
    from sopkit.clock import WorkCalendar
    from sopkit.notify.due import due_notices, expand
    from sopkit.notify.job import NotifyJob
    from sopkit.notify.messages import Context, render
    from sopkit.notify.prefs import Preference

    item = _to_approved(legal_desk, clock, users, VERIFIER_LAWYER)  # at the legal review from Monday 10:10
    entered = clock.t
    store = legal_desk.store
    people, _ = store.read_users()
    settings = Settings.defaults(LEGAL_SOP)

    def due(now: dt.datetime, procedure: Procedure = LEGAL_SOP):  # noqa: ANN202
        return due_notices(store.read_register().items, store.read_log(), people, settings, now,
                           procedure=procedure)

    def told(found, kind: str) -> set[str]:  # noqa: ANN001
        return {n.recipient for n in found.notices if n.kind == kind and n.item_id == item.id}

    # Nobody holds it: every manager who may decide is told, not the one who verified it (maker-checker).
    found = due(entered)
    assert told(found, "arrived") == {LAWYER.email, users["manager"].email}
    assert all(n.queue and n.step == 5 for n in found.notices if n.kind == "arrived")
    clock_ = found.clocks[item.id]
    assert (clock_.limit, clock_.remind_at) == (120, entered + dt.timedelta(minutes=90))  # the new step's own
    assert told(due(entered + dt.timedelta(minutes=90)), "reminder") == {LAWYER.email, users["manager"].email}
    # Read by the agency's procedure the same item is at the scheduling: the supervisors' queue.
    assert told(due(entered, sop.AGENCY), "arrived") == {users["supervisor"].email, users["supervisor2"].email,
                                                         VERIFIER_LAWYER.email}

    clock.advance(minutes=30)
    item = legal_desk.reject(LAWYER, item, "Dasar hukum tarif belum dicantumkan.")
    found = due(clock.t)
    returned = [n for n in found.notices if n.kind == "returned"]
    assert [(n.recipient, n.step, n.from_step, n.reviewer) for n in returned] == [
        (users["creator"].email, 2, 5, LAWYER.email)]
    assert found.clocks[item.id].attempt == 2  # a rework is a new attempt at the design
    ctx = Context(store.read_register().by_id(), {u.email: u for u in people}, settings, "http://desk", 0.75,
                  found.clocks, procedure=LEGAL_SOP)
    out = expand(returned, people, {users["creator"].email: Preference(users["creator"].email, channels=("email",))},
                 WorkCalendar(settings), clock.t)
    assert "Telaah hukum" in render(out[0], ctx).text()

    # The job takes the procedure (and the Settings keys it names) from its store.
    lines = NotifyJob(store, None, {}, now=lambda: clock.t, say=lambda line: None).plan()
    assert any("returned to Konten" in line for line in lines), lines

"""The approver's view of an item (issue 13, items 6 and 7): the maker-checker reason said before the click, the
versions kept at each content submit, the item's history from the Log and the text diff between versions."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_workflow import to_step

from sopkit import history, sop
from sopkit.i18n import LANGS, has, t
from sopkit.schema import User
from sopkit.store.base import Change
from sopkit.workflow import Desk, MakerChecker, maker_checker_reason


def test_the_reason_names_what_the_user_did(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = to_step(desk, users, clock, 3)
    log = desk.store.read_log(item.id)
    creator = maker_checker_reason(users["creator"].email, item, 3, log)
    assert creator is not None and creator.key == "mc.design" and creator.step == 2
    officer = maker_checker_reason(users["officer"].email, item, 3, log)
    assert officer is not None and officer.key == "mc.collection"
    assert maker_checker_reason(users["supervisor"].email, item, 3, log) is None
    both = User("ganda@x.go.id", "Ganda", ("supervisor", "administrator"))
    desk.store.save_user(both)
    item = desk.approve(both, desk.take(both, desk.store.commit(Change(item.id, item.rev, {"verifier": ""}))))
    log = desk.store.read_log(item.id)
    assert maker_checker_reason(users["supervisor"].email, item, 4, log) is None
    verifier = maker_checker_reason(both.email, item, 4, log)
    assert verifier is not None and verifier.key == "mc.verification"
    assert t(verifier.key).startswith("Anda memverifikasi konten ini")
    assert maker_checker_reason(users["administrator"].email, item, 4, log) is None
    # the Desk refuses exactly who the page warns about
    with pytest.raises(MakerChecker, match="memverifikasi konten"):
        desk.take(both, item, log=log)


def test_the_reason_comes_from_the_log_not_only_the_holder_columns(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = to_step(desk, users, clock, 3)
    log = [dict(r) for r in desk.store.read_log(item.id)]
    from dataclasses import replace
    stripped = replace(item, creator="", officer="")  # as if the holder columns were rewritten
    assert maker_checker_reason(users["creator"].email, stripped, 3, log).key == "mc.design"
    assert maker_checker_reason(users["creator"].email, stripped, 3, []) is None
    assert maker_checker_reason(users["creator"].email, item, 2, log) is None  # not a gate: no rule
    bad = [{**r, "step": "tiga"} for r in log]  # hand-edited step cells are skipped, not a crash
    assert maker_checker_reason(users["creator"].email, stripped, 3, bad) is None


def test_every_step_reason_has_both_languages() -> None:
    for step in (*sop.AGENCY.maker_steps, *sop.AGENCY.gates):
        key = f"mc.{sop.AGENCY.by_number[step].name}"
        assert has(key) and all(t(key, lang).strip() for lang in LANGS)


def test_versions_are_kept_at_each_content_submit_and_diffed(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = to_step(desk, users, clock, 3, channels=("site", "instagram"))
    assert [v["n"] for v in item.versions] == [1]
    assert item.versions[0]["body"] == "Isi artikel" and item.versions[0]["by"] == users["creator"].email
    assert history.last_change(item) is None
    item = desk.approve(users["supervisor"], item)
    item = desk.reject(users["administrator"], item, "Tambahkan jam layanan.")
    item = desk.take(users["creator"], item) if item.creator != users["creator"].email else item
    clock.advance(minutes=10)
    item = desk.edit(users["creator"], item, body="Isi artikel\nJam layanan 08.00-14.00",
                     captions={"site": "Caption", "instagram": "Caption #kir"})
    item = desk.submit(users["creator"], item)
    stored = desk.store.read_register().by_id()[item.id]
    assert [v["n"] for v in stored.versions] == [1, 2]
    old, new, changes = history.last_change(stored)
    assert (old["n"], new["n"]) == (1, 2)
    by_field = {(d.field, d.channel): d.lines for d in changes}
    assert set(by_field) == {("body", ""), ("caption", "instagram")}
    assert "+Jam layanan 08.00-14.00" in by_field[("body", "")]
    assert "-Caption" in by_field[("caption", "instagram")] and "+Caption #kir" in by_field[("caption", "instagram")]
    # the history: names are the page's job, the events carry the e-mail, the note and the order
    events = history.events(desk.store.read_log(item.id), item.id)
    rejects = [e for e in events if e.sent_back]
    assert [(e.actor, e.note, e.step) for e in rejects] == [(users["administrator"].email, "Tambahkan jam layanan.", 4)]
    assert [e.at for e in events] == sorted(e.at for e in events)


def test_versions_stay_within_a_sheets_cell() -> None:
    big = {"n": 1, "at": "", "by": "a", "title": "t", "body": "x" * 30_000, "captions": {}}
    versions: list = []
    for n in range(1, 8):
        versions = history.add_version(versions, {**big, "n": n})
        assert len(json.dumps(versions)) <= history.MAX_CHARS
    assert versions[-1]["n"] == 7 and len(versions) == 1
    huge = history.add_version([], {**big, "body": "y" * 60_000})
    assert huge[0]["too_long"] and "body" not in huge[0]
    small = {"n": 0, "at": "", "by": "a", "title": "t", "body": "b", "captions": {}}
    for n in range(1, 9):
        versions = history.add_version(versions if n > 1 else [], {**small, "n": n})
    assert [v["n"] for v in versions] == [4, 5, 6, 7, 8]


def test_a_hand_edited_log_gives_events_without_crashing() -> None:
    rows = [{"item_id": "A", "at": "kemarin", "step": "x", "action": "Reject", "actor": " B@X.ID ", "note": "n"},
            {"item_id": "B", "at": "2026-12-01T10:00:00+07:00", "step": "3", "action": "approve", "actor": "c"}]
    (e,) = history.events(rows, "A")
    assert (e.at, e.step, e.action, e.actor, e.sent_back) == (None, None, "reject", "b@x.id", True)


def test_a_gate_added_to_the_sop_gets_a_reason_in_both_languages() -> None:
    from sopkit.workflow import _reason

    class Named:  # a step of a copy of the SOP whose name has no catalogue entry
        name = "legal"

    class Proc:
        by_number = {7: Named()}

    reason = _reason(Proc(), 7)  # type: ignore[arg-type]
    assert (reason.key, reason.values) == ("mc.other", {"step": "7"})
    assert "langkah 7" in t(reason.key, **reason.values) and "step 7" in t(reason.key, "en", **reason.values)



MARKED = [  # (old, new, the pieces a reader sees), worked out by hand
    ("Caption", "Caption #kir", (("same", "Caption"), ("ins", " #kir"))),
    ("Jam buka 08.00", "Jam layanan 08.00",
     (("same", "Jam "), ("del", "buka"), ("ins", "layanan"), ("same", " 08.00"))),
    ("", "baru", (("ins", "baru"),)),
    ("lama", "", (("del", "lama"),)),
    ("sama", "sama", (("same", "sama"),)),
    # unchanged lines far from the change are one gap; one line of context is kept beside it
    ("a\nb\nc\nd\ne\nf\n", "a\nb\nc\nd\ne\nF\n",
     (("gap", "a\nb\nc\nd\n"), ("same", "e\n"), ("del", "f"), ("ins", "F"), ("same", "\n"))),
    # a new paragraph in the middle: whole lines added, the neighbours kept as context
    ("satu\ndua\n", "satu\nsisip\ndua\n", (("same", "satu\n"), ("ins", "sisip\n"), ("same", "dua\n"))),
]


@pytest.mark.parametrize(("old", "new", "pieces"), MARKED)
def test_marked_shows_the_change_word_by_word(old: str, new: str, pieces: tuple) -> None:
    assert history.marked(old, new) == pieces


@given(st.text(alphabet="ab \n", max_size=40), st.text(alphabet="ab \n", max_size=40))
def test_marked_pieces_give_back_both_versions(old: str, new: str) -> None:
    pieces = history.marked(old, new)
    assert "".join(text for kind, text in pieces if kind != "del") == new
    assert "".join(text for kind, text in pieces if kind != "ins") == old


def test_marked_html_escapes_what_staff_typed() -> None:
    out = history.marked_html(history.marked("<b>lama</b>", "<script>alert(1)</script>"), "… {n} baris …")
    assert "<script>" not in out and "&lt;script&gt;" in out and "<del " in out and "<ins " in out
    gap = history.marked_html((("gap", "a\nb\nc\n"),), "… {n} baris tidak berubah …")
    assert "… 3 baris tidak berubah …" in gap and "a\nb" not in gap

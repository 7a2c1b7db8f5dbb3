"""The Log as a ledger (sopkit.store.ledger): who wins, which rows count, what a Register row should hold.

Pure functions of the Log's rows: these tests build Logs row by row, as concurrent hosts would leave them.
"""

from __future__ import annotations

import pytest

from sopkit.store.ledger import CHUNK, PAYLOAD_ACTION, REPAIR_ACTION, Ledger, MissingPayload, encode_payload


def commit(change_id: str, parent: str, written: dict[str, str], before: dict[str, str] | None = None,
           item: str = "A", action: str = "edit", base_rev: str = "1") -> list[tuple[dict[str, str], str]]:
    chunks = encode_payload(written, before if before is not None else {k: "" for k in written})
    rows = [({"at": "2026-11-26T10:00:00.000+07:00", "item_id": item, "action": action, "actor": change_id,
              "change_id": change_id, "base_rev": base_rev, "parent": parent}, chunks[0])]
    rows += [({"item_id": item, "action": PAYLOAD_ACTION, "change_id": change_id}, c) for c in chunks[1:]]
    return rows


def repair(loser: str, head: str, written: dict[str, str], item: str = "A") -> list[tuple[dict[str, str], str]]:
    return [({"at": "x", "item_id": item, "action": REPAIR_ACTION, "change_id": loser, "parent": head},
             encode_payload(written)[0])]


def ledger(*batches: list[tuple[dict[str, str], str]]) -> Ledger:
    out = Ledger()
    for batch in batches:
        out.extend([r for r, _ in batch], [p for _, p in batch])
    return out


def test_of_two_changes_made_from_one_read_the_first_appended_wins() -> None:
    log = ledger(commit("c1", "", {"title": "T", "change_id": "c1"}, action="start", base_rev="0"),
                 commit("a", "c1", {"step": "4", "change_id": "a"}, action="approve"),
                 commit("b", "c1", {"step": "2", "change_id": "b"}, action="reject"),
                 commit("c", "a", {"step": "5", "change_id": "c"}, action="approve"))
    assert (log.outcome("a"), log.outcome("b"), log.outcome("c"), log.outcome("zz")) == (True, False, True, None)
    assert [r["action"] for r in log.visible("A")] == ["start", "approve", "approve"]
    assert log.head("A") == "c" and log.winner_after("b").change_id == "a"  # type: ignore[union-attr]


def test_rows_without_change_ids_count_as_they_are_and_machine_rows_never_show() -> None:
    log = ledger([({"at": "t", "item_id": "A", "action": "start"}, "")],
                 [({}, "")],  # a blank row
                 commit("c1", "", {"title": "x"}, action="sopkit:change"),
                 repair("zz", "c1", {"title": "x"}))
    assert [r["action"] for r in log.visible()] == ["start"]


def test_a_batch_applied_twice_counts_once() -> None:
    batch = commit("c1", "", {"title": "x"}, action="start", base_rev="0")
    log = ledger(batch, batch, commit("c2", "c1", {"title": "y"}), batch)
    assert [r["change_id"] for r in log.visible()] == ["c1", "c2"]
    assert log.head("A") == "c2"


def test_a_long_payload_spans_continuation_rows() -> None:
    body = "kata " * (CHUNK // 2)  # about 2.5 chunks with its "before"
    log = ledger(commit("c1", "", {"body": body, "change_id": "c1"}, {"body": "lama", "change_id": ""}))
    entry = log.entries["c1"]
    assert len(entry.chunks) >= 3 and entry.payload()["set"]["body"] == body
    assert log.visible() and all(r["action"] == "edit" for r in log.visible())


PRE = {"id": "A", "title": "T0", "summary": "S0", "note": "N0", "rev": "1", "change_id": "c1"}
START = commit("c1", "", {"title": "T0", "summary": "S0", "rev": "1", "change_id": "c1"}, action="start",
               base_rev="0")
WIN = commit("a", "c1", {"title": "TA", "summary": "SA", "rev": "2", "change_id": "a"},
             {"title": "T0", "summary": "S0", "rev": "1", "change_id": "c1"})
LOSE = commit("b", "c1", {"title": "TB", "note": "NB", "rev": "2", "change_id": "b"},
              {"title": "T0", "note": "N0", "rev": "1", "change_id": "c1"})


def test_a_losers_leftovers_are_undone_from_the_payloads() -> None:
    raw = {**PRE, "title": "TB", "summary": "SA", "note": "NB", "rev": "2", "change_id": "b"}
    explained = ledger(START, WIN, LOSE).explain("A", raw)
    assert explained == {**PRE, "title": "TA", "summary": "SA", "note": "N0", "rev": "2", "change_id": "a"}


def test_a_hand_edit_made_after_the_losers_write_stays() -> None:
    raw = {**PRE, "title": "TB", "summary": "SA", "note": "typed by hand", "rev": "2", "change_id": "b"}
    assert ledger(START, WIN, LOSE).explain("A", raw)["note"] == "typed by hand"


def test_a_clean_row_needs_no_payload() -> None:
    log = Ledger()
    for batch in (START, WIN):  # as a cold process reads them: without the payload column
        log.extend([r for r, _ in batch])
    raw = {**PRE, "title": "TA", "summary": "SA", "rev": "2", "change_id": "a"}
    assert log.explain("A", raw) == raw


def test_payloads_are_asked_for_when_needed() -> None:
    log = Ledger()
    for batch in (START, WIN, LOSE):
        log.extend([r for r, _ in batch])
    with pytest.raises(MissingPayload) as missing:
        log.explain("A", {**PRE, "change_id": "b"})
    assert missing.value.rows == [1, 2]
    for batch_row, (_, text) in zip((1, 2), (WIN[0], LOSE[0]), strict=True):
        log.set_payload(batch_row, text)
    assert log.explain("A", {**PRE, "title": "TB", "note": "NB", "change_id": "b"})["title"] == "TA"


def test_a_repair_computed_before_a_later_winner_is_corrected() -> None:
    later = commit("c", "a", {"title": "TC", "rev": "3", "change_id": "c"}, {"title": "TA", "rev": "2",
                                                                             "change_id": "a"})
    stale = repair("b", "a", {"title": "TA", "note": "N0", "rev": "2", "change_id": "a"})
    raw = {**PRE, "title": "TA", "summary": "SA", "note": "N0", "rev": "2", "change_id": "a"}
    explained = ledger(START, WIN, LOSE, later, stale).explain("A", raw)
    assert (explained["title"], explained["rev"], explained["change_id"]) == ("TC", "3", "c")


def test_a_winner_whose_write_missed_the_row_is_rolled_forward() -> None:
    raw = {**PRE}  # still the state after c1: the winner's cells went to another row
    explained = ledger(START, WIN).explain("A", raw)
    assert (explained["title"], explained["summary"], explained["change_id"]) == ("TA", "SA", "a")


def test_a_change_id_typed_by_hand_is_not_trusted_for_the_head() -> None:
    raw = {**PRE, "title": "TA", "summary": "SA", "rev": "2", "change_id": "ketik"}
    assert ledger(START, WIN).explain("A", raw) == {**raw, "change_id": "a"}

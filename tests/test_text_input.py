"""Control characters are refused at every input with a message naming the field and the character, and change
nothing; newline and tab pass only where a field is several lines; bidirectional controls leave titles and names
(issue 9, items 3 and 8)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_workflow import to_step

from sopkit import admin, text
from sopkit.i18n import t
from sopkit.schema import user_from_row
from sopkit.workflow import Desk, InvalidText

ROOT = Path(__file__).resolve().parents[1]
CONTROLS = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\r", "\ufffe"]


@pytest.mark.parametrize("char", CONTROLS)
@pytest.mark.parametrize("field", ["title", "summary", "category", "sources"])
def test_start_refuses_a_control_character_and_stores_nothing(desk: Desk, users, field: str, char: str) -> None:  # noqa: ANN001
    fields = {"title": "Uji KIR", "channels": ["site"], field: f"ab{char}cd"}
    with pytest.raises(InvalidText) as caught:
        desk.start(users["officer"], **fields)
    e = caught.value
    assert (e.field, e.code, e.position) == (field, f"U+{ord(char):04X}", 3)
    assert f"U+{ord(char):04X}" in str(e) and field in str(e)
    assert desk.store.read_register().items == ()
    assert desk.store.read_log() == []


def test_the_message_is_indonesian_on_the_desk(desk: Desk, users) -> None:  # noqa: ANN001
    with pytest.raises(InvalidText) as caught:
        desk.start(users["officer"], title="Uji\x00KIR", channels=["site"])
    assert caught.value.translated("id") == t("text.control_char", "id", field="Judul", code="U+0000", position=4)
    assert caught.value.translated("id").startswith("Judul berisi karakter kendali U+0000")
    assert caught.value.translated("en").startswith("Title contains the control character U+0000")


def test_newline_and_tab_only_where_a_field_has_lines(desk: Desk, users, clock) -> None:  # noqa: ANN001
    for bad in ("Uji\nKIR", "Uji\tKIR"):
        with pytest.raises(InvalidText):
            desk.start(users["officer"], title=bad, channels=["site"])
    item = desk.start(users["officer"], title="Uji KIR", summary="baris 1\r\nbaris 2\tkolom",
                      sources="a\nb", channels=["site"])
    assert item.summary == "baris 1\nbaris 2\tkolom"  # a Windows line end becomes a newline
    assert item.sources == "a\nb"


@pytest.mark.parametrize("bidi", ["\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200f", "\u061c"])
def test_bidirectional_controls_are_removed_from_titles(desk: Desk, users, clock, bidi: str) -> None:  # noqa: ANN001
    item = desk.start(users["officer"], title=f"Jadwal {bidi}fdp.exe{bidi} uji", channels=["site"])
    assert item.title == "Jadwal fdp.exe uji"
    clock.advance(minutes=5)
    item = desk.submit(users["officer"], item)
    item = desk.edit(users["creator"], item, title="\u202eJadwal baru")
    assert item.title == "Jadwal baru"


@pytest.mark.parametrize("call", [
    lambda d, u, i: d.edit(u["creator"], i, body="isi\x00"),
    lambda d, u, i: d.edit(u["creator"], i, captions={"site": "ok", "x": "\x1b[31m"}),
    lambda d, u, i: d.edit(u["creator"], i, media=[{"kind": "image", "name": "a.jpg", "alt": "foto\x00"}]),
], ids=["body", "caption", "alt"])
def test_edit_refuses_control_characters(desk: Desk, users, clock, call) -> None:  # noqa: ANN001
    item = to_step(desk, users, clock, 2)
    item = desk.take(users["creator"], item)
    with pytest.raises(InvalidText):
        call(desk, users, item)
    assert desk.store.get_item(item.id) == item


def test_notes_and_urls_refuse_control_characters(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = to_step(desk, users, clock, 3)
    with pytest.raises(InvalidText, match="note"):
        desk.reject(users["supervisor"], item, "perbaiki\x00 judul")
    assert desk.store.get_item(item.id) == item
    item = desk.reject(users["supervisor"], item, "perbaiki\njudul\tdan isi")  # several lines are fine
    assert item.last_note == "perbaiki\njudul\tdan isi"
    item = to_step(desk, users, clock, 6)
    with pytest.raises(InvalidText, match="url"):
        desk.record_channel(users["publisher"], item, "site", {"status": "published", "url": "https://x.go.id/\x00"})
    assert desk.store.get_item(item.id) == item


def test_admin_users_settings_and_register_edits_refuse_control_characters(desk: Desk, users, clock) -> None:  # noqa: ANN001
    store = desk.store
    with pytest.raises(text.BadText, match="name"):
        admin.save_users(store, users["admin"], [{"email": "baru@x.go.id", "name": "Baru\x00", "roles": "officer",
                                                  "active": "TRUE"}])
    assert "baru@x.go.id" not in {u.email for u in store.read_users()[0]}
    before = store.read_settings()
    with pytest.raises(text.BadText) as caught:
        admin.save_settings(store, {"sop_number": "800/\x07/2026"}, "Asia/Pontianak")
    assert caught.value.translated("id").startswith(t("about.sop_number"))
    assert store.read_settings() == before
    item = to_step(desk, users, clock, 2)
    with pytest.raises(text.BadText):
        admin.edit_register_row(store, users["admin"], item.id, item.rev, {"title": "x\x00"})
    assert store.get_item(item.id) == item
    admin.edit_register_row(store, users["admin"], item.id, item.rev, {"title": "Judul \u202ebaru"})
    assert store.get_item(item.id).title == "Judul baru"


def test_a_stored_user_row_with_control_characters_is_a_problem_not_a_crash() -> None:
    user, problems = user_from_row({"email": "a@x.go.id", "name": "A\x00 \u202eB", "roles": "officer"}, 3)
    assert user is not None and user.name == "A B"
    assert [(p.row, p.column) for p in problems] == [(3, "name")]
    none, problems = user_from_row({"email": "a\x00@x.go.id", "roles": "officer"}, 4)
    assert none is None and problems[0].column == "email"


def cli(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOPKIT_STORE": f"sqlite:///{tmp / 'cli.db'}", "SOPKIT_SECRETS": str(tmp / "none.toml")}
    return subprocess.run([sys.executable, "-m", "sopkit", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_cli_users_add_refuses_control_characters(tmp_path: Path) -> None:
    assert cli(tmp_path, "init").returncode == 0
    p = cli(tmp_path, "users", "add", "baru@x.go.id", "--name", "Baru\x01", "--roles", "officer")
    assert p.returncode == 2 and "U+0001" in p.stderr
    assert "baru@x.go.id" not in cli(tmp_path, "users", "list").stdout


def test_cli_import_refuses_a_row_with_control_characters_and_imports_nothing(tmp_path: Path) -> None:
    reg = tmp_path / "R.csv"
    reg.write_text("id,title,status,step,rev\n"
                   "a,Baik,collecting,1,1\n"
                   "b,\"Bu\x07ruk\",collecting,1,1\n", encoding="utf-8")
    p = cli(tmp_path, "import", "--register", str(reg))
    assert p.returncode == 1
    assert "Register row 3, column title" in p.stderr and "U+0007" in p.stderr
    assert "nothing was imported" in p.stderr
    assert cli(tmp_path, "export", "--out", str(tmp_path / "out")).returncode == 0
    assert (tmp_path / "out" / "Register.csv").read_text().splitlines()[1:] == []


def test_cli_import_removes_bidi_controls_from_titles(tmp_path: Path) -> None:
    reg = tmp_path / "R.csv"
    reg.write_text("id,title,status,step,rev,created_at\n"
                   "a,\"Jadwal \u202efdp.exe\",collecting,1,1,2026-11-23T08:00:00+07:00\n", encoding="utf-8")
    assert cli(tmp_path, "import", "--register", str(reg)).returncode == 0
    from sopkit.store.sqlite import SQLiteStore

    [item] = SQLiteStore(tmp_path / "cli.db").read_register().items
    assert item.title == "Jadwal fdp.exe" and item.created_at == dt.datetime.fromisoformat("2026-11-23T08:00+07:00")


def test_a_hand_back_note_refuses_control_characters(desk: Desk, users, clock) -> None:  # noqa: ANN001
    from sopkit.publishing import requeue_channel

    item = to_step(desk, users, clock, 6)
    item = desk.record_channel(users["publisher"], item, "site", {"status": "unknown", "error": "timeout"})
    with pytest.raises(InvalidText, match="note"):
        requeue_channel(desk, users["publisher"], item, "site", "sudah dicek\x1b[2J")
    assert desk.store.get_item(item.id) == item

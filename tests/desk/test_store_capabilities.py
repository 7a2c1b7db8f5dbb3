"""Pages ask the store's capabilities, not its name (``Store.capabilities``): the admin page offers its own
Register editor on a store nobody edits by hand and links to the Google Sheet on one admins edit there; and it says
when the configuration still uses the deprecated ``backend/path/sheet`` settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from desk_helpers import email_for, open_page
from streamlit.testing.v1 import AppTest

from fakes.desk_on_sheets import SheetEnv, sheet_desk
from sopkit.i18n import t
from sopkit.schema import User

ROOT = Path(__file__).resolve().parents[2]


def link_buttons(at: AppTest) -> list[tuple[str, str]]:
    return [(b.proto.label, b.proto.url) for b in at.get("link_button")]


def infos(at: AppTest) -> list[str]:
    return [i.value for i in at.info]


def test_on_sqlite_the_admin_page_edits_the_register_itself(app, env) -> None:  # noqa: ANN001
    env.advance(1)
    at = open_page(app(email_for("admin")), "admin")
    assert not at.exception
    assert "w_save_register" in [b.key for b in at.button] and link_buttons(at) == []
    # nothing deprecated in use (the outbox tab's note that no SMTP is configured is the only one)
    assert infos(at) == [t("admin.no_smtp")]


def test_with_the_deprecated_settings_the_admin_page_says_what_to_write(app, env, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv("SOPKIT_STORE")
    monkeypatch.setenv("SOPKIT_DB", str(env.path))  # how earlier versions were configured: still works
    at = open_page(app(email_for("admin")), "admin")
    assert not at.exception
    assert t("admin.deprecated", keys="SOPKIT_DB", url=f"sqlite:///{env.path}") in infos(at)


@pytest.fixture
def sheet(tmp_path: Path) -> Iterator[SheetEnv]:
    with sheet_desk(tmp_path) as env:
        env.store.save_user(User(email_for("admin"), "Admin", ("admin",)))
        yield env


def test_on_google_sheets_the_admin_page_links_to_the_sheet(sheet: SheetEnv) -> None:
    from pages._ui import session
    from sopkit import sessions

    user = next(u for u in sheet.store.read_users()[0] if u.email == email_for("admin"))
    _, record = sessions.issue(sheet.store, user, sessions.SessionConfig(secret="test-secret"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state[session.AUTH_KEY] = record.id
    open_page(at, "admin")
    assert not at.exception
    assert link_buttons(at) == [(t("admin.open_store", name="Google Sheet"),
                                 f"https://docs.google.com/spreadsheets/d/{sheet.key}/edit")]
    assert "w_save_register" not in [b.key for b in at.button]

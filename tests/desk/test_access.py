"""Role × page: the menu, the guard and the cold deep link all follow ``permissions.PAGE_ROLES``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from desk_helpers import ROOT, email_for

from pages._ui.nav import HIDDEN, PAGE_FILES
from sopkit import sop
from sopkit.i18n import t
from sopkit.permissions import PAGE_ROLES, can_see
from sopkit.schema import User

CASES = [(role, page) for role in sop.ROLES for page in PAGE_ROLES]


def allowed(role: str, page: str) -> bool:
    return can_see(User(email="x@y.z", roles=(role,)), page)


def streamlit_auto_pages(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The scripts the installed Streamlit registers from ``pages/`` on a fresh server (before any st.navigation):
    its own ``_mpa_v1`` is run with page creation and navigation recorded instead of done."""
    import importlib

    from streamlit.runtime.scriptrunner import script_runner

    # (``streamlit.navigation`` is also the name of the st.navigation command, so import the modules by name)
    navigation = importlib.import_module("streamlit.commands.navigation")
    page_module = importlib.import_module("streamlit.navigation.page")

    created: list[Path] = []

    class _Page:
        def run(self) -> None:
            pass

    monkeypatch.setattr(page_module, "_create_page", lambda path, **_: created.append(Path(path)) or path)
    monkeypatch.setattr(navigation, "_navigation", lambda pages, **_: _Page())
    script_runner._mpa_v1(str(ROOT / "app.py"))
    return {p.resolve().relative_to(ROOT).as_posix() for p in created}


def test_every_page_key_has_a_guarded_script(monkeypatch) -> None:
    registered = streamlit_auto_pages(monkeypatch)
    assert registered == {"app.py", *PAGE_FILES.values()}, (
        "what Streamlit registers from pages/ is exactly the permission-table pages: no helper module "
        "(pages/_ui/*, pages/__init__.py) is a page")
    assert (ROOT / "pages" / "_ui" / "guard.py").is_file() and (ROOT / "pages" / "__init__.py").is_file()
    assert not (ROOT / "ui").exists(), "the helpers live in pages/_ui/, not in a top-level package"
    for key, path in PAGE_FILES.items():
        text = (ROOT / path).read_text(encoding="utf-8")
        assert f'ctx = guard("{key}")' in text, f"{path} must call guard({key!r}) before anything else"


@pytest.mark.parametrize("role", sop.ROLES)
def test_menu_lists_exactly_the_pages_of_the_role(app, role) -> None:
    at = app(email_for(role))
    at.run()
    assert not at.exception
    assert [x.value for x in at.title] == [t("page.home")]  # everyone signed in lands on Beranda
    # every page is registered for everyone (so every URL reaches its guard instead of Streamlit's English
    # "Page not found"); the menu links exactly the role's pages
    registered = {Path(p["script_path"]).relative_to(ROOT).as_posix() for p in at._registered_pages.values()}
    assert registered == set(PAGE_FILES.values())
    links = {link.proto.page or "home" for link in at.sidebar.get("page_link")}
    assert links == {p for p in PAGE_ROLES if allowed(role, p) and p not in HIDDEN}


@pytest.mark.parametrize("role,page", CASES)
def test_warm_link_to_a_page_of_another_role_is_refused_in_indonesian(app, role, page) -> None:
    """A signed-in user follows a URL (a shared link, an old bookmark) to a page: it opens when their roles allow
    it; otherwise the page says so in Indonesian, names the roles it is for and offers the home page."""
    at = app(email_for(role))
    at.run()
    at.switch_page(PAGE_FILES[page]).run()
    assert not at.exception
    titles = [x.value for x in at.title]
    if allowed(role, page):
        assert titles[:1] == [t(f"page.{page}")]
        return
    assert titles == [] and [e.value for e in at.error] == [t("guard.refused")]
    assert "Page not found" not in repr(at._tree)
    main_links = [link for link in at.main.get("page_link")]
    assert [(link.proto.label, link.proto.page or "home") for link in main_links] == [(t("guard.home"), "home")]
    assert t("page." + page) in at.caption[0].value and len(at.dataframe) == 0


@pytest.mark.parametrize("role,page", CASES)
def test_cold_deep_link_runs_the_guard(app, role, page) -> None:
    """A page opened before any st.navigation call (freshly started server): the page script runs directly, so
    only its own guard stands between the visitor and the content. (AppTest resets Streamlit's process-wide
    ``pages/`` flag before every run, so every ``switch_page`` run here is such a cold run.)"""
    at = app(email_for(role), page=PAGE_FILES[page])
    at.run()
    assert not at.exception
    titles = [x.value for x in at.title]
    if allowed(role, page):
        assert titles[:1] == [t(f"page.{page}")]
    else:
        assert titles == []
        assert [e.value for e in at.error] == [t("guard.refused")]


@pytest.mark.parametrize("page", list(PAGE_ROLES))
def test_cold_deep_link_without_sign_in_shows_only_the_sign_in_form(app, page) -> None:
    at = app(page=PAGE_FILES[page])
    at.run()
    assert not at.exception
    assert [x.value for x in at.title] == [t("signin.title")]
    assert at.text_input(key="w_login_email") is not None
    assert len(at.dataframe) == 0 and len(at.button) == 1  # the sign-out button is absent; only the form submit


def test_identity_is_not_taken_from_the_url(app) -> None:
    at = app(page=PAGE_FILES["admin"])
    at.query_params["user"] = email_for("admin")
    at.query_params["email"] = email_for("admin")
    at.run()
    assert [x.value for x in at.title] == [t("signin.title")]


@pytest.mark.parametrize("change", ["roles", "deactivate", "delete"])
def test_stale_session_loses_access_when_the_store_changes(app, env, change) -> None:
    at = app(email_for("supervisor"))
    at.run()
    at.switch_page(PAGE_FILES["supervisor"]).run()
    assert [x.value for x in at.title][:1] == [t("page.supervisor")]
    user = env.user(email_for("supervisor"))
    if change == "roles":
        env.store.save_user(replace(user, roles=("officer",)))
    elif change == "deactivate":
        env.store.save_user(replace(user, active=False))
    else:
        env.store._conn().execute('DELETE FROM "Users" WHERE email = ?', (user.email,))
    from pages._ui import session

    session.after_write()  # the TTL would expire; an admin's write through the app clears it at once
    at.run()
    assert not at.exception
    assert t("page.supervisor") not in [x.value for x in at.title]


def test_sign_in_form_signs_in_and_wrong_password_is_refused(app) -> None:
    at = app()
    at.run()
    at.text_input(key="w_login_email").input(email_for("creator"))
    at.text_input(key="w_login_password").input("wrong password!")
    at.button[0].click().run()
    assert [e.value for e in at.error] == [t("auth.failed")]  # one message for every refusal
    at.text_input(key="w_login_email").input(email_for("creator"))
    at.text_input(key="w_login_password").input("demo-password-123")
    at.button[0].click().run()
    assert not at.exception
    assert [x.value for x in at.title] == [t("page.home")]


def test_no_secret_reaches_the_page(app, env) -> None:
    at = app(email_for("admin"))
    at.run()
    at.switch_page(PAGE_FILES["admin"]).run()
    assert not at.exception
    dumped = repr(at._tree)
    assert "scrypt$" not in dumped and "password_hash" not in dumped


OIDC_SECRETS = """
[auth]
redirect_uri = "http://127.0.0.1:8501/oauth2callback"
cookie_secret = "not-a-real-secret"
client_id = "desk-client"
client_secret = "not-a-real-secret"
server_metadata_url = "https://accounts.example.invalid/.well-known/openid-configuration"
"""


def oidc_claims(email: str, iat: float | None = None) -> dict[str, object]:
    """What ``st.user`` holds after a real provider's sign-in: the ID token's claims (``iss``, ``sub``, ``iat``,
    ``nonce`` are always there) plus Streamlit's ``is_logged_in``."""
    import time

    return {"is_logged_in": True, "email": email, "iss": "https://accounts.example.invalid", "sub": email.lower(),
            "iat": int(iat if iat is not None else time.time()), "nonce": "n-0S6_WzA2Mj", "aud": "desk-client"}


@pytest.mark.parametrize("email,title", [
    ("creator@demo.test", "page.creator"),  # mapped by e-mail to the Users table's roles
    ("CREATOR@demo.test", "page.creator"),
    ("stranger@demo.test", None),  # signed in with the provider, but not a desk user
])
def test_oidc_user_is_mapped_to_roles_by_email(app, env, tmp_path, monkeypatch, email, title) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(OIDC_SECRETS, encoding="utf-8")
    monkeypatch.setenv("SOPKIT_SECRETS", str(secrets))
    at = app(page=PAGE_FILES["creator"])
    at.user = oidc_claims(email)
    at.run()
    assert not at.exception
    shown = [x.value for x in at.title]
    if title:
        assert shown == [t(title)]
    else:
        assert shown == [t("signin.title")] and t("signin.no_account") in [e.value for e in at.error]
    assert "not-a-real-secret" not in repr(at._tree)


def test_no_widget_key_can_collide_with_identity_state() -> None:
    """Widgets write their value into session state under their key; only ``w_*`` keys are allowed, so no widget
    can overwrite the signed-in identity (``_sopkit_auth_session``) or the flash messages."""
    import re

    from pages._ui import session

    keys = []
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("pages/_ui/*.py")]:
        keys += re.findall(r"""\bkey\s*=\s*f?["']([^"']+)["']""", path.read_text(encoding="utf-8"))
    assert len(keys) > 20, "the scan found too few keys: the pattern is broken"
    assert [k for k in keys if not k.startswith("w_")] == []
    assert not session.AUTH_KEY.startswith("w_") and not session.FLASH_KEY.startswith("w_")

"""OIDC sign-in (``st.login``) end to end: Chromium, the desk, and a real OpenID Provider on 127.0.0.1 (panva's
oidc-provider, OpenID Certified, run by Debian's nodejs from ``tests/services/oidc``). The provider's e-mail is
mapped to a Users row; unknown and deactivated e-mails are refused; a link opened signed out comes back to its
item after the provider's round trip; signing out ends the provider session and the user's other tab.

Needs ``node`` and ``npm`` (``.ci/system-packages.sh``); the provider package is installed from the npm registry
with ``npm ci`` into ``tests/services/oidc/node_modules`` (git-ignored) on first use. Without node the tests skip
with that reason; under CI they fail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from services.unavailable import service_missing
from sopkit import auth
from sopkit.i18n import t
from sopkit.schema import Item, User
from sopkit.store.sqlite import SQLiteStore
from sopkit.timeutil import AGENCY_TZ
from sopkit.workflow import Desk

from .conftest import ARTIFACTS, _free_port, running
from .test_browser_flow import idle

OP_DIR = Path(__file__).resolve().parents[1] / "services" / "oidc"
CLIENT_ID, CLIENT_SECRET = "sopkit-desk", "oidc-client-secret-for-tests-only"


@pytest.fixture(scope="module")
def provider_installed() -> Path:
    if not shutil.which("node") or not shutil.which("npm"):
        service_missing("OIDC E2E NOT RUN: no node/npm. Install with: apt-get install -y nodejs npm")
    if not (OP_DIR / "node_modules" / "oidc-provider").is_dir():
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=OP_DIR, capture_output=True, text=True,
                              timeout=600)
        if done.returncode != 0:
            service_missing(f"OIDC E2E NOT RUN: npm ci failed: {done.stderr[-2000:]}")
    return OP_DIR


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> SQLiteStore:
    s = SQLiteStore(tmp_path_factory.mktemp("oidc-e2e") / "sopkit.db")
    s.init()
    hashed = auth.hash_password("not-used-with-oidc")
    s.save_user(User("officer@demo.test", "Demo Officer", ("officer",), password_hash=hashed))
    s.save_user(User("creator@demo.test", "Citra Kreator", ("creator",)))  # no password: OIDC only
    s.save_user(User("gone@demo.test", "Mantan Pegawai", ("creator",), active=False))
    return s


@pytest.fixture(scope="module")
def item(store: SQLiteStore) -> Item:
    officer = next(u for u in store.read_users()[0] if u.email == "officer@demo.test")
    desk = Desk(store, now=lambda: dt.datetime.now(AGENCY_TZ))
    started = desk.start(officer, title="Uji coba jalur sepeda Jalan Ahmad Yani", summary="Mulai Senin.",
                         category="Berita", channels=("site",), sources="https://dishub.kalbarprov.go.id")
    return desk.submit(officer, started)


@pytest.fixture(scope="module")
def desk_url(provider_installed: Path, store: SQLiteStore, browser_type_launch_args: dict  # type: ignore[type-arg]
             ) -> Iterator[str]:
    op_port, desk_port = _free_port(), _free_port()
    redirect = f"http://127.0.0.1:{desk_port}/oauth2callback"
    env = {**os.environ, "OP_PORT": str(op_port), "OP_CLIENT_ID": CLIENT_ID, "OP_CLIENT_SECRET": CLIENT_SECRET,
           "OP_REDIRECT_URI": redirect, "OP_NAMES": json.dumps({"creator@demo.test": "Citra Kreator"})}
    log = (store.path.parent / "oidc-provider.log").open("wb")
    op = subprocess.Popen(["node", "provider.mjs"], cwd=provider_installed, env=env, stdout=log,
                          stderr=subprocess.STDOUT)
    metadata = f"http://127.0.0.1:{op_port}/.well-known/openid-configuration"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(metadata, timeout=2) as r:
                    assert json.load(r)["issuer"] == f"http://127.0.0.1:{op_port}"
                    break
            except OSError:
                if op.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((store.path.parent / "oidc-provider.log").read_text()) from None
                time.sleep(0.3)
        secrets = store.path.parent / "secrets.toml"
        secrets.write_text(f'''[auth]
redirect_uri = "{redirect}"
cookie_secret = "{hashlib.sha256(b"e2e cookie secret").hexdigest()}"
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
server_metadata_url = "{metadata}"
client_kwargs = {{ prompt = "login" }}
''', encoding="utf-8")
        with running(store, secrets=secrets, port=desk_port) as url:
            yield url
    finally:
        op.terminate()
        op.wait(timeout=10)
        log.close()


def loopback_only(context: BrowserContext) -> BrowserContext:
    """The provider's pages @import a web font; with no network that request would hang the page's load event.
    Nothing here may leave 127.0.0.1, so every other request is refused at once."""
    context.route(re.compile(r"^(?!https?://127\.0\.0\.1[:/]).*"), lambda route: route.abort())
    return context


def shot(page: Page, name: str) -> None:
    out = ARTIFACTS / "e2e" / "oidc"
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)


def provider_login(page: Page, email: str, shot_name: str | None = None) -> None:
    """The desk's button, then the provider's own pages (login, then consent the first time), then back."""
    page.get_by_role("button", name=t("signin.oidc")).click()
    page.wait_for_selector('input[name="login"]', timeout=30_000)
    assert "/interaction/" in page.url and ":" + page.url.split(":")[2].split("/")[0]  # on the provider
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', "anything")
    if shot_name:
        shot(page, shot_name)
    page.click('button[type="submit"]')
    page.wait_for_load_state()
    if "/interaction/" in page.url and page.locator('button[type="submit"]').count():  # consent
        page.click('button[type="submit"]')
    page.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
    idle(page)


def test_oidc_sign_in_maps_the_email_returns_to_the_link_and_signs_out(browser: Browser, desk_url: str,
                                                                       store: SQLiteStore, item: Item) -> None:
    context = loopback_only(browser.new_context(viewport={"width": 1400, "height": 900}, locale="id-ID"))
    page = context.new_page()
    page.goto(f"{desk_url}/item?id={item.id}")
    idle(page)
    expect(page.get_by_role("button", name=t("signin.oidc"))).to_be_visible()
    expect(page.get_by_label(t("signin.password"))).to_have_count(0)  # no local passwords in OIDC mode
    shot(page, "01-desk-sign-in")
    provider_login(page, "creator@demo.test", "02-provider-login")
    # back from the provider (which always returns to /): the linked item, as the Users row's creator
    expect(page.get_by_role("heading", name=t("page.item"))).to_be_visible(timeout=15_000)
    expect(page.get_by_text(item.title).first).to_be_visible()
    assert f"id={item.id}" in page.url
    expect(page.locator('[data-testid="stSidebar"]').get_by_text("Citra Kreator")).to_be_visible()
    expect(page.locator('[data-testid="stSidebar"]').get_by_role("link", name=t("page.creator"))).to_be_visible()
    shot(page, "03-item-after-oidc")
    sessions = store._conn().execute('SELECT kind, email, revoked_at FROM "Sessions"').fetchall()
    assert [tuple(r) for r in sessions] == [("oidc", "creator@demo.test", "")]

    other_tab = context.new_page()
    other_tab.goto(f"{desk_url}/creator")
    idle(other_tab)
    expect(other_tab.get_by_role("heading", name=t("page.creator"))).to_be_visible()
    page.reload()
    idle(page)
    expect(page.get_by_role("heading", name=t("page.item"))).to_be_visible()  # F5 keeps it too

    page.get_by_role("button", name=t("guard.sign_out")).click()
    # st.logout ends the provider's session too (its end_session_endpoint asks to confirm), then comes back
    page.wait_for_url("**/session/end**", timeout=30_000, wait_until="commit")
    page.wait_for_selector('button[name="logout"]', timeout=30_000)
    shot(page, "04-provider-sign-out")
    page.click('button[name="logout"]')  # "Yes, sign me out"
    page.wait_for_url(f"{desk_url}/**", timeout=30_000)
    page.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
    idle(page)
    expect(page.get_by_role("button", name=t("signin.oidc"))).to_be_visible()
    assert store._conn().execute('SELECT revoked_at FROM "Sessions"').fetchone()[0]
    other_tab.locator('[data-testid="stSidebar"]').get_by_role("link", name=t("page.home")).click()
    idle(other_tab)
    expect(other_tab.get_by_text(t("session.signed_out"))).to_be_visible()
    expect(other_tab.get_by_role("heading", name=t("page.home"))).to_have_count(0)
    shot(other_tab, "05-other-tab-after-sign-out")
    context.close()


@pytest.mark.parametrize("email,reason", [("stranger@demo.test", "signin.no_account"),
                                          ("gone@demo.test", "session.inactive")])
def test_oidc_refuses_unknown_and_deactivated_emails(browser: Browser, desk_url: str, store: SQLiteStore,
                                                     email: str, reason: str) -> None:
    context = loopback_only(browser.new_context(viewport={"width": 390, "height": 844}, locale="id-ID"))
    page = context.new_page()
    page.goto(desk_url)
    idle(page)
    provider_login(page, email)
    expect(page.get_by_text(t(reason))).to_be_visible(timeout=15_000)
    expect(page.get_by_role("heading", name=t("page.home"))).to_have_count(0)
    expect(page.get_by_role("button", name=t("guard.sign_out"))).to_have_count(0)
    shot(page, f"06-refused-{email.split('@')[0]}-390px")
    assert store._conn().execute('SELECT count(*) FROM "Sessions" WHERE email = ?', (email,)).fetchone()[0] == 0
    context.close()

"""A real ``streamlit run`` of the desk on 127.0.0.1 over a fresh demo store, and Debian's Chromium to drive it.

Playwright's own browser download does not work here, so the browser is ``/usr/bin/chromium`` (apt package
``chromium``). Without it these tests skip with the install command; under CI (``CI=true``) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from services.unavailable import service_missing
from sopkit import auth
from sopkit.schema import User
from sopkit.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo-password-123"
ROLES = ("officer", "creator", "supervisor", "administrator", "publisher", "manager", "admin")
ARTIFACTS = ROOT / "test-artifacts"


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        service_missing("E2E NOT RUN: no /usr/bin/chromium. "
                        "Install with: apt-get install -y --no-install-recommends chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:  # type: ignore[type-arg]
    _require_chromium()
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--disable-quic"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:  # type: ignore[type-arg]
    return {**browser_context_args, "viewport": {"width": 1400, "height": 900}, "locale": "id-ID",
            "timezone_id": "Asia/Pontianak"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> SQLiteStore:
    path = tmp_path_factory.mktemp("e2e") / "sopkit.db"
    store = SQLiteStore(path)
    store.init()
    hashed = auth.hash_password(PASSWORD)
    for role in ROLES:
        store.save_user(User(f"{role}@demo.test", f"Demo {role.title()}", (role,), password_hash=hashed))
    return store


@pytest.fixture(scope="session")
def server(demo_store: SQLiteStore) -> Iterator[str]:
    with running(demo_store) as url:
        yield url


@pytest.fixture
def fresh_server(demo_store: SQLiteStore) -> Iterator[str]:
    """A just-started server nobody has visited: Streamlit still treats ``pages/`` as auto-registered."""
    with running(demo_store) as url:
        yield url


@contextmanager
def running(demo_store: SQLiteStore, secrets: Path | None = None, port: int | None = None) -> Iterator[str]:
    """``streamlit run app.py`` on ``demo_store``; ``secrets`` is read by the desk and by Streamlit (``[auth]``)."""
    port = port or _free_port()
    # the store by its URL and the uploads beside it, as an install is configured (the old SOPKIT_DB form makes the
    # admin page show a "deprecated settings" notice no real desk shows)
    env = {**{k: v for k, v in os.environ.items() if k not in ("SOPKIT_DB", "SOPKIT_BACKEND", "SOPKIT_SHEET")},
           "SOPKIT_STORE": f"sqlite:///{demo_store.path.resolve()}",
           "SOPKIT_MEDIA": str(demo_store.path.parent / "media"),
           "SOPKIT_SECRETS": str(secrets or demo_store.path.parent / "none")}
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--client.toolbarMode", "viewer",
           *(["--secrets.files", str(secrets)] if secrets else [])]
    log = open(demo_store.path.parent / "streamlit.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"streamlit did not start: {(demo_store.path.parent / 'streamlit.log').read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()

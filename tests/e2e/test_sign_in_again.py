"""Signing out and straight back in as someone else, as on the agency's shared office PCs (Chromium against a real
``streamlit run``), ``SOPKIT_E2E_REPEAT`` times in a row (default 3; run it with more under load by hand).

The sign-in used to be lost now and then on a busy machine: the cookie component's frames sent their answers back
as rerun requests, one landed while the sign-in callback ran, and Streamlit stopped the callback at its next
``st.session_state`` access (after the password check, before the session was put in state); the form came back
still filled in. Cookie writes now send nothing back (``pages._ui.cookie``). These tests count the rerun requests
the page sends: only the person's own actions may cause one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from streamlit.proto.BackMsg_pb2 import BackMsg

from pages._ui.identity import KEY_FILE  # the desk's key (no [session] secret in these tests)
from sopkit import sessions
from sopkit.i18n import t
from sopkit.store.sqlite import SQLiteStore

from .conftest import PASSWORD
from .test_browser_flow import idle, sign_in, sign_out

REPEAT = int(os.environ.get("SOPKIT_E2E_REPEAT", "3"))


class Reruns:
    """Every ``rerun_script`` message the tabs of one browser send to the desk (one per page load or action)."""

    def __init__(self, context: BrowserContext):
        self.count = 0
        context.on("page", self._watch)

    def _watch(self, page: Page) -> None:
        page.on("websocket", lambda ws: ws.on("framesent", self._sent) if "/_stcore/stream" in ws.url else None)

    def _sent(self, payload: bytes | str) -> None:
        if isinstance(payload, bytes):
            msg = BackMsg()
            msg.ParseFromString(payload)
            self.count += msg.WhichOneof("type") == "rerun_script"


@pytest.fixture
def office_pc(browser: Browser) -> Iterator[BrowserContext]:
    """One browser (cookie jar) that several people use in turn."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="id-ID", timezone_id="Asia/Pontianak")
    yield ctx
    ctx.close()


def session_of(page: Page, store: SQLiteStore) -> str:
    """The e-mail of the stored session whose token the browser now holds."""
    [token] = [c["value"] for c in page.context.cookies() if c["name"] == sessions.COOKIE]
    sid = sessions.session_id(unquote(token), sessions.load_config({}, KEY_FILE))
    record = store.get_session(sid) if sid else None
    assert record is not None and not record.revoked_at, record
    return record.email


def fill_and_enter(page: Page, role: str) -> None:
    """A person who types as soon as the form shows (no waiting for the page to settle)."""
    page.get_by_label(t("signin.email"), exact=True).fill(f"{role}@demo.test")
    page.get_by_label(t("signin.password"), exact=True).fill(PASSWORD)
    page.get_by_label(t("signin.password"), exact=True).press("Enter")


def test_sign_out_then_sign_in_as_someone_else_again_and_again(office_pc: BrowserContext, server: str,
                                                              demo_store: SQLiteStore) -> None:
    reruns = Reruns(office_pc)
    page = office_pc.new_page()
    for i in range(REPEAT):
        for role in ("officer", "creator"):
            sign_in(page, server, role)  # a page load and an Enter
            assert session_of(page, demo_store) == f"{role}@demo.test", (i, role)
            sign_out(page)  # a click
    assert reruns.count == 2 * REPEAT * 3


def test_a_revoked_cookie_left_in_the_browser_does_not_swallow_the_next_sign_in(
        office_pc: BrowserContext, server: str, demo_store: SQLiteStore) -> None:
    """The officer signs out and the tab is closed at once, before the browser dropped the cookie; the creator
    opens the desk in a new tab: the revoked cookie is restored and refused (the form says the session ended),
    and the creator's sign-in, typed at once while the desk deletes that cookie, goes through."""
    reruns = Reruns(office_pc)
    for i in range(REPEAT):
        page = office_pc.new_page()
        sign_in(page, server, "officer")
        [revoked] = [c for c in office_pc.cookies() if c["name"] == sessions.COOKIE]
        sign_out(page)
        page.close()
        office_pc.add_cookies([revoked])  # the delete never ran
        before = reruns.count
        tab = office_pc.new_page()
        tab.goto(server)
        expect(tab.get_by_text(t("session.signed_out"))).to_be_visible()
        fill_and_enter(tab, "creator")
        expect(tab.get_by_role("heading", name=t("page.home"))).to_be_visible()
        expect(tab.get_by_text(t("session.signed_out"))).to_have_count(0)
        idle(tab)  # ... and the browser holds the creator's new token
        assert session_of(tab, demo_store) == "creator@demo.test", i
        assert reruns.count - before == 2  # the page load and the Enter: the cookie delete and set sent nothing
        sign_out(tab)
        tab.close()

"""The compliance page as a manager reads it (issue 13 item 2), in a real Chromium over the demo data, at desktop
width and at 390 px: the period, the steps worst first with their values on the bars, the people by name, the
trend as one small chart per step, only the items at risk. Screenshots go to ``test-artifacts/e2e/`` (look at
them); on the phone nothing is wider than the screen and no e-mail address is shown."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from sopkit import auth, demo
from sopkit.i18n import t
from sopkit.store.sqlite import SQLiteStore

from .conftest import running
from .test_browser_flow import idle, no_errors
from .test_desk_screens import WIDTHS, no_overflow, shot
from .test_review_preview import _close_sidebar, _open_sidebar

MANAGER = f"pimpinan@{demo.DOMAIN}"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = SQLiteStore(tmp_path_factory.mktemp("compliance") / "sopkit.db")
    store.init()
    demo.seed(store, 160, passwords={e: auth.hash_password(p) for e, p in demo.DEMO_PASSWORDS.items()})
    with running(store) as url:
        yield url


def sign_in_manager(page: Page, url: str) -> None:
    page.goto(url)
    idle(page)
    page.get_by_label(t("signin.email"), exact=True).fill(MANAGER)
    page.get_by_label(t("signin.password"), exact=True).fill(demo.DEMO_PASSWORDS[MANAGER])
    page.get_by_label(t("signin.password"), exact=True).press("Enter")
    idle(page)


@pytest.mark.parametrize("size", list(WIDTHS))
def test_compliance_page_screens(page: Page, demo_server: str, size: str) -> None:
    width = WIDTHS[size]
    page.set_viewport_size({"width": width, "height": 844})
    sign_in_manager(page, demo_server)
    page.goto(f"{demo_server}/compliance")
    idle(page)
    expect(page.get_by_role("heading", name=t("page.compliance")).first).to_be_visible()
    _close_sidebar(page)
    no_errors(page)
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text(t("compliance.period_shown", period="")[:8]).first).to_be_visible()
    expect(main.get_by_role("heading", name=t("compliance.per_step"))).to_be_visible()
    expect(main.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible()
    shot(page, f"compliance-this-month-{size}", width)
    if size == "phone":
        no_overflow(page, width)
    # last month: a whole month of the demo's work, late steps and people to read
    _close_sidebar(page)  # at 390 px the menu starts open over the page on a fresh visit
    _open_sidebar(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_label(t("compliance.period"), exact=True).first).to_be_in_viewport()
    page.wait_for_timeout(400)  # the menu slides in
    sidebar.get_by_label(t("compliance.period"), exact=True).first.click()
    page.get_by_role("option", name=t("compliance.period.last_month"), exact=True).click()
    idle(page)
    _close_sidebar(page)
    expect(main.get_by_text(t("compliance.people_help")[:20])).to_be_visible()
    no_errors(page)
    text = main.inner_text()
    assert not EMAIL.search(text), EMAIL.search(text)  # people by name on the manager's page
    assert "%" in text and re.search(r"\d+,\d%", text), "on-time shares written as id_ID does (85,3%)"
    shot(page, f"compliance-last-month-{size}", width)
    if size == "phone":
        no_overflow(page, width)

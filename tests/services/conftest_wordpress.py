"""The session-wide ``wordpress`` fixture: one real WordPress on 127.0.0.1 for every test that asks for it.

Import it into ``tests/conftest.py`` (``from services.conftest_wordpress import wordpress  # noqa: F401``).
Without the Debian packages the tests are skipped with the command that installs them; under CI (``CI=true``)
they fail instead, because a CI run that silently skipped the WordPress tests would look green and prove nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.unavailable import service_missing
from services.wordpress import INSTALL_SCRIPT, WordPressServer, missing_prerequisites


def _require_wordpress() -> None:
    missing = missing_prerequisites()
    if missing:
        service_missing(f"WORDPRESS TESTS NOT RUN: missing {', '.join(missing)}. "
                        f"Install with: sudo sh {INSTALL_SCRIPT}")


@pytest.fixture(scope="session")
def wordpress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WordPressServer]:
    _require_wordpress()
    with WordPressServer(tmp_path_factory.mktemp("wordpress")) as server:
        yield server


@pytest.fixture(scope="session")
def wordpress_production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WordPressServer]:
    """A second WordPress in the "production" environment over plain http: Application Passwords are off there,
    as on any real site without HTTPS (``wp_is_application_passwords_available``)."""
    _require_wordpress()
    with WordPressServer(tmp_path_factory.mktemp("wordpress-production"), environment="production") as server:
        yield server

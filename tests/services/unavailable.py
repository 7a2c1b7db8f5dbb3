"""What a test does when a real service it needs is not on this machine: under CI it fails, elsewhere it skips.

One rule for every such test, so a skip can never hide a missing install step in CI (``.ci/run`` sets
``CI=true`` and installs everything). The reason says what did not run and how to install it; ``make test``'s
``-ra`` summary lists it.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def service_missing(reason: str) -> NoReturn:
    """Fail (CI) or skip (a developer's machine without root-installed packages) with ``reason``."""
    if under_ci():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)

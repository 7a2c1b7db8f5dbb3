"""A test whose real service is missing skips on a developer's machine and fails under CI (never a silent skip)."""

from __future__ import annotations

import pytest

from services.unavailable import service_missing


@pytest.mark.parametrize(("ci", "outcome"), [
    ("true", pytest.fail.Exception), ("TRUE", pytest.fail.Exception),
    ("", pytest.skip.Exception), ("false", pytest.skip.Exception),
])
def test_a_missing_service_fails_under_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch, ci: str,
                                                               outcome: type[BaseException]) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="NOT RUN: no chromium"):
        service_missing("NOT RUN: no chromium")

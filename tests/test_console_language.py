"""The jobs' console lines come from the catalogue in the configured language (``[register] language`` /
``SOPKIT_LANG``, Indonesian by default); an unknown language is a configuration error, not English by accident."""

from __future__ import annotations

import pytest

from sopkit.config import ConfigError, load
from sopkit.i18n import t
from sopkit.notify.job import RunReport as NotifyReport
from sopkit.publishing.job import RunReport


def test_the_default_language_is_indonesian_and_the_environment_may_choose(tmp_path) -> None:  # noqa: ANN001
    missing = tmp_path / "none.toml"
    assert load(missing, env={}).language == "id"
    assert load(missing, env={"SOPKIT_LANG": "EN"}).language == "en"
    (tmp_path / "s.toml").write_text('[register]\nlanguage = "en"\n', encoding="utf-8")
    assert load(tmp_path / "s.toml", env={}).language == "en"
    with pytest.raises(ConfigError, match="language"):
        load(missing, env={"SOPKIT_LANG": "fr"})


def test_run_summaries_in_each_language() -> None:
    publish, notify = RunReport(), NotifyReport()
    assert publish.summary() == publish.summary("id") and publish.summary().startswith("putaran selesai: 0 tayang")
    assert publish.summary("en").startswith("run done: 0 published")
    assert notify.summary().startswith("putaran selesai: 0 terkirim") and notify.summary("en").startswith("run done")
    assert t("run.dry") == " (uji coba: tidak ada yang dikirim)"

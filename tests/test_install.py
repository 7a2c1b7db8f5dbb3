"""What an install gives: the commands of ``[project.scripts]``, and a cron host that needs no Streamlit.

Each runs as a real process on a temp store. A publish-only or notify-only host installs the core dependencies
(``pip install .``); the desk's (``[desk]``: Streamlit, honcho) must not be imported by the jobs or the CLI's report.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DESK_ONLY = ("streamlit", "honcho", "authlib", "tornado")


def _env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "SOPKIT_STORE": f"sqlite:///{tmp / 'cron.db'}", "SOPKIT_SECRETS": str(tmp / "none.toml"),
            "SOPKIT_MEDIA": str(tmp / "media")}


def _run(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=tmp, env=_env(tmp), capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("cron")
    p = _run(tmp, sys.executable, "-m", "sopkit", "demo", "--items", "12")
    assert p.returncode == 0, p.stderr
    return tmp


def _imported(stderr: str) -> set[str]:
    """Top-level packages named in ``-X importtime`` lines (``import time: self | cumulative | name``)."""
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)", stderr, flags=re.M)
    return {n.split(".")[0] for n in names}


@pytest.mark.parametrize("command", [
    ("-m", "jobs.publish", "--once", "--dry-run"),
    ("-m", "jobs.notify", "--once", "--dry-run"),
    ("-m", "sopkit", "report", "--format", "csv", "--out", "report.csv"),
])
def test_cron_commands_import_no_desk_package(store: Path, command: tuple[str, ...]) -> None:
    p = _run(store, sys.executable, "-X", "importtime", *command)
    assert p.returncode == 0, p.stderr[-3000:]
    imported = _imported(p.stderr)
    assert "sopkit" in imported  # the parse sees the run's imports
    assert not imported & set(DESK_ONLY), sorted(imported & set(DESK_ONLY))


def test_core_dependencies_leave_the_desk_out() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"]).lower()
    desk = " ".join(project["optional-dependencies"]["desk"]).lower()
    assert "streamlit" not in core and "honcho" not in core
    assert "streamlit[auth]" in desk and "honcho" in desk


@pytest.mark.parametrize(("script", "words"), [
    ("sopkit", "report"), ("sopkit-publish", "--dry-run"), ("sopkit-notify", "--dry-run"), ("sopkit-site", "--port"),
])
def test_installed_scripts_answer_help(tmp_path: Path, script: str, words: str) -> None:
    path = BIN / script
    assert path.exists(), f"{path} missing: reinstall (make setup) after pyproject's [project.scripts] changed"
    p = _run(tmp_path, str(path), "--help")
    assert p.returncode == 0, p.stderr
    assert words in p.stdout


def test_installed_sopkit_script_writes_a_report(store: Path) -> None:
    out = store / "by-script.csv"
    p = _run(store, str(BIN / "sopkit"), "report", "--format", "csv", "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert out.exists() and out.read_text().startswith('"item_id","step","attempt"')


def test_installed_publish_script_runs_once(store: Path) -> None:
    p = _run(store, str(BIN / "sopkit-publish"), "--once", "--dry-run")
    assert p.returncode == 0, p.stderr
    assert "uji coba" in (p.stdout + p.stderr).lower()

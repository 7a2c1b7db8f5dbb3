"""The server settings in .streamlit/config.toml, as `streamlit run` in the project folder reads them (issue 9,
item 8): loopback only, the desk's upload limit, and no error details for users outside development."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from sopkit.media import MAX_UPLOAD_MB

ROOT = Path(__file__).resolve().parents[1]


def streamlit_options(**env: str) -> dict[str, object]:
    """What ``streamlit config show`` (the same command line and environment parsing as ``streamlit run``) says
    in the project folder."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    p = subprocess.run([sys.executable, "-m", "streamlit", "config", "show"], cwd=ROOT, env={**clean, **env},
                       capture_output=True, text=True, timeout=60, check=True)
    found: dict[str, object] = {}
    section = ""
    for line in p.stdout.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif "=" in line and not line.startswith("#"):
            key, value = (x.strip() for x in line.split("=", 1))
            found[f"{section}.{key}"] = tomllib.loads(f"v = {value}")["v"]
    return {k: found[k] for k in ("server.address", "server.maxUploadSize", "client.showErrorDetails")}


def test_loopback_upload_limit_and_no_error_details() -> None:
    assert streamlit_options() == {"server.address": "127.0.0.1", "server.maxUploadSize": MAX_UPLOAD_MB,
                                   "client.showErrorDetails": "none"}


def test_error_details_can_be_turned_on_for_development() -> None:
    assert streamlit_options(STREAMLIT_CLIENT_SHOW_ERROR_DETAILS="full")["client.showErrorDetails"] == "full"


def test_make_run_and_the_e2e_server_agree_with_the_config() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "-m jobs.run" in makefile  # make run starts the desk through jobs/run.py (with the publish loop and site)
    assert '"--server.address", "127.0.0.1"' in (ROOT / "jobs" / "run.py").read_text()
    e2e = (ROOT / "tests" / "e2e" / "conftest.py").read_text()
    assert '"--server.address", "127.0.0.1"' in e2e

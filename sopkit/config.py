"""One configuration, read alike by the app, the CLI and the publish job.

Source: ``.streamlit/secrets.toml`` (the file Streamlit itself reads), section ``[register]``; each value can be
overridden by an environment variable (handy for cron and CI):

=================  ===========================  ====================================
key                environment variable         default
=================  ===========================  ====================================
backend            SOPKIT_BACKEND               ``sqlite`` (or ``gsheets``)
path               SOPKIT_DB                    ``data/sopkit.db``
sheet              SOPKIT_SHEET                 (key or URL of the Google Sheet)
timezone           SOPKIT_TZ                    ``Asia/Pontianak``
=================  ===========================  ====================================

``SOPKIT_SECRETS`` points at another secrets file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .settings import DEFAULT_TIMEZONE, Settings, from_rows
from .store.base import Store

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRETS = ROOT / ".streamlit" / "secrets.toml"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Config:
    backend: str = "sqlite"
    path: Path = ROOT / "data" / "sopkit.db"
    sheet: str = ""
    timezone: str = DEFAULT_TIMEZONE
    secrets: dict[str, Any] = field(default_factory=dict, repr=False)  # the whole secrets file, for channels

    def section(self, name: str) -> dict[str, Any]:
        value = self.secrets.get(name, {})
        return dict(value) if isinstance(value, dict) else {}


def load(secrets_path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    env = dict(os.environ if env is None else env)
    path = Path(secrets_path or env.get("SOPKIT_SECRETS") or DEFAULT_SECRETS)
    secrets: dict[str, Any] = {}
    if path.exists():
        try:
            secrets = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{path} is not valid TOML: {e}") from None
    reg = secrets.get("register", {}) if isinstance(secrets.get("register"), dict) else {}
    backend = str(env.get("SOPKIT_BACKEND") or reg.get("backend") or "sqlite").strip().lower()
    if backend not in ("sqlite", "gsheets"):
        raise ConfigError(f"register.backend must be 'sqlite' or 'gsheets', not {backend!r}")
    db = Path(str(env.get("SOPKIT_DB") or reg.get("path") or ROOT / "data" / "sopkit.db"))
    if not db.is_absolute():
        db = ROOT / db
    return Config(
        backend=backend,
        path=db,
        sheet=str(env.get("SOPKIT_SHEET") or reg.get("sheet") or ""),
        timezone=str(env.get("SOPKIT_TZ") or reg.get("timezone") or DEFAULT_TIMEZONE),
        secrets=secrets,
    )


def open_store(config: Config) -> Store:
    """The configured store backend."""
    if config.backend == "sqlite":
        from .store.sqlite import SQLiteStore

        return SQLiteStore(config.path)
    try:
        from .store.gsheets import open_gsheets_store  # type: ignore[import-not-found]
    except ImportError:
        raise ConfigError("The Google Sheets backend is not available in this version.") from None
    return open_gsheets_store(config)  # type: ignore[no-any-return]


def load_settings(store: Store, config: Config) -> tuple[Settings, list[str]]:
    """The SOP settings an admin keeps in the store (defaults where unset), and any problems reading them."""
    return from_rows(store.read_settings(), default_timezone=config.timezone)

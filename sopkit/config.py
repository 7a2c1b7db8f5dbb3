"""One configuration, read alike by the app, the CLI and the publish job.

Source: ``.streamlit/secrets.toml`` (the file Streamlit itself reads); each value can be overridden by an
environment variable (handy for cron and CI):

=================  =================  ===========================  ==============================================
section            key                environment variable         default
=================  =================  ===========================  ==============================================
``[register]``     url                SOPKIT_STORE                 ``sqlite:///data/sopkit.db`` (see below)
``[register]``     timezone           SOPKIT_TZ                    ``Asia/Pontianak``
``[media]``        root               SOPKIT_MEDIA                 ``data/media`` (relative to the project)
=================  =================  ===========================  ==============================================

The store is named by one URL (``sopkit.store.registry``): ``sqlite:///data/sopkit.db``,
``sqlite:////srv/sopkit/sopkit.db``, ``gsheets://KEY`` or the sheet's address. The keys of earlier versions,
``backend`` / ``path`` / ``sheet`` (``SOPKIT_BACKEND`` / ``SOPKIT_DB`` / ``SOPKIT_SHEET``), still work and are
mapped onto a URL (:func:`legacy_url`); they are deprecated (:attr:`Config.deprecated` lists those present). When
they decide the store and ``[media] root`` is not set, the uploads stay where those versions kept them, so an
upgraded install finds its files: ``media/`` beside the ``path`` file.

``SOPKIT_SECRETS`` points at another secrets file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .i18n import DEFAULT_LANG, TEXTS
from .settings import Settings, from_rows
from .store.base import Store
from .store.registry import StoreContext, open_url
from .store.registry import exists as registry_exists
from .timeutil import DEFAULT_TIMEZONE, use_zone

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRETS = ROOT / ".streamlit" / "secrets.toml"
DEFAULT_STORE = "sqlite:///data/sopkit.db"
DEFAULT_MEDIA = ROOT / "data" / "media"
#: The deprecated ``[register]`` keys and the environment variables that override them.
LEGACY_KEYS: dict[str, str] = {"backend": "SOPKIT_BACKEND", "path": "SOPKIT_DB", "sheet": "SOPKIT_SHEET"}


class ConfigError(ValueError):
    pass


def _language(code: str) -> str:
    if code not in TEXTS:
        raise ConfigError(f"[register] language = {code!r}: not one of {', '.join(TEXTS)}")
    return code


@dataclass(frozen=True)
class Config:
    store: str = DEFAULT_STORE  # the store's URL
    media: Path = DEFAULT_MEDIA  # the uploads (``sopkit.media``), whatever the store
    timezone: str = DEFAULT_TIMEZONE
    language: str = DEFAULT_LANG  # the jobs' and the CLI's console lines (the desk: each user's own choice)
    secrets: dict[str, Any] = field(default_factory=dict, repr=False)  # the whole secrets file, for channels
    deprecated: tuple[str, ...] = ()  # deprecated settings present, as ``register.path`` / ``SOPKIT_DB``

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
    reg = _table(secrets, "register")
    legacy = {k: str(env.get(var) or reg.get(k) or "").strip() for k, var in LEGACY_KEYS.items()}
    deprecated = tuple(var for var in LEGACY_KEYS.values() if env.get(var)) + tuple(
        f"register.{k}" for k in LEGACY_KEYS if reg.get(k))
    # the environment beats the file; within each, the URL beats the deprecated keys
    if env.get("SOPKIT_STORE"):
        url, from_legacy = str(env["SOPKIT_STORE"]).strip(), False
    elif any(env.get(var) for var in LEGACY_KEYS.values()):
        url, from_legacy = legacy_url(**legacy), True
    elif str(reg.get("url") or "").strip():
        url, from_legacy = str(reg["url"]).strip(), False
    elif any(legacy.values()):
        url, from_legacy = legacy_url(**legacy), True
    else:
        url, from_legacy = DEFAULT_STORE, False
    media = str(env.get("SOPKIT_MEDIA") or _table(secrets, "media").get("root") or "").strip()
    if media:
        media_root = Path(media) if Path(media).is_absolute() else ROOT / media
    elif from_legacy:
        media_root = _legacy_db(legacy["path"]).parent / "media"  # where those versions kept the uploads
    else:
        media_root = DEFAULT_MEDIA
    return Config(
        store=url,
        media=media_root,
        timezone=str(env.get("SOPKIT_TZ") or reg.get("timezone") or DEFAULT_TIMEZONE),
        language=_language(str(env.get("SOPKIT_LANG") or reg.get("language") or DEFAULT_LANG).strip().lower()),
        secrets=secrets,
        deprecated=deprecated,
    )


def legacy_url(backend: str = "", path: str = "", sheet: str = "") -> str:
    """The store URL that the deprecated ``backend`` / ``path`` / ``sheet`` settings mean."""
    backend = backend.strip().lower() or "sqlite"
    if backend == "sqlite":  # a relative path stays relative to the project (three slashes), an absolute gets four
        return "sqlite:///" + (path.strip() or "data/sopkit.db")
    if backend == "gsheets":
        sheet = sheet.strip()
        if not sheet:
            raise ConfigError("register.sheet is empty: set it to the Google Sheet's key or URL (better: "
                              "register.url = \"gsheets://KEY\").")
        return sheet if "://" in sheet else f"gsheets://{sheet}"
    raise ConfigError(f"register.backend must be 'sqlite' or 'gsheets', not {backend!r} (better: register.url, "
                      "e.g. \"sqlite:///data/sopkit.db\" or \"gsheets://KEY\")")


def _legacy_db(path: str) -> Path:
    db = Path(path or "data/sopkit.db")
    return db if db.is_absolute() else ROOT / db


def _table(secrets: dict[str, Any], name: str) -> dict[str, Any]:
    value = secrets.get(name)
    return value if isinstance(value, dict) else {}


def deprecation_note(config: Config) -> str:
    """One line for a person about deprecated settings in use ("" when none)."""
    if not config.deprecated:
        return ""
    return (f"note: {', '.join(config.deprecated)} are deprecated: set [register] url (or SOPKIT_STORE) instead, "
            f"here url = \"{config.store}\"")


def store_context(config: Config, **options: Any) -> StoreContext:
    return StoreContext(ROOT, config.secrets, options)


def store_exists(config: Config) -> bool:
    """Whether the configured store is there already (see ``registry.exists``); opening it may create it."""
    return registry_exists(config.store, store_context(config))


def open_store(config: Config, **options: Any) -> Store:
    """The store ``config.store`` names (``options``: keyword arguments for its constructor)."""
    return open_url(config.store, store_context(config, **options))


def load_settings(store: Store, config: Config) -> tuple[Settings, list[str]]:
    """The SOP settings an admin keeps in the store (defaults where unset), and any problems reading them; their
    time zone becomes the one this process stamps and reads in."""
    found, problems = from_rows(store.read_settings(), default_timezone=config.timezone)
    use_zone(found.tz)
    return found, problems

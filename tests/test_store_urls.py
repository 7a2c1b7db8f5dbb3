"""Stores by URL (``sopkit.store.registry``) and the configuration that names them (``sopkit.config``): the URL
forms, the deprecated keys mapped onto a URL, ``[media] root`` independent of the store, and a scheme added in one
place being enough for the config, the CLI and ``init``."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes.sheets_server import FakeSheets, gspread_pointed_at, private_key_pem, service_account_info
from sopkit import config
from sopkit.cli import main
from sopkit.store import registry
from sopkit.store.base import Store, StoreError
from sopkit.store.gsheets import GSheetsStore
from sopkit.store.registry import StoreContext, UnknownStore
from sopkit.store.sqlite import SQLiteStore

ROOT = config.ROOT
NO_FILE = {"SOPKIT_SECRETS": "/nonexistent/secrets.toml"}


def load(tmp_path: Path, toml: str = "", **env: str) -> config.Config:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(toml, encoding="utf-8")
    return config.load(env={"SOPKIT_SECRETS": str(secrets), **env})


# -- the URL forms ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("url", "path"), [
    ("sqlite:///data/sopkit.db", ROOT / "data" / "sopkit.db"),  # three slashes: relative to the project
    ("sqlite:///data/my%20desk.db", ROOT / "data" / "my desk.db"),
    ("sqlite:////srv/sopkit/sopkit.db", Path("/srv/sopkit/sopkit.db")),  # four: an absolute path
    ("  SQLite:////srv/x.db ", Path("/srv/x.db")),
])
def test_sqlite_urls_name_a_file(url: str, path: Path) -> None:
    store = registry.open_url(url, StoreContext(ROOT))
    assert isinstance(store, SQLiteStore) and store.path == path


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite://host/x.db"])
def test_a_sqlite_url_without_a_file_is_refused_clearly(url: str) -> None:
    with pytest.raises(StoreError, match="names no file"):
        registry.open_url(url, StoreContext(ROOT))


@pytest.mark.parametrize("form", ["gsheets://{key}", "https://docs.google.com/spreadsheets/d/{key}/edit#gid=0",
                                  "gsheets://docs.google.com/spreadsheets/d/{key}/edit"])
def test_a_google_sheet_by_key_or_by_its_address(form: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the production path (service account from the secrets file), against the loopback fake."""
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    with FakeSheets() as fake, gspread_pointed_at(fake):
        key = fake.create_spreadsheet("Desk", locale="id_ID")
        cfg = config.Config(store=form.format(key=key),
                            secrets={"gcp_service_account": service_account_info(fake, private_key_pem())})
        store = config.open_store(cfg, sleep=lambda s: None)
        assert isinstance(store, GSheetsStore) and store.spreadsheet_id == key
        store.init()
        assert store.read_register().items == ()
        assert store.capabilities.edit_url == f"https://docs.google.com/spreadsheets/d/{key}/edit"


@pytest.mark.parametrize(("url", "message"), [
    ("postgresql://desk:s3cret@db.internal/sopkit", "No store for URLs of the scheme 'postgresql'"),
    ("mysql://x", "known: gsheets, sqlite"),
    ("data/sopkit.db", "is not a URL"),
    ("", "is not a URL"),
])
def test_an_unknown_or_malformed_url_says_what_is_known(url: str, message: str) -> None:
    with pytest.raises(UnknownStore, match=message) as refused:
        config.open_store(config.Config(store=url))
    assert "s3cret" not in str(refused.value)


def test_display_hides_a_password() -> None:
    assert registry.display("postgresql://desk:s3cret@db:5432/sopkit") == "postgresql://desk:***@db:5432/sopkit"
    assert registry.display("sqlite:////srv/x.db") == "sqlite:////srv/x.db"


# -- the configuration ------------------------------------------------------------------------------------------
def test_the_default_is_the_project_sqlite_file_and_data_media(tmp_path: Path) -> None:
    cfg = load(tmp_path)
    assert (cfg.store, cfg.media, cfg.deprecated) == ("sqlite:///data/sopkit.db", ROOT / "data" / "media", ())


def test_url_and_media_root_from_the_file_and_the_environment_beats_it(tmp_path: Path) -> None:
    toml = '[register]\nurl = "gsheets://FILEKEY"\n[media]\nroot = "uploads"\n'
    cfg = load(tmp_path, toml)
    assert (cfg.store, cfg.media) == ("gsheets://FILEKEY", ROOT / "uploads")  # media: not beside any store
    cfg = load(tmp_path, toml, SOPKIT_STORE="sqlite:////srv/a.db", SOPKIT_MEDIA="/srv/media")
    assert (cfg.store, cfg.media) == ("sqlite:////srv/a.db", Path("/srv/media"))


@pytest.mark.parametrize(("toml", "env", "url"), [
    ('[register]\nbackend = "sqlite"\npath = "data/old.db"\n', {}, "sqlite:///data/old.db"),
    ('[register]\npath = "/srv/x/sop.db"\n', {}, "sqlite:////srv/x/sop.db"),
    ('[register]\nbackend = "gsheets"\nsheet = "KEY1"\n', {}, "gsheets://KEY1"),
    ('[register]\nbackend = "gsheets"\nsheet = "https://docs.google.com/spreadsheets/d/KEY2/edit"\n', {},
     "https://docs.google.com/spreadsheets/d/KEY2/edit"),
    ("", {"SOPKIT_DB": "/tmp/env.db"}, "sqlite:////tmp/env.db"),
    ('[register]\nbackend = "gsheets"\n', {"SOPKIT_SHEET": "KEY3"}, "gsheets://KEY3"),  # mixed, as before
    ('[register]\nurl = "gsheets://NEW"\n', {"SOPKIT_DB": "/tmp/env.db"}, "sqlite:////tmp/env.db"),  # env wins
    ('[register]\nurl = "gsheets://NEW"\npath = "/ignored.db"\n', {}, "gsheets://NEW"),  # the URL wins in a file
])
def test_the_deprecated_keys_still_work_mapped_onto_a_url(tmp_path: Path, toml: str, env: dict[str, str],
                                                          url: str) -> None:
    cfg = load(tmp_path, toml, **env)
    assert cfg.store == url
    assert cfg.deprecated  # and the admin page and `init` say so
    assert "[register] url" in config.deprecation_note(cfg) and url in config.deprecation_note(cfg)


def test_with_the_deprecated_path_the_uploads_stay_where_they_were(tmp_path: Path) -> None:
    """An install upgraded without touching its config keeps finding its files: media/ beside that file."""
    assert load(tmp_path, '[register]\npath = "/srv/x/sop.db"\n').media == Path("/srv/x/media")
    assert load(tmp_path, '[register]\npath = "/srv/x/sop.db"\n[media]\nroot = "/m"\n').media == Path("/m")
    assert load(tmp_path, SOPKIT_DB="/srv/y/a.db").media == Path("/srv/y/media")
    assert load(tmp_path, '[register]\nurl = "sqlite:////srv/x/sop.db"\n').media == ROOT / "data" / "media"


@pytest.mark.parametrize(("env", "message"), [
    ({"SOPKIT_BACKEND": "postgres"}, "must be 'sqlite' or 'gsheets'"),
    ({"SOPKIT_BACKEND": "gsheets"}, "register.sheet is empty"),
])
def test_bad_deprecated_settings_are_refused_clearly(env: dict[str, str], message: str) -> None:
    with pytest.raises(config.ConfigError, match=message):
        config.load(env={**NO_FILE, **env})


# -- a new store in one place ---------------------------------------------------------------------------------------
def test_a_scheme_registered_in_one_place_is_enough_for_config_cli_and_init(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """What a PostgreSQL backend would do: register its scheme; the config, the CLI and ``init`` follow."""
    opened: list[str] = []

    def open_memo(url: str, context: StoreContext) -> Store:
        opened.append(url)
        return SQLiteStore(tmp_path / (url.split("://", 1)[1] + ".db"))

    monkeypatch.setenv("SOPKIT_SECRETS", str(tmp_path / "none.toml"))
    monkeypatch.setenv("SOPKIT_STORE", "memo://desk")
    for old in config.LEGACY_KEYS.values():
        monkeypatch.delenv(old, raising=False)
    with registry.registered("memo", open_memo):
        assert "memo" in registry.schemes()
        assert main(["init"]) == 0
        assert "store ready: memo://desk" in capsys.readouterr().out
        assert main(["users", "add", "a@x.go.id", "--roles", "officer"]) == 0
        assert main(["--store", "memo://other", "init"]) == 0 and main(["init", "--store", "memo://third"]) == 0
    assert opened == ["memo://desk", "memo://desk", "memo://other", "memo://third"]
    assert [u.email for u in SQLiteStore(tmp_path / "desk.db").read_users()[0]] == ["a@x.go.id"]
    assert (tmp_path / "third.db").exists()
    assert "memo" not in registry.schemes()
    assert main(["init"]) == 2 and "No store for URLs of the scheme 'memo'" in capsys.readouterr().err


def test_cli_init_says_when_deprecated_settings_are_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SOPKIT_SECRETS", str(tmp_path / "none.toml"))
    monkeypatch.delenv("SOPKIT_STORE", raising=False)
    monkeypatch.setenv("SOPKIT_DB", str(tmp_path / "old.db"))
    assert main(["init"]) == 0
    out, err = capsys.readouterr()
    assert f"store ready: sqlite:///{tmp_path}/old.db" in out
    assert "SOPKIT_DB" in err and "deprecated" in err and "register" in err


def test_exists_says_whether_the_store_is_there_without_making_it(tmp_path: Path) -> None:
    """A report on a host without a store falls back to the SOP's settings: asking must not create the file."""
    path = tmp_path / "sub" / "none.db"
    context = StoreContext(ROOT)
    assert not registry.exists(f"sqlite:///{path}", context) and not path.parent.exists()
    SQLiteStore(path).init()
    assert registry.exists(f"sqlite:///{path}", context)
    assert registry.exists("gsheets://KEY", context)  # a backend without its own exists(): opening it says
    with registry.registered("memo", lambda url, ctx: SQLiteStore(path)):
        assert registry.exists("memo://x", context)
    with pytest.raises(UnknownStore):
        registry.exists("nope://x", context)

"""A real, throw-away WordPress on 127.0.0.1 for tests of the WordPress channel.

Why a real one: the WordPress REST API has traps a mock would not reproduce (200 HTML instead of 201 JSON with
plain permalinks, duplicate slugs renamed to ``slug-2``, Application Passwords refused over plain http outside a
"local" environment). So the tests run against Debian's packaged WordPress, served by ``php -S`` from a private
MariaDB, all inside one work folder, started in about two seconds and gone afterwards.

Needs the Debian packages installed by ``tests/services/install-wordpress-packages.sh`` and write access to
``/etc/wordpress`` (Debian's WordPress only reads its configuration from there).
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

INSTALL_SCRIPT = "tests/services/install-wordpress-packages.sh"
WORDPRESS_ROOT = Path("/usr/share/wordpress")
THEMES_ROOT = WORDPRESS_ROOT / "wp-content" / "themes"
CONFIG_DIR = Path("/etc/wordpress")
SUPPORT_DIR = Path(__file__).with_name("wordpress")
REQUIRED_COMMANDS = ("php", "mariadbd", "mariadb-install-db", "mariadb")
PHP_WORKERS = 4  # WordPress calls itself (install checks, wp-cron); a single worker stalls for ~20 s
MU_PLUGINS = ("no-mail.php", "hold-posts.php")  # hold-posts: a stuck server on demand (see :meth:`hold_post`)


class WordPressStartError(RuntimeError):
    """The test WordPress did not come up; the message carries the tail of the relevant log."""


def missing_prerequisites() -> list[str]:
    """What is missing for :class:`WordPressServer` to start, empty when it can; used to skip or fail loudly."""
    missing = [f"command {c!r}" for c in REQUIRED_COMMANDS if shutil.which(c) is None]
    if not (WORDPRESS_ROOT / "wp-load.php").is_file():
        missing.append(f"WordPress in {WORDPRESS_ROOT} (package wordpress)")
    if not (THEMES_ROOT / "twentytwentythree").is_dir():
        missing.append("theme twentytwentythree (package wordpress-theme-twentytwentythree)")
    if shutil.which("php") and "mysqli" not in _php_modules():
        missing.append("PHP extension mysqli (package php-mysql)")
    if not os.access(CONFIG_DIR, os.W_OK):
        missing.append(f"write access to {CONFIG_DIR} (run the tests as root)")
    return missing


def _php_modules() -> set[str]:
    out = subprocess.run(["php", "-m"], capture_output=True, text=True, check=False).stdout
    return {line.strip().lower() for line in out.splitlines()}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _php_str(value: str) -> str:
    """A PHP single-quoted string literal, so paths and passwords cannot break out of the config file."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class WordPressServer:
    """A private MariaDB + ``php -S`` WordPress under ``workdir``; use as a context manager.

    Each instance writes its own ``/etc/wordpress/config-<name>.php`` and selects it through the
    ``WORDPRESS_CONFIG`` server variable (set by the router), so two instances — two pytest sessions on one
    machine — never overwrite each other's configuration the way a shared ``config-127.0.0.1.php`` would.
    """

    username = "admin"

    def __init__(self, workdir: Path, *, startup_timeout: float = 30.0, environment: str = "local") -> None:
        self.workdir = Path(workdir)
        self.environment = environment  # WP_ENVIRONMENT_TYPE: "local" allows Application Passwords over http
        self.startup_timeout = startup_timeout
        self.port = 0
        self.base_url = ""
        self.admin_password = secrets.token_urlsafe(16)
        self.app_password = ""
        self.content_dir = self.workdir / "wp-content"
        self.holds_dir = self.content_dir / "sopkit-holds"
        self.config_name = f"sopkit-test-{secrets.token_hex(6)}"
        self.config_file = CONFIG_DIR / f"config-{self.config_name}.php"
        self._db_dir = self.workdir / "db"
        self._log_dir = self.workdir / "logs"
        self._run_dir = self.workdir / "run"
        self._short_run_dir: Path | None = None
        self._db_password = secrets.token_urlsafe(16)
        self._mariadb: subprocess.Popen[bytes] | None = None
        self._php: subprocess.Popen[bytes] | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------

    def __enter__(self) -> WordPressServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Bring up MariaDB, the PHP server and a fresh WordPress; on any failure stop what did start."""
        missing = missing_prerequisites()
        if missing:
            raise WordPressStartError(f"missing {', '.join(missing)}; run sudo sh {INSTALL_SCRIPT}")
        try:
            for d in (self._db_dir, self._log_dir, self._run_dir):
                d.mkdir(parents=True, exist_ok=False)
            self._start_mariadb()
            self._create_database()
            self.port = _free_port()
            self.base_url = f"http://127.0.0.1:{self.port}"
            self._write_content_dir()
            self._write_config()
            self._start_php()
            self._install()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop both servers (their process groups only) and remove every file this instance made."""
        for proc, grace in ((self._php, 5.0), (self._mariadb, 20.0)):
            if proc is not None:
                _terminate(proc, grace)
        self._php = self._mariadb = None
        self.config_file.unlink(missing_ok=True)
        for d in (self._db_dir, self._log_dir, self._run_dir, self.content_dir):
            shutil.rmtree(d, ignore_errors=True)
        if self._short_run_dir is not None:
            shutil.rmtree(self._short_run_dir, ignore_errors=True)
            self._short_run_dir = None

    # -- MariaDB ---------------------------------------------------------------------------------------------

    @property
    def _socket(self) -> Path:
        """The MariaDB socket; a Unix socket path must stay under ~108 bytes, so long workdirs get a short one."""
        path = self._run_dir / "mysqld.sock"
        if len(str(path)) < 100:
            return path
        if self._short_run_dir is None:
            self._short_run_dir = Path(tempfile.mkdtemp(prefix="wpdb-", dir="/tmp"))
        return self._short_run_dir / "mysqld.sock"

    def _start_mariadb(self) -> None:
        user = getpass.getuser()
        init_log = self._log_dir / "mariadb-install-db.log"
        with init_log.open("wb") as log:
            done = subprocess.run(
                [
                    "mariadb-install-db",
                    "--no-defaults",
                    f"--datadir={self._db_dir}",
                    f"--user={user}",
                    "--auth-root-authentication-method=socket",
                    "--skip-test-db",
                    "--skip-name-resolve",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if done.returncode != 0:
            raise WordPressStartError(f"mariadb-install-db failed:\n{_tail(init_log)}")
        error_log = self._log_dir / "mariadbd.log"
        self._mariadb = subprocess.Popen(
            [
                "mariadbd",
                "--no-defaults",
                f"--datadir={self._db_dir}",
                f"--socket={self._socket}",
                f"--pid-file={self._run_dir / 'mariadbd.pid'}",
                f"--log-error={error_log}",
                f"--user={user}",
                "--skip-networking",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=32M",
                "--innodb-flush-log-at-trx-commit=0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._wait_for(lambda: _unix_accepts(self._socket), self._mariadb, "mariadbd", error_log)

    def _create_database(self) -> None:
        pw = self._db_password.replace("'", "''")
        sql = (
            "CREATE DATABASE wordpress CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
            f"CREATE USER 'wordpress'@'localhost' IDENTIFIED BY '{pw}';"
            "GRANT ALL PRIVILEGES ON wordpress.* TO 'wordpress'@'localhost';"
        )
        done = subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={self._socket}", f"--user={getpass.getuser()}", "-e", sql],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise WordPressStartError(f"creating the database failed: {done.stderr.strip()}")

    # -- WordPress -------------------------------------------------------------------------------------------

    def _write_content_dir(self) -> None:
        """A writable wp-content of our own: themes linked from the package, uploads and the no-mail mu-plugin."""
        (self.content_dir / "uploads").mkdir(parents=True)
        (self.content_dir / "themes").mkdir()
        (self.content_dir / "mu-plugins").mkdir()
        for theme in THEMES_ROOT.iterdir():
            if theme.is_dir():
                (self.content_dir / "themes" / theme.name).symlink_to(theme)
        for plugin in MU_PLUGINS:
            shutil.copy(SUPPORT_DIR / plugin, self.content_dir / "mu-plugins" / plugin)
        self.holds_dir.mkdir()

    def _write_config(self) -> None:
        defines = {
            "DB_NAME": "wordpress",
            "DB_USER": "wordpress",
            "DB_PASSWORD": self._db_password,
            "DB_HOST": f"localhost:{self._socket}",
            "DB_CHARSET": "utf8mb4",
            "WP_HOME": self.base_url,
            "WP_SITEURL": self.base_url,
            "WP_CONTENT_DIR": str(self.content_dir),
            "WP_CONTENT_URL": f"{self.base_url}/wp-content",
            "WP_ENVIRONMENT_TYPE": self.environment,  # "local": Application Passwords over plain http
            "FS_METHOD": "direct",
        }
        defines |= {
            key: secrets.token_urlsafe(32)
            for key in (
                "AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
                "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT",
            )
        }  # fmt: skip
        lines = ["<?php", "// Written by tests/services/wordpress.py for one test instance; removed on stop."]
        lines += [f"define({_php_str(k)}, {_php_str(v)});" for k, v in defines.items()]
        lines += [
            "define('WP_HTTP_BLOCK_EXTERNAL', true);",
            "define('AUTOMATIC_UPDATER_DISABLED', true);",
            "define('WP_DEBUG', false);",
        ]
        self.config_file.write_text("\n".join(lines) + "\n")
        self.config_file.chmod(0o600)

    def _env(self) -> dict[str, str]:
        return os.environ | {
            "WORDPRESS_CONFIG": self.config_name,
            "WP_TEST_CONTENT_DIR": str(self.content_dir),
            "PHP_CLI_SERVER_WORKERS": str(PHP_WORKERS),
        }

    def _php_ini(self) -> list[str]:
        return [
            "-d", "upload_max_filesize=32M",
            "-d", "post_max_size=32M",
            "-d", "memory_limit=256M",
            "-d", "display_errors=0",
            "-d", "log_errors=1",
            "-d", f"error_log={self._log_dir / 'php-errors.log'}",
        ]  # fmt: skip

    def _start_php(self) -> None:
        log = self._log_dir / "php-server.log"
        with log.open("wb") as out:
            self._php = subprocess.Popen(
                ["php", *self._php_ini(), "-S", f"127.0.0.1:{self.port}", "-t", str(WORDPRESS_ROOT),
                 str(SUPPORT_DIR / "router.php")],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self._env(),
                start_new_session=True,
            )  # fmt: skip
        self._wait_for(lambda: _tcp_accepts(self.port), self._php, "php -S", log)

    def _install(self) -> None:
        env = self._env() | {
            "WP_TEST_HOST": f"127.0.0.1:{self.port}",
            "WP_TEST_ADMIN_USER": self.username,
            "WP_TEST_ADMIN_PASSWORD": self.admin_password,
            "WP_TEST_ADMIN_EMAIL": "admin@example.invalid",
        }
        done = subprocess.run(
            ["php", *self._php_ini(), str(SUPPORT_DIR / "install.php")],
            capture_output=True,
            text=True,
            env=env,
            timeout=self.startup_timeout,
            check=False,
        )
        try:
            result = json.loads(done.stdout.strip().splitlines()[-1])
            self.app_password = str(result["app_password"])
        except (IndexError, KeyError, ValueError) as e:
            raise WordPressStartError(
                f"WordPress install failed (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
                f"\n{_tail(self._log_dir / 'php-errors.log')}"
            ) from e

    # -- a stuck server on demand ----------------------------------------------------------------------------

    def hold_post(self, slug: str, seconds: float) -> None:
        """Make WordPress hold the next REST insert of a post with ``slug`` for ``seconds`` before applying it,
        however long the client has been gone (``wordpress/hold-posts.php``)."""
        tmp = self.holds_dir / f".{slug}.tmp"
        tmp.write_text(f"{seconds:g}")
        tmp.rename(self.holds_dir / slug)

    def holds(self, state: str) -> list[tuple[str, str]]:
        """(slug, X-Sopkit-Process) of the requests being held now (``holding``) or held and done (``held``)."""
        out = []
        for marker in self.holds_dir.glob(f"{state}-*"):
            slug, process, _php = marker.name[len(state) + 1:].rsplit("-", 2)
            out.append((slug, process))
        return out

    def release_holds(self) -> None:
        """Disarm every hold not yet taken (those being held finish on their own)."""
        for armed in self.holds_dir.iterdir():
            if not armed.name.startswith(("holding-", "held-")):
                armed.unlink(missing_ok=True)

    # -- helpers ---------------------------------------------------------------------------------------------

    def _wait_for(self, ready: Callable[[], bool], proc: subprocess.Popen[bytes], what: str, log: Path) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while not ready():
            if proc.poll() is not None:
                raise WordPressStartError(f"{what} exited with {proc.returncode}:\n{_tail(log)}")
            if time.monotonic() > deadline:
                raise WordPressStartError(f"{what} not ready after {self.startup_timeout} s:\n{_tail(log)}")
            time.sleep(0.05)


def _unix_accepts(path: Path) -> bool:
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(str(path))
        except OSError:
            return False
    return True


def _tcp_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _terminate(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the process group we started (php -S forks its workers), SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)

"""One publish run on this host, from the secrets file: the store, the channels, the host lock, the exit code.

:func:`run_once` publishes (or, dry, says what it would); :func:`check_only` asks every channel whether its
credentials work and publishes nothing. ``jobs/publish.py`` is the command line around these two.

Exit codes: 0 = nothing failed (or another run holds the lock); 1 = a channel failed, is unknown, will be
retried, a credential check failed, or the job hit an error; 2 = configuration or store unusable.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..channels.base import CredentialStatus
from ..config import ROOT, Config, ConfigError, open_store
from ..i18n import t
from ..redact import redact
from ..settings import from_rows
from ..store.base import Register, StoreError
from ..timeutil import Now, parse_iso, server_now, to_iso, use_zone
from ..workflow import Desk
from .copies import TRASH
from .credentials import credential_warnings
from .job import DEFAULT_LEASE, DEFAULT_MAX_ATTEMPTS, DEFAULT_WATCH, PublishJob, Say, host_name, new_job_id
from .lease import REQUEST_SECONDS
from .media import MediaFolder
from .wiring import ChannelSetup, build_channels

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


class LockHeld(Exception):
    """Another run holds the host lock; ``since`` is when it took it (None when unreadable)."""

    def __init__(self, message: str, since: dt.datetime | None):
        super().__init__(message)
        self.since = since


@dataclass(frozen=True)
class Holder:
    """Who holds the host lock: the run, its host and pid, and since when (the server clock)."""

    holder: str
    host: str
    pid: int
    since: dt.datetime

    def describe(self) -> str:
        return f"run {self.holder} on {self.host}, pid {self.pid}, since {to_iso(self.since)}"


def holder_path(lock: Path) -> Path:
    return lock.with_name(lock.name + ".holder")


def write_holder(lock: Path, holder: Holder) -> None:
    """Replace ``<lock>.holder`` in one step (a temporary file renamed over it): a reader sees the old holder or
    the new one, never an empty or half-written file."""
    target = holder_path(lock)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"holder": holder.holder, "host": holder.host, "pid": holder.pid,
                               "since": to_iso(holder.since)}) + "\n")
    os.replace(tmp, target)


def read_holder(lock: Path, *, tries: int = 20, pause: float = 0.01) -> Holder | None:
    """The lock's holder as written beside it. Between a run's flock and its write the file is missing, or left
    by a run that died (its pid gone): both last a moment, so the read is retried a few times."""
    found: Holder | None = None
    for _ in range(tries):
        try:
            data = json.loads(holder_path(lock).read_text())
            found = Holder(str(data["holder"]), str(data["host"]), int(data["pid"]), parse_iso(str(data["since"])))
        except (OSError, ValueError, KeyError, TypeError):
            found = None
        if found is not None and (found.host != host_name() or _alive(found.pid)):
            return found
        time.sleep(pause)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _take(fd: int, path: Path, patience: float = 2.0, what: str = "publish") -> None:
    """flock ``fd`` or raise LockHeld naming the holder. No holder file means a run is between its flock and its
    write, or between its removal and its release: a moment, so the lock is tried again for up to ``patience``."""
    give_up = time.monotonic() + patience
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            found = read_holder(path, tries=5)
            if found is not None or time.monotonic() > give_up:
                raise LockHeld(f"another {what} run holds the lock {path} "
                               f"({found.describe() if found else 'its holder wrote nothing'})",
                               found.since if found else None) from None


@contextlib.contextmanager
def host_lock(path: Path, now: Now = server_now, holder: str | None = None,
              what: str = "publish") -> Iterator[None]:
    """One run per host at a time: ``flock`` on ``path`` (released by the kernel if the run dies); ``what``
    names the job in the message a second run gets.

    Who holds it (``holder``: the run's id) is written beside it in ``<path>.holder`` and removed on release. Why
    beside: the flock belongs to the open file, so renaming a new file over ``path`` would hand the next run a
    fresh, unlocked one; and writing into the locked file in place let a reader see it empty (issue 17).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _take(fd, path, what=what)
        write_holder(path, Holder(holder or f"{host_name()}:{os.getpid()}", host_name(), os.getpid(), now()))
        try:
            yield
        finally:
            holder_path(path).unlink(missing_ok=True)  # while the flock is still ours: never the next run's file
    finally:
        os.close(fd)


def config_int(config: Config, key: str, default: int) -> int:
    """``[publish] key`` as a whole number; ConfigError naming the key otherwise."""
    try:
        return int(config.section("publish").get(key, default))
    except (TypeError, ValueError):
        raise ConfigError(f"[publish] {key} must be a whole number") from None


def config_float(config: Config, key: str, default: float) -> float:
    """``[publish] key`` as a number; ConfigError naming the key otherwise."""
    try:
        return float(config.section("publish").get(key, default))
    except (TypeError, ValueError):
        raise ConfigError(f"[publish] {key} must be a number") from None


def lock_path(config: Config) -> Path:
    path = Path(str(config.section("publish").get("lock") or ROOT / "data" / "publish.lock"))
    return path if path.is_absolute() else ROOT / path


def redacting(say: Say, secrets: tuple[str, ...]) -> Say:
    """``say`` that never prints a secret of the file or a query string, whatever the message came from."""
    return (lambda message: say(redact(message, secrets))) if secrets else say


def run_once(config: Config, *, dry_run: bool = False, say: Say = print, now: Now = server_now,
             setup: ChannelSetup | None = None, sleep: Callable[[float], None] = time.sleep,
             warned: set[str] | None = None) -> int:
    """One run under the host lock (a dry run takes no lock: it writes nothing). Returns the exit code.

    ``warned``: credential warnings already shown (the loop passes one set, so it says each once, not every
    minute); None shows them all.
    """
    setup = setup or build_channels(config, sleep=sleep)
    say = redacting(say, setup.secrets)
    job_id = new_job_id()
    if dry_run:
        return _publish(config, setup, job_id, dry_run=True, say=say, now=now, sleep=sleep, warned=warned)
    try:
        with host_lock(lock_path(config), now, holder=job_id):
            return _publish(config, setup, job_id, dry_run=False, say=say, now=now, sleep=sleep, warned=warned)
    except LockHeld as e:
        stuck = dt.timedelta(minutes=config_int(config, "stuck_minutes", 30))
        if e.since is not None and now() - e.since > stuck:
            say(t("run.stuck", config.language, detail=e, minutes=f"{stuck.total_seconds() / 60:g}"))
            return EXIT_FAILED
        say(t("run.not_running", config.language, detail=e))
        return EXIT_OK


def check_only(config: Config, *, say: Say = print, now: Now = server_now, setup: ChannelSetup | None = None) -> int:
    """Ask every configured channel whether its credentials work, show what an admin must fix, publish nothing.

    Exit code 0 only when every configured channel answered ok (2 when the store cannot be read for the warnings).
    """
    setup = setup or build_channels(config)
    say = redacting(say, setup.secrets)
    try:
        register = open_store(config).read_register()
    except (StoreError, ConfigError) as e:
        say(t("run.error", config.language, detail=e))
        return EXIT_CONFIG
    statuses = _check(setup, say, config.language)
    for name, reason in setup.unavailable.items():
        say(t("run.cred_missing", config.language, name=name, reason=reason))
    _warn(config, register, now(), statuses, say, None)
    return EXIT_OK if all(s.ok for s in statuses.values()) else EXIT_FAILED


def _check(setup: ChannelSetup, say: Say, lang: str) -> dict[str, CredentialStatus]:
    statuses = {}
    for name, channel in setup.channels.items():
        statuses[name] = status = channel.check_credentials()
        say(t("run.cred_ok" if status.ok else "run.cred_bad", lang, name=name, message=status.message))
    return statuses


def _warn(config: Config, register: Register, now: dt.datetime, statuses: dict[str, CredentialStatus], say: Say,
          warned: set[str] | None) -> None:
    for warning in credential_warnings(config, register, now, statuses):
        if warned is None or warning not in warned:
            say(t("run.warning", config.language, detail=warning))
        if warned is not None:
            warned.add(warning)


def _publish(config: Config, setup: ChannelSetup, job_id: str, *, dry_run: bool, say: Say, now: Now,
             sleep: Callable[[float], None], warned: set[str] | None) -> int:
    try:
        store = open_store(config)
        snapshot = store.read_snapshot(with_log=False, with_sessions=False)  # one read (one values:batchGet on Sheets)
        settings, problems = from_rows(snapshot.settings, default_timezone=config.timezone)
        use_zone(settings.tz)  # every stamp of this run in the Settings' zone
        register = snapshot.register
        lease = dt.timedelta(minutes=config_int(config, "lease_minutes", int(DEFAULT_LEASE.total_seconds() // 60)))
        max_attempts = config_int(config, "max_attempts", DEFAULT_MAX_ATTEMPTS)
        request_seconds = config_float(config, "request_seconds", REQUEST_SECONDS)
        watch = dt.timedelta(hours=config_float(config, "watch_hours", DEFAULT_WATCH.total_seconds() / 3600))
        copies = str(config.section("publish").get("copies", TRASH) or TRASH).strip().lower()
        desk = Desk(store, settings, now)
        job = PublishJob(desk, setup.channels, setup.unavailable, images=MediaFolder(config.media),
                         lease=lease, max_attempts=max_attempts, sleep=sleep, say=say, job_id=job_id,
                         request_seconds=request_seconds, copies=copies, watch=watch)
    except (StoreError, ConfigError, ValueError) as e:  # ValueError: a lease too short, an unknown copies mode
        say(t("run.error", config.language, detail=e))
        return EXIT_CONFIG
    lang = config.language
    for problem in problems:
        say(t("run.warning_settings", lang, detail=problem))
    _warn(config, register, now(), {}, say, warned)
    say(t("run.publish_start", lang, job=job.job_id, who=job.user.name or job.user.email)
        + (t("run.dry", lang) if dry_run else ""))
    if dry_run:
        lines = job.plan()
        for line in lines:
            say(line)
        say(t("run.publish_dry_done", lang, n=sum("would publish" in line for line in lines)))
        return EXIT_OK
    report = job.run(register)  # the register read above: an idle run reads nothing more
    say(report.summary(lang))
    return EXIT_OK if report.ok else EXIT_FAILED

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
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ..channels.base import CredentialStatus
from ..config import ROOT, Config, ConfigError, open_store
from ..redact import redact
from ..settings import from_rows
from ..store.base import Register, StoreError
from ..timeutil import Now, server_now, to_iso
from ..workflow import Desk
from .credentials import credential_warnings
from .job import DEFAULT_LEASE, DEFAULT_MAX_ATTEMPTS, PublishJob, Say
from .media import MediaFolder
from .wiring import ChannelSetup, build_channels

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


class LockHeld(Exception):
    """Another run holds the host lock; ``since`` is when it took it (None when unreadable)."""

    def __init__(self, message: str, since: dt.datetime | None):
        super().__init__(message)
        self.since = since


@contextlib.contextmanager
def host_lock(path: Path, now: Now = server_now) -> Iterator[None]:
    """One run per host at a time: ``flock`` on ``path`` (released by the kernel if the run dies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            since = None
            if m := re.search(r"since (\S+)", holder):
                with contextlib.suppress(ValueError):
                    since = dt.datetime.fromisoformat(m.group(1))
            raise LockHeld(f"another publish run holds the lock {path} ({holder or 'holder unknown'})", since) \
                from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {to_iso(now())}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def config_int(config: Config, key: str, default: int) -> int:
    """``[publish] key`` as a whole number; ConfigError naming the key otherwise."""
    try:
        return int(config.section("publish").get(key, default))
    except (TypeError, ValueError):
        raise ConfigError(f"[publish] {key} must be a whole number") from None


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
    if dry_run:
        return _publish(config, setup, dry_run=True, say=say, now=now, sleep=sleep, warned=warned)
    try:
        with host_lock(lock_path(config), now):
            return _publish(config, setup, dry_run=False, say=say, now=now, sleep=sleep, warned=warned)
    except LockHeld as e:
        stuck = dt.timedelta(minutes=config_int(config, "stuck_minutes", 30))
        if e.since is not None and now() - e.since > stuck:
            say(f"error: {e}; it has held it for more than {stuck.total_seconds() / 60:g} minutes: is it stuck?")
            return EXIT_FAILED
        say(f"{e}; not running")
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
        say(f"error: {e}")
        return EXIT_CONFIG
    statuses = _check(setup, say)
    for name, reason in setup.unavailable.items():
        say(f"credentials {name}: not configured: {reason}")
    _warn(config, register, now(), statuses, say, None)
    return EXIT_OK if all(s.ok for s in statuses.values()) else EXIT_FAILED


def _check(setup: ChannelSetup, say: Say) -> dict[str, CredentialStatus]:
    statuses = {}
    for name, channel in setup.channels.items():
        statuses[name] = status = channel.check_credentials()
        say(f"credentials {name}: {'ok' if status.ok else 'NOT OK'}: {status.message}")
    return statuses


def _warn(config: Config, register: Register, now: dt.datetime, statuses: dict[str, CredentialStatus], say: Say,
          warned: set[str] | None) -> None:
    for warning in credential_warnings(config, register, now, statuses):
        if warned is None or warning not in warned:
            say(f"warning: {warning}")
        if warned is not None:
            warned.add(warning)


def _publish(config: Config, setup: ChannelSetup, *, dry_run: bool, say: Say, now: Now,
             sleep: Callable[[float], None], warned: set[str] | None) -> int:
    try:
        store = open_store(config)
        snapshot = store.read_snapshot(with_log=False, with_sessions=False)  # one read (one values:batchGet on Sheets)
        settings, problems = from_rows(snapshot.settings, default_timezone=config.timezone)
        register = snapshot.register
        lease = dt.timedelta(minutes=config_int(config, "lease_minutes", int(DEFAULT_LEASE.total_seconds() // 60)))
        max_attempts = config_int(config, "max_attempts", DEFAULT_MAX_ATTEMPTS)
    except (StoreError, ConfigError) as e:
        say(f"error: {e}")
        return EXIT_CONFIG
    for problem in problems:
        say(f"warning: settings: {problem}")
    _warn(config, register, now(), {}, say, warned)
    desk = Desk(store, settings, now)
    job = PublishJob(desk, setup.channels, setup.unavailable, images=MediaFolder(config.media), lease=lease,
                     max_attempts=max_attempts, sleep=sleep, say=say)
    say(f"publish run {job.job_id} as {job.user.email}" + (" (dry run: nothing is sent)" if dry_run else ""))
    if dry_run:
        lines = job.plan()
        for line in lines:
            say(line)
        say(f"dry run done: {sum('would publish' in line for line in lines)} post(s) would be sent")
        return EXIT_OK
    report = job.run(register)  # the register read above: an idle run reads nothing more
    say(report.summary())
    return EXIT_OK if report.ok else EXIT_FAILED

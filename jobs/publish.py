"""The publish job (SOP step 6) for cron or a systemd timer; the logic is ``sopkit.publishing``.

    python -m jobs.publish --once              # one run: publish everything due, then exit
    python -m jobs.publish --once --dry-run    # say what would be published; send and write nothing
    python -m jobs.publish --loop --every 1m   # keep running (the ``schedule`` package), e.g. under systemd
    python -m jobs.publish --once --check-credentials   # also ask every channel whether its token works

One readable line per action on stdout. Exit code: 0 = nothing failed; 1 = a channel failed, is unknown or will
be retried, or the job hit an error (cron mails the output); 2 = configuration or store unusable. A run that finds
another run holding the host lock says so and exits 0 at once, or 1 when that run has held it suspiciously long.

Settings (``.streamlit/secrets.toml``): ``[publish] lock`` (default ``data/publish.lock``), ``lease_minutes``
(10), ``max_attempts`` (5), ``stuck_minutes`` (30); channels as listed in ``sopkit.publishing``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from sopkit.config import ROOT, Config, ConfigError, load, load_settings, open_store
from sopkit.publishing import (
    DEFAULT_LEASE,
    DEFAULT_MAX_ATTEMPTS,
    ChannelSetup,
    PublishJob,
    Say,
    build_channels,
    credential_warnings,
    media_folder,
)
from sopkit.store.base import StoreError
from sopkit.timeutil import Now, server_now, to_iso
from sopkit.workflow import Desk

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


def _config_int(config: Config, key: str, default: int) -> int:
    try:
        return int(config.section("publish").get(key, default))
    except (TypeError, ValueError):
        raise ConfigError(f"[publish] {key} must be a whole number") from None


def lock_path(config: Config) -> Path:
    path = Path(str(config.section("publish").get("lock") or ROOT / "data" / "publish.lock"))
    return path if path.is_absolute() else ROOT / path


def run_once(config: Config, *, dry_run: bool = False, check_credentials: bool = False, say: Say = print,
             now: Now = server_now, setup: ChannelSetup | None = None, sleep: Callable[[float], None] = time.sleep,
             warned: set[str] | None = None) -> int:
    """One run under the host lock (a dry run takes no lock: it writes nothing). Returns the exit code.

    ``warned``: credential warnings already shown (the loop passes one set, so it says each once, not every
    minute); None shows them all.
    """

    def go(dry: bool) -> int:
        return _run(config, dry_run=dry, check_credentials=check_credentials, say=say, now=now, setup=setup,
                    sleep=sleep, warned=warned)

    if dry_run:
        return go(True)
    try:
        with host_lock(lock_path(config), now):
            return go(False)
    except LockHeld as e:
        stuck = dt.timedelta(minutes=_config_int(config, "stuck_minutes", 30))
        if e.since is not None and now() - e.since > stuck:
            say(f"error: {e}; it has held it for more than {stuck.total_seconds() / 60:g} minutes: is it stuck?")
            return EXIT_FAILED
        say(f"{e}; not running")
        return EXIT_OK


def _run(config: Config, *, dry_run: bool, check_credentials: bool, say: Say, now: Now,
         setup: ChannelSetup | None, sleep: Callable[[float], None], warned: set[str] | None) -> int:
    try:
        store = open_store(config)
        settings, problems = load_settings(store, config)
        register = store.read_register()
        lease = dt.timedelta(minutes=_config_int(config, "lease_minutes", int(DEFAULT_LEASE.total_seconds() // 60)))
        max_attempts = _config_int(config, "max_attempts", DEFAULT_MAX_ATTEMPTS)
    except (StoreError, ConfigError) as e:
        say(f"error: {e}")
        return EXIT_CONFIG
    for problem in problems:
        say(f"warning: settings: {problem}")
    setup = setup or build_channels(config, sleep=sleep)
    statuses = {}
    if check_credentials:
        for name, channel in setup.channels.items():
            statuses[name] = status = channel.check_credentials()
            say(f"credentials {name}: {'ok' if status.ok else 'NOT OK'}: {status.message}")
    for warning in credential_warnings(config, register, now(), statuses):
        if warned is None or warning not in warned:
            say(f"warning: {warning}")
        if warned is not None:
            warned.add(warning)
    desk = Desk(store, settings, now)
    job = PublishJob(desk, setup.channels, setup.unavailable, media_root=media_folder(config), lease=lease,
                     max_attempts=max_attempts, sleep=sleep, say=say)
    say(f"publish run {job.job_id} as {job.user.email}" + (" (dry run: nothing is sent)" if dry_run else ""))
    if dry_run:
        lines = job.plan()
        for line in lines:
            say(line)
        say(f"dry run done: {sum('would publish' in line for line in lines)} post(s) would be sent")
        return EXIT_OK
    report = job.run()
    say(report.summary())
    return EXIT_OK if report.ok and not (check_credentials and not all(s.ok for s in statuses.values())) \
        else EXIT_FAILED


def parse_every(text: str) -> int:
    """``30s``, ``1m``, ``5m``, ``1h`` (or plain seconds) → seconds."""
    m = re.fullmatch(r"\s*(\d+)\s*([smh]?)\s*", text.lower())
    if not m or int(m.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not an interval like 30s, 1m or 1h")
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def loop(every: int, tick: Callable[[], int], *, sleep: Callable[[float], None] = time.sleep,
         max_ticks: int | None = None, stop: threading.Event | None = None) -> int:
    """Run ``tick`` now and then every ``every`` seconds with ``schedule``; a tick's failure never stops the loop.

    ``stop`` (set by SIGTERM/SIGINT in :func:`main`) ends the loop between runs, never in the middle of a post.
    """
    import schedule

    stop = stop or threading.Event()
    scheduler = schedule.Scheduler()
    ticks = 0

    def one() -> None:
        nonlocal ticks
        ticks += 1
        tick()

    scheduler.every(every).seconds.do(one)
    one()
    while not stop.is_set() and (max_ticks is None or ticks < max_ticks):
        scheduler.run_pending()
        sleep(max(0.0, min(1.0, scheduler.idle_seconds or 1.0)))
    return EXIT_OK


def stamped(out: TextIO = sys.stdout, now: Now = server_now) -> Say:
    def say(message: str) -> None:
        print(f"{to_iso(now())} {message}", file=out, flush=True)

    return say


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.publish", description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--once", action="store_true", help="one run, then exit (for cron)")
    mode.add_argument("--loop", action="store_true", help="run forever, every --every")
    parser.add_argument("--every", type=parse_every, default=60, help="interval for --loop: 30s, 1m, 5m (default 1m)")
    parser.add_argument("--dry-run", action="store_true", help="say what would be published; send nothing")
    parser.add_argument("--check-credentials", action="store_true", help="ask each channel whether its token works")
    parser.add_argument("--secrets", help="secrets file (default .streamlit/secrets.toml or $SOPKIT_SECRETS)")
    args = parser.parse_args(argv)
    say = stamped()

    warned: set[str] | None = None if args.once else set()

    def tick() -> int:
        try:
            config = load(args.secrets)  # read on every run, so a renewed token needs no restart
        except ConfigError as e:
            say(f"error: {e}")
            return EXIT_CONFIG
        return run_once(config, dry_run=args.dry_run, check_credentials=args.check_credentials, say=say,
                        warned=warned)

    if args.once:
        return tick()
    stop = threading.Event()

    def finish(signum: int, frame: object) -> None:
        say(f"signal {signum}: stopping after the current run")
        stop.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    return loop(args.every, tick, stop=stop)


if __name__ == "__main__":
    sys.exit(main())

"""The publish job (SOP step 6) for cron or a systemd timer; the logic is ``sopkit.publishing``.

    python -m jobs.publish --once              # one run: publish everything due, then exit
    python -m jobs.publish --once --dry-run    # say what would be published; send and write nothing
    python -m jobs.publish --loop --every 1m   # keep running (the ``schedule`` package), e.g. under systemd
    python -m jobs.publish --check-credentials # only ask every channel whether its token works; publish nothing

One readable line per action on stdout (secrets and query strings never appear). Exit code: 0 = nothing failed;
1 = a channel failed, is unknown or will be retried, a credential check failed, or the job hit an error (cron
mails the output); 2 = configuration or store unusable. A run that finds another run holding the host lock says
so and exits 0 at once, or 1 when that run has held it suspiciously long.

Settings (``.streamlit/secrets.toml``): ``[publish] lock`` (default ``data/publish.lock``; its holder is in
``<lock>.holder``), ``lease_minutes`` (10; refused when shorter than the longest attempt on a channel),
``request_seconds`` (60, the deadline of one request), ``max_attempts`` (5), ``stuck_minutes`` (30),
``watch_hours`` (24, how long copies are looked for), ``copies`` (``trash`` or ``show``); each channel's own
section as its module declares.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from sopkit.config import ConfigError, load
from sopkit.publishing import Say
from sopkit.publishing.run import EXIT_CONFIG, EXIT_FAILED, EXIT_OK, LockHeld, check_only, host_lock, run_once
from sopkit.timeutil import Now, server_now, to_iso

__all__ = ["EXIT_CONFIG", "EXIT_FAILED", "EXIT_OK", "LockHeld", "check_only", "host_lock", "loop",
           "loop_until_signalled", "main", "parse_every", "run_once", "stamped"]


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
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="one run, then exit (for cron)")
    mode.add_argument("--loop", action="store_true", help="run forever, every --every")
    parser.add_argument("--every", type=parse_every, default=60, help="interval for --loop: 30s, 1m, 5m (default 1m)")
    parser.add_argument("--dry-run", action="store_true", help="say what would be published; send nothing")
    parser.add_argument("--check-credentials", action="store_true",
                        help="only ask each channel whether its token works (alone or with --once); publishes nothing")
    parser.add_argument("--secrets", help="secrets file (default .streamlit/secrets.toml or $SOPKIT_SECRETS)")
    args = parser.parse_args(argv)
    if args.check_credentials and args.loop:
        parser.error("--check-credentials checks once and exits; it cannot run with --loop")
    if not (args.once or args.loop or args.check_credentials):
        parser.error("one of --once, --loop or --check-credentials is required")
    say = stamped()

    warned: set[str] | None = None if args.once else set()

    def tick() -> int:
        try:
            config = load(args.secrets)  # read on every run, so a renewed token needs no restart
        except ConfigError as e:
            say(f"error: {e}")
            return EXIT_CONFIG
        if args.check_credentials:
            return check_only(config, say=say)
        return run_once(config, dry_run=args.dry_run, say=say, warned=warned)

    if args.once or args.check_credentials:
        return tick()
    return loop_until_signalled(args.every, tick, say)


def loop_until_signalled(every: int, tick: Callable[[], int], say: Say) -> int:
    """:func:`loop` until SIGTERM or SIGINT, which end it between runs, never in the middle of one."""
    stop = threading.Event()

    def finish(signum: int, frame: object) -> None:
        say(f"signal {signum}: stopping after the current run")
        stop.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    return loop(every, tick, stop=stop)


if __name__ == "__main__":
    sys.exit(main())
